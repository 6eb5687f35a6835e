"""Stored copy groups (index/stories/links.py) in a result list. The vector and lexical searches
see one article per group, the first to arrive (Snapshot.one_per_copy_group), so a story
republished hundreds of times is one candidate rather than hundreds for the box to fold; each
row then names its group's copies by arrival order and counts the rest.
"""

from __future__ import annotations

import numpy as np

from akhbar.search.snapshot import Snapshot


def both(first, second):
    """A FAISS selector passing what both pass (either may be None)."""
    if first is None or second is None:
        return first if second is None else second
    import faiss

    joined = faiss.IDSelectorAnd(first, second)
    joined.parts = (first, second)  # FAISS holds raw pointers: keep the parts alive with it
    return joined


def listed(
    idx: Snapshot, qvec: np.ndarray, positions: list[int], limit: int, columns: str
) -> dict[int, tuple[list[dict], list[float], int]]:
    """For each article, the copies of its group other than itself: the first `limit` rows (with
    `columns`) in arrival order, their cosines with the query, and how many copies there are in all."""
    members = idx.copy_group_members(positions, limit + 1)
    first = {p: [m for m in members[p][0] if m != p][:limit] for p in positions}
    shown = sorted({m for ms in first.values() for m in ms})
    rows = idx.rows(shown, columns)
    shown = [m for m in shown if m in rows]
    cosine = dict(zip(shown, (idx.vectors_at(shown, [rows[m]["lang"] for m in shown]) @ qvec).tolist())) if shown else {}
    return {p: ([rows[m] for m in first[p] if m in rows], [cosine[m] for m in first[p] if m in rows], members[p][1] - 1) for p in positions}


def faiss_selector(allowed: np.ndarray):
    """A FAISS selector passing only the given positions."""
    import faiss

    return faiss.IDSelectorBatch(allowed)
