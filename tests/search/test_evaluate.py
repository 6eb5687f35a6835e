"""`akhbar eval` on the seed index: clusters, labelled pairs and graded pairs, with known answers."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from akhbar.cli import app
from tests.helpers import runner, write_jsonl


def _eval(seed_index: Path, truth: Path, *extra: str) -> dict:
    result = runner.invoke(app, ["eval", str(truth), "--index", str(seed_index), "--json", *extra])
    assert result.exit_code == 0, result.output
    return orjson.loads(result.stdout)


def test_clusters_recall_and_mrr(seed_index, tmp_path):
    quakes = ["ar-quake-ma-01", "en-quake-ma-01", "fr-quake-ma-01"]
    truth = write_jsonl(tmp_path / "c.jsonl", [{"members": quakes, "topic": 1}, {"members": ["missing-id"], "topic": 2}])
    r = _eval(seed_index, truth, "-k", "5")
    assert r["kind"] == "clusters" and r["queries"] == 3
    assert 0.5 < r["recall@5"] <= 1.0 and 0.5 < r["mrr"] <= 1.0
    nonsense = write_jsonl(tmp_path / "n.jsonl", [{"members": ["ar-quake-ma-01", "en-oil-01"]}])
    assert _eval(seed_index, nonsense, "-k", "1")["recall@1"] == 0.0  # unrelated pair: the metric can fail


def test_labelled_and_graded_pairs(seed_index, tmp_path):
    rows = [
        {"id1": "ar-nato-01", "id2": "ar-nato-02", "stance": "agree"},
        {"id1": "en-quake-ma-01", "id2": "fr-quake-ma-01", "stance": "agree"},
        {"id1": "ar-nato-01", "id2": "en-oil-01", "stance": "disagree"},
    ]
    r = _eval(seed_index, write_jsonl(tmp_path / "p.jsonl", rows))
    assert r["positive_pairs"] == 2 and r["mrr"] > 0.5 and r["agree_as_duplicate"] == 0.5
    assert r["disagree_mean_cosine"] < r["agree_mean_cosine"] and r["disagree_as_duplicate"] == 0.0
    graded = [
        {"id1": "ar-nato-01", "id2": x, "score": s}
        for x, s in [("ar-nato-02", 5), ("en-nato-01", 4), ("ar-nato-04", 3), ("ar-oil-01", 1), ("fr-football-01", 0)]
    ]
    g = _eval(seed_index, write_jsonl(tmp_path / "g.jsonl", graded))
    assert g["pairs"] == 5 and g["spearman"] > 0.6 and -1 <= g["pearson"] <= 1


@pytest.mark.parametrize("content", [b"", b'{"foo": 1}\n', b"not json\n"])
def test_bad_ground_truth_is_a_clear_error(seed_index, tmp_path, content):
    path = tmp_path / "bad.jsonl"
    path.write_bytes(content)
    result = runner.invoke(app, ["eval", str(path), "--index", str(seed_index)])
    assert result.exit_code == 1 and result.stderr.startswith(f"Error: {path}")
