"""Stream articles out of files and folders, reporting every bad record by file, line and field.

Formats: JSON Lines and CSV (optionally .gz), .txt/.md files, saved pages in the seed's
format, and the web's files (index/ingest/web_sources.py: HTML pages, feeds, WARC archives). Records
are yielded one at a time, so a corpus larger than memory ingests; only the set of ids seen is
kept, to catch duplicates. A bad record costs that record only; a file that
is not UTF-8 text at all (binary, another encoding, not gzip) is reported once, as a file.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

import orjson

from akhbar.index.article import Article
from akhbar.index.errors import BadInput
from akhbar.index.ingest import language, web_sources
from akhbar.index.ingest.page import is_page, parse_page

KNOWN = ("id", "title", "body", "lang", "date", "source", "url", "keywords")
RECORD_SUFFIXES = (".jsonl", ".jsonl.gz", ".ndjson", ".csv", ".csv.gz")
TEXT_SUFFIXES = (".txt", ".md")
KEYWORD_SPLIT = re.compile(r"\s*[;,،|]\s*")
SURROGATE = re.compile("[\ud800-\udfff]")  # invalid UTF-8 kept by surrogateescape, or a lone \\uD800 escape in JSON
SNIFF_BYTES = 1 << 16  # a record file whose first 64 KiB are mostly not UTF-8 text is reported once, as a file
CSV_FIELD_LIMIT = 1 << 26  # csv's default 128 KiB would drop long articles; a larger field is reported as its row
FILE_ERRORS = (OSError, EOFError, zlib.error, UnicodeError)  # a file that cannot be read (on), e.g. truncated gzip


@dataclass(frozen=True)
class Problem:
    """A bad record or field; `skipped` says whether the article was left out."""

    error: BadInput
    skipped: bool

    def __str__(self) -> str:
        return f"{self.error} ({'skipped' if self.skipped else 'kept'})"


def _open_text(path: Path) -> io.TextIOBase:
    raw = gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb")  # noqa: SIM115 - the caller closes the wrapper
    # surrogateescape keeps invalid UTF-8 visible per field instead of failing the whole file
    return io.TextIOWrapper(raw, encoding="utf-8", errors="surrogateescape", newline="")


def _has_bad_utf8(value: object) -> bool:
    return isinstance(value, str) and SURROGATE.search(value) is not None


def display(path: Path | str) -> str:
    """A path as text that can be printed and stored (a non-UTF-8 file name gets U+FFFD)."""
    return str(path).encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _storable(value: object) -> str | None:
    """Why a value cannot be stored as JSON in SQLite (nesting, integer size, text), or None."""
    try:
        orjson.dumps(value, default=str)
    except (orjson.JSONEncodeError, TypeError, RecursionError) as exc:
        return str(exc).split(":")[0] or type(exc).__name__
    return None


def _is_utf8(line: bytes, cut: bool) -> bool:
    try:
        line.decode("utf-8")
    except UnicodeDecodeError as exc:
        return cut and exc.start >= len(line) - 3  # only a character cut off at the end
    return True


def not_text(head: bytes, whole: bool) -> str | None:
    """Why a file whose first bytes are `head` is not UTF-8 text, or None.

    Binary data (any NUL byte: text has none) or another encoding (most of the lines, two at
    least, are not UTF-8) is reported once, instead of once a line; one bad line among good
    ones stays that line's problem. `whole` says the head is the whole file (else its last
    line may be cut).
    """
    if b"\x00" in head:
        return "binary (NUL bytes), not text"
    lines = [line for line in head.split(b"\n") if line.strip()]
    bad = sum(not _is_utf8(line, cut=not whole and i == len(lines) - 1) for i, line in enumerate(lines))
    if bad >= 2 and bad * 2 > len(lines):
        return f"not UTF-8 text ({bad:,} of its first {len(lines):,} lines); another encoding?"
    return None


def _date(value: str) -> str:
    """Normalise to ISO 8601; raises ValueError on anything that is not a date."""
    value = value.strip()
    if not value:
        return ""
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed.date().isoformat() if len(value) <= 10 else parsed.replace(tzinfo=None).isoformat(timespec="seconds")


def from_record(raw: dict, file: str, line: int) -> tuple[Article | None, list[Problem]]:
    """Validate one JSON/CSV record; the article is None when it must be skipped."""
    problems: list[Problem] = []

    def bad(fld: str, reason: str, skipped: bool) -> None:
        problems.append(Problem(BadInput(file, line, fld, reason), skipped))

    for key, value in raw.items():
        if _has_bad_utf8(value) or _has_bad_utf8(key):
            bad(str(key).encode("utf-8", "replace").decode(), "invalid UTF-8", True)
            return None, problems
    rid = raw.get("id")
    if isinstance(rid, bool) or not isinstance(rid, (str, int, type(None))):
        bad("id", f"expected text or a whole number, got {type(rid).__name__}", True)
        return None, problems
    if rid is None or str(rid).strip() == "":
        bad("id", "missing", True)
        return None, problems
    body = raw.get("body")
    if body is not None and not isinstance(body, str):
        bad("body", f"expected text, got {type(body).__name__}", True)
        return None, problems
    if not body or not body.strip():
        bad("body", "missing" if body is None else "empty", True)
        return None, problems
    art = Article(id=str(rid).strip(), body=body.strip(), origin=f"{file}:{line}")
    for fld in ("title", "lang", "source", "url"):
        value = raw.get(fld)
        if value is None:
            continue
        if not isinstance(value, str):
            bad(fld, f"expected text, got {type(value).__name__}; ignored", False)
            continue
        setattr(art, fld, value.strip())
    date = raw.get("date")
    if date is not None and not isinstance(date, str):
        bad("date", f"expected text, got {type(date).__name__}; ignored", False)
    elif date:
        try:
            art.date = _date(date)
        except (ValueError, OverflowError):
            bad("date", f"not an ISO date: {date[:40]!r}; ignored", False)
    keywords = raw.get("keywords")
    if isinstance(keywords, str):
        art.keywords = [k for k in KEYWORD_SPLIT.split(keywords.strip()) if k]
    elif isinstance(keywords, list) and all(isinstance(k, (str, int, float)) and not _has_bad_utf8(k) for k in keywords):
        art.keywords = [str(k) for k in keywords]
    elif keywords is not None:
        bad("keywords", "expected a list of words or text; ignored", False)
    for key, value in raw.items():
        why = None if key in KNOWN else _storable(value)
        if key in KNOWN:
            continue
        if why is None:
            art.extra[key] = value
        else:
            bad(key, f"cannot be stored ({why}); ignored", False)
    art.lang = art.lang.lower() or language.guess(art.text)
    return art, problems


def _jsonl(path: Path) -> Iterator[tuple[int, dict | BadInput]]:
    with _open_text(path) as f:
        yield from json_lines(f, display(path))


def in_memory(data: bytes, name: str) -> Records:
    """JSON Lines held in memory (an HTTP request's body) as numbered records, read as a file's are: line N
    reported as NAME:N, bytes that are not UTF-8 text at all once, as line 1."""
    why = not_text(data[:SNIFF_BYTES], whole=len(data) <= SNIFF_BYTES)
    if why is not None:
        return Records(name, [(1, BadInput(name, 1, "file", f"{why}; skipped as a whole"))])
    text = io.StringIO(data.decode("utf-8", errors="surrogateescape"), newline="")  # split as a file is (_open_text)
    return Records(name, list(json_lines(text, name)))


def json_lines(lines: Iterable[str], name: str) -> Iterator[tuple[int, dict | BadInput]]:
    """(line number, object) for each non-blank line of JSON Lines; a BadInput naming `name` and the line
    for one that is not a JSON object."""
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as exc:
            yield n, BadInput(name, n, "json", f"malformed JSON: {exc.msg} at column {exc.colno}")
            continue
        except RecursionError:
            yield n, BadInput(name, n, "json", "malformed JSON: nested too deeply")
            continue
        except ValueError as exc:  # e.g. an integer of more than 4,300 digits
            yield n, BadInput(name, n, "json", f"malformed JSON: {str(exc)[:80]}")
            continue
        if not isinstance(raw, dict):
            yield n, BadInput(name, n, "json", f"expected an object, got {type(raw).__name__}")
            continue
        yield n, raw


def _csv(path: Path) -> Iterator[tuple[int, dict | BadInput]]:
    csv.field_size_limit(max(csv.field_size_limit(), CSV_FIELD_LIMIT))
    with _open_text(path) as f:
        reader = csv.DictReader(f)
        try:
            header = reader.fieldnames or []
        except csv.Error as exc:
            yield 1, BadInput(display(path), 1, "header", f"unreadable CSV header ({exc})")
            return
        missing = [c for c in ("id", "body") if c not in header]
        if header and missing:  # once for the file, not once per row
            yield 1, BadInput(display(path), 1, "header", f"no {' or '.join(repr(c) for c in missing)} column")
            return
        start = 2
        rows = iter(reader)
        while True:
            try:
                row = next(rows)
            except StopIteration:
                return
            except csv.Error as exc:
                yield start, BadInput(display(path), start, "row", f"unreadable CSV ({exc})")
            else:
                if None in row:  # more cells than the header has columns
                    yield start, BadInput(display(path), start, "row", f"{len(row[None])} cell(s) beyond the header")
                else:
                    yield start, {k: v for k, v in row.items() if v is not None and (v != "" or k in ("id", "body"))}
            start = reader.line_num + 1


def _text_file(path: Path, root: Path) -> Iterator[tuple[int, Article | BadInput]]:
    data = path.read_bytes()
    if b"\x00" in data:
        yield 1, BadInput(display(path), 1, "file", "binary (NUL bytes), not text; skipped as a whole")
        return
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        yield data[: exc.start].count(b"\n") + 1, BadInput(display(path), data[: exc.start].count(b"\n") + 1, "body", "invalid UTF-8")
        return
    stem = path.relative_to(root).with_suffix("").as_posix() if root != path else path.stem
    if _has_bad_utf8(stem):
        yield 1, BadInput(display(path), 1, "id", "the file name (the id) is not valid UTF-8")
        return
    path = Path(display(path))
    if is_page(text):
        yield from parse_page(text, stem, str(path))
        return
    lines = text.strip().splitlines()
    title = lines[0].lstrip("# ").strip() if len(lines) > 1 else ""
    body = "\n".join(lines[1:]).strip() if len(lines) > 1 else text.strip()
    yield 1, Article(id=stem, title=title, body=body, origin=f"{path}:1")


def files_of(sources: Iterable[str | Path]) -> Iterator[tuple[Path, Path]]:
    """(file, root) for every ingestible file, folders walked in sorted order."""
    for src in map(Path, sources):
        if src.is_dir():
            for f in sorted(src.rglob("*")):
                if f.is_file() and f.name.lower().endswith(RECORD_SUFFIXES + TEXT_SUFFIXES + web_sources.SUFFIXES):
                    yield f, src
        elif src.exists():  # a file, or a pipe streaming one
            yield src, src
        else:
            raise BadInput(str(src), 0, "path", "no such file or folder")


def _sniff(path: Path) -> str | None:
    """Why a record file cannot be read as text at all, or None. A file that breaks off later
    (a truncated .gz) is read up to there by _records, which reports where it stops."""
    if path.is_fifo():
        return None  # a pipe cannot be read twice
    head = b""
    try:
        with gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb") as f:
            while len(head) < SNIFF_BYTES and (chunk := f.read(4096)):
                head += chunk
    except FILE_ERRORS as exc:
        if not head:
            return f"unreadable ({exc})"
        return not_text(head, whole=False)
    return not_text(head, whole=len(head) < SNIFF_BYTES)


def _records(path: Path) -> Iterator[tuple[int, dict | BadInput]]:
    """The records of a JSONL or CSV file; a file that stops being readable is reported where it stops."""
    why = _sniff(path)
    if why is not None:
        yield 1, BadInput(display(path), 1, "file", f"{why}; skipped as a whole")
        return
    line = 0
    try:
        for line, item in _csv(path) if ".csv" in path.suffixes else _jsonl(path):
            yield line, item
    except FILE_ERRORS as exc:
        yield line + 1, BadInput(display(path), line + 1, "file", f"unreadable from here on ({exc})")


# What a writer reads besides files: records given in memory, numbered (record N is reported as NAME:N), each an
# Article, a dict (one JSON Lines record, checked the same way) or a BadInput (a record the caller could not parse).
Record = Article | dict | BadInput


@dataclass(frozen=True)
class Records:
    """Records given in memory under one name for messages (`records`, or `body` for an HTTP request's)."""

    name: str
    items: list[tuple[int, Record]]


def _checked(numbered: Iterable[tuple[int, dict | BadInput]], name: str, seen: dict[str, str]) -> Iterator[Article | Problem]:
    """Records of one file (or one Records) as articles, checked by from_record; unknown fields told once each."""
    unknown_told: set[str] = set()
    for line, item in numbered:
        if isinstance(item, BadInput):
            yield Problem(item, True)
            continue
        art, problems = from_record(item, name, line)
        yield from problems
        if art is None:
            continue
        for key in art.extra:
            if key not in unknown_told:  # once per file and field: the rest are counted
                unknown_told.add(key)
                yield Problem(BadInput(name, line, key, "unknown field; kept as extra"), False)
        yield from _unique(art, seen, name, line)


def _given(records: Records, seen: dict[str, str]) -> Iterator[Article | Problem]:
    """Records given in memory: an Article as it is (its language guessed when empty), a dict as a JSON Lines record."""
    rest: list[tuple[int, dict | BadInput]] = []
    for n, item in records.items:
        if isinstance(item, Article):
            yield from _checked(rest, records.name, seen)
            rest = []
            if not item.id.strip() or not item.body.strip():
                yield Problem(BadInput(records.name, n, "id" if not item.id.strip() else "body", "empty"), True)
                continue
            lang = item.lang or language.guess(item.text)
            yield from _unique(replace(item, origin=item.origin or f"{records.name}:{n}", lang=lang), seen, records.name, n)
        elif isinstance(item, (dict, BadInput)):
            rest.append((n, item))
        else:
            rest.append((n, BadInput(records.name, n, "record", f"expected an article or a dict, got {type(item).__name__}")))
    yield from _checked(rest, records.name, seen)


def read(sources: Iterable[str | Path], records: Records | None = None) -> Iterator[Article | Problem]:
    """Every article of every source, then of the records given in memory, with a Problem for each bad
    record; ids are unique across them all."""
    seen: dict[str, str] = {}
    for path, root in files_of(sources):
        name = display(path)
        if path.name.endswith(RECORD_SUFFIXES):
            yield from _checked(_records(path), name, seen)
        else:
            web = path.name.lower().endswith(web_sources.SUFFIXES)
            try:  # a web file streams (a WARC may hold millions of pages); a text file is small
                items = web_sources.items(path, root, name) if web else iter(list(_text_file(path, root)))
            except FILE_ERRORS as exc:
                items = iter([(1, BadInput(name, 1, "file", f"unreadable ({exc})"))])
            for line, item in items:
                if isinstance(item, BadInput):
                    yield Problem(item, True)
                elif not item.body:
                    yield Problem(BadInput(name, line, "body", "empty"), True)
                else:
                    item.lang = item.lang or language.guess(item.text)
                    yield from _unique(item, seen, name, line)
    if records is not None:
        yield from _given(records, seen)


def _unique(art: Article, seen: dict[str, str], file: str, line: int) -> Iterator[Article | Problem]:
    if art.id in seen:
        yield Problem(BadInput(file, line, "id", f"duplicate id '{art.id}' (first at {seen[art.id]})"), True)
    else:
        seen[art.id] = f"{file}:{line}"
        yield art
