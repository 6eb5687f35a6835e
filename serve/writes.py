"""Writes over HTTP: akhbar.Index's add and remove (facade.py), as `akhbar add` and `akhbar remove` call them,
with the server's model.

A request body (JSON Lines, or a JSON array of the same objects; an HTML page; an RSS or Atom feed, by its
Content-Type) becomes records in memory (index/ingest/readers.py Records, named `body`) that the same ingest
rules check as a file's, so the per-record problem report is the same: line N of JSON Lines, element N of an
array or entry N of a feed is reported as `body:N`. An HTML page is one article, its id its canonical URL (or
the `url` given with it). Writes run one at a time in this process; a CLI writer holding the index's lock
makes a request fail with 409.
"""

from __future__ import annotations

import time
from pathlib import Path

import orjson

from akhbar.facade import Index
from akhbar.index.errors import AkhbarError, BadInput
from akhbar.index.ingest import feed, webpage
from akhbar.index.ingest.readers import Problem, Records, in_memory


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


def records_of(body: bytes, content_type: str, url: str | None) -> Records:
    """The body's articles, numbered as `add` reports them (body:N), by its Content-Type."""
    media = content_type.split(";")[0].strip().lower()
    if media in webpage.HTML_TYPES:
        try:
            article = webpage.article_of(body, url or "", content_type, origin="body:1")
        except webpage.NotAnArticle as exc:
            hint = "; send its address as ?url=" if str(exc).startswith("no URL") else ""
            raise AkhbarError(f"body: {exc}{hint}") from None
        return Records("body", [(1, article)])
    if media in feed.FEED_TYPES:
        return Records("body", list(feed.articles(body, "body")))
    return in_memory(_lines(body), "body")


def add(root: Path, body: bytes, embedder, seconds: float, *, strict: bool = False, content_type: str = "", url: str | None = None) -> dict:
    """Add or update the body's articles; returns add's summary and one warning per problem.

    `content_type` picks the reader (JSON by default); `url` is an HTML page's address when it names none.

    Raises:
        AkhbarError: nothing could be indexed, a --strict problem, or the index is locked;
            `warnings` on the exception holds what was reported before.
        WriteTimeout: past `seconds` (checked after each embedded batch); the index is unchanged.
    """
    if not body.strip():
        raise AkhbarError("the body holds no articles: send JSON Lines or a JSON array of articles, an HTML page or a feed")
    warnings: list[str] = []
    deadline = time.monotonic() + seconds

    def on_progress(_: int) -> None:
        if time.monotonic() > deadline:
            raise WriteTimeout(f"the write took longer than {seconds:g} s and was abandoned; the index is unchanged")

    def on_problem(p: Problem) -> None:
        warnings.append(str(p))

    records = records_of(body, content_type, url)
    try:
        summary = Index(root, embedder=embedder).add([records], strict=strict, on_problem=on_problem, on_progress=on_progress)
    except BadInput as exc:  # --strict: the first problem, named by its place in the body
        fail = AkhbarError(str(exc))
        fail.warnings = warnings  # type: ignore[attr-defined]  # the problems told before, for the 422 answer
        raise fail from None
    except AkhbarError as exc:
        exc.warnings = warnings  # type: ignore[attr-defined]  # the problems told before, for the error answer
        raise
    return {**summary.as_dict(), "warnings": warnings}


def remove(root: Path, article_id: str) -> dict:
    """Take one article out (it was checked to exist); returns remove's summary."""
    return Index(root).remove([article_id], strict=True).as_dict()
