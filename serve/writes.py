"""Writes over HTTP: the same writers as `akhbar add` and `akhbar remove`, with the server's model.

A request body (JSON Lines, or a JSON array of the same objects) is written to a file and read
by the same ingest code as `add`, so the rules and the per-line problem report are the same:
line N of JSON Lines, or element N of an array, is reported as `body:N`. Writes run one at a
time in this process; a CLI writer holding the index's lock makes a request fail with 409.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import orjson

from akhbar.index import writers
from akhbar.index.errors import AkhbarError, BadInput
from akhbar.index.ingest.readers import Problem


class WriteTimeout(AkhbarError):
    """A write that ran past its time: it is abandoned between batches and nothing is published."""


def _lines(body: bytes) -> bytes:
    """JSON Lines as given; a JSON array as one line per element (so element N is line N)."""
    if body.lstrip()[:1] != b"[":
        return body
    try:
        items = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise AkhbarError(f"body: malformed JSON array ({exc})") from None
    return b"".join(orjson.dumps(item) + b"\n" for item in items)


def _warning(p: Problem) -> str:
    e = p.error
    return f"body:{e.line}: field '{e.field}': {e.reason} ({'skipped' if p.skipped else 'kept'})"


def add(root: Path, body: bytes, embedder, seconds: float, strict: bool = False) -> dict:
    """Add or update the body's articles; returns add's summary and one warning per problem.

    Raises:
        AkhbarError: nothing could be indexed, a --strict problem, or the index is locked;
            `warnings` on the exception holds what was reported before.
        WriteTimeout: past `seconds` (checked after each embedded batch); the index is unchanged.
    """
    if not body.strip():
        raise AkhbarError("the body holds no articles: send JSON Lines or a JSON array of articles")
    warnings: list[str] = []
    deadline = time.monotonic() + seconds

    def on_progress(_: int) -> None:
        if time.monotonic() > deadline:
            raise WriteTimeout(f"the write took longer than {seconds:g} s and was abandoned; the index is unchanged")

    with tempfile.TemporaryDirectory(prefix="akhbar-post-") as tmp:
        path = Path(tmp) / f"api-{time.strftime('%Y%m%dT%H%M%S')}.jsonl"
        path.write_bytes(_lines(body))
        try:
            summary = writers.add(
                [path], root, strict=strict, on_problem=lambda p: warnings.append(_warning(p)), on_progress=on_progress, embedder=embedder
            )
        except BadInput as exc:  # --strict: the first problem, named by its place in the body
            fail = AkhbarError(f"body:{exc.line}: field '{exc.field}': {exc.reason}")
            fail.warnings = warnings  # type: ignore[attr-defined]
            raise fail from None
        except AkhbarError as exc:
            exc.warnings = warnings  # type: ignore[attr-defined]
            raise
    return {**summary.as_dict(), "warnings": warnings}


def remove(root: Path, article_id: str) -> dict:
    """Take one article out (it was checked to exist); returns remove's summary."""
    return writers.remove([article_id], root, strict=True).as_dict()
