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


# Checkpoint tables of a writer's staging copy, dropped before it is published.
CHECKPOINT = """
CREATE TABLE IF NOT EXISTS job (consumed INTEGER NOT NULL, dim INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS replaced (pos INTEGER PRIMARY KEY);
"""


def open_stage(folder: Path, base: Path | None) -> sqlite3.Connection:
    """The staging database: resumed as left, else a copy of the base version's (or empty)."""
    path = folder / DB
    fresh = not path.exists()
    con = sqlite3.connect(path)
    if fresh:
        if base is not None:
            with sqlite3.connect(f"file:{base / DB}?mode=ro", uri=True) as src:
                src.backup(con)
        else:
            con.executescript(SCHEMA)
    con.executescript(CHECKPOINT)
    if con.execute("SELECT COUNT(*) FROM job").fetchone()[0] == 0:
        con.execute("INSERT INTO job VALUES (0, 0)")
    con.commit()
    return con


def progress(con: sqlite3.Connection) -> tuple[int, int]:
    """(input articles a killed run of this job already handled, vector dimension it wrote)."""
    return con.execute("SELECT consumed, dim FROM job").fetchone()


def checkpoint(con: sqlite3.Connection, consumed_total: int, dim: int) -> None:
    """Commit the batch and the count of input articles handled, in one transaction."""
    con.execute("UPDATE job SET consumed = ?, dim = ?", (consumed_total, dim))
    con.commit()


def next_position(con: sqlite3.Connection) -> int:
    """One past the highest position used, live or dropped: how many vector rows must exist."""
    return con.execute("SELECT MAX(IFNULL((SELECT MAX(pos) FROM articles), -1), "
                       "IFNULL((SELECT MAX(pos) FROM replaced), -1)) + 1").fetchone()[0]


def hashes(con: sqlite3.Connection) -> dict[str, int]:
    """Content hash → a position holding its vector (for texts embedded before)."""
    return {h: p for p, h in con.execute("SELECT pos, hash FROM articles")}


def current(con: sqlite3.Connection, article_id: str) -> tuple[int, str] | None:
    """(position, content hash) of an id in this version, or None."""
    return con.execute("SELECT pos, hash FROM articles WHERE id = ?", (article_id,)).fetchone()


def drop(con: sqlite3.Connection, pos: int) -> None:
    """Take an article out; its vector row goes at compaction."""
    con.execute("DELETE FROM articles WHERE pos = ?", (pos,))
    con.execute("INSERT OR IGNORE INTO replaced VALUES (?)", (pos,))


def compact(con: sqlite3.Connection) -> list[int] | None:
    """Renumber positions 0..n-1 in order; returns the old positions kept, or None if nothing moved."""
    if con.execute("SELECT COUNT(*) FROM replaced").fetchone()[0] == 0:
        return None
    kept = [r[0] for r in con.execute("SELECT pos FROM articles ORDER BY pos")]
    con.execute("CREATE TEMP TABLE renumber AS SELECT pos AS old, ROW_NUMBER() OVER (ORDER BY pos) - 1 AS new FROM articles")
    # via negative numbers, so no intermediate value collides with a live primary key
    con.execute("UPDATE articles SET pos = -1 - (SELECT new FROM renumber WHERE old = articles.pos)")
    con.execute("UPDATE articles SET pos = -1 - pos")
    con.execute("DROP TABLE renumber")
    return kept


def finish(con: sqlite3.Connection, vacuum: bool) -> None:
    """Drop the checkpoint tables: what is published is a plain index. Vacuum after deletions only:
    on a large index it rewrites the whole file."""
    con.executescript("DROP TABLE IF EXISTS job; DROP TABLE IF EXISTS replaced;")
    con.commit()
    if vacuum:
        con.execute("VACUUM")


def count(con: sqlite3.Connection) -> int:
    return con.execute("SELECT COUNT(*) FROM articles").fetchone()[0]


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


def _where(lang: str | None, source: str | None, since: str | None, until: str | None) -> tuple[str, list[str]]:
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
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), args


def positions_where(con: sqlite3.Connection, lang: str | None = None, source: str | None = None,
                    since: str | None = None, until: str | None = None) -> list[int]:
    """Positions of articles matching every given filter (dates compare by day, inclusive)."""
    where, args = _where(lang, source, since, until)
    return [r[0] for r in con.execute("SELECT pos FROM articles" + where, args)]


def count_where(con: sqlite3.Connection, lang: str | None = None, source: str | None = None,
                since: str | None = None, until: str | None = None) -> int:
    where, args = _where(lang, source, since, until)
    return con.execute("SELECT COUNT(*) FROM articles" + where, args).fetchone()[0]


def languages(con: sqlite3.Connection, start: int, stop: int) -> list[str]:
    """Languages of positions start..stop-1, in position order."""
    return [r[0] for r in con.execute("SELECT lang FROM articles WHERE pos >= ? AND pos < ? ORDER BY pos", (start, stop))]


def languages_at(con: sqlite3.Connection, positions: Sequence[int]) -> list[str]:
    """Languages of the given positions, in the given order (one indexed lookup each)."""
    found = {r[0]: r[1] for r in con.execute(
        f"SELECT pos, lang FROM articles WHERE pos IN ({','.join('?' * len(positions))})", [int(p) for p in positions])}
    return [found[int(p)] for p in positions]


def summary(con: sqlite3.Connection) -> dict[str, object]:
    """Counts by language and source, and the date range, for `akhbar stats`."""
    langs = dict(con.execute("SELECT lang, COUNT(*) FROM articles GROUP BY lang ORDER BY 2 DESC").fetchall())
    sources = con.execute("SELECT COUNT(DISTINCT source) FROM articles").fetchone()[0]
    first, last = con.execute("SELECT MIN(NULLIF(day, '')), MAX(NULLIF(day, '')) FROM articles").fetchone()
    return {"languages": langs, "sources": sources, "first_day": first or "", "last_day": last or ""}
