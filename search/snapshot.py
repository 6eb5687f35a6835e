"""Open the live version of an index for reading, and embed queries the way it was built.

Snapshot is the one holder of a reader's SQLite connection: search/, cli.py and bench/ ask it
for rows, positions, lexical matches and summaries, and the SQL stays in index/store/sql.py.
"""

from __future__ import annotations

import copy
import sqlite3
from dataclasses import KW_ONLY, dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from akhbar.index.errors import ArticleNotFound, DamagedIndex, ModelMismatch
from akhbar.index.filters import NONE, Filters
from akhbar.index.store import centering, faiss_index, integrity, layout, sql, vectors
from akhbar.index.store.manifest import Manifest
from akhbar.index.stories import links


@dataclass
class Snapshot:
    """One complete index version: manifest, metadata, vectors and FAISS index."""

    root: Path
    folder: Path
    manifest: Manifest
    _con: sqlite3.Connection
    # remembered, shared by clones: a version never changes
    _frequency: dict[str, int] = field(default_factory=dict)
    _: KW_ONLY  # the fields below are named at every call
    _group_size: dict[str, int] = field(default_factory=dict)
    _story_size: dict[str, int] = field(default_factory=dict)
    _one_per_group: dict[str, Any] = field(default_factory=dict)  # the bytes and the selector below

    def rows(self, positions, columns: str = "*") -> dict[int, dict]:
        """Rows by position (live ones only: a removed position has none); `columns` must include pos."""
        return sql.by_positions(self._con, positions, columns)

    def row(self, article_id: str) -> dict | None:
        """An article's whole row by id, or None."""
        return sql.by_id(self._con, article_id)

    def require(self, article_id: str, where: str | None = None) -> dict:
        """An article's whole row by id, else ArticleNotFound naming `where` (default: this index's folder):
        the one place a missing id is raised."""
        row = self.row(article_id)
        if row is None:
            raise ArticleNotFound(article_id, where or str(self.root))
        return row

    def position(self, article_id: str) -> int | None:
        """An article's position (FAISS id) by id, or None."""
        found = sql.current(self._con, article_id)
        return None if found is None else found[0]

    def positions(self, filters: Filters = NONE) -> list[int]:
        """Positions of the live articles that pass the filters."""
        return sql.positions_where(self._con, filters)

    def count(self, filters: Filters = NONE) -> int:
        """How many live articles pass the filters."""
        return sql.count_where(self._con, filters)

    def in_order(self, columns: str, limit: int = -1, offset: int = 0) -> list[tuple]:
        """Columns of every live article (or a slice), in position order: for passes over a corpus."""
        return sql.in_order(self._con, columns, limit, offset)

    def lexical(self, terms, k: int, one_per_copy_group: bool = False) -> list[tuple[int, float]]:
        """The k best BM25 matches for any of the terms, as (position, score), best first; of the
        first articles of copy groups only, if asked (see one_per_copy_group)."""
        among = self._first_of_group if one_per_copy_group else None
        return sql.lexical_search(self._con, terms, k, among)

    def document_frequency(self, term: str) -> int:
        """How many articles have the term (a whole-article query looks up ~8, ~0.15 ms each at 1M
        articles; remembered)."""
        found = self._frequency.get(term)
        if found is None:
            if len(self._frequency) >= 100_000:  # queries bring any words: keep the memory bounded
                self._frequency.clear()
            found = self._frequency[term] = sql.document_frequency(self._con, term)
        return found

    def terms(self, positions) -> dict[int, list[str]]:
        """The stored lexical terms of articles, by position."""
        return sql.terms_at(self._con, positions)

    def summary(self) -> dict[str, object]:
        """Counts by language and source and the date range, for `akhbar stats`."""
        return sql.summary(self._con)

    def story_of(self, pos: int) -> str:
        """The stored story (the id of its first article) of a live article."""
        story = sql.story_at(self._con, pos)
        if story is None:  # every live article has a stories row, written with it
            raise DamagedIndex(self.root, self.folder / sql.DB, f"no story row for position {pos}")
        return story

    def stories_at(self, positions: list[int]) -> dict[int, str]:
        """The stored story of each live article among the positions (at most ~500 at a time)."""
        return sql.stories_at(self._con, positions, "story")

    def story_members(self, story: str, limit: int = -1) -> list[int]:
        """Positions of a story's live articles, in arrival order (the first `limit`; -1: all)."""
        return sql.story_members(self._con, story, limit)

    def story_sizes(self, stories: list[str]) -> dict[str, int]:
        """How many live articles each story has (remembered: a version never changes)."""
        unknown = [s for s in dict.fromkeys(stories) if s not in self._story_size]
        if unknown:
            if len(self._story_size) >= 100_000:
                self._story_size.clear()
            for i in range(0, len(unknown), 500):
                self._story_size.update(sql.story_sizes(self._con, unknown[i : i + 500]))
        return {s: self._story_size[s] for s in stories}

    def stories(self, min_articles: int) -> list[str]:
        """Stories with at least that many live articles, largest first."""
        return [s for s, _ in sql.stories_of_size(self._con, min_articles)]

    def story_assignments(self) -> dict[int, str]:
        """Every live article's stored story, by position."""
        return sql.story_assignments(self._con)

    def copy_group_members(self, positions: list[int], limit: int) -> dict[int, tuple[list[int], int]]:
        """The first `limit` live articles of each given article's copy group (itself included), in
        arrival order, and how many the group has."""
        group = sql.stories_at(self._con, positions, "copy_group")
        missing = [p for p in positions if p not in group]
        if missing:  # every live article has a stories row, written with it
            raise DamagedIndex(self.root, self.folder / sql.DB, f"no story row for position {missing[0]}")
        groups = sorted(set(group.values()))
        first = sql.copy_group_firsts(self._con, groups, limit)
        unknown = [g for g in groups if g not in self._group_size]
        if unknown:
            if len(self._group_size) >= 100_000:
                self._group_size.clear()
            self._group_size.update(sql.copy_group_sizes(self._con, unknown))
        return {p: (first[group[p]], self._group_size[group[p]]) for p in positions}

    @property
    def _first_of_group(self) -> bytes | None:
        """A byte per position: 1 for an article that copies no earlier one, the first of its copy
        group; None when no article is a copy. Read once per version: a server's readers are
        cloned before their first query."""
        if "bytes" not in self._one_per_group:
            are_copies, positions = sql.copies_or_firsts(self._con, self.manifest.articles)
            keep = None
            if positions or not are_copies:
                keep = np.full(len(self.raw_vectors), int(are_copies), np.uint8)
                keep[positions] = 1 - int(are_copies)
            self._one_per_group["bytes"] = None if keep is None else keep.tobytes()
        return self._one_per_group["bytes"]

    @property
    def one_per_copy_group(self):
        """A FAISS selector of the first article of each copy group, or None when no article is a
        copy. Searched through it, a story republished hundreds of times is one candidate, not
        hundreds for the box to fold (bench/scale.py)."""
        if "selector" not in self._one_per_group:
            first = self._first_of_group
            selector = None
            if first is not None:
                import faiss

                keep = np.frombuffer(first, np.uint8).astype(bool)
                selector = faiss.IDSelectorBitmap(np.packbits(keep, bitorder="little"))  # holds the array
            self._one_per_group["selector"] = selector
        return self._one_per_group["selector"]

    def copy_groups(self) -> dict[int, str]:
        """Every live article's stored copy group, by position."""
        return sql.story_assignments(self._con, "copy_group")

    def fresh_story_pass(self) -> dict[int, str]:
        """Every live article's story computed from nothing, over the same articles in the same order
        with the current thresholds: what the stored assignments must equal (tests, bench --sweep)."""
        return {p: story for p, (story, _) in self.fresh_pass().items()}

    def fresh_pass(self) -> dict[int, tuple[str, str]]:
        """Every live article's (story, copy group) computed from nothing, the same way."""
        space = links.Space(self.search, self.vectors_at, self.searchable)
        return {p: (story, group) for p, (story, _, group) in links.fresh_pass(self._con, space).items()}

    def delta_size(self) -> int:
        """Rows the delta adds or hides (0 right after a build or a merge)."""
        return sql.delta_size(self._con)

    def close(self) -> None:
        self._con.close()

    @cached_property
    def raw_vectors(self) -> vectors.Rows:
        """The model's vectors as embedded (float16), before centering, by position."""
        return vectors.Rows(self.folder, self.manifest.dimension)

    @cached_property
    def faiss(self) -> tuple[Any, Any | None]:
        """(base, delta) FAISS indexes."""
        return faiss_index.load(self.folder)

    @property
    def searchable(self) -> int:
        """Vectors FAISS holds, live or hidden: the most a search can return."""
        base, delta = self.faiss
        return base.ntotal + (delta.ntotal if delta is not None else 0)

    def search(self, queries: np.ndarray, k: int, selector=None) -> tuple[np.ndarray, np.ndarray]:
        """Top k (scores, positions) per query. Positions removed since the base can appear: their
        rows are gone, so callers that fetch rows drop them."""
        return faiss_index.search(self.faiss, self.manifest.faiss, queries, min(k, self.searchable), selector)

    def neighbours(self, positions: list[int], k: int, selector=None, batch: int = 1024):
        """Each article's k nearest (scores, positions), searched a batch at a time: for passes over
        the whole corpus (dups, stories). Yields (position, scores, positions)."""
        for i in range(0, len(positions), batch):
            chunk = positions[i : i + batch]
            scores, ids = self.search(self.vectors_at(chunk), k, selector)
            yield from zip(chunk, scores.tolist(), ids.tolist())

    @cached_property
    def centers(self) -> dict[str, np.ndarray]:
        return centering.load(self.folder)

    def vector(self, pos: int, lang: str | None = None) -> np.ndarray:
        """An article's vector in the space the index ranks in (centered, unit length)."""
        return self.vectors_at([pos], None if lang is None else [lang])[0]

    def vectors_at(self, positions: list[int], langs: list[str] | None = None) -> np.ndarray:
        """Centered unit vectors from the stored float16 rows: O(1) each, any index kind.

        `langs` (of those positions) saves the lookup when the caller has the rows already.
        """
        if not len(positions):
            return np.zeros((0, self.manifest.dimension), np.float32)
        if langs is None:
            langs = []
            for i in range(0, len(positions), 500):
                langs += sql.languages_at(self._con, positions[i : i + 500])
        return centering.apply(self.raw_vectors[np.asarray(positions)], langs, self.centers)

    def clone(self) -> Snapshot:
        """Another reader of this version with its own SQLite connection (a connection serves one
        thread at a time), sharing the memory maps, FAISS indexes and centers already open."""
        other = copy.copy(self)
        other._con = sql.connect_readonly(self.folder)
        return other

    def query_vector(self, embedder, text: str) -> np.ndarray:
        """Embed a text the way articles were, centered by its (guessed) language."""
        from akhbar.index.ingest import language

        return centering.apply(embedder.encode([text]), [language.guess(text)], self.centers)[0]


