"""A damaged index is named, found by `akhbar check`, and `akhbar rollback` restores service.

Each file of a version is damaged in turn (truncated, one byte flipped, replaced with junk of
the same size), on a real two-version index over seeds/ and on a delta version of a large one.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from akhbar.cli import app
from akhbar.index.checksum import sha256_file
from akhbar.index.store import integrity, layout
from akhbar.index.store.manifest import MANIFEST, Manifest
from akhbar.search.snapshot import open_snapshot

runner = CliRunner()
DAMAGES = ("truncate", "flip", "junk")


def _cli(*args: str):
    return runner.invoke(app, list(args))


def damage(path: Path, kind: str) -> None:
    """Damage a file in place (so hard links to it see it too, as they would on disk)."""
    size = path.stat().st_size
    if kind == "truncate":
        os.truncate(path, size // 2)
        return
    with open(path, "r+b") as f:
        if kind == "flip":
            f.seek(size // 2)
            byte = f.read(1)[0]
            f.seek(size // 2)
            f.write(bytes([byte ^ 0x10]))
        else:
            f.write(os.urandom(size))


@pytest.fixture(scope="module")
def two_versions(seed_index, tmp_path_factory) -> Path:
    """The seed index and a second version of it (reindexed: its own files, no model needed)."""
    root = tmp_path_factory.mktemp("integrity") / "idx"
    shutil.copytree(seed_index, root)
    assert _cli("reindex", "--kind", "flat", "--index", str(root)).exit_code == 0
    assert len(layout.versions(root)) == 2
    return root


def _similar(root: Path, article_id: str):
    return _cli("similar", article_id, "--index", str(root), "--json")


def _files(root: Path) -> list[str]:
    folder = layout.current_version(root)
    return [MANIFEST] + sorted(Manifest.load(folder).files)


def _damaged_copies(src: Path, tmp_path: Path):
    """A copy of the index for each file of its current version and each damage, that file damaged:
    yields (case, file name, damage, root, damaged version folder)."""
    for name in _files(src):
        for kind in DAMAGES:
            root = tmp_path / f"{name}-{kind}"
            shutil.copytree(src, root)
            live = layout.current_version(root)
            damage(live / name, kind)
            yield f"{name} {kind}", name, kind, root, live


def test_every_file_has_its_size_and_checksum_in_the_manifest(two_versions):
    folder = layout.current_version(two_versions)
    files = Manifest.load(folder).files
    on_disk = {p.name for p in folder.iterdir()} - {MANIFEST}
    assert set(files) == on_disk
    for name, record in files.items():
        assert record == {
            "size": (folder / name).stat().st_size,
            "sha256": sha256_file(folder / name),
            "sample_sha256": integrity.sample_sha256(folder / name),
        }


def test_each_damaged_file_is_named_found_by_check_and_rolled_back(two_versions, tmp_path):
    """Done-when of issue 13 at the seed index, where every file is small enough to be hashed on open."""
    article = "ar-nato-01"
    healthy = _similar(two_versions, article)
    assert healthy.exit_code == 0, healthy.output
    files = _files(two_versions)
    assert {"vectors.f16", "faiss.index", "articles.sqlite", "delta.sqlite", "centers.npz"} <= set(files)
    for case, name, kind, root, live in _damaged_copies(two_versions, tmp_path):
        query = _similar(root, article)
        assert query.exit_code == 1, case
        assert query.stderr.startswith(f"Error: {live / name} is damaged"), (case, query.stderr)
        assert len(query.stderr.strip().splitlines()) == 1 and "akhbar rollback" in query.stderr, case

        found = _cli("check", "--index", str(root), "--json", *(["--deep"] if kind == "flip" else []))
        assert found.exit_code == 1, case
        states = [orjson.loads(line) for line in found.stdout.splitlines()]
        current = next(s for s in states if s["current"])
        assert [d["file"] for d in current["damage"]] == [name], (case, current)
        assert [s["intact"] for s in states if not s["current"]] == [True], case
        assert "previous version" in found.stderr and "is intact" in found.stderr, case

        back = _cli("rollback", "--index", str(root), "--json")
        assert back.exit_code == 0, (case, back.output)
        assert orjson.loads(back.stdout)["from"] == live.name
        restored = _similar(root, article)
        assert restored.exit_code == 0 and restored.stdout == healthy.stdout, case


def test_large_files_are_checked_by_size_and_counts_on_open(two_versions, tmp_path, monkeypatch):
    """Files too large to hash on open (here: all of them) are still named when truncated or
    replaced (sizes, sampled blocks, row counts); a flipped byte never reaches an unexpected
    error, and `check --deep` finds it."""
    monkeypatch.setattr(integrity, "HASH_ON_OPEN", 0)
    article = "en-nato-01"
    for case, name, kind, root, live in _damaged_copies(two_versions, tmp_path):
        query = _similar(root, article)
        assert "Error: unexpected" not in query.stderr, (case, query.stderr)
        if kind != "flip" or query.exit_code != 0:
            assert query.exit_code == 1 and query.stderr.startswith(f"Error: {live / name} is damaged"), (case, query.stderr)
        deep = _cli("check", "--index", str(root), "--deep", "--json")
        assert deep.exit_code == 1, case
        assert [d["file"] for d in orjson.loads(deep.stdout.splitlines()[0])["damage"]] == [name], case


def test_a_delta_version_names_its_delta_files(seed_index, tmp_path, monkeypatch):
    """A write to a large index: the delta files are the version's own, the base files hard links.
    (MERGE_BELOW lowered so that 400 articles count as large: what is tested is the layout.)"""
    from akhbar.index import config
    from akhbar.index.store import faiss_index, sql, vectors
    from akhbar.index.writers import add
    from bench.synthetic import replicate

    monkeypatch.setattr(config, "MERGE_BELOW", 200)
    big = tmp_path / "big"
    replicate(seed_index, big, 400, kind="flat")
    src = open_snapshot(big)
    first = src.rows([0], "pos, title, body, lang")[0]
    title, body, lang = first["title"], first["body"], first["lang"]
    src.close()
    feed = tmp_path / "feed.jsonl"  # a text already indexed: its vector is reused, nothing embedded
    feed.write_bytes(orjson.dumps({"id": "again", "title": title, "body": body, "lang": lang}) + b"\n")
    assert add([feed], big).embedded == 0
    live = layout.current_version(big)
    files = Manifest.load(live).files
    assert {sql.DELTA_DB, vectors.DELTA_VECTORS, faiss_index.DELTA_FAISS} <= set(files)
    previous = Manifest.load(layout.versions(big)[0]).files
    assert files[vectors.VECTORS] == previous[vectors.VECTORS]  # carried over, not hashed again
    for name in (sql.DELTA_DB, vectors.DELTA_VECTORS, faiss_index.DELTA_FAISS):
        pristine = (live / name).read_bytes()
        for kind in DAMAGES:
            case = f"{name} {kind}"
            damage(live / name, kind)
            query = _similar(big, "again")
            assert query.exit_code == 1 and query.stderr.startswith(f"Error: {live / name} is damaged"), (case, query.stderr)
            assert _cli("check", "--index", str(big), "--json").exit_code == 1, case
            (live / name).write_bytes(pristine)
    assert _similar(big, "again").exit_code == 0
    # a base file is shared with the previous version: damage there is in both, and rollback says so
    damage(live / vectors.VECTORS, "truncate")
    states = [orjson.loads(line) for line in _cli("check", "--index", str(big), "--json").stdout.splitlines()]
    assert [s["intact"] for s in states] == [False, False]
    refused = _cli("rollback", "--index", str(big))
    assert refused.exit_code == 1 and "no intact version to roll back to" in refused.stderr


def test_rollback_undoes_a_write_and_repairs_an_unreadable_current(two_versions, tmp_path):
    root = tmp_path / "idx"
    shutil.copytree(two_versions, root)
    newest, older = layout.versions(root)[1], layout.versions(root)[0]
    (root / layout.CURRENT).write_bytes(b"v-\x00\xff/../junk\n")
    query = _similar(root, "ar-nato-01")
    assert query.exit_code == 1 and "akhbar rollback" in query.stderr
    assert _cli("check", "--index", str(root)).exit_code == 1
    back = _cli("rollback", "--index", str(root), "--json")
    assert back.exit_code == 0 and orjson.loads(back.stdout)["to"] == newest.name  # the newest intact one
    assert _cli("rollback", "--index", str(root), "--json").exit_code == 0  # an intact one too: undo the last write
    assert layout.current_version(root) == older
    again = _cli("rollback", "--index", str(root))
    assert again.exit_code == 1 and "no intact version to roll back to" in again.stderr
    assert _similar(root, "ar-nato-01").exit_code == 0


def test_a_failed_first_build_leaves_no_folder(tmp_path):
    deep = tmp_path / "deep.jsonl"
    deep.write_text('{"id": "a", "body": "fine"}\n' + "[" * 100_000 + "\n")
    binary = tmp_path / "binary.jsonl"
    binary.write_bytes(bytes(range(256)) * 800)
    for source, args in ((deep, ["--strict"]), (binary, [])):  # the deep line is fatal; nothing to index
        index = tmp_path / "new"
        result = _cli("build", str(source), "--index", str(index), *args)
        assert result.exit_code == 1 and "Error: unexpected" not in result.stderr, result.stderr
        assert not index.exists()


def test_a_damaged_checkpoint_is_started_over(two_versions, tmp_path):
    """A killed writer's staging folder whose files are damaged: the same job run again starts over."""
    import subprocess
    import sys

    root = tmp_path / "idx"
    shutil.copytree(two_versions, root)
    args = [sys.executable, "-m", "akhbar.cli", "reindex", "--kind", "flat", "--index", str(root), "--json"]
    first = subprocess.run(args, capture_output=True, text=True, env=os.environ.copy())
    assert first.returncode == 0, first.stderr
    job = orjson.loads(first.stdout)
    # the same job again, with a checkpoint left as a killed run would, then damaged
    layout.make_current(root, layout.versions(root)[0])
    from akhbar.index import config
    from akhbar.index.writers import Inputs, Settings, _job

    base = layout.current_version(root)
    settings = Settings(Manifest.load(base).model, config.CHUNK_METHOD, config.WINDOW_TOKENS)
    name = _job("reindex:flat:auto", base, Inputs(), [], settings=settings, strict=False)
    stage = root / f"{layout.STAGING_PREFIX}{name}"
    stage.mkdir()
    (stage / "delta.sqlite").write_bytes(os.urandom(4096))
    again = subprocess.run(args, capture_output=True, text=True, env=os.environ.copy())
    assert again.returncode == 0 and "Error" not in again.stderr, again.stderr
    assert orjson.loads(again.stdout)["articles"] == job["articles"] and not stage.exists()


