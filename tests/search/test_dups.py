"""Groups of wire copies (search/dups.py): the copy groups stored at write time."""

from __future__ import annotations

import re

from akhbar.search.dups import duplicate_groups, folded_share
from akhbar.search.options import QueryOptions
from tests.helpers import event_of

SEED_ID = re.compile(r"[a-z]{2}-[a-z-]+-\d\d")  # the seed corpus's ids: language-event-number


def test_duplicate_groups_are_the_wire_copies(idx):
    groups = duplicate_groups(idx)
    named = [sorted(idx.rows(g)[p]["id"] for p in g) for g in groups]
    for copies in (
        ["ar-nato-01", "ar-nato-02", "ar-nato-03"],
        ["en-peace-01", "en-peace-02"],
        ["fr-quake-ma-01", "fr-quake-ma-02"],
        ["ar-oil-01", "ar-oil-02"],
        # the seed page's "read also" teaser rewrites Sky News Arabia's headline and lead
        ["000_2274472028061bc0/read-also", "ar-peace-01"],
    ):
        assert any(set(copies) <= set(g) for g in named), (copies, named)
    for g in named:
        assert len({event_of(i).split("-", 1)[1] for i in g if SEED_ID.fullmatch(i)}) <= 1, g  # one event a group
    truth = [[idx.position(i) for i in ("ar-nato-01", "ar-nato-02", "ar-nato-03")]]
    assert folded_share(groups, truth) == 1.0


def test_dups_lists_the_copies_the_box_folds(idx):
    """A row's dups group is folded into it: its story's "also in" lists every copy."""
    from akhbar.search.query import similar_to_id

    group_of = {p: tuple(g) for g in duplicate_groups(idx) for p in g}
    box = similar_to_id(idx, "ar-nato-01", QueryOptions(k=10, window=0))
    own = group_of[idx.position("ar-nato-01")]
    assert {idx.position(c["id"]) for c in box.copies} | {idx.position("ar-nato-01")} == set(own)
    for hit in box.hits:
        members = group_of.get(idx.position(hit.id), (idx.position(hit.id),))
        assert {idx.position(a["id"]) for a in hit.also} | {idx.position(hit.id)} >= set(members), hit.id
