"""Property-based fuzzing of ingest (hypothesis) over JSON Lines, CSV, text files and seed pages.

Each example is a generated corpus of good records (odd Unicode, huge bodies, extra fields),
good records with a bad optional field (kept, reported), and bad records (malformed lines,
wrong types, missing or empty fields, deep nesting, invalid UTF-8, duplicate ids), plus whole
binary files. The properties: nothing raises; every good article comes out with its id and
body; every bad record is reported once, at its line, as skipped; nothing good is reported as
skipped. The suite runs a quick profile (hypothesis profile `akhbar-quick`); bench/fuzz_ingest.py
runs ≥ 10,000 examples (`akhbar-fuzz`). One test goes through a real build end to end.
"""

from __future__ import annotations

import csv
import io
import json
import random
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from akhbar.index.ingest.page import READ_ALSO, SIMILAR, is_page
from akhbar.index.ingest.readers import Problem, read

E2E_EXAMPLES = max(2, settings.default.max_examples // 250)  # builds load the model: few, even in the long run

LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
# any character but surrogates (not text), NUL (marks a binary file) and line breaks (placed explicitly)
CHARS = st.characters(exclude_categories=("Cs",), exclude_characters="\x00" + LINE_BREAKS)
ODD = st.sampled_from(["\u200f", "\u200e", "\u0651", "\ufeff", "\U0001f600", "\u0640", "\u202e", "\ufdfa", "e\u0301", "\u00a0", "\t"])
WORD = st.text(CHARS, min_size=1, max_size=12)
# text with odd Unicode mixed in; never blank after strip()
TEXT = st.lists(st.one_of(WORD, ODD), min_size=1, max_size=12).map("".join).filter(lambda t: t.strip() != "")
HUGE = st.integers(5_000, 50_000).map(lambda n: "خبر news " * n)  # 45-450 kB
BODY = st.one_of(*[TEXT] * 6, HUGE, st.lists(TEXT, min_size=2, max_size=4).map("\n".join))


@dataclass
class Record:
    """One generated record and what ingest must make of it."""

    fate: str  # good: indexed, no problem skips it | soft: indexed, a kept problem | bad: one skipped problem
    fields: dict = field(default_factory=dict)
    raw: bytes | None = None  # a malformed line, written as is

    def __repr__(self) -> str:  # huge bodies: a failing example stays readable
        return f"Record({self.fate!r}, {repr(self.fields)[:300]}, {repr(self.raw)[:120]})"


GOOD_EXTRA = st.dictionaries(
    st.sampled_from(["author", "tags", "score", "meta"]),
    st.recursive(
        st.none() | st.booleans() | st.integers(-(2**62), 2**62) | TEXT,
        lambda c: st.lists(c, max_size=3) | st.dictionaries(WORD, c, max_size=3),
        max_leaves=8,
    ),
    max_size=2,
)


MISSING = object()  # a field left out of the record


def _copy(r: Record) -> Record:
    return Record(r.fate, {k: v for k, v in r.fields.items() if v is not MISSING}, r.raw)


def _json(fields: dict) -> bytes:
    """A record as one JSON line: raw UTF-8 where it can be, escapes (\\ud800) where it cannot."""
    try:
        return json.dumps(fields, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(fields).encode()


def _nested(depth: int) -> object:
    value: object = "x"
    for _ in range(depth):
        value = [value]
    return value


def good(body: st.SearchStrategy[str] = BODY) -> st.SearchStrategy[Record]:
    return st.builds(
        lambda body, title, lang, date, kw, extra: Record("good", {"body": body, **title, **lang, **date, **kw, **extra}),
        body,
        st.one_of(st.just({}), TEXT.map(lambda t: {"title": t})),
        st.sampled_from([{}, {"lang": "ar"}, {"lang": "EN"}]),
        st.one_of(st.just({}), st.dates().map(lambda d: {"date": d.isoformat()})),
        st.one_of(st.just({}), st.lists(WORD, max_size=4).map(lambda k: {"keywords": k}), TEXT.map(lambda k: {"keywords": k})),
        GOOD_EXTRA,
    )


def soft() -> st.SearchStrategy[Record]:
    """A good article with one optional field that is wrong: kept, and reported."""
    wrong = st.sampled_from(
        [
            {"title": 5},
            {"lang": ["ar"]},
            {"date": "yesterday"},
            {"date": "2024-13-45"},
            {"date": [2024]},
            {"keywords": {"a": 1}},
            {"keywords": [[1]]},
            {"source": {"x": None}},
            {"url": 3.5},
            {"meta": _nested(300)},
            {"big": 2**70},
            {"date": "99999-01-01"},
        ]
    )
    return st.builds(lambda body, bad: Record("soft", {"body": body, **bad}), TEXT, wrong)


def bad_record() -> st.SearchStrategy[Record]:
    fields = st.sampled_from(
        [
            {"body": MISSING},
            {"body": ""},
            {"body": "   \n\t "},
            {"body": None},
            {"body": 7},
            {"body": ["a"]},
            {"body": {"t": "x"}},
            {"body": "lone \ud800 surrogate"},
            {"title": "\udcff", "body": "x"},
        ]
    )
    no_id = st.sampled_from([{"id": None}, {"id": ""}, {"id": "  "}, {"id": ["a"]}, {"id": {"a": 1}}, {"id": True}, {"id": 1.5}])
    raw = st.one_of(
        st.just(b'{"id": "x", "body": '),
        st.just(b"[" * 100_000),
        st.just(b"{" * 5000),
        st.just(b'{"id": "n", "body": "b", "v": ' + b"9" * 5000 + b"}"),
        st.sampled_from([b"[1, 2]", b"42", b'"text"', b"null"]),
        st.just(b'{"id": "latin", "body": "caf\xe9"}'),
        TEXT.map(lambda t: t.encode() + b" }"),
    )
    return st.one_of(
        fields.map(lambda f: _copy(Record("bad", {"body": "fine", **f}))),
        no_id.map(lambda f: Record("bad", {"body": "fine", **f})),
        raw.map(lambda r: Record("bad", raw=r)),
    )


def corpus(kinds: st.SearchStrategy[Record], ids: bool = True) -> st.SearchStrategy[list[Record]]:
    """Records with unique ids given to the good ones, and some duplicates of them (bad)."""

    def number(recs: list[Record], dup: list[int]) -> list[Record]:
        out = []
        latin = False  # one invalid-UTF-8 line at most: more, and most lines so, make it a file of another encoding
        for i, r in enumerate(recs):
            if r.raw is not None and b"\xe9" in r.raw:
                if latin:
                    continue
                latin = True
            if ids and r.raw is None and (r.fate != "bad" or "id" not in r.fields):
                r.fields["id"] = f"id-{i}" if i % 3 else i  # ids may be numbers
            out.append(r)
        goods = [r for r in out if r.fate != "bad"]
        for d in dup:
            if goods:
                out.append(Record("bad", {"id": goods[d % len(goods)].fields["id"], "body": "a copy"}))
        return out

    return st.builds(number, st.lists(kinds, min_size=1, max_size=12), st.lists(st.integers(0, 100), max_size=2))


def _ingest(path: Path) -> tuple[dict, list[Problem]]:
    out = list(read([path]))
    arts = [x for x in out if not isinstance(x, Problem)]
    problems = [x for x in out if isinstance(x, Problem)]
    assert len({a.id for a in arts}) == len(arts)
    return {a.id: a for a in arts}, problems


def _verify(records: list[tuple[int, Record]], arts: dict, problems: list[Problem]) -> None:
    """Every good article indexed with its body, every bad record reported once at its line, nothing more skipped."""
    skipped = sorted(p.error.line for p in problems if p.skipped)
    assert skipped == sorted(line for line, r in records if r.fate == "bad"), [str(p) for p in problems]
    kept_at = {p.error.line for p in problems if not p.skipped}
    expected = {str(r.fields["id"]): (line, r) for line, r in records if r.fate != "bad"}
    assert set(arts) == set(expected)
    for key, (line, r) in expected.items():
        assert arts[key].body == r.fields["body"].strip()
        if r.fate == "soft":
            assert line in kept_at, (r.fields, [str(p) for p in problems])


@dataclass
class Counted:
    examples: int = 0
    records: int = 0


COUNT = {fmt: Counted() for fmt in ("jsonl", "csv", "txt", "page", "binary")}


def _count(fmt: str, n: int) -> None:
    COUNT[fmt].examples += 1
    COUNT[fmt].records += n


@given(corpus(st.one_of(good(), good(), soft(), bad_record())), st.sampled_from([b"\n", b"\r\n"]), st.booleans())
def test_jsonl(records, newline, blank_lines):
    lines, placed = [], []
    for r in records:
        if blank_lines:
            lines.append(b"")
        lines.append(r.raw if r.raw is not None else _json(r.fields))
        placed.append((len(lines), r))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fuzz.jsonl"
        path.write_bytes(newline.join(lines) + newline)
        arts, problems = _ingest(path)
    _verify(placed, arts, problems)
    _count("jsonl", len(records))


CSV_COLUMNS = ["id", "title", "body", "lang", "date", "source"]
CSV_TEXT = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), min_size=1, max_size=40).filter(
    lambda t: t.strip() != ""
)


