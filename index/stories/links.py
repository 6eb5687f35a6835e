"""Story assignment, computed when articles are written and stored with them (table `stories`).

Articles are taken in the order they arrived (position order: merges renumber but keep it).
Each links to its most similar earlier article that passes the link rule, and takes that
article's story; an article with no such link starts a story named after its own id. So a new
article never moves an older one, and the stored assignment is a function of the live articles
and their order alone: `fresh_pass` recomputes it from nothing, `assign` brings it up to date
after a write by linking only what is new or lost its link (the articles linked to a removed or
re-added one), then renaming the stories downstream of them.

Copy groups are stories at a higher bar: an article that the box would show in one row with
the article it links to (index/stories/same_row.py: a copy, or a headline alike) joins that article's
copy group (named, like a story, after the group's first article), else it starts one. The box
lists a group once (search/query.py) without comparing its copies at query time.

The link rule (which earlier article, at what cosine) is index/stories/rule.py. Its mutual test
(two languages only) looks at the articles up to A only, so a removal can change the link of an
article in another language that did not link to the removed one (the removed one was nearer to
it, or to its partner, in a language): a write relinks those too (`near_removed`; a merge that
keeps the stored stories does it with the removed vectors taken from the stage). In a corpus of
one language a removal relinks only the articles linked to a removed one.
"""

from __future__ import annotations

import functools
import heapq
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np

from akhbar.index import config
from akhbar.index.store import centering, faiss_index, sql, vectors
from akhbar.index.stories import rule
from akhbar.index.stories.figures import figures
from akhbar.index.stories.same_row import same_row

# Neighbours asked for: the link is exact (the same whenever computed, whatever arrived after it)
# for an article with fewer neighbours than that above the lowest threshold. SaudiNewsNet's
# largest copy group has 43 articles. An IVF search costs the lists it scans, not k: asking 256
# at once rather than 32 and then more for the articles that needed more took `akhbar add` of
# 1,000 articles to 1M (hundreds of copies each) from 30 to ~3 s (bench/scale.py).
MAX_K = 256


def _ordinal(day: str) -> int:
    return date.fromisoformat(day).toordinal() if day else 0


def _days_apart(mine: int, ordinal: dict[int, int], b: int) -> int | None:
    """Days between an article (its ordinal, 0: undated) and b for rule: None when both are
    undated, HALF_DATED when one is."""
    theirs = ordinal[b]
    if mine and theirs:
        return abs(mine - theirs)
    return rule.HALF_DATED if mine or theirs else None


@dataclass(frozen=True)
class Space:
    """What linking needs of an index version: its search and its centered vectors by position.

    search(queries, k, selector=None) → (scores, positions) over every vector the version holds
    (removed ones included: callers check liveness; a FAISS IDSelector restricts it);
    vectors(positions, langs) → centered unit rows.
    """

    search: Callable[..., tuple[np.ndarray, np.ndarray]]
    vectors: Callable[[list[int], list[str]], np.ndarray]
    size: int  # vectors the search holds


def _rows(con: sqlite3.Connection, positions: Sequence[int]) -> dict[int, tuple[str, str, str, str]]:
    """(id, lang, day, title) of the live articles among the positions."""
    out: dict[int, tuple[str, str, str, str]] = {}
    ps = [int(p) for p in positions]
    for i in range(0, len(ps), 500):
        part = ps[i : i + 500]
        out.update({r[0]: tuple(r[1:]) for r in sql.rows_at(con, part, "pos, id, lang, day, title")})
    return out


def _candidates(space: Space, queries: np.ndarray) -> list[list[int]]:
    """For each query, the positions among its MAX_K nearest whose score may pass the lowest threshold."""
    floor = rule.lowest() - 0.01  # FAISS scores may be quantised: a margin, then exact cosines
    scores, ids = space.search(queries, min(MAX_K, space.size))
    return [[int(p) for s, p in zip(s_row, ids_row) if p >= 0 and s >= floor] for s_row, ids_row in zip(scores, ids)]


