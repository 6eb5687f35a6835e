"""`akhbar stories` and `akhbar coverage ID`: the corpus grouped into stories (events), as stored.

Stories are assigned when articles are written (index/story_links.py): an article joins the
story of its most similar earlier article, with a threshold that depends on the language pair
and the days between them, so an event's coverage in every language lands in one story while
another event (two earthquakes in two countries) stays apart. Reading them is a lookup: no
pass over the corpus. A language filter limits what is shown, never what was joined.
"""

from __future__ import annotations

from dataclasses import dataclass

from akhbar.index import store, story_links
from akhbar.index.errors import ArticleNotFound
from akhbar.search.reader import OpenIndex


@dataclass
class Story:
    """A story: its id (the id of its first article), its articles' positions in arrival order
    (`members`), and those shown (`positions`: all of them, or those in the language asked for)."""

    story: str
    members: list[int]
    positions: list[int]


def _shown(idx: OpenIndex, positions: list[int], lang: str | None) -> list[int]:
    if not lang:
        return positions
    langs = store.languages_at(idx.con, positions) if positions else []
    return [p for p, lg in zip(positions, langs) if lg == lang]


def stories(idx: OpenIndex, min_articles: int = 2, lang: str | None = None) -> list[Story]:
    """Stories with at least `min_articles` articles, largest first; with `lang`, only the stories
    that have articles in it, showing those."""
    out = []
    for story, _ in store.stories_of_size(idx.con, min_articles):
        members = store.story_members(idx.con, story)
        shown = _shown(idx, members, lang)
        if shown:
            out.append(Story(story, members, shown))
    return out


def coverage(idx: OpenIndex, article_id: str, lang: str | None = None) -> Story:
    """The story of an article, in arrival order (with `lang`, its articles in that language)."""
    row = store.by_id(idx.con, article_id)
    if row is None:
        raise ArticleNotFound(f"no article with id '{article_id}' in {idx.root}")
    story = store.story_at(idx.con, row["pos"])
    members = store.story_members(idx.con, story)
    return Story(story, members, _shown(idx, members, lang))


def assignments(idx: OpenIndex) -> dict[int, str]:
    """Every live article's stored story, by position (for benchmarks and checks)."""
    return dict(idx.con.execute("SELECT pos, story FROM story_of"))


def fresh_pass(idx: OpenIndex) -> dict[int, str]:
    """Every live article's story computed from nothing over the same articles in the same order,
    with the index's current thresholds: what the stored assignment must equal (tests, bench)."""
    space = story_links.Space(idx.search, idx.vectors_at, idx.searchable)
    return {p: story for p, (story, _) in story_links.fresh_pass(idx.con, space).items()}
