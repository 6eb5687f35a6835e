"""Building through the CLI with the real model: bad input, strict mode, and atomic replacement."""

from __future__ import annotations

import re

import orjson
import pytest

from akhbar.cli import app
from akhbar.index.store.layout import CURRENT
from tests.helpers import runner, write_jsonl

WARNING = re.compile(r"warning: (?P<file>.+?):(?P<line>\d+): field '(?P<field>[^']+)': (?P<reason>.+) \((?P<fate>skipped|kept)\)")


GOOD = [
    {"id": "g1", "title": "NATO summit", "body": "NATO leaders met in Vilnius to discuss Ukraine.", "lang": "en", "source": "A"},
    {"id": "g2", "title": "قمة الناتو", "body": "اجتمع قادة الناتو في فيلنيوس لبحث ملف أوكرانيا.", "source": "B", "author": "someone"},
    {"id": "g3", "title": "Séisme", "body": "Un séisme a frappé le Maroc, faisant des centaines de victimes.", "source": "C"},
]


@pytest.mark.model  # builds an index of its own
def test_build_reports_every_bad_input_and_goes_on(tmp_path):
    corpus = write_jsonl(
        tmp_path / "corpus.jsonl",
        [
            GOOD[0],
            b'{"id": "broken", "body": \n',  # line 2: malformed
            {"id": "nobody", "title": "t"},  # line 3: missing body
            {"id": "blank", "body": " "},  # line 4: empty body
            GOOD[1],  # line 5: unknown field 'author'
            {"id": "g1", "body": "again"},  # line 6: duplicate id
            b'{"id": "latin1", "body": "caf\xe9"}\n',  # line 7: invalid UTF-8
            GOOD[2],
        ],
    )
    index = tmp_path / "idx"
    result = runner.invoke(app, ["build", str(corpus), "--index", str(index), "--json"])
    assert result.exit_code == 0, result.output
    warnings = [WARNING.fullmatch(line) for line in result.stderr.splitlines() if line.startswith("warning: ")]
    assert all(warnings) and {w["file"] for w in warnings} == {str(corpus)}
    assert [(int(w["line"]), w["field"], w["fate"]) for w in warnings] == [
        (2, "json", "skipped"),
        (3, "body", "skipped"),
        (4, "body", "skipped"),
        (5, "author", "kept"),
        (6, "id", "skipped"),
        (7, "body", "skipped"),
    ]
    summary = orjson.loads(result.stdout)
    assert (summary["read"], summary["indexed"], summary["skipped"]) == (8, 3, 5)
    assert summary["problems"]["author: unknown field; kept as extra"] == 1
    stats = orjson.loads(runner.invoke(app, ["stats", "--index", str(index), "--json"]).stdout)
    assert stats["articles"] == 3 and stats["dimension"] == 384
    from akhbar.search.snapshot import open_snapshot

    assert open_snapshot(index).row("g2")["extra"] == {"author": "someone"}


@pytest.mark.model  # builds an index of its own
def test_strict_stops_at_first_problem_and_keeps_the_old_index(tmp_path):
    index = tmp_path / "idx"
    assert runner.invoke(app, ["build", str(write_jsonl(tmp_path / "good.jsonl", GOOD)), "--index", str(index)]).exit_code == 0
    before = (index / CURRENT).read_text()
    bad = write_jsonl(tmp_path / "bad.jsonl", [GOOD[0], {"id": "x", "body": ""}])
    result = runner.invoke(app, ["build", str(bad), "--index", str(index), "--strict"])
    assert result.exit_code == 1
    assert result.stderr.strip() == f"Error: {bad}:2: field 'body': empty"
    assert (index / CURRENT).read_text() == before
    assert [p.name for p in index.iterdir() if p.name.startswith(".staging")] == []
    assert orjson.loads(runner.invoke(app, ["stats", "--index", str(index), "--json"]).stdout)["articles"] == 3


@pytest.mark.model  # builds an index of its own
def test_nothing_indexable_fails_and_keeps_the_old_index(tmp_path):
    index = tmp_path / "idx"
    runner.invoke(app, ["build", str(write_jsonl(tmp_path / "good.jsonl", GOOD)), "--index", str(index)])
    before = (index / CURRENT).read_text()
    result = runner.invoke(app, ["build", str(write_jsonl(tmp_path / "bad.jsonl", [{"id": "x"}])), "--index", str(index)])
    assert result.exit_code == 1 and "no article could be indexed" in result.stderr
    assert (index / CURRENT).read_text() == before


def test_refuses_to_write_into_a_folder_that_is_not_an_index(tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "precious.txt").write_text("keep me")
    result = runner.invoke(app, ["build", str(write_jsonl(tmp_path / "good.jsonl", GOOD)), "--index", str(folder)])
    assert result.exit_code == 1 and "not an akhbar index" in result.stderr
    assert [p.name for p in folder.iterdir()] == ["precious.txt"]


@pytest.mark.model  # builds an index of its own
def test_identical_articles_are_embedded_once(tmp_path):
    from akhbar.index.writers import build
    from akhbar.search.snapshot import open_snapshot

    text = {"title": "Same wire copy", "body": "Oil prices rose after OPEC+ agreed to extend output cuts."}
    rows = [{"id": "a", **text}, {"id": "b", **text}, GOOD[0], {"id": "c", **text}, GOOD[2]]
    index = tmp_path / "idx"
    summary = build([write_jsonl(tmp_path / "c.jsonl", rows)], index, batch=2)  # copies inside one batch and across batches
    assert summary.reused_vectors == 2
    idx = open_snapshot(index)
    raw = idx.raw_vectors
    assert (raw[0] == raw[1]).all() and (raw[0] == raw[3]).all() and not (raw[0] == raw[2]).all()
