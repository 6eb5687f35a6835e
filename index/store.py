"""All SQL: article metadata in SQLite, keyed by the FAISS position of each vector."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path

import orjson

from index.article import Article

DB = "articles.sqlite"
COLUMNS = ("pos", "id", "title", "body", "lang", "date", "day", "source", "url", "keywords", "related", "extra", "origin", "hash")
SCHEMA = """
CREATE TABLE articles (
    pos INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, title TEXT NOT NULL, body TEXT NOT NULL,
    lang TEXT NOT NULL, date TEXT NOT NULL, day TEXT NOT NULL, source TEXT NOT NULL, url TEXT NOT NULL,
    keywords TEXT NOT NULL, related TEXT NOT NULL, extra TEXT NOT NULL, origin TEXT NOT NULL, hash TEXT NOT NULL
);
CREATE INDEX articles_day ON articles(day);
CREATE INDEX articles_source ON articles(source);
CREATE INDEX articles_lang ON articles(lang);
"""
JSON_COLUMNS = ("keywords", "related", "extra")


def create(folder: Path) -> sqlite3.Connection:
    con = sqlite3.connect(folder / DB)
    con.executescript(SCHEMA)
    return con


def connect_readonly(folder: Path) -> sqlite3.Connection:
    con = sqlite3.connect(f"file:{folder / DB}?mode=ro", uri=True, check_same_thread=False)
    con.row_factory = sqlite3.Row
    return con


def insert(con: sqlite3.Connection, first_pos: int, articles: Sequence[Article]) -> None:
    rows = [
        (first_pos + i, a.id, a.title, a.body, a.lang, a.date, a.day, a.source, a.url,
         orjson.dumps(a.keywords).decode(), orjson.dumps(a.related).decode(), orjson.dumps(a.extra, default=str).decode(),
         a.origin, a.content_hash)
        for i, a in enumerate(articles)
    ]
    con.executemany(f"INSERT INTO articles VALUES ({','.join('?' * len(COLUMNS))})", rows)


def _row(r: sqlite3.Row) -> dict:
    d = dict(r)
    for c in JSON_COLUMNS:
        if c in d:
            d[c] = orjson.loads(d[c])
    return d


def by_id(con: sqlite3.Connection, article_id: str) -> dict | None:
    r = con.execute("SELECT * FROM articles WHERE id = ?", (article_id,)).fetchone()
    return _row(r) if r else None


def by_positions(con: sqlite3.Connection, positions: Iterable[int], columns: str = "*") -> dict[int, dict]:
    """Rows for the given positions, one indexed lookup each (O(k), never a scan)."""
    ps = [int(p) for p in positions]
    out: dict[int, dict] = {}
    for i in range(0, len(ps), 500):
        part = ps[i : i + 500]
        sql = f"SELECT {columns} FROM articles WHERE pos IN ({','.join('?' * len(part))})"
        out.update({r["pos"]: _row(r) for r in con.execute(sql, part)})
    return out


def positions_where(con: sqlite3.Connection, lang: str | None = None, source: str | None = None,
                    since: str | None = None, until: str | None = None) -> list[int]:
    """Positions of articles matching every given filter (dates compare by day, inclusive)."""
    clauses, args = [], []
    for column, value in (("lang", lang), ("source", source)):
        if value:
            clauses.append(f"{column} = ?")
            args.append(value)
    if since:
        clauses.append("day != '' AND day >= ?")
        args.append(since[:10])
    if until:
        clauses.append("day != '' AND day <= ?")
        args.append(until[:10])
    sql = "SELECT pos FROM articles" + (" WHERE " + " AND ".join(clauses) if clauses else "")
    return [r[0] for r in con.execute(sql, args)]


def languages(con: sqlite3.Connection, start: int, stop: int) -> list[str]:
    """Languages of positions start..stop-1, in position order."""
    return [r[0] for r in con.execute("SELECT lang FROM articles WHERE pos >= ? AND pos < ? ORDER BY pos", (start, stop))]


def summary(con: sqlite3.Connection) -> dict[str, object]:
    """Counts by language and source, and the date range, for `akhbar stats`."""
    langs = dict(con.execute("SELECT lang, COUNT(*) FROM articles GROUP BY lang ORDER BY 2 DESC").fetchall())
    sources = con.execute("SELECT COUNT(DISTINCT source) FROM articles").fetchone()[0]
    first, last = con.execute("SELECT MIN(NULLIF(day, '')), MAX(NULLIF(day, '')) FROM articles").fetchone()
    return {"languages": langs, "sources": sources, "first_day": first or "", "last_day": last or ""}
