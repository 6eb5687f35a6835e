"""One row per story: which candidates fold into a row already listed, and which are copies of
the query article itself (named above the box, not listed in it)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from akhbar.index.stories.same_row import same_row
from akhbar.search.settings import DEFAULTS, QuerySettings


def same_story(cosine: float, a: dict, b: dict, settings: QuerySettings = DEFAULTS) -> bool:
    """Copies of one article, or two write-ups of one event with headlines that read alike."""
    return same_row(cosine, a, b, settings.row_rule)


def copy_of_query(query_row: dict | None, settings: QuerySettings) -> Callable[[float, dict], bool]:
    """The test for a copy of the query article: within duplicate_cosine of it or, given its row,
    of its own story."""

    def test(cosine: float, row: dict) -> bool:
        return cosine >= settings.duplicate_cosine or (query_row is not None and same_story(cosine, query_row, row, settings))

    return test


@dataclass
class Plan:
    """One pass over ranked candidates: the rows kept (vector, row), in order, and what became of
    each candidate that passed: ("hit" | "fold" | "copy", position, row it folds into, score, cosine)."""

    kept: list[tuple[np.ndarray, dict]] = field(default_factory=list)
    steps: list[tuple[str, int, int, float, float]] = field(default_factory=list)


def fold(
    cands: list[tuple[int, float, float]],
    rows: dict[int, dict],
    vector_of: dict[int, np.ndarray],
    want: int,
    floor: float,
    by_cosine: bool,
    passes: Callable[[int, dict], bool],
    is_copy: Callable[[float, dict], bool] | None,
    settings: QuerySettings,
) -> Plan:
    """Walk candidates (position, score, cosine) best first: drop those under `floor` (and stop there
    when they arrive in cosine order) or failing `passes`; set copies of the query apart (`is_copy`);
    fold each other one into the first kept row of its story, else keep it while fewer than `want`."""
    plan = Plan()
    kept = np.zeros((want, len(next(iter(vector_of.values()))) if vector_of else 0), np.float32)
    for pos, score, cos in cands:
        if cos < floor:
            if by_cosine:
                break  # nothing further is similar
            continue
        row = rows[pos]
        if not passes(pos, row):
            continue
        if is_copy is not None and is_copy(cos, row):
            plan.steps.append(("copy", pos, -1, score, cos))
            continue
        vec = vector_of[pos]
        n = len(plan.kept)
        sims = (kept[:n] @ vec).tolist() if n else []  # one product against every kept row
        same = next((i for i, s in enumerate(sims) if same_story(s, row, plan.kept[i][1], settings)), -1)
        if same >= 0:
            plan.steps.append(("fold", pos, same, score, cos))
        elif n < want:
            kept[n] = vec
            plan.kept.append((vec, row))
            plan.steps.append(("hit", pos, -1, score, cos))
    return plan