@given(
    st.lists(
        st.one_of(
            st.builds(lambda body, title: Record("good", {"body": body, "title": title}), st.one_of(*[CSV_TEXT] * 6, HUGE), CSV_TEXT),
            st.builds(lambda body: Record("soft", {"body": body, "date": "not a date"}), CSV_TEXT),
            st.sampled_from(
                [
                    Record("bad", {"body": ""}),
                    Record("bad", {"body": "  "}),
                    Record("bad", {"id": "", "body": "x"}),
                    Record("bad", raw=b"too,many,cells,in,this,row,for,the,header"),
                    Record("bad", raw=b"bad-utf8,\xff\xfe body"),
                ]
            ).map(_copy),
        ),
        min_size=1,
        max_size=12,
    )
)
def test_csv(records):
    latin = [i for i, r in enumerate(records) if r.raw is not None and b"\xff" in r.raw]
    records = [r for i, r in enumerate(records) if i not in latin[1:]]  # one such line at most (see corpus)
    out = io.BytesIO()
    out.write(",".join(CSV_COLUMNS).encode() + b"\r\n")
    placed, line = [], 2
    for i, r in enumerate(records):
        if r.fate != "bad" or "id" not in r.fields:
            r.fields.setdefault("id", f"row-{i}")
        if r.raw is not None:
            text = r.raw + b"\r\n"
        else:
            buf = io.StringIO(newline="")
            csv.writer(buf).writerow([r.fields.get(c, "") for c in CSV_COLUMNS])
            text = buf.getvalue().encode("utf-8")
        placed.append((line, r))
        line += len(io.StringIO(text.decode("utf-8", "replace"), newline="").readlines())
        out.write(text)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fuzz.csv"
        path.write_bytes(out.getvalue())
        arts, problems = _ingest(path)
    _verify(placed, arts, problems)
    _count("csv", len(records))


