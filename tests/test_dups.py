"""Groups of wire copies (search/dups.py)."""

from __future__ import annotations

from akhbar.search.dups import duplicate_groups, folded_share
from tests.helpers import event_of


def test_duplicate_groups_are_the_wire_copies(idx):
    groups = duplicate_groups(idx)
    named = [sorted(idx.rows(g)[p]["id"] for p in g) for g in groups]
    for copies in (["ar-nato-01", "ar-nato-02", "ar-nato-03"], ["en-peace-01", "en-peace-02"],
                   ["fr-quake-ma-01", "fr-quake-ma-02"], ["ar-oil-01", "ar-oil-02"]):
        assert any(set(copies) <= set(g) for g in named), (copies, named)
    assert all(len({event_of(i).split("-")[1] for i in g if "-" in i}) == 1 for g in named if all("-" in i for i in g)), named
    truth = [[idx.position(i) for i in ("ar-nato-01", "ar-nato-02", "ar-nato-03")]]
    assert folded_share(groups, truth) == 1.0
