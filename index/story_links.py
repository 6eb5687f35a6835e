"""Story assignment, computed when articles are written and stored with them (table `stories`).

Articles are taken in the order they arrived (position order: merges renumber but keep it).
Each links to its most similar earlier article that passes the link rule, and takes that
article's story; an article with no such link starts a story named after its own id. So a new
article never moves an older one, and the stored assignment is a function of the live articles
and their order alone: `fresh_pass` recomputes it from nothing, `assign` brings it up to date
after a write by linking only what is new or lost its link (the articles linked to a removed or
re-added one), then renaming the stories downstream of them.

Copy groups are stories at a higher bar: an article that the box would show in one row with
the article it links to (index/same_row.py: a copy, or a headline alike) joins that article's
copy group (named, like a story, after the group's first article), else it starts one. The box
lists a group once (search/query.py) without comparing its copies at query time.

The link rule (`threshold`), chosen with bench/stories.py on seeds/events.jsonl (independent
write-ups in Arabic, English and French, plus near-miss events) and ECB+, MEANTIME, SaudiNewsNet:
- Two articles published more than STORY_WINDOW_DAYS apart never link.
- Time is evidence. Two dated articles one day apart or less link at a lower cosine:
  STORY_SAME_DAY_COSINE within a language, STORY_SAME_DAY_CROSS_COSINE across languages
  (centering lowers cross-language cosines: independent write-ups of one event in two languages
  averaged 0.41 on the dev split, against 0.83 within a language), rising by
  STORY_COSINE_PER_DAY for each further day, up to STORY_LINK_COSINE.
- Without dates on both sides there is no time evidence: STORY_LINK_COSINE for any pair, the
  value that gives ECB+ (undated, two events per topic) its best pairwise F1.
"""

from __future__ import annotations

import heapq
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np

from akhbar.index import centering, config, faiss_index, store, vectors
from akhbar.index.same_row import same_row

# Neighbours asked for: the link is exact (the same whenever computed, whatever arrived after it)
# for an article with fewer neighbours than that above the lowest threshold. SaudiNewsNet's
# largest copy group has 43 articles. An IVF search costs the lists it scans, not k: asking 256
# at once rather than 32 and then more for the articles that needed more took `akhbar add` of
# 1,000 articles to 1M (hundreds of copies each) from 30 to ~3 s (bench/scale.py).
MAX_K = 256


def threshold(same_language: bool, days: int | None) -> float:
    """The cosine (centered space) at which two articles `days` apart link; None: not dated both."""
    if days is None:
        return config.STORY_LINK_COSINE
    if days > config.STORY_WINDOW_DAYS:
        return float("inf")
    base = config.STORY_SAME_DAY_COSINE if same_language else config.STORY_SAME_DAY_CROSS_COSINE
    return min(config.STORY_LINK_COSINE, base + config.STORY_COSINE_PER_DAY * max(0, days - 1))


def lowest() -> float:
    """No pair links below this cosine: the end of every candidate list."""
    return min(config.STORY_SAME_DAY_COSINE, config.STORY_SAME_DAY_CROSS_COSINE, config.STORY_LINK_COSINE)


def _ordinal(day: str) -> int:
    return date.fromisoformat(day).toordinal() if day else 0


@dataclass(frozen=True)
class Space:
    """What linking needs of an index version: its search and its centered vectors by position.

    search(queries, k) → (scores, positions) over every vector the version holds (removed ones
    included: callers check liveness); vectors(positions, langs) → centered unit rows.
    """

    search: Callable[[np.ndarray, int], tuple[np.ndarray, np.ndarray]]
    vectors: Callable[[list[int], list[str]], np.ndarray]
    size: int  # vectors the search holds


def _rows(con: sqlite3.Connection, positions: Sequence[int]) -> dict[int, tuple[str, str, str, str]]:
    """(id, lang, day, title) of the live articles among the positions."""
    out: dict[int, tuple[str, str, str, str]] = {}
    ps = [int(p) for p in positions]
    for i in range(0, len(ps), 500):
        part = ps[i : i + 500]
        out.update({r[0]: tuple(r[1:]) for r in store.rows_at(con, part, "pos, id, lang, day, title")})
    return out


def _candidates(space: Space, queries: np.ndarray) -> list[list[int]]:
    """For each query, the positions among its MAX_K nearest whose score may pass the lowest threshold."""
    floor = lowest() - 0.01  # FAISS scores may be quantised: a margin, then exact cosines
    scores, ids = space.search(queries, min(MAX_K, space.size))
    return [[int(p) for s, p in zip(s_row, ids_row) if p >= 0 and s >= floor] for s_row, ids_row in zip(scores, ids)]