def open_snapshot(root: Path) -> Snapshot:
    """The version CURRENT names; loading checks the manifest before anything else, then the
    files' sizes and row counts (index/store/integrity.py): a damaged file is named, never half-read."""
    folder = layout.current_version(root)
    manifest = Manifest.load(folder)

    def load() -> Snapshot:
        idx = Snapshot(root, folder, manifest, sql.connect_readonly(folder))
        # open every file now (memory maps: cheap), so this reader keeps its version even after
        # later writers have published newer ones and deleted this one
        idx.raw_vectors, idx.faiss, idx.centers  # noqa: B018
        integrity.raise_first(root, folder, integrity.check_counts(folder, manifest, idx._con, idx.faiss))
        return idx

    return integrity.opened(root, folder, manifest, load)


def query_embedder(manifest: Manifest, model_name: str | None = None, backend: str = "auto"):
    """An Embedder equal to the build's: the same model (else ModelMismatch) and a backend whose
    vectors compare with the index's (auto picks the fastest such; another is refused)."""
    from akhbar.index.embedding.backends import load_for
    from akhbar.index.embedding.embedder import Embedder
    from akhbar.index.embedding.model import resolve

    ref = resolve(model_name or manifest.model)
    if ref.name != manifest.model or ref.checksum != manifest.model_checksum:
        raise ModelMismatch(
            f"index was built with model '{manifest.model}' (checksum {manifest.model_checksum[:12] or '-'}), "
            f"not '{ref.name}' (checksum {ref.checksum[:12] or '-'}); query with the same model or rebuild"
        )
    return Embedder(
        load_for(ref, backend, manifest.backend),
        manifest.prompt,
        method=manifest.chunking["method"],
        window_tokens=manifest.chunking["window_tokens"],
    )