def _lose_story_rows(folder: Path, db: str, where: str) -> None:
    """A writer bug, not a damaged file: story rows deleted and the files recorded again, so that
    sizes and checksums agree and only the row checks can find it."""
    import dataclasses
    import sqlite3

    con = sqlite3.connect(folder / db)
    assert con.execute(f"DELETE FROM stories WHERE {where}").rowcount > 0
    con.commit()
    con.close()
    manifest = Manifest.load(folder)
    dataclasses.replace(manifest, files=integrity.describe(folder)).save(folder)


def test_articles_without_story_rows_are_named_on_open_and_by_check(two_versions, seed_index, tmp_path, monkeypatch):
    """The box reads each row's story and copy group: a version missing them is refused on open
    (the base's last row, a delta's added rows) or by `akhbar check` (any row), naming the file."""
    from akhbar.index import config
    from akhbar.index.store import sql
    from akhbar.index.writers import add
    from bench.synthetic import replicate

    cases = {"last": "pos = (SELECT MAX(pos) FROM stories)", "middle": "pos = 3"}
    for case, where in cases.items():
        root = tmp_path / case
        shutil.copytree(two_versions, root)
        live = layout.current_version(root)
        _lose_story_rows(live, sql.DB, where)
        found = _cli("check", "--index", str(root), "--json")
        current = orjson.loads(found.stdout.splitlines()[0])
        assert found.exit_code == 1 and [d["file"] for d in current["damage"]] == [sql.DB], (case, current)
        assert "story row" in current["damage"][0]["reason"] or "stories end" in current["damage"][0]["reason"], case
        if case == "last":
            query = _similar(root, "ar-nato-01")
            assert query.exit_code == 1 and query.stderr.startswith(f"Error: {live / sql.DB} is damaged"), query.stderr
            assert "stories end at position" in query.stderr
        assert _cli("rollback", "--index", str(root)).exit_code == 0, case
        assert _similar(root, "ar-nato-01").exit_code == 0, case

    monkeypatch.setattr(config, "MERGE_BELOW", 200)  # 400 articles count as large: the write is a delta
    big = tmp_path / "big"
    replicate(seed_index, big, 400, kind="flat")
    src = open_snapshot(big)
    first = src.rows([0], "pos, title, body, lang")[0]
    src.close()
    feed = tmp_path / "feed.jsonl"
    feed.write_bytes(orjson.dumps({"id": "again", "title": first["title"], "body": first["body"], "lang": first["lang"]}) + b"\n")
    add([feed], big)
    live = layout.current_version(big)
    assert (live / sql.DELTA_DB).exists()
    _lose_story_rows(live, sql.DELTA_DB, "pos >= 400")
    query = _similar(big, "again")
    assert query.exit_code == 1 and query.stderr.startswith(f"Error: {live / sql.DELTA_DB} is damaged"), query.stderr
    assert "1 of the 1 articles it adds have no story row" in query.stderr
