"""`akhbar dups`: groups of copies of one article (a wire story republished by several outlets).

The groups are the copy groups stored when the articles were written (index/stories/links.py,
index/stories/same_row.py): an article is a copy of the earlier article its story links to when their
cosine is at least 0.90, or 0.6 with headlines alike within two days. So `dups` lists exactly the
copies the box folds into "also in", and reads them in one query rather than searching each
article's neighbours (0.43 s against 0.01 s at 3,516 articles; minutes at a million).
"""

from __future__ import annotations

import numpy as np

from akhbar.search.snapshot import Snapshot


def duplicate_groups(idx: Snapshot) -> list[list[int]]:
    """Positions of each copy group of two or more live articles, largest group first, each in
    position (arrival) order."""
    groups: dict[str, list[int]] = {}
    for pos, group in sorted(idx.copy_groups().items()):
        groups.setdefault(group, []).append(pos)
    return sorted((g for g in groups.values() if len(g) > 1), key=lambda g: (-len(g), g[0]))


def folded_share(groups: list[list[int]], truth: list[list[int]]) -> float:
    """Share of true copy groups whose members all landed in one found group."""
    where = {p: i for i, g in enumerate(groups) for p in g}
    whole = [len({where.get(p, -1 - p) for p in g}) == 1 for g in truth if len(g) > 1]
    return float(np.mean(whole)) if whole else 0.0
