"""A writer's staging folder: the version being written, and its checkpoint.

The stage shares the base version's base files (hard links, never written) and copies its
small delta; each file format sets up its own files (index/store/sql.py, index/store/vectors.py,
index/store/faiss_index.py, index/store/centering.py). New articles go to the delta batch by batch, each
batch committed with the count of input articles handled. `finish` then publishes the stage as
it is (a delta write) or merges everything into a new base.
"""

from __future__ import annotations

import functools
import shutil
import sqlite3
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import KW_ONLY, dataclass, field
from pathlib import Path

import numpy as np

from akhbar.index import config
from akhbar.index.article import Article
from akhbar.index.embedding.backends import load_for
from akhbar.index.embedding.contract import TextEncoder
from akhbar.index.embedding.embedder import Embedder
from akhbar.index.embedding.model import ModelRef, resolve
from akhbar.index.errors import AkhbarError, ModelMismatch
from akhbar.index.store import centering, faiss_index, integrity, layout, sql, vectors
from akhbar.index.store.manifest import Manifest
from akhbar.index.stories import links

REFIT_FILES = (faiss_index.FAISS, centering.CENTERS)  # the base files a small index's removal writes anew (Stage.refit)


@dataclass
class BuildSummary:
    """What a writer read, indexed, updated, removed and skipped, and why."""

    read: int = 0
    indexed: int = 0  # new or changed articles written by this run
    unchanged: int = 0  # re-ingested with the same content: nothing to do
    updated: int = 0  # re-ingested with new content: replaced
    removed: int = 0
    _: KW_ONLY  # the fields below are named at every call
    skipped: int = 0
    embedded: int = 0  # texts this run embedded
    reused_vectors: int = 0  # identical texts: embedded once
    resumed: int = 0  # input articles a killed run had already handled
    articles: int = 0  # in the new version
    problems: Counter = field(default_factory=Counter)  # "field: reason" → count
    version: str = ""
    seconds: float = 0.0

    def as_dict(self) -> dict[str, object]:
        d = {k: v for k, v in self.__dict__.items() if k != "problems"}
        d["problems"] = dict(self.problems)
        d["seconds"] = round(self.seconds, 2)
        return d


@dataclass(frozen=True)
class Settings:
    """How articles are embedded; fixed by the first build, then read from its manifest."""

    model: str | None
    method: str
    window_tokens: int


