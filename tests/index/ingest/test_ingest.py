"""Ingest: every format, and every bad input named by file, line and field."""

from __future__ import annotations

import gzip
import os
import threading

import orjson
import pytest

from akhbar.index.errors import BadInput
from akhbar.index.ingest.page import parse_page
from akhbar.index.ingest.readers import Problem, read
from tests.helpers import SEED_PAGE_ID, SEEDS, write_jsonl


def _split(items):
    arts = [x for x in items if not isinstance(x, Problem)]
    probs = [x for x in items if isinstance(x, Problem)]
    return arts, probs


def test_seed_page_parts():
    text = (SEEDS / f"{SEED_PAGE_ID}.txt").read_text(encoding="utf-8")
    (l1, main), (l2, also) = parse_page(text, SEED_PAGE_ID, "seed.txt")
    assert main.source == "البوابة نيوز"
    assert main.keywords == ["ستولتنبرج", "الناتو", "روسيا", "أوكرانيا"]
    assert main.body.startswith("أعلن الأمين العام لحلف الناتو")
    assert main.body.split("\n")[-1].startswith("كما وعد بمواصلة دعم أوكرانيا")
    assert "المصدر" not in main.body and "إقرأ أيضاً" not in main.body
    assert len(main.related) == 10 and main.related[0] == "أمين عام الناتو يختتم زيارة مهمة إلى الولايات المتحدة"
    assert also.id == f"{SEED_PAGE_ID}/read-also" and also.title.startswith("ترامب: أيام مقبلة مهمة")
    assert "إعلان" not in also.body.split("\n") and "مقالات مشابهة" not in also.body
    assert l1 == 1 and l2 > l1


def test_formats_jsonl_csv_gz_text_and_folder(tmp_path):
    write_jsonl(tmp_path / "a.jsonl", [{"id": "j1", "title": "T", "body": "B one", "date": "2024-01-02 10:00:00", "keywords": "x; y"}])
    with gzip.open(tmp_path / "b.jsonl.gz", "wb") as f:
        f.write(orjson.dumps({"id": "g1", "body": "gz body", "lang": "EN"}) + b"\n")
    (tmp_path / "c.csv").write_text(
        'id,title,body,source\nc1,"Title, with comma","Body\nover two lines",Reuters\nc2,T2,B2,AFP\n', encoding="utf-8"
    )
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "d.md").write_text("# A heading\n\nLe texte de l'article est ici, dans la langue française.\n", encoding="utf-8")
    arts, probs = _split(list(read([tmp_path])))
    assert not probs
    by_id = {a.id: a for a in arts}
    assert set(by_id) == {"j1", "g1", "c1", "c2", "notes/d"}
    assert by_id["j1"].date == "2024-01-02T10:00:00" and by_id["j1"].day == "2024-01-02" and by_id["j1"].keywords == ["x", "y"]
    assert by_id["g1"].lang == "en"
    assert by_id["c1"].title == "Title, with comma" and by_id["c1"].body == "Body\nover two lines"
    assert by_id["c2"].origin.endswith("c.csv:4")  # the record after a two-line record starts on line 4
    assert by_id["notes/d"].title == "A heading" and by_id["notes/d"].lang == "fr"


@pytest.mark.parametrize(
    ("line", "field", "reason"),
    [
        (b'{"id": "x", "body": "unterminated\n', "json", "malformed JSON"),
        (orjson.dumps({"id": "x", "title": "no body"}) + b"\n", "body", "missing"),
        (orjson.dumps({"id": "x", "body": "   "}) + b"\n", "body", "empty"),
        (orjson.dumps({"body": "no id"}) + b"\n", "id", "missing"),
        (b'{"id": "x", "body": "bad \xff\xfe bytes"}\n', "body", "invalid UTF-8"),
        (orjson.dumps([1, 2]) + b"\n", "json", "expected an object"),
    ],
)
def test_bad_record_is_named_and_skipped(tmp_path, line, field, reason):
    path = write_jsonl(tmp_path / "in.jsonl", [{"id": "ok1", "body": "fine"}, line, {"id": "ok2", "body": "fine too"}])
    arts, probs = _split(list(read([path])))
    assert [a.id for a in arts] == ["ok1", "ok2"]  # the good records around it survive
    assert len(probs) == 1 and probs[0].skipped
    err = probs[0].error
    assert (err.file, err.line, err.field) == (str(path), 2, field)
    assert reason in err.reason
    assert str(err).startswith(f"{path}:2: field '{field}': ")


