"""One polling round: read the feeds, fetch the pages of new links, write their articles as one `add`.

Rounds repeat every `every` seconds. Whatever fails (a feed, a page, the write itself) is
logged once in the round and the round goes on; a page that failed for a passing reason is
tried again next round (watch/state.py). A killed poller restarts where it was: pages already
read wait in the state and are written first; nothing is fetched twice.
"""

from __future__ import annotations

import re
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import KW_ONLY, dataclass, field
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

import orjson

from akhbar.index.errors import AkhbarError
from akhbar.index.ingest import feed, webpage
from akhbar.index.stage import BuildSummary
from akhbar.index.store import layout, manifest, sql
from akhbar.watch.fetch import Fetcher, FetchFailed, Politeness
from akhbar.watch.state import State

Log = Callable[[str], None]


class Writer(Protocol):
    """What the poller writes through: akhbar.Index (facade.py), the one door to an index's writers."""

    root: Path

    def build(self, sources: Iterable[Path], *, on_problem: Callable) -> BuildSummary: ...

    def add(self, sources: Iterable[Path], *, on_problem: Callable) -> BuildSummary: ...


@dataclass(frozen=True)
class Poll:
    """How the poller runs: a round every `every` seconds (start to start), `rounds` times (None: until
    interrupted), pressing each site no harder than `politeness`."""

    every: float
    rounds: int | None = None
    politeness: Politeness = field(default_factory=Politeness)


_EVERY = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$")


def seconds_of(every: str) -> float:
    """'10m', '90s', '1h', '1d' or a number of seconds."""
    m = _EVERY.match(every)
    if not m:
        raise AkhbarError(f"--every: '{every}' is not a duration such as 90s, 10m or 1h")
    return float(m.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(2)]


