"""All SQL: article metadata in SQLite, keyed by the FAISS id (position) of each vector.

A version holds two databases. The base (`articles.sqlite`) never changes once published, so
later versions share it through a hard link; the delta (`delta.sqlite`) holds the articles
added since and the base positions removed since. Connections read both through one TEMP
VIEW named `articles`, so every query below sees the version's articles whatever their file.
Writes go to the delta only (`main.articles`, `main.removed`).
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import orjson

from akhbar.index.article import Article
from akhbar.index.filters import NONE, Filters
from akhbar.index.ingest import terms

DB = "articles.sqlite"
DELTA_DB = "delta.sqlite"
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
CREATE INDEX articles_hash ON articles(hash);
CREATE VIRTUAL TABLE terms USING fts5(words, detail=column);
CREATE TABLE stories (pos INTEGER PRIMARY KEY, story TEXT NOT NULL, link INTEGER NOT NULL, copied INTEGER NOT NULL,
                      copy_group TEXT NOT NULL);
CREATE INDEX stories_story ON stories(story);
CREATE INDEX stories_link ON stories(link);
CREATE INDEX stories_copy_group ON stories(copy_group);
CREATE INDEX stories_copied ON stories(pos) WHERE copied;
CREATE INDEX stories_first ON stories(pos) WHERE NOT copied;
"""
DELTA_SCHEMA = SCHEMA + "CREATE TABLE removed (pos INTEGER PRIMARY KEY);"  # dropped positions, base or delta
VIEW = (
    "CREATE TEMP VIEW articles AS SELECT * FROM base.articles WHERE pos NOT IN (SELECT pos FROM main.removed) "
    "UNION ALL SELECT * FROM main.articles"
)
# an article's lexical terms (index/ingest/terms.py) under its position, and how many articles have a term
TERMS_VIEW = (
    "CREATE TEMP VIEW article_terms AS SELECT rowid AS pos, words FROM base.terms WHERE rowid NOT IN "
    "(SELECT pos FROM main.removed) UNION ALL SELECT rowid AS pos, words FROM main.terms"
)
# each live article's story (the id of its first article), link (the position of the earlier
# article it joined, -1 for a story's first), whether it is a copy of that article (`copied`) and
# its copy group (the id of the group's first article): index/stories/links.py. A delta row
# overrides the base's.
STORY_COLUMNS = "pos, story, link, copied, copy_group"
STORY_VIEW = (
    f"CREATE TEMP VIEW story_of AS SELECT {STORY_COLUMNS} FROM main.stories UNION ALL "
    f"SELECT {STORY_COLUMNS} FROM base.stories WHERE pos NOT IN (SELECT pos FROM main.stories) "
    "AND pos NOT IN (SELECT pos FROM main.removed)"
)
LOST_LINK = -2  # a merged row whose link was removed: linked again before the merge is published
VOCAB = (
    "CREATE VIRTUAL TABLE temp.base_vocab USING fts5vocab(base, terms, 'row');"
    "CREATE VIRTUAL TABLE temp.delta_vocab USING fts5vocab(main, terms, 'row');"
)
JSON_COLUMNS = ("keywords", "related", "extra")


# Checkpoint table of a writer's staging delta, dropped before it is published.
CHECKPOINT = "CREATE TABLE IF NOT EXISTS job (consumed INTEGER NOT NULL, dim INTEGER NOT NULL);"