def test_duplicate_id_names_first_occurrence(tmp_path):
    path = write_jsonl(tmp_path / "in.jsonl", [{"id": "a", "body": "one"}, {"id": "b", "body": "two"}, {"id": "a", "body": "three"}])
    arts, probs = _split(list(read([path])))
    assert [a.body for a in arts] == ["one", "two"]
    assert probs[0].error.line == 3 and probs[0].error.field == "id" and f"{path}:1" in probs[0].error.reason


def test_unknown_field_is_kept_and_reported_once(tmp_path):
    path = write_jsonl(tmp_path / "in.jsonl", [{"id": "a", "body": "x", "author": "A"}, {"id": "b", "body": "y", "author": "B"}])
    arts, probs = _split(list(read([path])))
    assert [a.extra for a in arts] == [{"author": "A"}, {"author": "B"}]
    assert len(probs) == 1 and not probs[0].skipped
    assert (probs[0].error.line, probs[0].error.field) == (1, "author")


def test_unknown_csv_column_and_ragged_row(tmp_path):
    path = tmp_path / "in.csv"
    path.write_text("id,body,mood\n1,first,happy\n2,second,sad,extra\n", encoding="utf-8")
    arts, probs = _split(list(read([path])))
    assert [a.id for a in arts] == ["1"] and arts[0].extra == {"mood": "happy"}
    assert {(p.error.line, p.error.field, p.skipped) for p in probs} == {(2, "mood", False), (3, "row", True)}


def test_csv_invalid_utf8_names_the_field(tmp_path):
    path = tmp_path / "in.csv"
    path.write_bytes(b"id,title,body\n1,ok,fine\n2,caf\xe9,body\n")
    arts, probs = _split(list(read([path])))
    assert [a.id for a in arts] == ["1"]
    assert (probs[0].error.line, probs[0].error.field, probs[0].error.reason) == (3, "title", "invalid UTF-8")


def test_bad_date_is_dropped_not_the_article(tmp_path):
    path = write_jsonl(tmp_path / "in.jsonl", [{"id": "a", "body": "x", "date": "yesterday"}])
    arts, probs = _split(list(read([path])))
    assert arts[0].date == "" and probs[0].error.field == "date" and not probs[0].skipped


def test_text_file_with_invalid_utf8(tmp_path):
    (tmp_path / "bad.txt").write_bytes(b"Title\nline two\n\xc3\x28 broken\n")
    arts, probs = _split(list(read([tmp_path])))
    assert not arts and probs[0].error.line == 3 and probs[0].error.field == "body"


def test_missing_source_path_is_an_error(tmp_path):
    with pytest.raises(BadInput, match="no such file"):
        list(read([tmp_path / "nope.jsonl"]))


def test_streams_without_reading_ahead(tmp_path):
    """The first article arrives while the writer still holds the rest: nothing slurps the file."""
    fifo = tmp_path / "stream.jsonl"
    os.mkfifo(fifo)
    first_seen = threading.Event()

    def writer() -> None:
        with open(fifo, "wb") as f:
            f.write(orjson.dumps({"id": "0", "body": "first"}) + b"\n")
            f.flush()
            first_seen.wait(timeout=20)
            f.write(orjson.dumps({"id": "1", "body": "second"}) + b"\n")

    t = threading.Thread(target=writer)
    t.start()
    gen = read([fifo])
    first = next(gen)
    assert first.id == "0" and t.is_alive()  # the writer has not finished: we read ahead of it
    first_seen.set()
    assert [a.id for a in gen] == ["1"]
    t.join()