def _language_mask(con: sqlite3.Connection, lang: str) -> np.ndarray:
    """By position: whether a live article in this language is there ('': in any language)."""
    pos = np.asarray([r[0] for r in sql.in_order(con, "pos")] if not lang else sql.positions_in_language(con, lang), np.int64)
    mask = np.zeros(int(pos.max()) + 1 if len(pos) else 1, bool)
    mask[pos] = True
    return mask


class _Rival:
    """B's most similar live article in A's language among the positions up to A, A and B left out:
    one FAISS search of B's vector restricted (IDSelectorRange and a bitmap of the language's live
    positions) to exactly those articles, so the answer is the same in a fresh pass."""

    def __init__(self, con: sqlite3.Connection, space: Space):
        self.con, self.space = con, space
        self.bitmaps: dict[str, np.ndarray] = {}

    def _bitmap(self, lang: str) -> np.ndarray:
        if lang not in self.bitmaps:
            self.bitmaps[lang] = np.packbits(_language_mask(self.con, lang), bitorder="little")
        return self.bitmaps[lang]

    def of(self, a: int, lang: str, langs: dict[int, str], b: int) -> float:
        """The rival's cosine for candidate b of A (`langs`: the candidates' languages), -1.0 if none."""
        return self(a, lang, b, langs[b])

    def __call__(self, a: int, lang: str, b: int, b_lang: str) -> float:
        import faiss

        bitmap = self._bitmap(lang)
        in_lang, up_to_a = faiss.IDSelectorBitmap(len(bitmap), faiss.swig_ptr(bitmap)), faiss.IDSelectorRange(0, a + 1)
        selector = faiss.IDSelectorAnd(up_to_a, in_lang)
        v = self.space.vectors([b], [b_lang])
        _, ids = self.space.search(v, min(3, self.space.size), selector)
        others = [int(p) for p in ids[0] if p >= 0 and p not in (a, b)]
        if not others:
            return -1.0
        return float((self.space.vectors(others, [lang] * len(others)) @ v[0]).max())


def _shares_figure(mine: frozenset[str], info: dict[int, tuple[str, str, str, str]], b: int) -> bool:
    return bool(mine) and bool(mine & figures(info[b][3] or ""))


def links(con: sqlite3.Connection, space: Space, positions: list[int]) -> dict[int, tuple[int, bool]]:
    """The link of each given live article (rule.choose), or -1, and whether it is a copy of
    that article (index/stories/same_row.py). Depends only on the live articles up to it, so it is the
    same whenever it is computed (exact cosines from the stored vectors; FAISS only proposes
    candidates)."""
    out: dict[int, tuple[int, bool]] = {}
    if not positions:
        return out
    me = _rows(con, positions)
    rival = _Rival(con, space)
    for i in range(0, len(positions), 1024):
        chunk = positions[i : i + 1024]
        q = space.vectors(chunk, [me[p][1] for p in chunk])
        found = [[b for b in cand if b < a] for a, cand in zip(chunk, _candidates(space, q))]
        info = _rows(con, sorted({b for cand in found for b in cand}))
        # the chunk's candidates once: their centered vectors and days (per article, these took a
        # third of a whole pass at 20k articles: centering.apply and date parsing per candidate)
        row_of = {b: r for r, b in enumerate(info)}
        theirs = space.vectors(list(info), [info[b][1] for b in info])
        ordinal = {b: _ordinal(info[b][2]) for b in info}
        for a, v, cand in zip(chunk, q, found):
            cand = sorted(b for b in cand if b in info)
            if not cand:
                out[a] = (-1, False)
                continue
            cos = theirs[[row_of[b] for b in cand]] @ v
            _, lang, day, _ = me[a]
            days = functools.partial(_days_apart, _ordinal(day), ordinal)
            langs = {b: info[b][1] for b in cand}
            mine = figures(me[a][3] or "")
            best, best_cos = rule.choose(
                lang,
                days,
                [(b, langs[b], c) for b, c in zip(cand, cos.tolist())],
                functools.partial(rival.of, a, lang, langs),
                functools.partial(_shares_figure, mine, info),
            )
            out[a] = (best, best >= 0 and same_row(best_cos, _titled(me[a]), _titled(info[best])))
    return out


