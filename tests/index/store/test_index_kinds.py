"""One scenario against every index kind: reindex from stored vectors, query, add, remove."""

from __future__ import annotations

import orjson
import pytest

from akhbar.cli import app
from akhbar.index.store.faiss_index import KINDS
from akhbar.search.options import QueryOptions
from akhbar.search.query import similar_to_id
from akhbar.search.snapshot import open_snapshot
from tests.helpers import CORPUS, SEED_ARTICLES, SEED_PAGE_ID, cli_json, runner


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_serves_the_same_box(kind, copy_of, seed_index, tmp_path):
    index = copy_of(seed_index)
    exact = [h.id for h in similar_to_id(open_snapshot(index), SEED_PAGE_ID, QueryOptions(k=5, window=0)).hits]
    done = cli_json("reindex", "--kind", kind, "--index", str(index))
    assert done["embedded"] == 0 and done["articles"] == SEED_ARTICLES
    stats = cli_json("stats", "--index", str(index), "--check-recall")
    assert stats["index_kind"] == kind and stats["articles"] == SEED_ARTICLES
    assert stats["recall@10_vs_exact"] >= (1.0 if kind == "flat" else 0.8)
    got = [h.id for h in similar_to_id(open_snapshot(index), SEED_PAGE_ID, QueryOptions(k=5, window=0)).hits]
    assert len(set(got) & set(exact)) >= 4, (got, exact)
    # the kind survives add and remove, which rebuild it from stored vectors. The added article is a seed's
    # text under a new id: its vector is reused, so no model loads (~2 s a kind); the rebuild is the same.
    new = tmp_path / "new.jsonl"
    new.write_bytes(orjson.dumps({**CORPUS[-1], "id": "late"}) + b"\n")
    added = cli_json("add", str(new), "--index", str(index))
    assert (added["indexed"], added["embedded"], added["reused_vectors"]) == (1, 0, 1)
    cli_json("remove", "ar-nato-03", "--index", str(index))
    after = cli_json("stats", "--index", str(index))
    assert after["index_kind"] == kind and after["articles"] == SEED_ARTICLES


def test_unknown_kind_is_refused(seed_index):
    result = runner.invoke(app, ["reindex", "--kind", "lsh", "--index", str(seed_index)])
    assert result.exit_code == 1
    assert result.stderr.strip() == "Error: index kind 'lsh' is not one of flat, ivf-flat, ivf-sq8, ivf-pq, hnsw"
