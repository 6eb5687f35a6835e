"""akhbar export: Parquet + akhbar.json round-trip, and another engine (Qdrant, local mode) ranks as akhbar does."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import orjson
import pyarrow.parquet as pq

from akhbar.cli import app
from akhbar.search.options import QueryOptions
from akhbar.search.query import similar_to_id
from akhbar.search.snapshot import open_snapshot
from tests.helpers import ROOT, SEED_PAGE_ID, runner


def test_export_round_trips_and_qdrant_ranks_as_akhbar(seed_index, tmp_path):
    out = tmp_path / "export"
    result = runner.invoke(app, ["export", str(out), "--index", str(seed_index), "--json"])
    assert result.exit_code == 0, result.output
    idx = open_snapshot(seed_index)
    meta = orjson.loads((out / "akhbar.json").read_bytes())
    assert (meta["model"], meta["model_checksum"], meta["prompt"], meta["chunking"]) == (
        idx.manifest.model,
        idx.manifest.model_checksum,
        idx.manifest.prompt,
        idx.manifest.chunking,
    )
    assert meta["articles"] == orjson.loads(result.stdout)["articles"] == idx.manifest.articles
    assert {k: np.asarray(v, np.float32) for k, v in meta["centering"]["centers"].items()}.keys() == idx.centers.keys()
    for k, v in meta["centering"]["centers"].items():
        assert np.allclose(v, idx.centers[k], atol=1e-7)

    table = pq.read_table(out / "part-00000.parquet")
    positions, ids, titles, keywords = zip(*idx.in_order("pos, id, title, keywords"))
    assert table.column("id").to_pylist() == list(ids)
    assert table.column("title").to_pylist() == list(titles)
    assert table.column("keywords").to_pylist() == [orjson.loads(k) for k in keywords]
    positions = list(positions)
    vector = np.asarray(table.column("vector").to_pylist(), np.float32)
    raw = np.asarray(table.column("raw_vector").to_pylist(), np.float32)
    assert np.allclose(vector, idx.vectors_at(positions), atol=1e-6)  # what akhbar ranks with
    assert np.array_equal(raw, idx.raw_vectors[np.asarray(positions)].astype(np.float32))  # as stored

    # the documented example: load into Qdrant's local mode, ask for one article's neighbours
    found = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "qdrant_local.py"), str(out), SEED_PAGE_ID, "-k", "5"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    qdrant = [orjson.loads(line) for line in found.stdout.splitlines()]
    box = similar_to_id(idx, SEED_PAGE_ID, QueryOptions(k=5, window=0, mode="dense"))
    rows = [box.story, *box.hits]  # akhbar folds a story into one row, its own first; Qdrant lists articles
    unfolded = sorted([(h.cosine, h.id) for h in box.hits] + [(c["score"], c["id"]) for h in rows for c in h.also], reverse=True)[:5]
    assert [q["id"] for q in qdrant] == [i for _, i in unfolded]
    assert max(abs(q["score"] - s) for q, (s, _) in zip(qdrant, unfolded)) < 1e-3

    again = runner.invoke(app, ["export", str(out), "--index", str(seed_index)])
    assert again.exit_code == 1 and again.stderr.strip() == f"Error: {out} exists and is not empty; export writes a new folder"