def _titled(row: tuple[str, str, str, str]) -> dict[str, str]:
    return {"day": row[2], "title": row[3]}


def _records(ranked: np.ndarray) -> np.ndarray:
    """The positions, given best first, that are earlier than every position ranked above them."""
    above = np.minimum.accumulate(np.concatenate([[np.iinfo(np.int64).max], ranked[:-1]]))
    return ranked[ranked < above]


def _near(con: sqlite3.Connection, space: Space, queries: np.ndarray, langs: list[str], after: int) -> set[int]:
    """Live articles later than `after` whose link the removal of the queried articles may change
    (besides those linked to one). Only a mutual test can change that way, and mutual links join
    two languages (index/stories/rule.py): those near a removed article C in another language (C was
    their best, or second best, candidate in C's language), and for each live B near C in another
    language, those that may now be B's most similar article in C's language among the articles up
    to them (C ranked above them): the records of B's ranking in C's language. In one language
    nothing is relinked beyond the articles linked to C."""
    near: dict[int, set[str]] = {}  # B → the languages of the removed articles it is near
    second: set[int] = set()  # the B near a removed article with fewer than MAX_K neighbours
    for cand, lang in zip(_candidates(space, queries), langs):
        for p in cand:
            near.setdefault(p, set()).add(lang)
        if len(cand) < min(MAX_K, space.size):
            second.update(cand)
    live = _rows(con, sorted(near))
    near = {p: ls - {live[p][1]} for p, ls in near.items() if p in live}
    near = {p: ls for p, ls in near.items() if ls}
    out = {p for p in near if p > after}
    # Around a removed article with MAX_K neighbours or more (hundreds of copies), links are not
    # exact anyway (see MAX_K); the second hop there cost 99 s for 100 removals at 1M (bench/scale.py).
    hop = [p for p in sorted(second) if p in near]
    if hop:
        masks = {lang: _language_mask(con, lang) for lang in set().union(*(near[b] for b in hop))}
        for b, cand in zip(hop, _candidates(space, space.vectors(hop, [live[p][1] for p in hop]))):
            ranked = np.asarray([p for p in cand if p != b], np.int64)
            for lang in near[b]:
                mask = masks[lang]
                in_lang = ranked[ranked < len(mask)]
                out |= {int(p) for p in _records(in_lang[mask[in_lang]]) if p > after}
        out = set(_rows(con, sorted(out)))
    return _weakly_linked(con, space, out)


def _weakly_linked(con: sqlite3.Connection, space: Space, positions: set[int]) -> set[int]:
    """Those of the live articles that have no link or one under config.STORY_LINK_COSINE. Another
    article's removal changes a link only through the mutual test, which admits pairs under the
    plain thresholds (at most STORY_LINK_COSINE): never above a link the article already has."""
    ordered = sorted(positions)
    link: dict[int, int] = {}
    for i in range(0, len(ordered), 500):
        link.update(sql.stories_at(con, ordered[i : i + 500], "link"))
    linked = [p for p in ordered if link.get(p, -1) >= 0]
    ends = _rows(con, sorted(set(linked) | {link[p] for p in linked}))
    linked = [p for p in linked if p in ends and link[p] in ends]
    if not linked:
        return set(ordered)
    mine = space.vectors(linked, [ends[p][1] for p in linked])
    theirs = space.vectors([link[p] for p in linked], [ends[link[p]][1] for p in linked])
    strong = {p for p, c in zip(linked, np.einsum("ij,ij->i", mine, theirs).tolist()) if c >= config.STORY_LINK_COSINE}
    return {p for p in ordered if p not in strong}


def near_removed(con: sqlite3.Connection, space: Space, before: set[int]) -> list[int]:
    """Live articles whose link this write's removals (the delta's, but those in `before`) may
    change besides those linked to a removed one (`_near`). Exact for articles with fewer than
    MAX_K neighbours above the lowest threshold, as the links are."""
    removed = sql.removed_with_language(con, before)
    langs = [lang for _, lang in removed]
    if not removed or len(sql.languages_held(con) | set(langs)) == 1:  # one language: nothing is near in another
        return []
    queries = space.vectors([p for p, _ in removed], langs)
    return sorted(_near(con, space, queries, langs, min(p for p, _ in removed)))