class Stage:
    """The state of one writer run over its staging folder (see the module docstring)."""

    def __init__(
        self,
        folder: Path,
        base: Path | None,
        base_manifest: Manifest | None,
        settings: Settings,
        backend: str,
        *,
        summary: BuildSummary,
        on_progress: Callable[[int], None] | None,
        embedder: Embedder | None = None,
    ) -> None:
        self.stage, self.settings, self.backend, self.summary = folder, settings, backend, summary
        self.base_manifest = base_manifest
        self.on_progress = on_progress
        self.con = sql.open_stage(folder, base)
        self.removed_before = sql.removed_in(base) if base is not None else set()  # handled by earlier writes
        vectors.stage(folder, base)
        faiss_index.stage(folder, base)
        centering.stage(folder, base)
        self.consumed, written_dim = sql.progress(self.con)
        self.dim = (base_manifest.dimension if base_manifest else 0) or written_dim  # 0 until a fresh build embeds
        self.base_rows = len(vectors.open_vectors(folder, self.dim))
        self.position = sql.next_position(self.con, self.base_rows)
        self.delta = vectors.Delta(folder, self.dim, self.position - self.base_rows)
        self.batch: list[Article] = []
        self._embedder = embedder  # a long-running caller's (akhbar serve), already checked against the manifest
        self._encoder: TextEncoder | None = None
        self.remote: Callable[[Embedder, ModelRef], TextEncoder] | None = None  # set by writers._write for a remote run
        self.ref: ModelRef | None = None  # the model, once embedder() has resolved it

    def embedder(self) -> Embedder:
        """Loaded on first need: remove, and add of unchanged articles, never import the model."""
        if self._embedder is None:
            m = self.base_manifest
            ref = resolve(self.settings.model, None if m is None else m.model_checksum)
            if m is not None and ref.checksum != m.model_checksum:  # same name, other weights: vectors would not compare
                raise ModelMismatch(
                    f"the index was built with model '{m.model}' checksum {m.model_checksum[:12]}; "
                    f"this machine has checksum {ref.checksum[:12]}"
                )
            encoder = load_for(ref, self.backend, None if m is None else m.backend)  # refuses incomparable vectors
            self._embedder = Embedder(
                encoder,
                encoder.prompt,
                method=self.settings.method,  # type: ignore[arg-type]  # a manifest's method, checked when it was written
                window_tokens=self.settings.window_tokens,
            )
            self.ref = ref
        return self._embedder

    def encoder(self) -> TextEncoder:
        """Where this batch's texts are embedded: the local Embedder, or the remote service built around it once."""
        if self._encoder is None:
            e = self.embedder()
            if self.remote:
                assert self.ref is not None  # a remote run resolves the model here: no embedder is passed in
                self._encoder = self.remote(e, self.ref)
            else:
                self._encoder = e
        return self._encoder

    def offer(self, art: Article) -> None:
        """A new or re-ingested article: unchanged ones are skipped, changed ones replace the old."""
        old = sql.current(self.con, art.id)
        if old is not None and old[1] == art.content_hash:
            self.summary.unchanged += 1
        else:
            if old is not None:
                sql.drop(self.con, old[0])
                self.summary.updated += 1
            self.batch.append(art)

    def drop(self, article_id: str) -> bool:
        """Take an article out; False when the id is not in the index."""
        old = sql.current(self.con, article_id)
        if old is None:
            return False
        sql.drop(self.con, old[0])
        return True

    def checkpoint(self, consumed: int) -> None:
        sql.checkpoint(self.con, consumed, self.dim)

    def flush(self, consumed: int) -> None:
        """Embed each distinct new text once, append vectors and rows, and checkpoint."""
        batch = self.batch
        stored: dict[str, int] = {}  # text hash → a position already holding its vector
        new: dict[str, Article] = {}  # text hash → its first article, to embed
        for a in batch:
            h = a.content_hash
            if h not in stored and h not in new:
                p = sql.position_of_hash(self.con, h)
                if p is None:
                    new[h] = a
                else:
                    stored[h] = p
        emb = self.encoder().encode([a.text for a in new.values()]) if new else np.zeros((0, self.dim), np.float32)
        self.dim = emb.shape[1] or self.dim
        fresh = dict(zip(new, emb))
        self.summary.embedded += len(new)
        self.summary.reused_vectors += len(batch) - len(new)
        if batch:
            if stored:
                old = vectors.Rows(self.stage, self.dim)[list(stored.values())]
                fresh.update(zip(stored, old))
            self.delta.append(np.stack([fresh[a.content_hash] for a in batch]).astype(np.float32))
            sql.insert(self.con, self.position, batch)
            self.position += len(batch)
            self.summary.indexed += len(batch)
        self.checkpoint(consumed)
        if self.on_progress and batch:
            self.on_progress(len(batch))
        batch.clear()

    @property
    def stale_stories(self) -> bool:
        """Whether the base's stored stories follow another story rule than this code's (config.STORY_RULE)."""
        return self.base_manifest is not None and self.base_manifest.story_rule != config.STORY_RULE

    def finish(self, root: Path, reindex_kind: str | None = None, removal: bool = False) -> tuple[str, int]:
        """Publish the stage as a delta write, or merge it into a new base; write the manifest.

        A `removal` (a write that only takes articles out) goes to the delta at any size while the
        delta stays under its share: the removed rows are hidden (tombstones: `main.removed`, which
        every read filters), and only the stories that the removed articles touched are linked again
        (links.store_for_delta). A merge below MERGE_BELOW reruns the whole story pass, which cost
        more than the merge a removal was measured against (bench/scale.py). Below MERGE_BELOW the
        removal refits the centering as a fresh build would (`refit`); above, it is kept, as for
        every delta write."""
        self.delta.close()
        base_manifest = self.base_manifest
        live, hidden = sql.delta_counts(self.con, self.base_rows)
        n = self.base_rows - hidden + live  # as integrity.check_counts checks it; COUNT(*) took 0.7 s at 1M, cold
        if n == 0:
            raise AkhbarError(
                "no article could be indexed; the index was left as it was"
                if base_manifest is None
                else "the index would be empty; the index was left as it was"
            )
        merge = (
            reindex_kind is not None
            or (n < config.MERGE_BELOW and not removal)
            or self.base_rows == 0
            or self.stale_stories
            or max(live, sql.delta_size(self.con) - live) > config.DELTA_SHARE * self.base_rows  # added, or tombstones
        )
        refit = False
        if merge:
            folder, faiss_entry, centers = self.merge(reindex_kind)
        else:
            assert base_manifest is not None  # a build (no base) always merges
            refit = removal and n < config.MERGE_BELOW
            folder, faiss_entry, centers = self.stage, base_manifest.faiss, centering.load(self.stage)
            if refit:
                faiss_entry, centers = self.refit(str(base_manifest.faiss["kind"]))
            positions, langs = sql.delta_rows(self.con)
            centered = centering.apply(vectors.Rows(folder, self.dim)[positions], langs, centers)
            faiss_index.build_delta(folder, positions, centered)
            links.store_for_delta(self.con, links.space_of(folder, self.dim, faiss_entry, centers), self.removed_before)
            sql.finish(self.con)
        self.con.close()
        carried = None
        if not merge and base_manifest is not None:  # shared base files: records carried (not those a refit wrote)
            carried = {k: v for k, v in base_manifest.files.items() if not (refit and k in REFIT_FILES)}
        files = integrity.describe(folder, carried)
        self.manifest(faiss_entry, centers, n, files).save(folder)
        version = layout.publish(root, folder).name
        if folder != self.stage:
            layout.discard(self.stage)
        return version, n

    def refit(self, kind: str) -> tuple[dict[str, object], dict[str, np.ndarray]]:
        """The centering fitted to the live articles, as a fresh build fits it, and the base FAISS rebuilt
        with it, the removed rows zeroed (a cosine of 0 ranks under every threshold and the box's floor):
        searches then score as a fresh build's do. For indexes under MERGE_BELOW only (~0.1 s at 10k).
        Both files replace the stage's hard links by rename, never writing through them.

        Returns:
            (the manifest's FAISS entry, the centers)
        """
        rows = vectors.Rows(self.stage, self.dim)
        live = sql.in_order(self.con, "pos, lang")
        pos = np.asarray([p for p, _ in live], np.int64)
        langs = [lang for _, lang in live]
        centers = centering.fit([(rows[pos], langs)])
        in_base = pos < self.base_rows
        centered = np.zeros((self.base_rows, self.dim), np.float32)
        centered[pos[in_base]] = centering.apply(rows[pos[in_base]], [lang for lang, b in zip(langs, in_base) if b], centers)
        centering.save(self.stage, centers)
        return faiss_index.build(lambda: [centered], self.base_rows, self.dim, self.stage, kind), centers

    def manifest(
        self, faiss_entry: dict[str, object], centers: dict[str, np.ndarray], n: int, files: dict[str, dict[str, object]]
    ) -> Manifest:
        """The new version's manifest: embedding as the base version's (or as this build's), counts of this run."""
        if self.base_manifest is not None:
            m = self.base_manifest
            model, checksum, prompt, chunking, precision = m.model, m.model_checksum, m.prompt, m.chunking, m.precision
            backend = m.backend
        else:
            e = self.embedder()
            assert self.ref is not None  # a build resolves the model in embedder(): no embedder is passed in
            model, checksum, prompt, precision = self.ref.name, self.ref.checksum, e.prompt, e.precision
            chunking = {"method": e.method, "window_tokens": e.window_tokens}
            backend = e.encoder.describe()
        s = self.summary
        return Manifest(
            model,
            checksum,
            self.dim,
            prompt,
            chunking,
            centering={
                "by": "language",
                "min_articles": centering.MIN_ARTICLES,
                "languages": sorted(k for k in centers if k != centering.ALL),
            },
            precision=precision,
            faiss=faiss_entry,
            articles=n,
            counts={"read": s.read, "skipped": s.skipped, "updated": s.updated, "removed": s.removed, "reused_vectors": s.reused_vectors},
            created=time.strftime("%Y-%m-%dT%H:%M:%S"),
            files=files,
            backend=backend,
            story_rule=config.STORY_RULE,
        )

    def merge(self, reindex_kind: str | None) -> tuple[Path, dict[str, object], dict[str, np.ndarray]]:
        """Every live article into a new base in stage/merged (renumbered, with its vectors), an empty
        delta, centering refitted (kept by reindex) and FAISS rebuilt: a fresh build's result, without embedding.
        """
        folder = self.stage / "merged"
        shutil.rmtree(folder, ignore_errors=True)  # a killed merge starts over
        folder.mkdir()
        removed, removed_langs = links.removed_rows(self.con, vectors.Rows(self.stage, self.dim), self.removed_before)
        kept = sql.merge_into(self.con, folder / sql.DB)
        vectors.write_base(folder, vectors.Rows(self.stage, self.dim), kept)
        sql.create(folder / sql.DELTA_DB, sql.DELTA_SCHEMA)
        kind = reindex_kind or (None if self.base_manifest is None else str(self.base_manifest.faiss["kind"]))
        if kind == "flat" and len(kept) >= faiss_index.EXACT_UP_TO and reindex_kind is None:
            kind = None  # an index that grew past exact search moves to the automatic kind
        con = sql.connect_base(folder)
        centers, entry = index_vectors(folder, con, self.dim, kind, centering.load(self.stage) if reindex_kind else None)
        con.close()
        # a refitted centering moves every cosine: below MERGE_BELOW (where the refit moves the means
        # most) the story pass runs again, so stored stories equal a fresh build's; above, the means
        # barely move (5e-5 after 2,100 changes at 1M, bench/scale.py) and stored stories are kept
        refit = reindex_kind is None and len(kept) < config.MERGE_BELOW
        links.store_for_merge(
            folder,
            links.space_of(folder, self.dim, entry, centers),
            from_scratch=refit or self.stale_stories,
            removed=(centering.apply(removed, removed_langs, centers), removed_langs) if removed_langs else None,
        )
        return folder, entry, centers


def index_vectors(
    folder: Path, con: sqlite3.Connection, dim: int, kind: str | None, centers: dict[str, np.ndarray] | None = None
) -> tuple[dict[str, np.ndarray], dict[str, object]]:
    """Fit per-language centers over a base's rows 0..n-1 (unless given), then build FAISS on the centered rows.

    Returns:
        (centers, the manifest's FAISS entry)
    """
    raw = vectors.open_vectors(folder, dim)
    languages = functools.partial(sql.languages, con)
    if centers is None:
        step = 65536
        centers = centering.fit((raw[i : i + step], languages(i, i + step)) for i in range(0, len(raw), step))
    centering.save(folder, centers)
    entry = faiss_index.build(lambda: centering.centered_chunks(raw, languages, centers), len(raw), dim, folder, kind)
    return centers, entry
