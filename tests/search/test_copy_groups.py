"""Copy groups stored when articles are written (index/stories/links.py) and read by the box
(search/copies.py): one row per group, copies listed by arrival order and counted, the query's
own group apart, and an outlet's copy still found when that outlet is asked for."""

from __future__ import annotations

from collections import Counter

import pytest

from akhbar.search.options import QueryOptions
from akhbar.search.query import similar_to_id
from akhbar.search.settings import DEFAULTS
from akhbar.search.snapshot import open_snapshot
from bench.synthetic import replicate
from tests.helpers import NATO_COPIES

REPLICAS = 12  # each seed article and 11 near-copies (the same headline, the vector with noise)


@pytest.fixture(scope="module")
def replicated(seed_index, tmp_path_factory):
    root = tmp_path_factory.mktemp("replicated") / "idx"
    n = open_snapshot(seed_index).manifest.articles * REPLICAS
    replicate(seed_index, root, n, kind="flat")
    return open_snapshot(root)


def test_the_wire_copies_are_one_stored_group(idx):
    groups = idx.copy_groups()
    by_id = {idx.rows([p], "pos, id")[p]["id"]: g for p, g in groups.items()}
    assert {by_id[i] for i in NATO_COPIES} == {"ar-nato-01"}  # named after the first to arrive
    sizes = Counter(groups.values())
    assert sizes["ar-nato-01"] == len(NATO_COPIES) and sum(sizes.values()) == len(groups)


@pytest.mark.parametrize("article", ["ar-nato-01~3", "en-quake-tr-01~5", "fr-quake-ma-02~11"])
def test_one_row_per_group_with_its_copies_listed_and_counted(replicated, article):
    box = similar_to_id(replicated, article, QueryOptions(k=10))
    groups = replicated.copy_groups()
    group_of = {replicated.rows([p], "pos, id")[p]["id"]: groups[p] for p in groups}
    rows = [group_of[h.id] for h in box.hits]
    assert rows and len(rows) == len(set(rows)), rows  # no group twice
    assert group_of[article] not in rows  # the article's own copies are named above the box, not listed in it
    size = Counter(groups.values())
    for hit in box.hits:
        members = [c["id"] for c in hit.also if group_of[c["id"]] == group_of[hit.id]]
        copies = size[group_of[hit.id]] - 1
        assert len(hit.also) <= DEFAULTS.copies_listed
        assert len(members) == min(copies, DEFAULTS.copies_listed)  # its group's copies come first
        assert len(hit.also) + hit.also_more >= copies and hit.also_more >= copies - len(members)
    listed = [c["id"] for c in box.copies]
    assert all(group_of[i] == group_of[article] for i in listed) and article not in listed
    assert len(listed) + box.copies_more == size[group_of[article]] - 1


def test_without_stored_groups_the_box_folds_the_same_stories(replicated, seed_index):
    """Query-time folding over every copy (what a box did before groups were stored) lists the
    same groups, or splits one in two where noise took replicas under the copy threshold."""
    unstored = open_snapshot(replicated.root)
    unstored._one_per_group["selector"] = None  # this reader searches every article and folds at query time
    groups = replicated.copy_groups()
    group_of = {replicated.rows([p], "pos, id")[p]["id"]: groups[p] for p in groups}
    for article in ("en-nato-01~4", "ar-quake-ma-01~2"):
        grouped = [group_of[h.id] for h in similar_to_id(replicated, article, QueryOptions(k=5)).hits]
        folded = [group_of[h.id] for h in similar_to_id(unstored, article, QueryOptions(k=10)).hits]
        assert grouped and set(grouped) <= set(folded), (grouped, folded)


def test_an_outlet_asked_for_finds_its_copy(idx):
    """ar-nato-02 copies ar-nato-01: a search over one article per group would never reach it, so
    a source filter searches every article. Asked from another story (Vilnius 2023): en-nato-01's
    box would hold it in its own story, not in its rows."""
    box = similar_to_id(idx, "ev-vilnius-en-1", QueryOptions(k=5, source="سكاي نيوز عربية"))
    assert "ar-nato-02" in [h.id for h in box.hits]


def test_pages_and_api_count_the_copies_they_do_not_list(replicated, tmp_path):
    """A real server over the replicated index: the API's rows list copies_listed copies and count
    the rest, and the article page says how many more (in the page's language)."""
    import httpx

    from tests.conftest import Server

    server = Server(replicated.root, tmp_path / "server.log", None).wait()
    try:
        body = httpx.get(f"{server.url}/api/similar/en-nato-01~4", timeout=60).json()
        row = body["results"][0]
        # a row is a story: its first copies_listed others are the shown article's own copies, and
        # also_more counts the rest of the story (its copies and its other articles' replicas)
        base = row["id"].split("~")[0]
        assert [a["id"].split("~")[0] for a in row["also"]] == [base] * DEFAULTS.copies_listed
        assert row["articles"] >= REPLICAS and row["also_more"] == row["articles"] - 1 - DEFAULTS.copies_listed
        assert len(body["copies"]) == DEFAULTS.copies_listed and body["copies_more"] > 0
        page = httpx.get(f"{server.url}/article/en-nato-01~4", params={"lang": "en"}, timeout=60)
        assert page.status_code == 200 and f"and {row['also_more']} more" in page.text
    finally:
        server.stop()
