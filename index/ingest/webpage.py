"""One news web page (HTML bytes) as an Article: trafilatura finds the article, htmldate its date.

Used by every reader of pages: `.html` files, WARC records, feeds' linked pages fetched by
`akhbar watch`, and HTML posted to the server. The bytes are decoded here, not by the
extractor, because pages lie about their charset: valid UTF-8 is UTF-8 whatever the header
says; otherwise the charsets the page and the server declare are tried, then a guess
(charset_normalizer). The id is the canonical URL (the page's <link rel=canonical> or og:url,
else the address it was fetched from), normalised so the same article has one id.
"""

from __future__ import annotations

import codecs
import re
from urllib.parse import urldefrag, urljoin, urlsplit

import charset_normalizer
import courlan
import htmldate
import trafilatura
from trafilatura.utils import load_html

from akhbar.index.article import Article
from akhbar.index.ingest import language

HTML_TYPES = ("text/html", "application/xhtml+xml")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9_.:-]+)", re.IGNORECASE)
MAX_PAGE_BYTES = 5 << 20  # a larger "page" is a file download or a trap, not an article
_MIN_BODY = 200  # characters: less is a teaser, an index page or an error page, not an article


class NotAnArticle(ValueError):
    """A page from which no article can be extracted; the message says why, in a few words."""


def canonical(url: str) -> str:
    """The one spelling of an article's address: no fragment, tracking parameters dropped, host in lower case."""
    url = urldefrag(url.strip())[0]
    if not url:
        return ""
    try:
        return courlan.normalize_url(url)
    except ValueError:
        return url


def is_html_type(content_type: str | None) -> bool:
    """True for an HTML media type, and for none given (a file, a record without the header)."""
    return not content_type or content_type.split(";")[0].strip().lower() in HTML_TYPES


def _charset(name: bytes | str | None) -> str | None:
    if not name:
        return None
    try:
        return codecs.lookup(name.decode("ascii", "replace") if isinstance(name, bytes) else name).name
    except LookupError:
        return None


def decode(data: bytes, content_type: str | None = None) -> str:
    """The page as text: UTF-8 when it is valid UTF-8, else its declared charsets, else a guess."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    declared = [_charset(m) for m in _META_CHARSET.findall(data[:4096])]
    header = _HEADER_CHARSET.search(content_type or "")
    declared.append(_charset(header.group(1)) if header else None)
    for name in dict.fromkeys(d for d in declared if d and d != "utf-8"):
        try:
            return data.decode(name)
        except UnicodeDecodeError:
            continue
    best = charset_normalizer.from_bytes(data[: 1 << 20]).best()
    return str(best) if best is not None else data.decode("utf-8", "replace")


def _extract(tree, url: str, fast: bool):
    """trafilatura's extraction; `fast` skips its fallback extractors, which cost ~3x on a typical page."""
    return trafilatura.bare_extraction(
        tree, url=url or None, fast=fast, with_metadata=True, include_comments=False, include_tables=False, deduplicate=False
    )


def article_of(data: bytes, url: str = "", content_type: str | None = None, origin: str = "", fallback_id: str = "") -> Article:
    """The page's article; raises NotAnArticle when the bytes are not an HTML article.

    Args:
        data: the page as fetched or stored.
        url: where it was fetched from ('' for a file): the id when the page names no canonical URL.
        content_type: the server's Content-Type header, if any (its charset is one candidate).
        origin: 'file:record' for messages.
        fallback_id: the id of a page that names no address and was given none (a file: its path).
    """
    if not is_html_type(content_type):
        raise NotAnArticle(f"not HTML ({(content_type or '').split(';')[0].strip()})")
    text = decode(data, content_type)
    tree = load_html(text)
    if tree is None:
        raise NotAnArticle("not HTML")
    named = _named(tree)
    doc = _extract(tree, url, fast=True)
    body = (doc.text or "").strip() if doc is not None else ""
    if len(body) < _MIN_BODY:  # trafilatura's own pass found too little: its fallbacks (readability, jusText) try
        doc = _extract(load_html(text), url, fast=False)
        body = (doc.text or "").strip() if doc is not None else ""
    if len(body) < _MIN_BODY:
        raise NotAnArticle("no article text found" if not body else f"no article text found (only {len(body)} characters)")
    address = _address(named, url)
    if not address and not fallback_id:
        raise NotAnArticle("no URL: the page names no canonical address")
    date = htmldate.find_date(tree, url=address or None, original_date=True, extensive_search=False) or ""
    title = (doc.title or "").strip()
    first, _, rest = body.partition("\n")
    if title and first.strip() == title and rest.strip():  # the headline is the title, not body text
        body = rest.strip()
    art = Article(
        id=address or fallback_id,
        body=body,
        title=title,
        date=date,
        url=address,
        source=(doc.sitename or "").strip() or (urlsplit(address).hostname or ""),
        origin=origin,
    )
    art.lang = language.guess(art.text) or str(tree.get("lang") or "").split("-")[0].strip().lower()[:8]
    return art


def _named(tree) -> str:
    """The address a page gives itself: <link rel=canonical>, else og:url (read here: trafilatura drops a relative one)."""
    for link in tree.iterfind(".//link[@href]"):
        if "canonical" in (link.get("rel") or "").lower().split():
            return link.get("href", "").strip()
    for meta in tree.iterfind(".//meta[@content]"):
        if (meta.get("property") or meta.get("name") or "").lower() == "og:url":
            return meta.get("content", "").strip()
    return ""


def _address(named: str, fetched: str) -> str:
    """The article's id: the address the page names (relative resolved against where it came from),
    else where it came from. A page naming its site's front page as its
    address (a common misconfiguration) would give every article one id: there the fetched address wins."""
    named = canonical(urljoin(fetched, named)) if named else ""
    if named and fetched and urlsplit(named).path in ("", "/") and urlsplit(fetched).path not in ("", "/"):
        named = ""
    return named or canonical(fetched)