def links(con: sqlite3.Connection, space: Space, positions: list[int]) -> dict[int, tuple[int, bool]]:
    """The link of each given live article: its most similar earlier live article that passes
    `threshold`, or -1, and whether it is a copy of that article (index/same_row.py). Depends only
    on the live articles before it, so it is the same whenever it is computed (exact cosines from
    the stored vectors; FAISS only proposes candidates)."""
    out: dict[int, tuple[int, bool]] = {}
    if not positions:
        return out
    me = _rows(con, positions)
    for i in range(0, len(positions), 1024):
        chunk = positions[i : i + 1024]
        q = space.vectors(chunk, [me[p][1] for p in chunk])
        found = [[b for b in cand if b < a] for a, cand in zip(chunk, _candidates(space, q))]
        info = _rows(con, sorted({b for cand in found for b in cand}))
        for a, v, cand in zip(chunk, q, found):
            cand = [b for b in cand if b in info]
            best, best_cos = -1, -1.0
            if cand:
                cos = space.vectors(cand, [info[b][1] for b in cand]) @ v
                _, lang, day, _ = me[a]
                for b, c in sorted(zip(cand, cos.tolist())):
                    dated = day and info[b][2]
                    days = abs(_ordinal(day) - _ordinal(info[b][2])) if dated else None
                    if c >= threshold(lang == info[b][1], days) and c > best_cos:
                        best, best_cos = b, c
            out[a] = (best, best >= 0 and same_row(best_cos, _titled(me[a]), _titled(info[best])))
    return out


def _titled(row: tuple[str, str, str, str]) -> dict[str, str]:
    return {"day": row[2], "title": row[3]}


def assign(con: sqlite3.Connection, space: Space, dirty: list[int]) -> int:
    """Link the `dirty` articles (new, or whose link is gone), then name the story and copy group
    of each and of every article downstream of them; written to the connection's main stories
    table (the delta's, or a merged base's). Returns how many rows were written.

    `con` must have views `articles` (live articles) and `story_of` (store.STORY_COLUMNS).
    """
    new_links = links(con, space, sorted(dirty))
    link: dict[int, tuple[int, bool]] = dict(new_links)
    named: dict[int, tuple[str, str]] = {}  # (story, copy group)
    todo = list(new_links)
    heapq.heapify(todo)
    seen = set(todo)
    ids = _rows(con, list(new_links))
    while todo:
        a = heapq.heappop(todo)
        if a not in link:
            link[a] = store.story_link(con, a)
        if a not in ids:
            ids.update(_rows(con, [a]))
        b, copied = link[a]
        up = named[b] if b in named else store.groups_at(con, b) if b >= 0 else None
        named[a] = (ids[a][0], ids[a][0]) if up is None else (up[0], up[1] if copied else ids[a][0])
        for c in store.linked_to(con, a):
            if c not in seen and c not in new_links:
                seen.add(c)
                heapq.heappush(todo, c)
    store.insert_stories(con, [(a, named[a][0], link[a][0], link[a][1], named[a][1]) for a in sorted(named)])
    return len(named)


def fresh_pass(con: sqlite3.Connection, space: Space) -> dict[int, tuple[str, int, str]]:
    """Every live article's (story, link, copy group) from nothing, in arrival order: what `assign`
    keeps stored."""
    positions = [r[0] for r in store.in_order(con, "pos")]
    link = links(con, space, positions)
    ids = _rows(con, positions)
    out: dict[int, tuple[str, int, str]] = {}
    for a in positions:
        b, copied = link[a]
        own = ids[a][0]
        out[a] = (own, b, own) if b < 0 else (out[b][0], b, out[b][2] if copied else own)
    return out


def space_of(folder: Path, dim: int, entry: dict, centers: dict[str, np.ndarray]) -> Space:
    """The Space of a version folder being written (its FAISS files are complete)."""
    indexes = faiss_index.load(folder)
    rows = vectors.Rows(folder, dim)
    size = indexes[0].ntotal + (indexes[1].ntotal if indexes[1] is not None else 0)
    return Space(lambda q, k: faiss_index.search(indexes, entry, q, k),
                 lambda ps, langs: centering.apply(rows[np.asarray(ps, np.int64)], langs, centers), size)


def store_for_delta(con: sqlite3.Connection, space: Space) -> int:
    """A delta write: link the new articles and those whose link was removed; rows go to the delta."""
    return assign(con, space, store.unlinked_in_delta(con))


def store_for_merge(folder: Path, space: Space, from_scratch: bool) -> int:
    """A merge: the carried rows kept (unless `from_scratch`: the centering was refitted, so every
    cosine moved and the pass is run again), the rest linked; rows go to the new base."""
    con = store.connect_merged(folder)
    try:
        if from_scratch:
            store.clear_stories(con)
        written = assign(con, space, store.unlinked_in_merged(con))
        con.commit()
    finally:
        con.close()
    return written
