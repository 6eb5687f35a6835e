"""A living index: add, update, remove equal a fresh build; killed builds resume; one writer at a time."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import orjson
import pytest

from akhbar.cli import app
from akhbar.index.store import layout
from akhbar.index.store.layout import CURRENT
from akhbar.search.options import QueryOptions
from akhbar.search.query import similar_to_id
from akhbar.search.snapshot import open_snapshot
from tests.helpers import CORPUS, SEED_ARTICLES, cli_json, kill_after_checkpoint, ranking_differences, runner, story_members, write_jsonl


@pytest.mark.model  # builds an index of its own
def test_add_update_remove_equal_a_fresh_build(tmp_path):
    first, later = CORPUS[:50], CORPUS[50:]
    changed = [{**first[i], "body": first[i]["body"] + " وأضافت المصادر أن المحادثات ستستأنف الأسبوع المقبل."} for i in (0, 10)]
    unchanged = [first[5], first[20]]
    gone = [first[1]["id"], first[30]["id"], later[3]["id"]]
    live = tmp_path / "live"
    cli_json("build", str(write_jsonl(tmp_path / "first.jsonl", first)), "--index", str(live))
    added = cli_json("add", str(write_jsonl(tmp_path / "later.jsonl", later + changed + unchanged)), "--index", str(live))
    assert (added["indexed"], added["updated"], added["unchanged"]) == (len(later) + 2, 2, 2)
    assert added["embedded"] == len(later) + 2  # the unchanged two are not embedded again
    removed = cli_json("remove", *gone, "missing-id", "--index", str(live))
    assert removed["removed"] == 3 and removed["embedded"] == 0 and removed["problems"] == {"id: 'missing-id' is not in the index": 1}

    final = {r["id"]: r for r in first + later}
    final.update({r["id"]: r for r in changed})
    for i in gone:
        del final[i]
    fresh = tmp_path / "fresh"
    cli_json("build", str(write_jsonl(tmp_path / "final.jsonl", list(final.values()))), "--index", str(fresh))
    a, b = open_snapshot(live), open_snapshot(fresh)
    assert a.manifest.articles == b.manifest.articles == len(final)
    stories = (story_members(a), story_members(b))  # the same stories, named after other members (other arrival order)
    assert sorted(stories[0].values(), key=sorted) == sorted(stories[1].values(), key=sorted)
    for article_id in [CORPUS[0]["id"], CORPUS[12]["id"], CORPUS[60]["id"], "ar-nato-01", "en-quake-ma-01"]:
        x = similar_to_id(a, article_id, QueryOptions(k=8, window=0))
        y = similar_to_id(b, article_id, QueryOptions(k=8, window=0))
        differences = ranking_differences(x.hits, y.hits, 5e-3, stories)
        assert not differences, (article_id, differences)
    assert not set(gone) & {r[0] for r in a.in_order("id")}
    assert [r[0] for r in a.in_order("pos")] == list(range(len(final)))


N_KILLED = 5 * 256  # five of the writer's batches (config.INGEST_BATCH): killed after two, three are left to resume


def test_killed_build_resumes_without_embedding_twice(tmp_path, copy_of, seed_index):
    index = copy_of(seed_index)
    before = (index / CURRENT).read_text()
    body = "Article number {} about the economy, markets, trade and prices in region {}."
    rows = [{"id": f"n{i}", "body": body.format(i, i % 17)} for i in range(N_KILLED)]
    corpus = write_jsonl(tmp_path / "many.jsonl", rows)
    done = kill_after_checkpoint(["build", str(corpus), "--index", str(index)], index, 512)
    assert 512 <= done < N_KILLED
    # the live index is the old one, whole and queryable, while the killed build's checkpoint waits
    assert (index / CURRENT).read_text() == before
    assert similar_to_id(open_snapshot(index), "ar-nato-01", QueryOptions(k=3)).hits
    summary = cli_json("build", str(corpus), "--index", str(index))
    assert summary["resumed"] == done and summary["embedded"] == N_KILLED - done  # nothing embedded twice
    assert summary["articles"] == N_KILLED and summary["read"] == N_KILLED
    idx = open_snapshot(index)
    assert {r[0] for r in idx.in_order("id")} == {r["id"] for r in rows}  # none lost
    assert not list(index.glob(".staging-*"))


def test_a_second_writer_is_refused(tmp_path, copy_of, seed_index):
    index = copy_of(seed_index)
    with layout.writer_lock(index):
        result = runner.invoke(app, ["remove", "ar-nato-01", "--index", str(index)])
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"Error: {index}: another akhbar process (pid {os.getpid()}) is writing this index; try again when it has finished"
    )
    assert runner.invoke(app, ["remove", "ar-nato-01", "--index", str(index)]).exit_code == 0  # free again


def test_remove_never_loads_the_model(copy_of, seed_index):
    index = copy_of(seed_index)
    code = (
        "import sys\nfrom akhbar.cli import app\n"
        f"app(['remove', 'ar-nato-02', '--index', {str(index)!r}, '--json'], standalone_mode=False)\n"
        "print('torch' in sys.modules, 'sentence_transformers' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "False False"
    assert open_snapshot(index).manifest.articles == SEED_ARTICLES - 1


def test_remove_everything_is_refused(copy_of, seed_index, tmp_path):
    index = copy_of(seed_index)
    ids = write_jsonl(tmp_path / "ids.jsonl", [])
    ids.write_text("\n".join(r[0] for r in open_snapshot(index).in_order("id")))
    result = runner.invoke(app, ["remove", "--file", str(ids), "--index", str(index)])
    assert result.exit_code == 1 and "the index would be empty" in result.stderr
    assert open_snapshot(index).manifest.articles == SEED_ARTICLES


def test_a_reader_keeps_its_version_while_writers_publish(copy_of, seed_index):
    index = copy_of(seed_index)
    first = (index / CURRENT).read_text().strip()
    snapshot = open_snapshot(index)
    before = [h.id for h in similar_to_id(snapshot, "en-nato-01", QueryOptions(k=5, window=0)).hits]
    cli_json("remove", "fr-nato-01", "--index", str(index))
    assert (index / first).is_dir()  # the version just replaced stays for readers that opened it
    cli_json("remove", "ar-nato-04", "--index", str(index))
    assert not (index / first).exists()  # older ones go
    assert [h.id for h in similar_to_id(snapshot, "en-nato-01", QueryOptions(k=5, window=0)).hits] == before

    def named(box) -> set[str]:  # every article a box names: its own story's coverage, its rows and theirs
        return {a["id"] for a in box.story.also} | {h.id for h in box.hits} | {a["id"] for h in box.hits for a in h.also}

    assert "fr-nato-01" in named(similar_to_id(snapshot, "en-nato-01", QueryOptions(k=5, window=0)))  # the old version, still
    assert "fr-nato-01" not in named(similar_to_id(open_snapshot(index), "en-nato-01", QueryOptions(k=5, window=0)))


def _box(idx, article_id: str) -> list[tuple[str, float]]:
    """Dense ranking: BM25 ranks base and delta each with its own term statistics until a merge."""
    return [(h.id, round(h.score, 4)) for h in similar_to_id(idx, article_id, QueryOptions(k=8, window=0, mode="dense")).hits]


# "Large" is MERGE_BELOW articles and more; the tests lower it to LARGE_FROM (in this process with
# monkeypatch, in a CLI process through LARGE_CLI) so that 7,000 articles take the large index's paths
# (delta writes, stories kept in a merge) in seconds rather than the 52,000 that took a minute a test.
# (At 7,000 the ids `<seed id>~0` ... `~44` exist: the tests below ask for `~41`.)
LARGE_FROM = 5000
LARGE_CLI = "import sys; from akhbar.index import config; config.MERGE_BELOW = int(sys.argv.pop(1)); from akhbar.cli import app; app()"


def test_a_large_index_writes_a_delta_then_merges(tmp_path, seed_index, monkeypatch):
    """At MERGE_BELOW articles and more, add/update/remove write a small delta beside the shared base;
    results equal those of the same articles merged into one base (same centering); past
    DELTA_SHARE of the base, a write merges."""
    import numpy as np

    from akhbar.index import config
    from akhbar.index.errors import ArticleNotFound
    from akhbar.index.store import sql
    from akhbar.index.writers import add, reindex, remove
    from bench.synthetic import replicate

    monkeypatch.setattr(config, "MERGE_BELOW", LARGE_FROM)
    big = tmp_path / "big"
    n = LARGE_FROM + 2000  # stays above MERGE_BELOW after the removals below
    replicate(seed_index, big, n, kind="flat")
    before = layout.current_version(big)
    inode = (before / sql.DB).stat().st_ino
    copy = {k: CORPUS[3][k] for k in ("lang", "date", "source")}
    new = [
        {**copy, "id": "fresh-copy", "title": CORPUS[3]["title"], "body": CORPUS[3]["title"]},  # a replicated text: its vector is reused
        {
            "id": "fresh-text",
            "lang": "en",
            "date": "2024-03-02",
            "title": "Desalination plant opens on the Red Sea coast",
            "body": "A desalination plant on the Red Sea coast began supplying water to three towns on Saturday.",
        },
    ]
    updated = {**CORPUS[7], "id": f"{CORPUS[7]['id']}~3", "body": CORPUS[7]["body"] + " The talks resume next week."}
    s = add([write_jsonl(tmp_path / "new.jsonl", new + [updated])], big)
    assert (s.indexed, s.updated, s.embedded) == (3, 1, 2)
    gone = [f"{CORPUS[0]['id']}~{i}" for i in range(40)]
    remove(gone, big)
    live = layout.current_version(big)
    assert (live / sql.DB).stat().st_ino == inode  # the base is shared, not copied
    delta = open_snapshot(big)
    assert delta.manifest.articles == n + 2 - len(gone)
    assert delta.delta_size() == 3 + 1 + len(gone)
    with __import__("pytest").raises(ArticleNotFound):
        similar_to_id(delta, gone[0])
    asked = ["fresh-text", "fresh-copy", updated["id"], f"{CORPUS[0]['id']}~41", f"{CORPUS[12]['id']}~2"]
    boxes = {a: _box(delta, a) for a in asked}
    assert all(i not in gone for box in boxes.values() for i, _ in box)
    assert boxes["fresh-text"] and boxes["fresh-copy"]

    reindex(big, "flat")  # the same articles merged into one base, centering kept
    merged = open_snapshot(big)
    assert (merged.folder / sql.DB).stat().st_ino != inode and merged.delta_size() == 0
    assert {a: _box(merged, a) for a in asked} == boxes
    assert np.allclose(merged.vectors_at([0]), delta.vectors_at([0]))

    many = [r[0] for r in merged.in_order("id", int(config.DELTA_SHARE * n) + 1)]
    remove(many, big)  # a delta past DELTA_SHARE of the base: this write merges
    after = open_snapshot(big)
    assert after.delta_size() == 0 and after.manifest.articles == merged.manifest.articles - len(many)


def test_a_remove_killed_while_merging_resumes_without_false_problems(tmp_path, seed_index):
    """The removals are committed with the checkpoint before the merge starts: the same command
    run again counts them as resumed, not as ids missing from the index, and loses none."""
    from akhbar.index import config
    from bench.synthetic import replicate

    big = tmp_path / "big"
    n = LARGE_FROM + 2000
    replicate(seed_index, big, n)
    live = open_snapshot(big)
    ids = [r[0] for r in live.in_order("id", int(config.DELTA_SHARE * n) + 1)]
    (tmp_path / "ids.txt").write_text("\n".join(ids) + "\n")
    before = (big / CURRENT).read_text()
    args = [sys.executable, "-c", LARGE_CLI, str(LARGE_FROM), "remove", "--file", str(tmp_path / "ids.txt"), "--index", str(big), "--json"]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=os.environ.copy())
    deadline = time.time() + 120
    while not list(big.glob(".staging-*/merged")) and time.time() < deadline and proc.poll() is None:
        time.sleep(0.005)  # the merge has begun: the checkpoint holding the removals is committed
    assert proc.poll() is None, "the merge finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert (big / CURRENT).read_text() == before and open_snapshot(big).manifest.articles == n  # untouched
    again = subprocess.run(args, capture_output=True, text=True, env=os.environ.copy())
    assert again.returncode == 0, again.stderr
    summary = orjson.loads(again.stdout)
    assert summary["problems"] == {} and summary["removed"] + summary["resumed"] == len(ids)
    after = open_snapshot(big)
    assert after.manifest.articles == n - len(ids) and after.delta_size() == 0
    assert after.position(ids[0]) is None
