"""A living index: add, update, remove equal a fresh build; killed builds resume; one writer at a time."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import orjson
from typer.testing import CliRunner

from cli import app
from index import layout
from index.layout import CURRENT
from search.query import similar_to_id
from search.reader import open_index
from tests.conftest import SEEDS

runner = CliRunner()
CORPUS = [orjson.loads(line) for line in (SEEDS / "sample_corpus.jsonl").read_bytes().splitlines()]


def _write(path: Path, rows: list[dict]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))
    return path


def _cli(*args: str) -> dict:
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return orjson.loads(result.stdout)


def test_add_update_remove_equal_a_fresh_build(tmp_path):
    first, later = CORPUS[:50], CORPUS[50:]
    changed = [{**first[i], "body": first[i]["body"] + " وأضافت المصادر أن المحادثات ستستأنف الأسبوع المقبل."} for i in (0, 10)]
    unchanged = [first[5], first[20]]
    gone = [first[1]["id"], first[30]["id"], later[3]["id"]]
    live = tmp_path / "live"
    _cli("build", str(_write(tmp_path / "first.jsonl", first)), "--index", str(live))
    added = _cli("add", str(_write(tmp_path / "later.jsonl", later + changed + unchanged)), "--index", str(live))
    assert (added["indexed"], added["updated"], added["unchanged"]) == (len(later) + 2, 2, 2)
    assert added["embedded"] == len(later) + 2  # the unchanged two are not embedded again
    removed = _cli("remove", *gone, "missing-id", "--index", str(live))
    assert removed["removed"] == 3 and removed["embedded"] == 0 and removed["problems"] == {"id: 'missing-id' is not in the index": 1}

    final = {r["id"]: r for r in first + later}
    final.update({r["id"]: r for r in changed})
    for i in gone:
        del final[i]
    fresh = tmp_path / "fresh"
    _cli("build", str(_write(tmp_path / "final.jsonl", list(final.values()))), "--index", str(fresh))
    a, b = open_index(live), open_index(fresh)
    assert a.manifest.articles == b.manifest.articles == len(final)
    for article_id in [CORPUS[0]["id"], CORPUS[12]["id"], CORPUS[60]["id"], "ar-nato-01", "en-quake-ma-01"]:
        x = similar_to_id(a, article_id, k=8, window_days=0)
        y = similar_to_id(b, article_id, k=8, window_days=0)
        assert [h.id for h in x.hits] == [h.id for h in y.hits], article_id
        assert max(abs(h.score - g.score) for h, g in zip(x.hits, y.hits)) < 5e-3, [(h.score, g.score) for h, g in zip(x.hits, y.hits)]
    assert not set(gone) & {r[0] for r in a.con.execute("SELECT id FROM articles")}
    assert tuple(a.con.execute("SELECT MIN(pos), MAX(pos), COUNT(*) FROM articles").fetchone()) == (0, len(final) - 1, len(final))


def test_killed_build_resumes_without_embedding_twice(tmp_path, copy_of, seed_index):
    index = copy_of(seed_index)
    before = (index / CURRENT).read_text()
    rows = [{"id": f"n{i}", "body": f"Article number {i} about the economy, markets, trade and prices in region {i % 17}."}
            for i in range(3000)]
    corpus = _write(tmp_path / "many.jsonl", rows)
    proc = subprocess.Popen([sys.executable, "-m", "cli", "build", str(corpus), "--index", str(index)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=os.environ.copy())

    def committed() -> int:
        for db in index.glob(".staging-*/articles.sqlite"):
            try:
                with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=0.1) as con:
                    return con.execute("SELECT consumed FROM job").fetchone()[0]
            except sqlite3.Error:
                return 0
        return 0

    deadline = time.time() + 240
    while committed() < 512 and time.time() < deadline and proc.poll() is None:
        time.sleep(0.1)
    assert proc.poll() is None, "the build finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    done = committed()
    assert 512 <= done < 3000
    # the live index is the old one, whole and queryable, while the killed build's checkpoint waits
    assert (index / CURRENT).read_text() == before
    assert similar_to_id(open_index(index), "ar-nato-01", k=3).hits
    summary = _cli("build", str(corpus), "--index", str(index))
    assert summary["resumed"] == done and summary["embedded"] == 3000 - done  # nothing embedded twice
    assert summary["articles"] == 3000 and summary["read"] == 3000
    idx = open_index(index)
    assert {r[0] for r in idx.con.execute("SELECT id FROM articles")} == {r["id"] for r in rows}  # none lost
    assert not list(index.glob(".staging-*"))


def test_a_second_writer_is_refused(tmp_path, copy_of, seed_index):
    index = copy_of(seed_index)
    with layout.writer_lock(index):
        result = runner.invoke(app, ["remove", "ar-nato-01", "--index", str(index)])
    assert result.exit_code == 1
    assert result.stderr.strip() == (f"Error: {index}: another akhbar process (pid {os.getpid()}) is writing this index; "
                                     "try again when it has finished")
    assert runner.invoke(app, ["remove", "ar-nato-01", "--index", str(index)]).exit_code == 0  # free again


def test_remove_never_loads_the_model(copy_of, seed_index):
    index = copy_of(seed_index)
    code = ("import sys\nfrom cli import app\n"
            f"app(['remove', 'ar-nato-02', '--index', {str(index)!r}, '--json'], standalone_mode=False)\n"
            "print('torch' in sys.modules, 'sentence_transformers' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "False False"
    assert open_index(index).manifest.articles == 80


def test_remove_everything_is_refused(copy_of, seed_index, tmp_path):
    index = copy_of(seed_index)
    ids = _write(tmp_path / "ids.jsonl", [])
    ids.write_text("\n".join(r[0] for r in open_index(index).con.execute("SELECT id FROM articles")))
    result = runner.invoke(app, ["remove", "--file", str(ids), "--index", str(index)])
    assert result.exit_code == 1 and "the index would be empty" in result.stderr
    assert open_index(index).manifest.articles == 81


def test_a_reader_keeps_its_version_while_writers_publish(copy_of, seed_index):
    index = copy_of(seed_index)
    first = (index / CURRENT).read_text().strip()
    reader = open_index(index)
    before = [h.id for h in similar_to_id(reader, "en-nato-01", k=5, window_days=0).hits]
    _cli("remove", "fr-nato-01", "--index", str(index))
    assert (index / first).is_dir()  # the version just replaced stays for readers that opened it
    _cli("remove", "ar-nato-04", "--index", str(index))
    assert not (index / first).exists()  # older ones go
    assert [h.id for h in similar_to_id(reader, "en-nato-01", k=5, window_days=0).hits] == before
    assert "fr-nato-01" in before and "fr-nato-01" not in [h.id for h in similar_to_id(open_index(index), "en-nato-01", k=5, window_days=0).hits]
