"""The rows of a box or a search: candidates fetched in widening rounds (search/hybrid.py), for a
search widened across languages (search/expand.py), grouped into stored stories and shown in the
reader's language (search/story_rows.py)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from akhbar.index.filters import Filters
from akhbar.search import copies as copy_groups
from akhbar.search import expand, hybrid
from akhbar.search.settings import QuerySettings
from akhbar.search.snapshot import Snapshot
from akhbar.search.story_rows import StoryRow, build_rows, decayed_by_age, rank_stories, stories_of


@dataclass(frozen=True)
class Asked:
    """What one list of rows is for: k rows, for a reader of `reader_lang`; `anchor` (the box's
    article's day) makes nearer stories count more; `skip` stories (the box's own) and `exclude`
    positions are never rows; candidates under `floor` are not related at all; `widen` searches
    again with the best same-language matches' vectors (a short query)."""

    k: int
    reader_lang: str = ""
    query_lang: str = ""
    floor: float = -1.0
    anchor: str = ""
    skip: frozenset[str] = frozenset()
    exclude: frozenset[int] = frozenset()
    widen: bool = False


def _selective(idx: Snapshot, filters: Filters, total: int, share: float) -> np.ndarray | None:
    """The positions a selective filter allows (fewer than `share` of the articles), for FAISS to
    skip the rest rather than fetch ever more; None when the filter is not selective."""
    if idx.count(filters) >= share * total:
        return None
    return np.asarray(idx.positions(filters), np.int64)


def _mmr(rows: list[StoryRow], idx: Snapshot, k: int, lam: float) -> list[StoryRow]:
    """--diverse: each next row the most relevant and least like the rows already chosen."""
    if not rows:
        return rows
    vecs = idx.vectors_at([r.pos for r in rows])
    rel = np.asarray([r.score for r in rows])
    chosen: list[int] = []
    rest = list(range(len(rows)))
    while rest and len(chosen) < k:
        redundancy = (vecs[rest] @ vecs[chosen].T).max(1) if chosen else np.zeros(len(rest))
        best = rest[int(np.argmax(lam * rel[rest] - (1 - lam) * redundancy))]
        chosen.append(best)
        rest.remove(best)
    return [rows[i] for i in chosen]


def find(
    idx: Snapshot, qvec: np.ndarray, terms: list[str], filters: Filters, ranking, asked: Asked, settings: QuerySettings
) -> list[StoryRow]:
    """Up to asked.k story rows for a unit query vector and its lexical terms, best first.

    The vector search sees one article per stored copy group (search/copies.py) unless the mode is
    lexical or a source is asked for. Rounds fetch four times more until k stories pass, the mode
    has nothing more, or (dense) the candidates fall under the floor.
    """
    mode = ranking.mode
    want = 3 * asked.k if ranking.diverse else asked.k
    grouped = idx.one_per_copy_group if mode != "lexical" and not filters.source else None
    total = idx.searchable if mode != "lexical" else idx.manifest.articles
    selector = grouped  # with a selective filter's, once post-filtering has proved too slow
    fetch = min(total, 4 * want + 16)
    words = hybrid.lexical_list(idx, terms, settings, grouped is not None) if mode == "hybrid" else None
    seen, story = hybrid.Seen(), {}

    def passes(pos: int, row: dict) -> bool:
        return pos not in asked.exclude and filters.match(row)

    while True:
        found = hybrid.candidates(idx, qvec, terms, fetch, mode, asked.query_lang, selector, words, settings, seen)
        cands = found.items
        if ranking.half_life:
            cands = decayed_by_age(cands, seen.rows, ranking.half_life)
        if asked.widen:
            cands = expand.widen(idx, cands, seen, qvec, asked.query_lang, fetch, selector, settings)
        story.update(stories_of(idx, [p for p, _, _ in cands if p not in story]))
        ranked = rank_stories(cands, story, seen.rows, passes, asked.floor, set(asked.skip), asked.anchor, settings)
        # a wider round brings only dense candidates under the floor (the lexical list is fetched once)
        fell = found.lowest_dense < asked.floor or (asked.widen and not cands)
        if len(ranked) >= want or fetch >= total or found.exhausted or fell:
            break
        if selector is grouped and mode != "lexical" and filters.any() and fetch * 4 > settings.post_filter_max:
            allowed = _selective(idx, filters, total, settings.selective)
            if allowed is not None:
                if len(allowed) == 0:
                    return []
                selector, total = copy_groups.both(grouped, copy_groups.faiss_selector(allowed)), len(allowed)
                fetch = min(total, 4 * want + 16)
                continue
        fetch = min(total, fetch * 4)
    rows = build_rows(idx, ranked[:want], qvec, asked.reader_lang, passes, settings.copies_listed)
    return _mmr(rows, idx, asked.k, settings.mmr_lambda) if ranking.diverse else rows
