"""The rows of a box or a search: candidates fetched in widening rounds (search/hybrid.py), for a
search widened across languages (search/expand.py), grouped into stored stories and shown in the
reader's language (search/story_rows.py). The one ranker of the read path: every list of rows
(similar by id, by text, search) comes out of `find`, and every fetch round out of `fetch_rounds`."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from akhbar.search import copies as copy_groups
from akhbar.search import expand, hybrid
from akhbar.search.options import QueryPlan
from akhbar.search.settings import QuerySettings
from akhbar.search.snapshot import Snapshot
from akhbar.search.story_rows import StoryRow, build_rows, decayed_by_age, rank_stories, stories_of


@dataclass(frozen=True)
class Round:
    """One fetch: the mode's top `fetch` candidates, found through `selector` (a FAISS selector: one
    article per copy group, a selective filter's positions, both, or None)."""

    found: hybrid.Candidates
    fetch: int
    selector: object


def fetch_rounds(
    idx: Snapshot, qvec: np.ndarray, terms: list[str], plan: QueryPlan, settings: QuerySettings, *, seen: hybrid.Seen
) -> Iterator[Round]:
    """Rounds of candidates, each four times wider than the last; the caller stops when it has enough.

    The vector search sees one article per stored copy group (search/copies.py) unless the mode is
    lexical or a source is asked for (a copy may be that outlet's only article). The rounds end when
    the mode has nothing more or every article was fetched. A filter that keeps few articles (under
    settings.selective of them) is handed to FAISS once post-filtering has proved too slow; when it
    keeps none, the last round is empty."""
    mode, filters = plan.ranking.mode, plan.filters
    grouped = idx.one_per_copy_group if mode != "lexical" and not filters.source else None
    total = idx.searchable if mode != "lexical" else idx.manifest.articles
    selector = grouped  # with a selective filter's, once post-filtering has proved too slow
    fetch = min(total, 4 * plan.want + 16)
    words = hybrid.lexical_list(idx, terms, settings, grouped is not None) if mode == "hybrid" else None
    while True:
        found = hybrid.candidates(
            idx, qvec, terms, fetch, mode, query_lang=plan.query_lang, selector=selector, words=words, settings=settings, seen=seen
        )
        yield Round(found, fetch, selector)
        if fetch >= total or found.exhausted:
            return
        if selector is grouped and mode != "lexical" and filters.any() and fetch * 4 > settings.post_filter_max:
            allowed = _selective(idx, plan, total, settings.selective)
            if allowed is not None:
                if len(allowed) == 0:
                    yield Round(hybrid.Candidates([], True), fetch, selector)  # nothing passes the filters
                    return
                selector, total = copy_groups.both(grouped, copy_groups.faiss_selector(allowed)), len(allowed)
                fetch = min(total, 4 * plan.want + 16)
                continue
        fetch = min(total, fetch * 4)


def _selective(idx: Snapshot, plan: QueryPlan, total: int, share: float) -> np.ndarray | None:
    """The positions a selective filter allows (fewer than `share` of the articles), for FAISS to
    skip the rest rather than fetch ever more; None when the filter is not selective."""
    if idx.count(plan.filters) >= share * total:
        return None
    return np.asarray(idx.positions(plan.filters), np.int64)


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


def find(idx: Snapshot, qvec: np.ndarray, terms: list[str], plan: QueryPlan, settings: QuerySettings) -> list[StoryRow]:
    """Up to plan.k story rows for a unit query vector and its lexical terms, best first.

    Rounds (fetch_rounds) go on until plan.want stories pass or (dense) the candidates fall under the
    floor; a search is widened across languages each round (plan.widen)."""
    seen, story = hybrid.Seen(), {}

    def passes(pos: int, row: dict) -> bool:
        return pos not in plan.exclude and plan.filters.match(row)

    ranked: list[tuple[str, float, int]] = []
    for fetched in fetch_rounds(idx, qvec, terms, plan, settings, seen=seen):
        cands = fetched.found.items
        if plan.ranking.half_life:
            cands = decayed_by_age(cands, seen.rows, plan.ranking.half_life)
        if plan.widen:
            cands = expand.widen(
                idx, cands, seen, qvec, query_lang=plan.query_lang, fetch=fetched.fetch, selector=fetched.selector, settings=settings
            )
        story.update(stories_of(idx, [p for p, _, _ in cands if p not in story]))
        ranked = rank_stories(cands, story, seen.rows, passes, plan.floor, skip=set(plan.skip), anchor=plan.anchor, settings=settings)
        # a wider round brings only dense candidates under the floor (the lexical list is fetched once)
        fell = fetched.found.lowest_dense < plan.floor or (plan.widen and not cands)
        if len(ranked) >= plan.want or fell:
            break
    rows = build_rows(idx, ranked[: plan.want], qvec, plan.reader_lang, passes, limit=settings.copies_listed)
    return _mmr(rows, idx, plan.k, settings.mmr_lambda) if plan.ranking.diverse else rows
