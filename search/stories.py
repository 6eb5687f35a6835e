"""`akhbar stories` and `akhbar coverage ID`: the corpus grouped into stories (events).

Articles are taken in publication order (undated ones last), the way they arrive. Each joins
the story of its most similar earlier article when their centered cosine is at least
settings.story_link_cosine and they appeared within settings.story_window_days of each other,
else it starts a story. So a story grows as its coverage comes in, across outlets and
languages, and a new article never moves an older one to another story. Two earthquakes in
two countries stay apart: same-topic articles of another event score lower (ECB+ median
0.36 against 0.64 for the same event, bench/results/calibrate.md), and time separates the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from akhbar.search.query import faiss_selector
from akhbar.search.reader import OpenIndex
from akhbar.search.settings import DEFAULTS, QuerySettings

NEIGHBOURS = 16


@dataclass
class Story:
    """A story: its articles' positions in publication order; the first one names it."""

    positions: list[int]


def _days_apart(a: str, b: str) -> int:
    if not a or not b:
        return 0  # undated: time cannot tell them apart
    return abs((date.fromisoformat(a) - date.fromisoformat(b)).days)


def assign(idx: OpenIndex, since: str | None = None, until: str | None = None,
           settings: QuerySettings = DEFAULTS) -> dict[int, int]:
    """Story of every live article (or, given both days, of those published since..until and
    the undated, among themselves): position → position of the story's first article."""
    order = idx.publication_order(since, until)
    day = dict(order)
    story: dict[int, int] = {}
    positions = [p for p, _ in order]
    selector = faiss_selector(np.asarray(positions, np.int64)) if since and until else None
    for a, row_s, row_i in idx.neighbours(positions, NEIGHBOURS, selector):
        best = next((b for s, b in zip(row_s, row_i) if s >= settings.story_link_cosine and b in story
                     and _days_apart(day[a], day[b]) <= settings.story_window_days), None)
        story[a] = a if best is None else story[best]
    return story


def stories(idx: OpenIndex, min_articles: int = 2, settings: QuerySettings = DEFAULTS) -> list[Story]:
    """Stories with at least `min_articles` articles, largest first."""
    groups: dict[int, list[int]] = {}
    for p, s in assign(idx, settings=settings).items():
        groups.setdefault(s, []).append(p)
    return sorted((Story(g) for g in groups.values() if len(g) >= min_articles), key=lambda s: (-len(s.positions), s.positions[0]))


def coverage(idx: OpenIndex, article_id: str, settings: QuerySettings = DEFAULTS) -> Story:
    """The story of an article, in publication order.

    A dated article's story is traced among the articles published within coverage_days of
    it, so the cost does not grow with the archive (a whole pass over 100k articles takes
    ~20 s); a story whose chain of links reaches further is cut at that window.
    """
    from akhbar.index.errors import ArticleNotFound

    row = idx.row(article_id)
    if row is None:
        raise ArticleNotFound(f"no article with id '{article_id}' in {idx.root}")
    window = {}
    if row["day"]:
        d, span = date.fromisoformat(row["day"]), timedelta(days=settings.coverage_days)
        window = {"since": (d - span).isoformat(), "until": (d + span).isoformat()}
    story = assign(idx, **window, settings=settings)
    mine = story[row["pos"]]
    return Story([p for p, s in story.items() if s == mine])