def _plain(text: str) -> bool:
    """Not a saved page: no line is one of the page's markers (hypothesis finds them in page.py)."""
    return not is_page(text) and not any(READ_ALSO.match(line.strip()) or line.strip() == SIMILAR for line in text.splitlines())


TXT_TITLE = st.text(CHARS, min_size=1, max_size=30).filter(lambda t: t.strip() != "" and t == t.lstrip("# ") and _plain(t))


@given(
    st.lists(
        st.one_of(
            st.builds(lambda title, body: Record("good", {"title": title, "body": body}), TXT_TITLE, BODY.filter(_plain)),
            st.sampled_from(
                [
                    Record("bad", raw=b""),
                    Record("bad", raw=b"   \n\n"),
                    Record("bad", raw=b"title\n\xff\xfe\xfd body"),
                    Record("bad", raw=b"title\nbody with a \x00 NUL"),
                ]
            ).map(_copy),
        ),
        min_size=1,
        max_size=8,
    )
)
def test_text_files(records):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "texts"
        (folder / "sub").mkdir(parents=True)
        placed = []
        for i, r in enumerate(records):
            rel = f"sub/ملف-{i}" if i % 2 else f"note-{i}"
            data = r.raw if r.raw is not None else f"{r.fields['title']}\n{r.fields['body']}\n".encode()
            (folder / f"{rel}.txt").write_bytes(data)
            r.fields["id"] = rel
            line = data[: data.find(b"\xff")].count(b"\n") + 1 if b"\xff" in data else 1
            placed.append((line, r))
        arts, problems = _ingest(folder)
    _verify(placed, arts, problems)
    _count("txt", len(records))


LINE = TEXT.filter(_plain)
PARAGRAPHS = st.lists(st.one_of(LINE, st.just("إعلان")), min_size=0, max_size=4)


