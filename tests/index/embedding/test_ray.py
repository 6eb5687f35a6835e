"""build --ray: a real local Ray cluster (one per session) embeds, the one local writer keeps every guarantee."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import orjson
import pytest
import ray

from akhbar.cli import app
from akhbar.index.embedding import ray_cluster
from akhbar.index.writers import build
from akhbar.search.options import QueryOptions
from akhbar.search.query import similar_to_id
from akhbar.search.snapshot import open_snapshot
from tests.helpers import SEEDS, kill_after_checkpoint, ranking_differences, runner, write_jsonl
from tests.index.test_build import GOOD

pytestmark = pytest.mark.model  # every Ray test embeds (the make check tier skips them)


@pytest.fixture(scope="module")
def ray_address(model_cache) -> str:
    """One local cluster of 2 CPUs for every Ray test; other processes join it by this address."""
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)  # never a cluster `ray start` left
    yield ray.get_runtime_context().gcs_address
    ray.shutdown()


def test_a_ray_build_equals_a_local_build(seed_index, ray_address, tmp_path):
    encoders = []
    make = ray_cluster.remote(ray_address, [SEEDS], actors=2)

    def remote(*args):
        encoders.append(make(*args))
        return encoders[-1]

    summary = build([SEEDS], tmp_path / "ray-idx", remote=remote)
    assert encoders[0].embedded_locally == 0  # every text came from the actor pool
    a, b = open_snapshot(tmp_path / "ray-idx"), open_snapshot(seed_index)
    assert summary.articles == summary.embedded == a.manifest.articles == b.manifest.articles
    assert a.in_order("pos, id, hash") == b.in_order("pos, id, hash")
    x, y = a.raw_vectors[np.arange(summary.articles)].astype(np.float32), b.raw_vectors[np.arange(summary.articles)].astype(np.float32)
    cosines = (x * y).sum(1) / np.linalg.norm(x, axis=1) / np.linalg.norm(y, axis=1)
    assert cosines.min() > 0.999, cosines.min()  # bf16 batch noise: other batches, same settings
    for article_id in ["000_2274472028061bc0", "ar-nato-01", "en-quake-ma-01", "fr-cop28-01"]:
        for mode in ("dense", "hybrid"):
            p = similar_to_id(a, article_id, QueryOptions(k=5, window=0, mode=mode))
            q = similar_to_id(b, article_id, QueryOptions(k=5, window=0, mode=mode))
            assert not ranking_differences(p.hits, q.hits, 5e-3), (article_id, mode, ranking_differences(p.hits, q.hits, 5e-3))


def test_a_killed_ray_build_resumes(tmp_path, ray_address):
    # 600: the kill lands after the first checkpoint (256) with two more batches still to embed (the actors
    # do ~160 of these a second here, the poll is 0.1 s), and the resumed run embeds only what is left.
    n = 600
    rows = [
        {"id": f"n{i}", "body": f"Article number {i} about the economy, markets, trade and prices in region {i % 17}."} for i in range(n)
    ]
    corpus = write_jsonl(tmp_path / "many.jsonl", rows)
    index = tmp_path / "idx"
    args = ["build", str(corpus), "--index", str(index), "--ray", ray_address]
    done = kill_after_checkpoint(args, index, 256)
    assert 256 <= done < n
    result = runner.invoke(app, [*args, "--json"])  # the same command, from this process (already joined)
    assert result.exit_code == 0, result.output
    summary = orjson.loads(result.stdout)
    assert summary["resumed"] == done and summary["embedded"] == n - done  # nothing embedded twice
    assert summary["articles"] == summary["read"] == n
    idx = open_snapshot(index)
    assert {r[0] for r in idx.in_order("id")} == {r["id"] for r in rows}
    assert not list(index.glob(".staging-*"))


def test_ray_reports_bad_input_as_a_local_build_does(tmp_path, ray_address):
    src = write_jsonl(
        tmp_path / "mixed.jsonl",
        [
            GOOD[0],
            b'{"id": "broken", "body": \n',  # line 2: malformed
            {"id": "nobody", "title": "t"},  # line 3: missing body
            GOOD[1],  # line 4: unknown field 'author'
            {"id": "g1", "body": "again"},  # line 5: duplicate id
            GOOD[2],
            {**GOOD[2], "id": "g3-copy"},  # line 7: identical text, embedded once
        ],
    )
    outcomes = []
    for extra in ([], ["--ray", ray_address]):
        result = runner.invoke(app, ["build", str(src), "--index", str(tmp_path / f"idx{len(extra)}"), "--json", *extra])
        assert result.exit_code == 0, result.output
        warnings = [line for line in result.stderr.splitlines() if line.startswith("warning: ")]
        summary = orjson.loads(result.stdout)
        outcomes.append((warnings, {k: v for k, v in summary.items() if k not in ("version", "seconds")}))
    assert outcomes[0] == outcomes[1]
    warnings, summary = outcomes[1]
    assert [w.split(": field")[0] for w in warnings] == [f"warning: {src}:{n}" for n in (2, 3, 4, 5)]
    assert (summary["indexed"], summary["embedded"], summary["reused_vectors"]) == (4, 3, 1)


def test_the_core_does_not_import_ray():
    code = (
        "import sys, akhbar.cli, akhbar.index.writers, akhbar.index.parquet_export, akhbar.search.query; "
        "assert not {'ray', 'pyarrow'} & set(sys.modules), 'ray or pyarrow imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
