"""A polite HTTP client for feeds and article pages: robots.txt, a per-host delay, conditional GET, limits.

Standard library only (urllib, zlib for gzip bodies): one request at a time, which is what a polite poller does per
host anyway. A fetch returns a Response or raises FetchFailed, which says whether trying again
in a later round could help (a timeout, a 5xx, a refused connection) or not (a 404, a page over
the size limit, robots.txt says no).
"""

from __future__ import annotations

import http.client
import time
import urllib.error
import urllib.request
import urllib.robotparser
import zlib
from dataclasses import KW_ONLY, dataclass, field
from importlib.metadata import PackageNotFoundError, version
from urllib.parse import urlsplit

try:
    _VERSION = version("akhbar")
except PackageNotFoundError:
    _VERSION = "dev"
USER_AGENT = f"akhbar/{_VERSION} (news search; feed reader)"
ROBOTS_TOKEN = "akhbar"
CHUNK = 1 << 16


@dataclass(frozen=True)
class Politeness:
    """How hard the poller may press a site; the defaults suit a newsroom polling its own and others' feeds."""

    delay: float = 1.0  # seconds between two requests to one host (robots.txt's Crawl-delay, if longer, wins)
    timeout: float = 20.0  # seconds for a whole request, headers and body
    max_bytes: int = 5 << 20  # a larger page is a download or a trap, not an article


@dataclass(frozen=True)
class Response:
    url: str  # after redirects
    status: int  # 200, or 304 for a conditional GET that found nothing new
    content_type: str
    data: bytes
    etag: str
    _: KW_ONLY  # the fields below are named at every call
    last_modified: str


class FetchFailed(Exception):
    """A request that gave nothing usable; `retry` says whether a later round may succeed."""

    def __init__(self, url: str, reason: str, retry: bool) -> None:
        self.url, self.reason, self.retry = url, reason, retry
        super().__init__(f"{url}: {reason}")


@dataclass
class Fetcher:
    """One poller's client: remembers when it last asked each host, and each host's robots.txt."""

    polite: Politeness = field(default_factory=Politeness)
    _last: dict[str, float] = field(default_factory=dict)
    _robots: dict[str, urllib.robotparser.RobotFileParser | bool] = field(default_factory=dict)
    seconds: float = 0.0  # time spent in requests (waits for the per-host delay included)

    def new_round(self) -> None:
        """Read robots.txt again: a site may have changed its rules since the last round."""
        self._robots.clear()

    def _wait_turn(self, host: str, delay: float) -> None:
        gap = time.monotonic() - self._last.get(host, float("-inf"))
        if gap < delay:
            time.sleep(delay - gap)
        self._last[host] = time.monotonic()

    def _raw(self, url: str, headers: dict[str, str], delay: float, accept: tuple[str, ...] = ()) -> Response:
        host = urlsplit(url).netloc.lower()
        self._wait_turn(host, delay)
        headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "gzip", **headers}
        if accept:
            headers["Accept"] = ", ".join(accept) + ", */*;q=0.1"
        deadline = time.monotonic() + self.polite.timeout
        try:
            with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=self.polite.timeout) as resp:
                ctype = resp.headers.get("Content-Type", "")
                if accept and ctype and ctype.split(";")[0].strip().lower() not in accept:
                    raise FetchFailed(url, f"not {accept[0]} ({ctype.split(';')[0].strip()}); not downloaded", False)
                length = resp.headers.get("Content-Length")
                if length and length.isdigit() and int(length) > self.polite.max_bytes:
                    raise FetchFailed(url, f"over the size limit ({int(length):,} bytes > {self.polite.max_bytes:,})", False)
                gzipped = resp.headers.get("Content-Encoding", "").strip().lower() in ("gzip", "x-gzip")
                unzip = zlib.decompressobj(16 + zlib.MAX_WBITS) if gzipped else None
                chunks, size = [], 0
                while chunk := resp.read(CHUNK):
                    if unzip is not None:  # the limit holds for what the page unpacks to (a gzip bomb stops here)
                        chunk = unzip.decompress(chunk, self.polite.max_bytes + 1 - size)
                    size += len(chunk)
                    if size > self.polite.max_bytes:
                        raise FetchFailed(url, f"over the size limit (more than {self.polite.max_bytes:,} bytes)", False)
                    if time.monotonic() > deadline:
                        raise FetchFailed(url, f"timed out after {self.polite.timeout:g} s", True)
                    chunks.append(chunk)
                if unzip is not None and (tail := unzip.flush()):
                    if size + len(tail) > self.polite.max_bytes:
                        raise FetchFailed(url, f"over the size limit (more than {self.polite.max_bytes:,} bytes)", False)
                    chunks.append(tail)
                return Response(
                    resp.url,
                    resp.status,
                    ctype,
                    b"".join(chunks),
                    resp.headers.get("ETag", ""),
                    last_modified=resp.headers.get("Last-Modified", ""),
                )
        except urllib.error.HTTPError as exc:
            if exc.code == 304:
                return Response(url, 304, "", b"", exc.headers.get("ETag", ""), last_modified=exc.headers.get("Last-Modified", ""))
            raise FetchFailed(url, f"HTTP {exc.code} {exc.reason}", exc.code >= 500 or exc.code in (408, 429)) from None
        except TimeoutError:
            raise FetchFailed(url, f"timed out after {self.polite.timeout:g} s", True) from None
        except urllib.error.URLError as exc:
            reason = exc.reason
            if isinstance(reason, TimeoutError):
                raise FetchFailed(url, f"timed out after {self.polite.timeout:g} s", True) from None
            raise FetchFailed(url, f"unreachable ({reason})", True) from None
        except zlib.error as exc:
            raise FetchFailed(url, f"broken gzip ({exc})", True) from None
        except (http.client.HTTPException, OSError) as exc:
            raise FetchFailed(url, f"broken response ({type(exc).__name__}: {exc})", True) from None

    def _rules(self, url: str) -> urllib.robotparser.RobotFileParser | bool:
        """The host's robots.txt (RFC 9309: none or a 4xx allows everything; a 5xx or no answer allows
        nothing, this round); True means all allowed."""
        parts = urlsplit(url)
        key = f"{parts.scheme}://{parts.netloc.lower()}"
        if key not in self._robots:
            try:
                resp = self._raw(f"{key}/robots.txt", {}, self.polite.delay)
            except FetchFailed as exc:
                self._robots[key] = not exc.retry
            else:
                rules = urllib.robotparser.RobotFileParser()
                rules.parse(resp.data.decode("utf-8", "replace").splitlines())
                self._robots[key] = rules
        return self._robots[key]

    def get(self, url: str, etag: str = "", last_modified: str = "", accept: tuple[str, ...] = ()) -> Response:
        """GET a URL that robots.txt allows, conditionally when a validator is given; a response whose
        Content-Type is not one of `accept` (when given) fails before its body is read."""
        started = time.monotonic()
        try:
            rules = self._rules(url)
            if rules is False:
                raise FetchFailed(url, "robots.txt could not be read; nothing fetched from this host this round", True)
            delay = self.polite.delay
            if rules is not True:
                if not rules.can_fetch(ROBOTS_TOKEN, url):
                    raise FetchFailed(url, "robots.txt disallows it", False)
                delay = max(delay, float(rules.crawl_delay(ROBOTS_TOKEN) or 0))
            headers = {}
            if etag:
                headers["If-None-Match"] = etag
            if last_modified:
                headers["If-Modified-Since"] = last_modified
            return self._raw(url, headers, delay, accept)
        finally:
            self.seconds += time.monotonic() - started