def create(path: Path, schema: str = SCHEMA, source: Path | None = None) -> None:
    """A new database file (a copy of `source`, else empty), written aside and renamed: never half made."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.unlink(missing_ok=True)
    with sqlite3.connect(tmp) as con:
        if source is not None:
            with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as src:
                src.backup(con)
        else:
            con.executescript(schema)
    con.close()
    os.replace(tmp, path)


def _connect(folder: Path, readonly: bool) -> sqlite3.Connection:
    con = sqlite3.connect(f"file:{folder / DELTA_DB}{'?mode=ro' if readonly else ''}", uri=True, check_same_thread=False)
    con.execute("ATTACH ? AS base", (f"file:{folder / DB}?mode=ro",))
    con.execute(VIEW)
    con.execute(TERMS_VIEW)
    con.execute(STORY_VIEW)
    con.executescript(VOCAB)
    return con


def open_stage(folder: Path, base: Path | None) -> sqlite3.Connection:
    """A writer's connection: the base version's databases (shared base, copied delta), resumed as left."""
    if not (folder / DB).exists():
        if base is not None:
            os.link(base / DB, folder / DB)  # read-only here: attached with mode=ro, replaced only by rename
        else:
            create(folder / DB)
    if not (folder / DELTA_DB).exists():
        create(folder / DELTA_DB, DELTA_SCHEMA, base / DELTA_DB if base is not None else None)
    con = _connect(folder, readonly=False)
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


def next_position(con: sqlite3.Connection, base_rows: int) -> int:
    """One past the highest position used, live or dropped: how many vector rows must exist."""
    return con.execute(
        "SELECT MAX(?, IFNULL((SELECT MAX(pos) FROM main.articles), -1) + 1, IFNULL((SELECT MAX(pos) FROM main.removed), -1) + 1)",
        (base_rows,),
    ).fetchone()[0]


def position_of_hash(con: sqlite3.Connection, content_hash: str) -> int | None:
    """A position holding the vector of this text, if it was embedded before."""
    r = con.execute("SELECT pos FROM articles WHERE hash = ? LIMIT 1", (content_hash,)).fetchone()
    return r[0] if r else None


def current(con: sqlite3.Connection, article_id: str) -> tuple[int, str] | None:
    """(position, content hash) of an id in this version, or None."""
    return con.execute("SELECT pos, hash FROM articles WHERE id = ?", (article_id,)).fetchone()


def drop(con: sqlite3.Connection, pos: int) -> None:
    """Take an article out; the base keeps its row, the view hides it, the next merge drops it."""
    con.execute("DELETE FROM main.articles WHERE pos = ?", (pos,))
    con.execute("DELETE FROM main.terms WHERE rowid = ?", (pos,))
    con.execute("DELETE FROM main.stories WHERE pos = ?", (pos,))
    con.execute("INSERT OR IGNORE INTO main.removed VALUES (?)", (pos,))


def base_rows(con: sqlite3.Connection) -> int:
    """Rows of the base database: positions 0..n-1 after a build or a merge (index/store/integrity.py)."""
    return con.execute("SELECT IFNULL(MAX(pos), -1) + 1 FROM base.articles").fetchone()[0]


def delta_counts(con: sqlite3.Connection, base_rows: int) -> tuple[int, int]:
    """(articles the delta adds, base positions it hides)."""
    return con.execute(
        "SELECT (SELECT COUNT(*) FROM main.articles), (SELECT COUNT(*) FROM main.removed WHERE pos < ?)", (base_rows,)
    ).fetchone()


def delta_size(con: sqlite3.Connection) -> int:
    """Rows the delta adds or hides: what a query pays for not having merged."""
    return con.execute("SELECT (SELECT COUNT(*) FROM main.articles) + (SELECT COUNT(*) FROM main.removed)").fetchone()[0]


def delta_rows(con: sqlite3.Connection) -> tuple[list[int], list[str]]:
    """(positions, languages) of the articles in the delta, in position order."""
    rows = con.execute("SELECT pos, lang FROM main.articles ORDER BY pos").fetchall()
    return [r[0] for r in rows], [r[1] for r in rows]


def merge_into(con: sqlite3.Connection, path: Path) -> list[int]:
    """Write the version's articles as one new base database, renumbered 0..n-1 in position order.

    Returns:
        the old position of each new one (to carry the vectors along).
    """
    create(path)
    con.commit()  # ATTACH cannot run inside a transaction
    con.execute("ATTACH ? AS merged", (str(path),))
    others = ", ".join(COLUMNS[1:])
    con.execute(f"INSERT INTO merged.articles SELECT ROW_NUMBER() OVER (ORDER BY pos) - 1, {others} FROM articles ORDER BY pos")
    con.execute(
        "INSERT INTO merged.terms(rowid, words) SELECT m.pos, t.words FROM merged.articles m "
        "JOIN articles a ON a.id = m.id JOIN article_terms t ON t.pos = a.pos"
    )
    con.execute(
        "INSERT INTO merged.stories SELECT m.pos, s.story, CASE WHEN s.link < 0 THEN -1 ELSE IFNULL(lm.pos, ?) END, "
        "s.copied, s.copy_group FROM story_of s JOIN articles a ON a.pos = s.pos JOIN merged.articles m ON m.id = a.id "
        "LEFT JOIN articles la ON la.pos = s.link LEFT JOIN merged.articles lm ON lm.id = la.id",
        (LOST_LINK,),
    )
    con.commit()
    con.execute("DETACH merged")
    return [r[0] for r in con.execute("SELECT pos FROM articles ORDER BY pos")]


def connect_merged(folder: Path) -> sqlite3.Connection:
    """A freshly merged base, writable, with the `story_of` view: its stories are written before it is published."""
    con = sqlite3.connect(folder / DB)
    con.execute(f"CREATE TEMP VIEW story_of AS SELECT {STORY_COLUMNS} FROM main.stories")
    return con


def unlinked_in_merged(con: sqlite3.Connection) -> list[int]:
    """Articles of a merged base without a story, or whose link was removed."""
    return [
        r[0]
        for r in con.execute(
            "SELECT pos FROM articles WHERE pos NOT IN (SELECT pos FROM stories) UNION SELECT pos FROM stories WHERE link = ?", (LOST_LINK,)
        )
    ]


def unlinked_in_delta(con: sqlite3.Connection) -> list[int]:
    """Articles a delta write leaves without a story: new ones, and those linked to a removed position."""
    return [
        r[0]
        for r in con.execute(
            "SELECT pos FROM main.articles WHERE pos NOT IN (SELECT pos FROM main.stories) "
            "UNION SELECT pos FROM story_of WHERE link IN (SELECT pos FROM main.removed)"
        )
    ]


def positions_in_language(con: sqlite3.Connection, lang: str) -> list[int]:
    """Positions of the live articles in one language (story_links: a language's nearest article)."""
    return [r[0] for r in con.execute("SELECT pos FROM articles WHERE lang = ?", (lang,))]


def removed_with_language(con: sqlite3.Connection, before: set[int]) -> list[tuple[int, str]]:
    """(position, language) of the articles the delta removed, but those in `before`; '' where the
    row went with it (added and removed within the delta)."""
    return [
        (r[0], r[1])
        for r in con.execute(
            "SELECT r.pos, IFNULL(b.lang, '') FROM main.removed r LEFT JOIN base.articles b ON b.pos = r.pos ORDER BY r.pos"
        )
        if r[0] not in before
    ]


def languages_held(con: sqlite3.Connection) -> set[str]:
    """The first and last language (by the lang index: two lookups a table) of the base and the delta,
    hidden articles included: one element when every article is in one language."""
    held: set[str] = set()
    for table in ("base.articles", "main.articles"):
        held.update(v for v in con.execute(f"SELECT MIN(lang), MAX(lang) FROM {table}").fetchone() if v is not None)
    return held


def removed_in(folder: Path) -> set[int]:
    """Positions a version's delta had removed (read-only): what a write on top of it did not remove."""
    con = sqlite3.connect(f"file:{folder / DELTA_DB}?mode=ro", uri=True)
    try:
        return {r[0] for r in con.execute("SELECT pos FROM removed")}
    finally:
        con.close()


def clear_stories(con: sqlite3.Connection) -> None:
    con.execute("DELETE FROM main.stories")


def stories_at(con: sqlite3.Connection, positions: Sequence[int], column: str) -> dict[int, Any]:
    """One column of the stories table (link, copy_group, …) for each live article among the
    positions (at most ~500 at a time)."""
    marks = ",".join("?" * len(positions))
    return dict(con.execute(f"SELECT pos, {column} FROM story_of WHERE pos IN ({marks})", [int(p) for p in positions]))


def story_link(con: sqlite3.Connection, pos: int) -> tuple[int, bool]:
    """(link, copied) of a live article."""
    link, copied = con.execute("SELECT link, copied FROM story_of WHERE pos = ?", (pos,)).fetchone()
    return link, bool(copied)


def children_of(con: sqlite3.Connection, positions: Sequence[int]) -> list[tuple[int, int, bool]]:
    """(pos, link, copied) of the articles whose story link is one of the positions (at most ~500)."""
    marks = ",".join("?" * len(positions))
    rows = con.execute(f"SELECT pos, link, copied FROM story_of WHERE link IN ({marks})", [int(p) for p in positions])
    return [(r[0], r[1], bool(r[2])) for r in rows]


def rows_at(con: sqlite3.Connection, positions: Sequence[int], columns: str) -> list[tuple]:
    """Columns of the live articles among the positions (at most ~500 at a time), as tuples."""
    return con.execute(
        f"SELECT {columns} FROM articles WHERE pos IN ({','.join('?' * len(positions))})", [int(p) for p in positions]
    ).fetchall()


def story_at(con: sqlite3.Connection, pos: int) -> str | None:
    r = con.execute("SELECT story FROM story_of WHERE pos = ?", (pos,)).fetchone()
    return r[0] if r else None


def groups_at(con: sqlite3.Connection, pos: int) -> tuple[str, str] | None:
    """(story, copy group) of a live article."""
    return con.execute("SELECT story, copy_group FROM story_of WHERE pos = ?", (pos,)).fetchone()


def copy_group_firsts(con: sqlite3.Connection, groups: Sequence[str], limit: int) -> dict[str, list[int]]:
    """The first `limit` live articles of each copy group, in arrival order."""
    return {
        g: [r[0] for r in con.execute("SELECT pos FROM story_of WHERE copy_group = ? ORDER BY pos LIMIT ?", (g, limit))] for g in groups
    }


def copy_group_sizes(con: sqlite3.Connection, groups: Sequence[str]) -> dict[str, int]:
    """How many live articles each copy group has (at most ~500 groups at a time)."""
    return _sizes(con, "copy_group", groups)


def _sizes(con: sqlite3.Connection, column: str, keys: Sequence[str]) -> dict[str, int]:
    """How many live articles have each key in a stories column (story, copy_group). Counted in the
    story view's two arms apart: index-only, ~10x faster than through the view."""
    marks = ",".join("?" * len(keys))
    size = dict(
        con.execute(
            f"SELECT {column}, COUNT(*) FROM (SELECT {column} FROM base.stories WHERE {column} IN ({marks}) "
            "AND pos NOT IN (SELECT pos FROM main.stories) AND pos NOT IN (SELECT pos FROM main.removed) "
            f"UNION ALL SELECT {column} FROM main.stories WHERE {column} IN ({marks})) GROUP BY {column}",
            [*keys, *keys],
        )
    )
    return {k: size.get(k, 0) for k in keys}


def copies_or_firsts(con: sqlite3.Connection, articles: int) -> tuple[bool, list[int]]:
    """(True, the live articles that copy an earlier one) when they are at most half of the
    `articles`, else (False, the first articles of copy groups): what a search over one article per
    group skips or keeps, read through whichever partial index is smaller (at 1M articles with
    hundreds of copies each, reading the copies took 0.23 s, the firsts 1 ms)."""
    half = articles // 2 + 1
    if con.execute("SELECT COUNT(*) FROM (SELECT 1 FROM story_of WHERE copied LIMIT ?)", (half,)).fetchone()[0] < half:
        return True, [r[0] for r in con.execute("SELECT pos FROM story_of WHERE copied")]
    return False, [r[0] for r in con.execute("SELECT pos FROM story_of WHERE NOT copied")]


def story_members(con: sqlite3.Connection, story: str, limit: int = -1) -> list[int]:
    """Positions of a story's live articles, in arrival order (the first `limit`; -1: all)."""
    return [r[0] for r in con.execute("SELECT pos FROM story_of WHERE story = ? ORDER BY pos LIMIT ?", (story, limit))]


def story_sizes(con: sqlite3.Connection, stories: Sequence[str]) -> dict[str, int]:
    """How many live articles each story has (at most ~500 stories at a time)."""
    return _sizes(con, "story", stories)


def story_rows(con: sqlite3.Connection) -> dict[int, tuple[str, int, int, str]]:
    """Every article's (story, link, copied, copy group) in a base, by position."""
    return {r[0]: tuple(r[1:]) for r in con.execute(f"SELECT {STORY_COLUMNS} FROM stories")}


def insert_stories(con: sqlite3.Connection, rows: Sequence[tuple[int, str, int, bool | int, str]]) -> None:
    """(position, story, link, copied, copy group) rows into the connection's main stories table."""
    con.executemany(f"INSERT OR REPLACE INTO main.stories ({STORY_COLUMNS}) VALUES (?, ?, ?, ?, ?)", rows)


def story_assignments(con: sqlite3.Connection, column: str = "story") -> dict[int, str]:
    """Every live article's story (or, with column "copy_group", copy group), by position."""
    return dict(con.execute(f"SELECT pos, {column} FROM story_of"))


def stories_of_size(con: sqlite3.Connection, min_articles: int) -> list[tuple[str, int]]:
    """(story, live articles) of every story with at least that many, largest first."""
    return con.execute(
        "SELECT story, COUNT(*) FROM story_of GROUP BY story HAVING COUNT(*) >= ? ORDER BY 2 DESC, MIN(pos)", (min_articles,)
    ).fetchall()


def finish(con: sqlite3.Connection) -> None:
    """Drop the checkpoint table: what is published is a plain index."""
    con.execute("DROP TABLE IF EXISTS main.job")
    con.commit()


def connect_readonly(folder: Path) -> sqlite3.Connection:
    con = _connect(folder, readonly=True)
    con.row_factory = sqlite3.Row
    return con


def connect_base(folder: Path, readonly: bool = True) -> sqlite3.Connection:
    """The base database alone (read-only unless asked): a freshly merged or written base, before it has a delta."""
    return sqlite3.connect(f"file:{folder / DB}{'?mode=ro' if readonly else ''}", uri=True)


def insert(con: sqlite3.Connection, first_pos: int, articles: Sequence[Article]) -> None:
    rows = [
        (
            first_pos + i,
            a.id,
            a.title,
            a.body,
            a.lang,
            a.date,
            a.day,
            a.source,
            a.url,
            orjson.dumps(a.keywords).decode(),
            orjson.dumps(a.related).decode(),
            orjson.dumps(a.extra, default=str).decode(),
            a.origin,
            a.content_hash,
        )
        for i, a in enumerate(articles)
    ]
    con.executemany(f"INSERT INTO main.articles VALUES ({','.join('?' * len(COLUMNS))})", rows)
    con.executemany(
        "INSERT INTO main.terms(rowid, words) VALUES (?, ?)",
        [(first_pos + i, terms.document(a.title, a.body)) for i, a in enumerate(articles)],
    )


def lexical_search(con: sqlite3.Connection, terms: Sequence[str], k: int, among: bytes | None = None) -> list[tuple[int, float]]:
    """The k live articles with the highest BM25 for any of the terms, as (position, score), best first.

    Base and delta are ranked by FTS5 apart, each with its own term statistics: after a merge
    (and always below config.MERGE_BELOW articles) that is exact BM25 over the whole index.
    `among`: a byte per position, nonzero for those that may be returned. It is tested before
    BM25 is computed, which is what a match costs (~8 us; at 1M articles with hundreds of copies
    per story, a whole article's terms match ~15,000: bench/scale.py).
    """
    if not terms:
        return []
    query = " OR ".join(f'"{t}"' for t in terms)
    test = ""
    if among is not None:
        con.create_function("among", 1, among.__getitem__, deterministic=True)
        test = "AND among(rowid)"
    found = []
    for table, extra in (("base.terms", "AND rowid NOT IN (SELECT pos FROM main.removed)"), ("main.terms", "")):
        found += con.execute(
            f"SELECT rowid, -bm25(terms) FROM {table} WHERE terms MATCH ? {extra} {test} ORDER BY bm25(terms) LIMIT ?", (query, k)
        ).fetchall()
    return sorted(found, key=lambda r: -r[1])[:k]


def document_frequency(con: sqlite3.Connection, term: str) -> int:
    """How many articles have the term (removed base articles included until the next merge)."""
    return con.execute(
        "SELECT IFNULL((SELECT doc FROM base_vocab WHERE term = ?), 0) + IFNULL((SELECT doc FROM delta_vocab WHERE term = ?), 0)",
        (term, term),
    ).fetchone()[0]


def terms_at(con: sqlite3.Connection, positions: Sequence[int]) -> dict[int, list[str]]:
    """The stored terms of articles, by position."""
    q = f"SELECT pos, words FROM article_terms WHERE pos IN ({','.join('?' * len(positions))})"
    return {r[0]: r[1].split() for r in con.execute(q, [int(p) for p in positions])}


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


def positions_where(con: sqlite3.Connection, filters: Filters = NONE) -> list[int]:
    """Positions of articles matching the filters (index/filters.py)."""
    where, args = filters.sql()
    return [r[0] for r in con.execute("SELECT pos FROM articles" + where, args)]


def count_where(con: sqlite3.Connection, filters: Filters = NONE) -> int:
    """How many articles match; base and delta counted apart, so the indexes serve (not the view)."""
    where, args = filters.sql()
    hidden = (" AND " if where else " WHERE ") + "pos NOT IN (SELECT pos FROM main.removed)"
    return con.execute(
        f"SELECT (SELECT COUNT(*) FROM base.articles{where}{hidden}) + (SELECT COUNT(*) FROM main.articles{where})", args + args
    ).fetchone()[0]


def in_order(con: sqlite3.Connection, columns: str, limit: int = -1, offset: int = 0) -> list[tuple]:
    """The given columns of every article (or of `limit` from `offset` on), in position order."""
    return [tuple(r) for r in con.execute(f"SELECT {columns} FROM articles ORDER BY pos LIMIT ? OFFSET ?", (limit, offset))]


def languages(con: sqlite3.Connection, start: int, stop: int) -> list[str]:
    """Languages of positions start..stop-1, in position order."""
    return [r[0] for r in con.execute("SELECT lang FROM articles WHERE pos >= ? AND pos < ? ORDER BY pos", (start, stop))]


def languages_at(con: sqlite3.Connection, positions: Sequence[int]) -> list[str]:
    """Languages of the given positions, in the given order (one indexed lookup each)."""
    found = {
        r[0]: r[1]
        for r in con.execute(f"SELECT pos, lang FROM articles WHERE pos IN ({','.join('?' * len(positions))})", [int(p) for p in positions])
    }
    return [found[int(p)] for p in positions]


def summary(con: sqlite3.Connection) -> dict[str, object]:
    """Counts by language and source, and the date range, for `akhbar stats`."""
    langs = dict(con.execute("SELECT lang, COUNT(*) FROM articles GROUP BY lang ORDER BY 2 DESC").fetchall())
    sources = con.execute("SELECT COUNT(DISTINCT source) FROM articles").fetchone()[0]
    first, last = con.execute("SELECT MIN(NULLIF(day, '')), MAX(NULLIF(day, '')) FROM articles").fetchone()
    return {"languages": langs, "sources": sources, "first_day": first or "", "last_day": last or ""}


def health(path: Path, pragma: str | None, tables: set[str]) -> tuple[set[str], list]:
    """(the tables a database file holds, what SQLite's `pragma` check says: ["ok"] when whole), read
    apart from any version's view so that a damaged file is named; the pragma runs only when every
    table in `tables` is there. Raises sqlite3.Error when the file is no database at all."""
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        present = {r[0] for r in con.execute("SELECT name FROM sqlite_master")}
        found = [r[0] for r in con.execute(f"PRAGMA {pragma}").fetchall()] if pragma and tables <= present else ["ok"]
    finally:
        con.close()
    return present, found
