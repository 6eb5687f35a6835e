"""Stored copy groups (index/story_links.py) in a result list. The vector search sees one article
per group, the first to arrive, so a story republished hundreds of times is one candidate rather
than hundreds for the box to fold; each row then names its group's copies by arrival order and
counts the rest.
"""

from __future__ import annotations

import numpy as np

from akhbar.search.reader import OpenIndex


def both(first, second):
    """A FAISS selector passing what both pass (either may be None)."""
    if first is None or second is None:
        return first if second is None else second
    import faiss

    joined = faiss.IDSelectorAnd(first, second)
    joined.parts = (first, second)  # FAISS holds raw pointers: keep the parts alive with it
    return joined


def first_of_groups(idx: OpenIndex, ranked: list[tuple[int, float]]) -> list[tuple[int, float]]:
    """A (position, score) list, best first, with each position replaced by the first article of its
    copy group, at its best score: the lexical list in the terms of a search over one per group."""
    first = idx.group_firsts([p for p, _ in ranked])
    out: dict[int, float] = {}
    for p, score in ranked:
        if p in first:
            out.setdefault(first[p], score)
    return list(out.items())


def listed(idx: OpenIndex, qvec: np.ndarray, pos: int, limit: int, columns: str) -> tuple[list[dict], list[float], int]:
    """The copies of an article's group other than itself: the first `limit` rows (with `columns`)
    in arrival order, their cosines with the query, and how many copies there are in all."""
    members, size = idx.copy_group_members(pos, limit + 1)
    members = [m for m in members if m != pos][:limit]
    rows = idx.rows(members, columns)
    members = [m for m in members if m in rows]
    cosines = (idx.vectors_at(members, [rows[m]["lang"] for m in members]) @ qvec).tolist() if members else []
    return [rows[m] for m in members], cosines, size - 1
