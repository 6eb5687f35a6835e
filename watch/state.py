"""What the poller remembers between rounds and across kill -9: one SQLite file in the index folder.

SQLite commits are atomic and durable, so each fact is written once, when it becomes true:
a fetched article is stored (`pending`) the moment its page is read, so a killed poller never
fetches it again; a round's write marks its articles `indexed` and saves the feeds' validators
(ETag, Last-Modified) in one transaction after the index has published them.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
from pathlib import Path

import orjson

from akhbar.index.article import Article
from akhbar.index.errors import IndexLocked

FOLDER = "watch"  # inside the index folder (index/store/layout.py lets it be there before the first build)
SCHEMA = """
CREATE TABLE IF NOT EXISTS feeds (url TEXT PRIMARY KEY, etag TEXT NOT NULL, last_modified TEXT NOT NULL);
-- status: pending (fetched, waiting for the round's write), indexed, given_up (never tried again), retry
CREATE TABLE IF NOT EXISTS links (url TEXT PRIMARY KEY, status TEXT NOT NULL, tries INTEGER NOT NULL DEFAULT 0,
                                  reason TEXT NOT NULL DEFAULT '', article BLOB);
"""
MAX_TRIES = 3  # a page that failed for a passing reason (timeout, 5xx) is tried in this many rounds


class State:
    def __init__(self, index_root: Path) -> None:
        folder = index_root / FOLDER
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self._lock = open(folder / "LOCK", "a+")  # noqa: SIM115 - held for the poller's life
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock.seek(0)
            pid = self._lock.read().strip() or "?"
            self._lock.close()
            raise IndexLocked(f"{index_root}: another akhbar watch (pid {pid}) polls for this index") from None
        self._lock.seek(0)
        self._lock.truncate()
        self._lock.write(str(os.getpid()))
        self._lock.flush()
        self.con = sqlite3.connect(folder / "state.sqlite", isolation_level=None)
        self.con.execute("PRAGMA journal_mode=WAL")
        self.con.execute("PRAGMA synchronous=FULL")
        self.con.executescript(SCHEMA)

    def close(self) -> None:
        self.con.close()
        self._lock.close()

    def validators(self, feed: str) -> tuple[str, str]:
        row = self.con.execute("SELECT etag, last_modified FROM feeds WHERE url = ?", (feed,)).fetchone()
        return (row[0], row[1]) if row else ("", "")

    def known(self, url: str) -> bool:
        """True when this link needs no fetch: fetched already, indexed, or given up on."""
        row = self.con.execute("SELECT status FROM links WHERE url = ?", (url,)).fetchone()
        return row is not None and row[0] != "retry"

    def fetched(self, link: str, article: Article) -> None:
        """The page at `link` was read: its article waits for the round's write (survives a kill)."""
        blob = orjson.dumps(article.record())
        self.con.execute(
            "INSERT INTO links(url, status, article) VALUES (?, 'pending', ?) "
            "ON CONFLICT(url) DO UPDATE SET status = 'pending', article = excluded.article",
            (link, blob),
        )

    def already_indexed(self, link: str) -> None:
        self.con.execute(
            "INSERT INTO links(url, status) VALUES (?, 'indexed') ON CONFLICT(url) DO UPDATE SET status = 'indexed', article = NULL",
            (link,),
        )

    def failed(self, link: str, reason: str, retry: bool) -> None:
        """A page that gave no article: tried again in a later round while `retry` and under MAX_TRIES."""
        row = self.con.execute("SELECT tries FROM links WHERE url = ?", (link,)).fetchone()
        tries = (row[0] if row else 0) + 1
        status = "retry" if retry and tries < MAX_TRIES else "given_up"
        self.con.execute(
            "INSERT INTO links(url, status, tries, reason) VALUES (?, ?, ?, ?) ON CONFLICT(url) DO UPDATE "
            "SET status = excluded.status, tries = excluded.tries, reason = excluded.reason",
            (link, status, tries, reason),
        )

    def retries(self) -> list[str]:
        """Links that failed for a passing reason: tried again this round even if no feed lists them any more."""
        return [u for (u,) in self.con.execute("SELECT url FROM links WHERE status = 'retry' ORDER BY url")]

    def pending(self) -> list[dict]:
        """Articles fetched and not yet written (this round's, and a killed round's), in a stable order."""
        return [orjson.loads(blob) for (blob,) in self.con.execute("SELECT article FROM links WHERE status = 'pending' ORDER BY url")]

    def written(self, feeds: dict[str, tuple[str, str]]) -> None:
        """After the index published the pending articles: mark them indexed and keep the feeds' validators."""
        with self.con:
            self.con.execute("BEGIN IMMEDIATE")
            self.con.execute("UPDATE links SET status = 'indexed', article = NULL WHERE status = 'pending'")
            self.con.executemany(
                "INSERT INTO feeds(url, etag, last_modified) VALUES (?, ?, ?) ON CONFLICT(url) DO UPDATE "
                "SET etag = excluded.etag, last_modified = excluded.last_modified",
                [(u, e, m) for u, (e, m) in feeds.items()],
            )