@given(
    st.lists(LINE, min_size=1, max_size=4),
    st.one_of(st.none(), LINE),
    st.lists(WORD.filter(lambda w: w.split() == [w]), max_size=4),
    st.one_of(st.none(), st.tuples(LINE, PARAGRAPHS)),
    st.lists(LINE, max_size=5),
    st.booleans(),
)
def test_seed_pages(body, source, keywords, read_also, similar, similar_marker):
    lines = list(body)
    if source is not None:
        lines.append(f"المصدر: {source}")
    lines.append("كلمات دلالية: " + " ".join(keywords))
    if read_also is not None:
        lines += ["إقرأ أيضاً:", read_also[0], *read_also[1]]
    if similar_marker:
        lines += ["مقالات مشابهة", *(f"• {s}" for s in similar)]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "page.txt"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        arts, problems = _ingest(path)
    assert arts["page"].body == "\n".join(b.strip() for b in body if b.strip() and b.strip() != "إعلان")
    assert arts["page"].keywords == keywords and arts["page"].source == (source.strip() if source else "")
    also_body = [p.strip() for p in (read_also[1] if read_also else []) if p.strip() and p.strip() != "إعلان"]
    if read_also is None:
        assert set(arts) == {"page"} and not problems
    elif also_body:
        assert set(arts) == {"page", "page/read-also"} and arts["page/read-also"].body == "\n".join(also_body)
    else:  # a read-also block with a title and no text: one skipped problem, at its line
        assert set(arts) == {"page"} and [(p.error.field, p.skipped) for p in problems] == [("body", True)]
    _count("page", 1 + (read_also is not None))


ARABIC_LINE = st.text(st.sampled_from("ءآأؤإئابةتثجحخدذرزسشصضطظعغفقكلمنهوى "), min_size=3, max_size=60)  # all in Windows-1256


@given(
    st.integers(0, 2**32),
    st.integers(200, 200_000),
    st.sampled_from(["fuzz.jsonl", "fuzz.csv", "fuzz.jsonl.gz", "fuzz.txt"]),
    st.one_of(st.none(), st.lists(ARABIC_LINE, min_size=2, max_size=50)),
)
def test_binary_and_other_encodings_are_reported_once(seed, size, name, cp1256_lines):
    """Binary data (with NUL bytes every 64 bytes, as in any real binary format) or Arabic text
    in Windows-1256: one problem for the file, whatever its size and name."""
    data = bytearray(random.Random(seed).randbytes(size))
    data[::64] = bytes(len(data[::64]))
    if cp1256_lines is not None:
        data = bytearray("\n".join(f'{{"id": "{i}", "body": "{t}"}}' for i, t in enumerate(cp1256_lines)).encode("cp1256"))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(bytes(data))
        arts, problems = _ingest(path)
    assert not arts and len(problems) == 1 and problems[0].skipped, [str(p) for p in problems]
    _count("binary", 1)


@settings(
    max_examples=E2E_EXAMPLES,
    deadline=None,
    suppress_health_check=[*settings.default.suppress_health_check, HealthCheck.function_scoped_fixture],
)
@given(corpus(st.one_of(good(TEXT), soft(), bad_record())))  # no huge bodies: embedding stays quick
def test_a_real_build_indexes_every_good_article(model_ref, records):
    """End to end: the same kind of corpus through `build` (real model, FAISS, SQLite)."""
    from akhbar.index.writers import build
    from akhbar.search.snapshot import open_snapshot

    if not any(r.fate != "bad" for r in records):
        records.append(Record("good", {"id": "one-good", "body": "at least one article"}))
    reported: list[Problem] = []
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "in.jsonl"
        src.write_bytes(b"".join((r.raw if r.raw is not None else _json(r.fields)) + b"\n" for r in records))
        summary = build([src], Path(tmp) / "idx", on_problem=reported.append)
        idx = open_snapshot(Path(tmp) / "idx")
        good_ids = [str(r.fields["id"]) for r in records if r.fate != "bad"]
        assert summary.articles == idx.manifest.articles == len(good_ids)
        for key in good_ids:
            assert idx.row(key) is not None
        idx.close()
    assert summary.skipped == sum(r.fate == "bad" for r in records) == sum(p.skipped for p in reported)
    _count("build", len(records)) if "build" in COUNT else COUNT.setdefault("build", Counted(1, len(records)))