def removed_rows(con: sqlite3.Connection, rows: vectors.Rows, before: set[int]) -> tuple[np.ndarray, list[str]]:
    """(raw vectors, languages) of the articles this write removed (not in `before`): a merge drops
    them, and relinks what they may change with them (`store_for_merge`)."""
    removed = sql.removed_with_language(con, before)
    return rows[np.asarray([p for p, _ in removed], np.int64)], [lang for _, lang in removed]


def assign(con: sqlite3.Connection, space: Space, dirty: list[int]) -> int:
    """Link the `dirty` articles (new, or whose link is gone), then name the story and copy group
    of each and of every article downstream of them; written to the connection's main stories
    table (the delta's, or a merged base's). Returns how many rows were written.

    `con` must have views `articles` (live articles) and `story_of` (sql.STORY_COLUMNS).
    """
    new_links = links(con, space, sorted(dirty))
    link: dict[int, tuple[int, bool]] = dict(new_links)
    named: dict[int, tuple[str, str]] = {}  # (story, copy group)
    todo = list(new_links)
    heapq.heapify(todo)
    seen = set(todo)
    ids = _rows(con, list(new_links))
    kids: dict[int, list[int]] = {}  # stored links pointing at a position, read 500 positions a query
    while todo:
        a = heapq.heappop(todo)
        if a not in link:
            link[a] = sql.story_link(con, a)
        if a not in ids:
            ids.update(_rows(con, [a]))
        b, copied = link[a]
        up = named[b] if b in named else sql.groups_at(con, b) if b >= 0 else None
        named[a] = (ids[a][0], ids[a][0]) if up is None else (up[0], up[1] if copied else ids[a][0])
        if a not in kids:  # a and the waiting positions at once: one walk over a story of thousands took 3 queries an article
            frontier = [a] + [p for p in todo if p not in kids][:499]
            kids.update((p, []) for p in frontier)
            found = sql.children_of(con, frontier)
            for c, parent, was_copied in found:
                kids[parent].append(c)
                link.setdefault(c, (parent, was_copied))
            ids.update(_rows(con, [c for c, _, _ in found if c not in ids]))
        for c in kids[a]:
            if c not in seen and c not in new_links:
                seen.add(c)
                heapq.heappush(todo, c)
    sql.insert_stories(con, [(a, named[a][0], link[a][0], link[a][1], named[a][1]) for a in sorted(named)])
    return len(named)


def fresh_pass(con: sqlite3.Connection, space: Space) -> dict[int, tuple[str, int, str]]:
    """Every live article's (story, link, copy group) from nothing, in arrival order: what `assign`
    keeps stored."""
    positions = [r[0] for r in sql.in_order(con, "pos")]
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
    return Space(
        lambda q, k, selector=None: faiss_index.search(indexes, entry, q, k, selector),
        lambda ps, langs: centering.apply(rows[np.asarray(ps, np.int64)], langs, centers),
        size,
    )


def store_for_delta(con: sqlite3.Connection, space: Space, before: set[int]) -> int:
    """A delta write: link the new articles and those whose link was removed; rows go to the delta."""
    return assign(con, space, sorted(set(sql.unlinked_in_delta(con)) | set(near_removed(con, space, before))))


def store_for_merge(folder: Path, space: Space, from_scratch: bool, removed: tuple[np.ndarray, list[str]] | None = None) -> int:
    """A merge: the carried rows kept (unless `from_scratch`: the centering was refitted, so every
    cosine moved and the pass is run again), the rest linked, and those whose link the `removed`
    articles (centered vectors, languages) may change relinked (`near_removed`); rows go to the new base."""
    con = sql.connect_merged(folder)
    try:
        if from_scratch:
            sql.clear_stories(con)
        dirty = set(sql.unlinked_in_merged(con))
        if not from_scratch and removed is not None and removed[1]:
            dirty |= _near(con, space, removed[0], removed[1], -1)
        written = assign(con, space, sorted(dirty))
        con.commit()
    finally:
        con.close()
    return written