def feed_urls(args: Iterable[str]) -> list[str]:
    """Feed URLs from the command line: each argument is a URL or a file of URLs (one a line, # comments)."""
    urls: list[str] = []
    for arg in args:
        if arg.startswith(("http://", "https://")):
            urls.append(arg)
            continue
        try:
            lines = Path(arg).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise AkhbarError(f"{arg}: neither an http(s) URL nor a readable file of URLs ({exc})") from None
        for n, line in enumerate(lines, 1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            if not line.startswith(("http://", "https://")):
                raise AkhbarError(f"{arg}:{n}: field 'url': '{line[:80]}' is not an http(s) URL")
            urls.append(line)
    if not urls:
        raise AkhbarError("no feed URLs given")
    return list(dict.fromkeys(urls))


@dataclass
class RoundSummary:
    """What one round did; `fetching`, `extracting` and `writing` are seconds (writing = embedding + storing)."""

    round: int
    feeds_read: int = 0
    feeds_unchanged: int = 0  # answered 304 Not Modified
    links: int = 0  # distinct article links in the feeds read
    fetched: int = 0  # pages requested
    _: KW_ONLY  # the fields below are named at every call
    new_articles: int = 0  # written to the index this round
    already_had: int = 0  # links not fetched: in the index or fetched before
    failures: int = 0
    fetching: float = 0.0
    extracting: float = 0.0
    writing: float = 0.0
    articles: int = 0  # in the index after the round
    version: str = ""

    def line(self) -> str:
        return (
            f"round {self.round}: {self.feeds_read} feeds read ({self.feeds_unchanged} unchanged), {self.new_articles} new articles, "
            f"{self.failures} failures; fetching {self.fetching:.1f} s, extracting {self.extracting:.1f} s, "
            f"writing {self.writing:.1f} s; {self.articles:,} articles in the index"
        )


def _by_host(links: list[str]) -> list[str]:
    """Links interleaved host by host, so one site's delay overlaps the others' requests."""
    queues: dict[str, list[str]] = defaultdict(list)
    for link in links:
        queues[urlsplit(link).netloc.lower()].append(link)
    out: list[str] = []
    while queues:
        for host in list(queues):
            out.append(queues[host].pop(0))
            if not queues[host]:
                del queues[host]
    return out


class _KnownIds:
    """Which ids the live index holds (read-only, one connection per round); none before the first build."""

    def __init__(self, root: Path) -> None:
        self.con = None
        if (root / layout.CURRENT).exists():
            self.con = sql.connect_readonly(layout.current_version(root))

    def has(self, article_id: str) -> bool:
        return self.con is not None and sql.current(self.con, article_id) is not None

    def close(self) -> None:
        if self.con is not None:
            self.con.close()


def run_round(n: int, index: Writer, feeds: list[str], fetcher: Fetcher, *, state: State, log: Log) -> RoundSummary:
    """Poll every feed once, fetch each new link's page, and write the new articles in one write."""
    root = index.root
    s = RoundSummary(n)
    fetcher.new_round()
    fetcher.seconds = 0.0
    told: set[str] = set()

    def fail(what: str, reason: str) -> None:
        s.failures += 1
        if what not in told:  # once per round, however many feeds list it
            told.add(what)
            log(f"warning: round {n}: {what}: {reason}")

    validators: dict[str, tuple[str, str]] = {}
    links: dict[str, None] = {}
    for url in feeds:
        etag, modified = state.validators(url)
        try:
            resp = fetcher.get(url, etag, modified)
        except FetchFailed as exc:
            fail(url, exc.reason)
            continue
        if resp.status == 304:
            s.feeds_unchanged += 1
            log(f"round {n}: {url}: unchanged")
            continue
        try:
            parsed = feed.parse(resp.data, resp.content_type)
        except feed.NotAFeed as exc:
            fail(url, str(exc))
            continue
        s.feeds_read += 1
        validators[url] = (resp.etag, resp.last_modified)
        for entry in parsed.entries:
            if entry.link:
                links.setdefault(entry.link)
        log(f"round {n}: {url}: {len(parsed.entries)} entries")
    s.links = len(links)
    for link in state.retries():
        links.setdefault(link)

    known = _KnownIds(root)
    try:
        todo = []
        for link in links:
            if state.known(link):
                s.already_had += 1
            elif known.has(link):
                state.already_indexed(link)
                s.already_had += 1
            else:
                todo.append(link)
        pending_ids = {a["id"] for a in state.pending()}
        for i, link in enumerate(_by_host(todo), 1):
            s.fetched += 1
            try:
                resp = fetcher.get(link, accept=webpage.HTML_TYPES)
            except FetchFailed as exc:
                state.failed(link, exc.reason, exc.retry)
                fail(link, exc.reason)
                continue
            started = time.perf_counter()
            try:
                art = webpage.article_of(resp.data, resp.url, resp.content_type, origin=link)
            except webpage.NotAnArticle as exc:
                state.failed(link, str(exc), False)
                fail(link, str(exc))
                continue
            finally:
                s.extracting += time.perf_counter() - started
            if art.id in pending_ids or (art.id != link and (state.known(art.id) or known.has(art.id))):
                state.already_indexed(link)  # another address of an article we have
                s.already_had += 1
                continue
            state.fetched(link, art)
            pending_ids.add(art.id)
            log(f"round {n}: page {i}/{len(todo)}: {art.id}")
    finally:
        known.close()
    s.fetching = fetcher.seconds

    pending = state.pending()
    if pending:
        started = time.perf_counter()
        try:
            summary = _write(index, state, pending, log)
        except AkhbarError as exc:
            fail("write", f"{exc} (the {len(pending)} fetched articles are kept and written next round)")
            return _finish(s, root)
        finally:
            s.writing = time.perf_counter() - started
        s.new_articles = summary.indexed
    state.written(validators)
    return _finish(s, root)


def _write(index: Writer, state: State, records: list[dict], log: Log) -> BuildSummary:
    """The pending articles as one write (a build when there is no index yet), from a JSON Lines file
    that stays byte-identical across a restart, so a killed write resumes instead of starting over."""
    data = b"".join(orjson.dumps(r) + b"\n" for r in records)
    path = state.folder / "round.jsonl"
    if not path.exists() or path.read_bytes() != data:
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(data)
        tmp.replace(path)
    writer = index.add if (index.root / layout.CURRENT).exists() else index.build
    summary = writer([path], on_problem=lambda p: log(f"warning: {p}"))
    path.unlink()
    return summary


def _finish(s: RoundSummary, root: Path) -> RoundSummary:
    if (root / layout.CURRENT).exists():
        version = layout.current_version(root)
        s.version, s.articles = version.name, manifest.Manifest.load(version).articles
    return s


def watch(index: Writer, feeds: list[str], poll: Poll, fetcher: Fetcher, *, log: Log, on_round: Callable[[RoundSummary], None]) -> None:
    """Run rounds as `poll` says, writing through `index`."""
    if layout.is_foreign(index.root):
        raise AkhbarError(f"{index.root}: exists and is not an akhbar index; refusing to write into it")
    state = State(index.root)
    try:
        n = 0
        while poll.rounds is None or n < poll.rounds:
            n += 1
            started = time.monotonic()
            on_round(run_round(n, index, feeds, fetcher, state=state, log=log))
            if poll.rounds is not None and n >= poll.rounds:
                break
            time.sleep(max(0.0, started + poll.every - time.monotonic()))
    finally:
        state.close()
