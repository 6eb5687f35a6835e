"""The search as it was before story rows (issue 18), kept for bench/search_dev.py and bench/mixed_search.py
to measure beside today's in the same run: article rows, copies folded at query time by the row rule
(index/stories/same_row.py), no floor for a search. Not the package's: nothing in akhbar calls it.

Candidates are fetched in widening rounds (search/hybrid.py) and folded until k rows are kept; when the
query is an article, copies of it are set apart, and candidates under settings.min_similarity end the list.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from akhbar.index.filters import Filters
from akhbar.index.stories.same_row import same_row
from akhbar.search import copies as copy_groups
from akhbar.search import hybrid
from akhbar.search.options import Ranking
from akhbar.search.query import Hit, display_title
from akhbar.search.settings import DEFAULTS, QuerySettings
from akhbar.search.snapshot import Snapshot
from akhbar.search.story_rows import decayed_by_age


def same_story(cosine: float, a: dict, b: dict, settings: QuerySettings = DEFAULTS) -> bool:
    """Copies of one article, or two write-ups of one event with headlines that read alike."""
    return same_row(cosine, a, b, settings.row_rule)


def copy_of_query(query_row: dict | None, settings: QuerySettings) -> Callable[[float, dict], bool]:
    """The test for a copy of the query article: within duplicate_cosine of it or, given its row, of its own story."""

    def test(cosine: float, row: dict) -> bool:
        return cosine >= settings.duplicate_cosine or (query_row is not None and same_story(cosine, query_row, row, settings))

    return test


@dataclass
class Plan:
    """One pass over ranked candidates: the rows kept (vector, row), in order, and what became of each
    candidate that passed: ("hit" | "fold" | "copy", position, row it folds into, score, cosine)."""

    kept: list[tuple[np.ndarray, dict]] = field(default_factory=list)
    steps: list[tuple[str, int, int, float, float]] = field(default_factory=list)


def fold(
    cands: list[tuple[int, float, float]],
    rows: dict[int, dict],
    vector_of: dict[int, np.ndarray],
    want: int,
    floor: float,
    *,
    by_cosine: bool,
    passes: Callable[[int, dict], bool],
    is_copy: Callable[[float, dict], bool] | None,
    settings: QuerySettings,
) -> Plan:
    """Walk candidates best first: drop those under `floor` (and stop there when they arrive in cosine
    order) or failing `passes`; set copies of the query apart; fold each other one into the first kept row
    of its story, else keep it while fewer than `want`."""
    plan = Plan()
    kept = np.zeros((want, len(next(iter(vector_of.values()))) if vector_of else 0), np.float32)
    for pos, score, cos in cands:
        if cos < floor:
            if by_cosine:
                break
            continue
        row = rows[pos]
        if not passes(pos, row):
            continue
        if is_copy is not None and is_copy(cos, row):
            plan.steps.append(("copy", pos, -1, score, cos))
            continue
        vec = vector_of[pos]
        n = len(plan.kept)
        sims = (kept[:n] @ vec).tolist() if n else []
        same = next((i for i, s in enumerate(sims) if same_story(s, row, plan.kept[i][1], settings)), -1)
        if same >= 0:
            plan.steps.append(("fold", pos, same, score, cos))
        elif n < want:
            kept[n] = vec
            plan.kept.append((vec, row))
            plan.steps.append(("hit", pos, -1, score, cos))
    return plan


def _copy(row: dict, score: float) -> dict:
    return {"id": row["id"], "source": row["source"], "date": row["date"], "lang": row["lang"], "score": round(score, 4)}


def _selective(idx: Snapshot, filters: Filters, total: int, share: float) -> np.ndarray | None:
    if idx.count(filters) >= share * total:
        return None
    return np.asarray(idx.positions(filters), np.int64)


def _rows_of(
    plan: Plan, rows: dict[int, dict], idx: Snapshot, qvec: np.ndarray, *, grouped: bool, query_pos: int | None, limit: int
) -> tuple[list[Hit], list[dict], int]:
    untitled = [pos for kind, pos, *_ in plan.steps if kind == "hit" and not rows[pos]["title"]]
    for pos, row in idx.rows(untitled, "pos, body").items():
        rows[pos]["body"] = row["body"]
    hits: list[Hit] = []
    folded: list[list[dict]] = []
    group_size: list[int] = []
    heads = [pos for kind, pos, *_ in plan.steps if kind == "hit"] + ([query_pos] if query_pos is not None else [])
    groups = copy_groups.listed(idx, qvec, heads, limit, hybrid.ROW_COLUMNS) if grouped else {}
    members, cosines, copies_size = groups.get(query_pos, ([], [], 0))
    copies = [_copy(r, c) for r, c in zip(members, cosines)]
    for kind, pos, target, score, cos in plan.steps:
        row = rows[pos]
        if kind == "hit":
            hits.append(
                Hit(
                    id=row["id"],
                    title=display_title(row),
                    score=score,
                    cosine=cos,
                    source=row["source"],
                    date=row["date"],
                    lang=row["lang"],
                    url=row["url"],
                    pos=pos,
                )
            )
            members, cosines, size = groups.get(pos, ([], [], 0))
            folded.append([_copy(r, c) for r, c in zip(members, cosines)])
            group_size.append(size)
        elif kind == "fold":
            folded[target].append(_copy(row, cos))
            group_size[target] += 1
        else:
            copies.append(_copy(row, cos))
            copies_size += 1
    for hit, also, size in zip(hits, folded, group_size):
        hit.also, hit.also_more = also[:limit], size - min(len(also), limit)
    return hits, copies[:limit], copies_size - min(len(copies), limit)


def _mmr(hits: list[Hit], plan: Plan, mode: str, k: int, *, dim: int, lam: float) -> list[Hit]:
    vecs = np.stack([v for v, _ in plan.kept]) if plan.kept else np.zeros((0, dim))
    rel = np.asarray([h.cosine if mode == "lexical" else h.score for h in hits])
    chosen: list[int] = []
    rest = list(range(len(hits)))
    while rest and len(chosen) < k:
        redundancy = (vecs[rest] @ vecs[chosen].T).max(1) if chosen else np.zeros(len(rest))
        best = rest[int(np.argmax(lam * rel[rest] - (1 - lam) * redundancy))]
        chosen.append(best)
        rest.remove(best)
    return [hits[i] for i in chosen]


def rank(
    idx: Snapshot,
    qvec: np.ndarray,
    terms: list[str],
    k: int,
    filters: Filters,
    *,
    exclude: set[int] = frozenset(),
    query_is_article: bool = True,
    ranking: Ranking = Ranking(),
    query_lang: str = "",
    query_row: dict | None = None,
    settings: QuerySettings = DEFAULTS,
) -> tuple[list[Hit], list[dict], int]:
    """Top-k article rows for a unit query vector and its lexical terms, ordered by `ranking`.
    Returns (rows, copies of the query listed, how many more copies it has)."""
    mode = ranking.mode
    by_cosine = mode == "dense" and not ranking.half_life
    want = 3 * k if ranking.diverse else k
    grouped = idx.one_per_copy_group if mode != "lexical" and not filters.source else None
    selector = grouped
    total = idx.searchable if mode != "lexical" else idx.manifest.articles
    fetch = min(total, 4 * want + 16)
    floor = settings.min_similarity if query_is_article else -1.0
    words = hybrid.lexical_list(idx, terms, settings, grouped is not None) if mode == "hybrid" else None
    if grouped is not None and query_row is not None:
        exclude = exclude | set(idx.copy_group_members([query_row["pos"]], 1)[query_row["pos"]][0])
    is_copy = copy_of_query(query_row, settings) if query_is_article else None
    verdict: dict[int, bool] = {}

    def passes(pos: int, row: dict) -> bool:
        if pos not in verdict:
            verdict[pos] = pos not in exclude and filters.match(row)
        return verdict[pos]

    seen = hybrid.Seen()
    rows = seen.rows
    while True:
        found = hybrid.candidates(
            idx, qvec, terms, fetch, mode, query_lang=query_lang, selector=selector, words=words, settings=settings, seen=seen
        )
        cands = decayed_by_age(found.items, rows, ranking.half_life) if ranking.half_life else found.items
        plan = fold(cands, rows, seen.vector, want, floor, by_cosine=by_cosine, passes=passes, is_copy=is_copy, settings=settings)
        exhausted = found.exhausted or (by_cosine and cands and cands[-1][2] < floor)
        if len(plan.kept) >= want or fetch >= total or exhausted:
            break
        if selector is grouped and mode != "lexical" and filters.any() and fetch * 4 > settings.post_filter_max:
            allowed = _selective(idx, filters, total, settings.selective)
            if allowed is not None:
                if len(allowed) == 0:
                    return [], [], 0
                selector, total = copy_groups.both(grouped, copy_groups.faiss_selector(allowed)), len(allowed)
                fetch = min(total, 4 * want + 16)
                continue
        fetch = min(total, fetch * 4)
    hits, copies, more = _rows_of(
        plan, rows, idx, qvec, grouped=grouped is not None, query_pos=query_row["pos"] if query_row else None, limit=settings.copies_listed
    )
    if ranking.diverse:
        hits = _mmr(hits, plan, mode, k, dim=len(qvec), lam=settings.mmr_lambda)
    return hits, copies, more
