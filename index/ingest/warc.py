"""WARC files (warcio), the format of web crawls such as CC-NEWS: each HTML response an article.

Records are numbered from 1 in file order, every record counted, so `FILE:N` names the Nth
record for any WARC tool. A response or resource that is not an HTML article (an image, a
redirect, a 404, a page with no article text) is reported at its number and skipped;
request, metadata, warcinfo and revisit records carry no page and are passed over silently.
A file that breaks off (a truncated .warc.gz) is read up to there.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

from akhbar.index.article import Article
from akhbar.index.errors import BadInput
from akhbar.index.ingest import webpage

PAGE_RECORDS = ("response", "resource")


def _page(record) -> tuple[str, str, int]:
    """(content type, target URI, HTTP status) of a response or resource record."""
    url = record.rec_headers.get_header("WARC-Target-URI") or ""
    if record.rec_type == "response" and record.http_headers is not None:
        status = int(record.http_headers.get_statuscode() or 0)
        return record.http_headers.get_header("Content-Type") or "", url, status
    return record.rec_headers.get_header("Content-Type") or "", url, 200


def _pages(f, file: str) -> Iterator[tuple[int, BadInput | tuple[str, str, bytes]]]:
    """(record number, (content type, url, bytes)) of each page record, or a BadInput for a record
    that holds no page or for where the file stops being readable. warcio's failures on a malformed
    file are several exception types (some its own bugs on odd headers): each ends the file, here."""
    records = iter(ArchiveIterator(f, check_digests=True))
    n = 0
    while True:
        try:
            record = next(records)
            n += 1
            if record.rec_type not in PAGE_RECORDS:
                continue
            content_type, url, status = _page(record)
            if status != 200:
                yield n, BadInput(file, n, "record", f"HTTP status {status} ({url[:100]}), not a page")
                continue
            data = record.content_stream().read(webpage.MAX_PAGE_BYTES + 1)
            if len(data) > webpage.MAX_PAGE_BYTES:
                yield n, BadInput(file, n, "record", f"over {webpage.MAX_PAGE_BYTES >> 20} MiB ({url[:100]})")
                continue
            if getattr(record.raw_stream, "limit", 0) > 0:  # the file ended before the record's Content-Length
                yield n, BadInput(file, n, "file", f"cut short in this record ({url[:100]}); nothing after it")
                return
            if record.digest_checker.passed is False:
                yield n, BadInput(file, n, "record", f"damaged: its digest does not match ({url[:100]})")
                continue
        except StopIteration:
            return
        except Exception as exc:  # noqa: BLE001 - see the docstring
            detail = f"{type(exc).__name__}: {str(exc).splitlines()[0][:100]}" if str(exc).strip() else type(exc).__name__
            yield n + 1, BadInput(file, n + 1, "file", f"unreadable WARC from record {n + 1} on ({detail})")
            return
        yield n, (content_type, url, data)


def articles(path: Path, file: str) -> Iterator[tuple[int, Article | BadInput]]:
    """The articles of a .warc or .warc.gz file, with a BadInput for each page record that holds none."""
    with open(path, "rb") as f:
        for n, page in _pages(f, file):
            if isinstance(page, BadInput):
                yield n, page
                continue
            content_type, url, data = page
            try:
                yield n, webpage.article_of(data, url, content_type, origin=f"{file}:{n}")
            except webpage.NotAnArticle as exc:
                yield n, BadInput(file, n, "record", f"{exc} ({url[:100]})")
