"""Stream articles out of files and folders, reporting every bad record by file, line and field.

Formats: JSON Lines and CSV (optionally .gz), .txt/.md files, and saved pages in the seed's
format. Records are yielded one at a time, so a corpus larger than memory ingests; only the
set of ids seen is kept, to catch duplicates.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from akhbar.index import langdetect
from akhbar.index.article import Article
from akhbar.index.errors import BadInput
from akhbar.index.page import is_page, parse_page

KNOWN = ("id", "title", "body", "lang", "date", "source", "url", "keywords")
RECORD_SUFFIXES = (".jsonl", ".jsonl.gz", ".ndjson", ".csv", ".csv.gz")
TEXT_SUFFIXES = (".txt", ".md")
KEYWORD_SPLIT = re.compile(r"\s*[;,،|]\s*")


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
    return isinstance(value, str) and any("\udc80" <= c <= "\udcff" for c in value)


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
    if rid is None or str(rid).strip() == "":
        bad("id", "missing", True)
        return None, problems
    body = raw.get("body")
    if not isinstance(body, str) or not body.strip():
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
    if raw.get("date"):
        try:
            art.date = _date(str(raw["date"]))
        except ValueError:
            bad("date", f"not an ISO date: {str(raw['date'])[:40]!r}; ignored", False)
    keywords = raw.get("keywords")
    if isinstance(keywords, str):
        art.keywords = [k for k in KEYWORD_SPLIT.split(keywords.strip()) if k]
    elif isinstance(keywords, list):
        art.keywords = [str(k) for k in keywords]
    elif keywords is not None:
        bad("keywords", "expected a list or text; ignored", False)
    art.extra = {k: v for k, v in raw.items() if k not in KNOWN}
    art.lang = art.lang.lower() or langdetect.guess(art.text)
    return art, problems


def _jsonl(path: Path) -> Iterator[tuple[int, dict | BadInput]]:
    with _open_text(path) as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                raw = json.loads(line)
            except json.JSONDecodeError as exc:
                yield n, BadInput(str(path), n, "json", f"malformed JSON: {exc.msg} at column {exc.colno}")
                continue
            if not isinstance(raw, dict):
                yield n, BadInput(str(path), n, "json", f"expected an object, got {type(raw).__name__}")
                continue
            yield n, raw


def _csv(path: Path) -> Iterator[tuple[int, dict | BadInput]]:
    with _open_text(path) as f:
        reader = csv.DictReader(f)
        start = 2
        for row in reader:
            if None in row:  # more cells than the header has columns
                yield start, BadInput(str(path), start, "row", f"{len(row[None])} cell(s) beyond the header")
            else:
                yield start, {k: v for k, v in row.items() if v is not None and (v != "" or k in ("id", "body"))}
            start = reader.line_num + 1


def _text_file(path: Path, root: Path) -> Iterator[tuple[int, Article | BadInput]]:
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        yield data[: exc.start].count(b"\n") + 1, BadInput(str(path), data[: exc.start].count(b"\n") + 1, "body", "invalid UTF-8")
        return
    stem = path.relative_to(root).with_suffix("").as_posix() if root != path else path.stem
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
                if f.is_file() and f.name.endswith(RECORD_SUFFIXES + TEXT_SUFFIXES):
                    yield f, src
        elif src.exists():  # a file, or a pipe streaming one
            yield src, src
        else:
            raise BadInput(str(src), 0, "path", "no such file or folder")


def read(sources: Iterable[str | Path]) -> Iterator[Article | Problem]:
    """Every article of every source, with a Problem for each bad record; ids are unique."""
    seen: dict[str, str] = {}
    for path, root in files_of(sources):
        if path.name.endswith(RECORD_SUFFIXES):
            records = _csv(path) if ".csv" in path.suffixes else _jsonl(path)
            unknown_told: set[str] = set()
            for line, item in records:
                if isinstance(item, BadInput):
                    yield Problem(item, True)
                    continue
                art, problems = from_record(item, str(path), line)
                yield from problems
                if art is None:
                    continue
                for key in art.extra:
                    if key not in unknown_told:  # once per file and field: the rest are counted
                        unknown_told.add(key)
                        yield Problem(BadInput(str(path), line, key, "unknown field; kept as extra"), False)
                yield from _unique(art, seen, str(path), line)
        else:
            for line, item in _text_file(path, root):
                if isinstance(item, BadInput):
                    yield Problem(item, True)
                elif not item.body:
                    yield Problem(BadInput(str(path), line, "body", "empty"), True)
                else:
                    item.lang = item.lang or langdetect.guess(item.text)
                    yield from _unique(item, seen, str(path), line)


def _unique(art: Article, seen: dict[str, str], file: str, line: int) -> Iterator[Article | Problem]:
    if art.id in seen:
        yield Problem(BadInput(file, line, "id", f"duplicate id '{art.id}' (first at {seen[art.id]})"), True)
    else:
        seen[art.id] = f"{file}:{line}"
        yield art
