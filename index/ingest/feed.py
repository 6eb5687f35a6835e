"""RSS and Atom feeds (feedparser): the entries' links for `akhbar watch`, and entries as articles for build/add.

A feed file given to build or add is indexed from what it carries (each entry's full content,
else its summary): index/ fetches nothing. Problems are located by entry number, the way
record files are by line: `FILE:N` is the Nth entry.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import urlsplit

import feedparser
import lxml.html
from lxml.etree import ParserError

from akhbar.index.article import Article
from akhbar.index.errors import BadInput
from akhbar.index.ingest import language, webpage

FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/xml", "text/xml")
_BLOCKS = {"p", "br", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "tr", "section", "article"}
_SPACES = re.compile(r"[ \t\u00a0]+")


class NotAFeed(ValueError):
    """Bytes that feedparser cannot read as a feed; the message says why."""


@dataclass(frozen=True)
class Entry:
    """One item of a feed: where its article lives and what the feed says of it."""

    link: str  # canonical URL, '' when the entry has none
    title: str
    text: str  # the entry's content (or summary) as plain text
    date: str  # ISO 8601, '' when the feed gives none
    lang: str  # the feed's or entry's declared language, '' when none


@dataclass(frozen=True)
class Feed:
    title: str
    entries: list[Entry]


def _text(html: str) -> str:
    """Plain text of an entry's (sanitised) HTML, one paragraph a line."""
    if "<" not in html:
        return html.strip()
    try:
        root = lxml.html.fragment_fromstring(html, create_parent="div")
    except (ParserError, ValueError):
        return html.strip()
    for el in root.iter():
        if isinstance(el.tag, str) and el.tag.lower() in _BLOCKS:
            el.tail = "\n" + (el.tail or "")
    lines = (_SPACES.sub(" ", line).strip() for line in root.text_content().splitlines())
    return "\n".join(line for line in lines if line)


def _date(entry: dict) -> str:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        parsed = entry.get(key)
        if parsed:
            try:
                return datetime.fromtimestamp(calendar.timegm(parsed), timezone.utc).replace(tzinfo=None).isoformat(timespec="seconds")
            except (OverflowError, ValueError, OSError):
                continue
    return ""


def parse(data: bytes, content_type: str | None = None) -> Feed:
    """The feed's entries, in feed order; raises NotAFeed when there is no feed in the bytes.

    A feed with an XML fault that feedparser's lenient parser still reads is kept (feeds in the
    wild often have one); one that yields no feed at all is not.
    """
    headers = {"content-type": content_type} if content_type else {}
    d = feedparser.parse(data, response_headers=headers, sanitize_html=True, resolve_relative_uris=True)
    if not d.get("version") and not d.entries:
        why = d.get("bozo_exception")
        raise NotAFeed(f"not an RSS or Atom feed ({str(why).splitlines()[0][:80] if why else 'no feed elements'})")
    feed_lang = str(d.feed.get("language", "") or "").split("-")[0].lower()
    entries = []
    for e in d.entries:
        contents = [c.get("value", "") for c in e.get("content", []) if c.get("value")]
        html = max(contents, key=len) if contents else e.get("summary", "")
        link = e.get("link") or (e.get("id") if str(e.get("id", "")).startswith(("http://", "https://")) else "")
        lang = str(e.get("language", "") or "").split("-")[0].lower() or feed_lang
        entries.append(Entry(webpage.canonical(link or ""), _text(e.get("title", "")), _text(html), _date(e), lang))
    return Feed(_text(d.feed.get("title", "")), entries)


def articles(data: bytes, file: str) -> Iterator[tuple[int, Article | BadInput]]:
    """A feed file's entries as articles (entry N reported as FILE:N); the file once when it is not a feed."""
    try:
        feed = parse(data)
    except NotAFeed as exc:
        yield 1, BadInput(file, 1, "file", f"{exc}; skipped as a whole")
        return
    for n, e in enumerate(feed.entries, 1):
        if not e.link:
            yield n, BadInput(file, n, "link", "missing: an entry's id is its article's URL")
        elif not e.text:
            yield n, BadInput(file, n, "body", "empty: the entry carries no content or summary")
        else:
            art = Article(
                id=e.link,
                title=e.title,
                body=e.text,
                date=e.date,
                url=e.link,
                source=feed.title or urlsplit(e.link).hostname or "",
                origin=f"{file}:{n}",
            )
            art.lang = language.guess(art.text) or e.lang
            yield n, art
