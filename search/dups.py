"""`akhbar dups`: groups of near-duplicate articles (one wire copy republished by several outlets).

Two articles are copies when their centered cosine is at least settings.duplicate_cosine
(calibrated on SaudiNewsNet's exact-copy pairs, bench/calibrate.py); groups are the
connected components of that relation, found through each article's nearest neighbours.
"""

from __future__ import annotations

import numpy as np

from akhbar.search.reader import OpenIndex
from akhbar.search.settings import DEFAULTS, QuerySettings

NEIGHBOURS = 16  # per article; larger groups still join through their members' neighbours


def duplicate_groups(idx: OpenIndex, settings: QuerySettings = DEFAULTS) -> list[list[int]]:
    """Positions of each group of copies (two or more), largest group first, each in position order."""
    live = idx.positions()
    parent = {p: p for p in live}

    def root(p: int) -> int:
        while parent[p] != p:
            parent[p] = parent[parent[p]]
            p = parent[p]
        return p

    for a, row_s, row_i in idx.neighbours(live, NEIGHBOURS):
        for s, b in zip(row_s, row_i):
            if s < settings.duplicate_cosine:
                break
            if b != a and b in parent:
                ra, rb = root(a), root(b)
                if ra != rb:
                    parent[max(ra, rb)] = min(ra, rb)
    groups: dict[int, list[int]] = {}
    for p in live:
        groups.setdefault(root(p), []).append(p)
    return sorted((g for g in groups.values() if len(g) > 1), key=lambda g: (-len(g), g[0]))


def folded_share(groups: list[list[int]], truth: list[list[int]]) -> float:
    """Share of true copy groups whose members all landed in one found group."""
    where = {p: i for i, g in enumerate(groups) for p in g}
    whole = [len({where.get(p, -1 - p) for p in g}) == 1 for g in truth if len(g) > 1]
    return float(np.mean(whole)) if whole else 0.0
