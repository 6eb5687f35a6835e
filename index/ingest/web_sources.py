"""Files of the web for build/add: saved pages (.html, .htm), feeds (.xml, .rss, .atom) and WARC archives.

Each reader yields (record number, Article or BadInput) like index/ingest/readers.py's, so the
same rules hold: a bad record is reported once, at its file and number, and costs nothing else.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from akhbar.index.article import Article
from akhbar.index.errors import BadInput
from akhbar.index.ingest import feed, warc, webpage

PAGE_SUFFIXES = (".html", ".htm")
FEED_SUFFIXES = (".xml", ".rss", ".atom")
WARC_SUFFIXES = (".warc", ".warc.gz")
SUFFIXES = PAGE_SUFFIXES + FEED_SUFFIXES + WARC_SUFFIXES


def _page(path: Path, root: Path, file: str) -> Iterator[tuple[int, Article | BadInput]]:
    """A saved page: its id is its canonical URL, else (like a text file) its path without suffix."""
    with open(path, "rb") as f:
        data = f.read(webpage.MAX_PAGE_BYTES + 1)
    if len(data) > webpage.MAX_PAGE_BYTES:
        yield 1, BadInput(file, 1, "file", f"over {webpage.MAX_PAGE_BYTES >> 20} MiB, not a news page; skipped as a whole")
        return
    stem = path.relative_to(root).with_suffix("").as_posix() if root != path else path.stem
    try:
        yield 1, webpage.article_of(data, origin=f"{file}:1", fallback_id=stem)
    except webpage.NotAnArticle as exc:
        yield 1, BadInput(file, 1, "page", f"{exc}; skipped")


def items(path: Path, root: Path, file: str) -> Iterator[tuple[int, Article | BadInput]]:
    """The articles of one web file, by its suffix (SUFFIXES); `file` is its name for messages."""
    name = path.name.lower()
    try:
        if name.endswith(WARC_SUFFIXES):
            yield from warc.articles(path, file)
        elif name.endswith(FEED_SUFFIXES):
            yield from feed.articles(path.read_bytes(), file)
        else:
            yield from _page(path, root, file)
    except OSError as exc:  # cannot be opened or read (a WARC that breaks off is reported where it does, by warc.py)
        yield 1, BadInput(file, 1, "file", f"unreadable ({exc}); skipped as a whole")
