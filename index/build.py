"""ingest → embed → store: write a new index version (build, add, remove, reindex), atomically and resumably.

Every writer works the same way: under the index's lock, in a staging folder named after
the job, over the live version (or nothing, for build). The stage shares the live base
files through hard links and copies its small delta (index/store.py, index/vectors.py).
Each batch of articles is embedded, appended to the delta and committed together with the
count of input articles handled, so a killed run leaves a consistent checkpoint: the same
command run again skips what was handled and embeds nothing twice. At the end the stage is
published as it is (a delta write: seconds at any size) or, when the index is small or the
delta has grown past its share, merged into a new base: rows renumbered, centering refitted,
FAISS rebuilt from the stored vectors (never re-embedding). The live version is untouched
until the publish.
"""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
import sqlite3
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from akhbar.index import centering, config, layout, store, vectors
from akhbar.index.article import Article
from akhbar.index.embed import Embedder
from akhbar.index.errors import AkhbarError, BadInput, ModelMismatch
from akhbar.index.ingest import Problem, files_of, read
from akhbar.index.manifest import Manifest
from akhbar.index.backends import load_for
from akhbar.index.model import resolve


@dataclass
class BuildSummary:
    """What a writer read, indexed, updated, removed and skipped, and why."""

    read: int = 0
    indexed: int = 0  # new or changed articles written by this run
    unchanged: int = 0  # re-ingested with the same content: nothing to do
    updated: int = 0  # re-ingested with new content: replaced
    removed: int = 0
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


def _reason(p: Problem) -> str:
    reason = p.error.reason.split(" (first at")[0].split(": ")[0]
    return f"{p.error.field}: {reason.split(' at column')[0]}"


def _job(kind: str, base: Path | None, sources: list[Path], removals: list[str], settings: Settings, strict: bool) -> str:
    """Names a job by everything that decides its result, so only the same job resumes."""
    h = hashlib.sha256(repr((kind, base.name if base else "", settings, strict, sorted(removals))).encode())
    for f, _ in files_of(sources):
        st = f.stat()
        h.update(f"{f.resolve()}:{st.st_size}:{st.st_mtime_ns}".encode())
    return h.hexdigest()[:16]


def _copy_aside(src: Path, dst: Path) -> None:
    """Copy then rename: a killed copy never looks like a finished one on resume."""
    tmp = dst.with_name(dst.name + ".tmp")
    shutil.copyfile(src, tmp)
    os.replace(tmp, dst)


class _Writer:
    """The state of one writer run over its staging folder.

    The stage shares the base version's base files (hard links, never written: see
    index/store.py) and copies its small delta; new rows go to the delta. `finish` then
    either publishes the stage as it is (a delta write) or merges everything into a new base.
    """

    def __init__(self, stage: Path, base: Path | None, base_manifest: Manifest | None, settings: Settings,
                 backend: str, summary: BuildSummary, on_progress: Callable[[int], None] | None) -> None:
        self.stage, self.settings, self.backend, self.summary = stage, settings, backend, summary
        self.base_manifest = base_manifest
        self.on_progress = on_progress
        self.con = store.open_stage(stage, base)
        for name in (vectors.VECTORS, vectors.FAISS, centering.CENTERS):
            if base is not None and not (stage / name).exists():
                os.link(base / name, stage / name)
        if not (stage / vectors.VECTORS).exists():
            (stage / vectors.VECTORS).touch()  # a fresh build: everything goes to the delta, then merges
        delta = stage / vectors.DELTA_VECTORS
        if not delta.exists():
            if base is not None and (base / vectors.DELTA_VECTORS).exists():
                _copy_aside(base / vectors.DELTA_VECTORS, delta)
            else:
                delta.touch()
        self.consumed, written_dim = store.progress(self.con)
        self.dim = (base_manifest.dimension if base_manifest else 0) or written_dim  # 0 until a fresh build embeds
        self.base_rows = len(vectors.open_vectors(stage, self.dim))
        self.position = store.next_position(self.con, self.base_rows)
        self.vf = open(delta, "r+b")
        self.vf.truncate((self.position - self.base_rows) * 2 * self.dim)  # drop rows written after the last commit
        self.vf.seek(0, os.SEEK_END)
        self.batch: list[Article] = []
        self._embedder: Embedder | None = None
        self.ref = None

    def embedder(self) -> Embedder:
        """Loaded on first need: remove, and add of unchanged articles, never import the model."""
        if self._embedder is None:
            ref = resolve(self.settings.model)
            m = self.base_manifest
            if m is not None and ref.checksum != m.model_checksum:  # same name, other weights: vectors would not compare
                raise ModelMismatch(f"the index was built with model '{m.model}' checksum {m.model_checksum[:12]}; "
                                    f"this machine has checksum {ref.checksum[:12]}")
            encoder = load_for(ref, self.backend, None if m is None else m.backend)  # refuses incomparable vectors
            self._embedder = Embedder(encoder, encoder.prompt, method=self.settings.method,  # type: ignore[arg-type]
                                      window_tokens=self.settings.window_tokens)
            self.ref = ref
        return self._embedder

    def offer(self, art: Article) -> None:
        """A new or re-ingested article: unchanged ones are skipped, changed ones replace the old."""
        old = store.current(self.con, art.id)
        if old is not None and old[1] == art.content_hash:
            self.summary.unchanged += 1
        else:
            if old is not None:
                store.drop(self.con, old[0])
                self.summary.updated += 1
            self.batch.append(art)

    def flush(self, consumed: int) -> None:
        """Embed each distinct new text once, append vectors and rows, and checkpoint."""
        batch = self.batch
        stored: dict[str, int] = {}  # text hash → a position already holding its vector
        new: dict[str, Article] = {}  # text hash → its first article, to embed
        for a in batch:
            h = a.content_hash
            if h not in stored and h not in new:
                p = store.position_of_hash(self.con, h)
                if p is None:
                    new[h] = a
                else:
                    stored[h] = p
        emb = self.embedder().encode([a.text for a in new.values()]) if new else np.zeros((0, self.dim), np.float32)
        self.dim = emb.shape[1] or self.dim
        fresh = dict(zip(new, emb))
        self.summary.embedded += len(new)
        self.summary.reused_vectors += len(batch) - len(new)
        if batch:
            if stored:
                old = vectors.Rows(self.stage, self.dim)[list(stored.values())]
                fresh.update(zip(stored, old))
            rows = np.stack([fresh[a.content_hash] for a in batch]).astype(np.float32)
            vectors.append(self.vf, rows)
            self.vf.flush()
            os.fsync(self.vf.fileno())
            store.insert(self.con, self.position, batch)
            self.position += len(batch)
            self.summary.indexed += len(batch)
        store.checkpoint(self.con, consumed, self.dim)
        if self.on_progress and batch:
            self.on_progress(len(batch))
        batch.clear()

    def finish(self, root: Path, base_manifest: Manifest | None, reindex_kind: str | None = None) -> tuple[str, int]:
        """Publish the stage as a delta write, or merge it into a new base; write the manifest."""
        self.vf.close()
        n = store.count(self.con)
        if n == 0:
            raise AkhbarError("no article could be indexed; the index was left as it was" if base_manifest is None
                              else "the index would be empty; the index was left as it was")
        merge = (reindex_kind is not None or n < config.MERGE_BELOW or self.base_rows == 0
                 or store.delta_size(self.con) > config.DELTA_SHARE * self.base_rows)
        if merge:
            folder, faiss_entry, centers = self.merge(base_manifest, reindex_kind)
        else:
            folder, faiss_entry, centers = self.stage, base_manifest.faiss, centering.load(self.stage)
            positions, langs = store.delta_rows(self.con)
            centered = centering.apply(vectors.Rows(folder, self.dim)[positions], langs, centers)
            vectors.build_delta_faiss(folder, positions, centered)
            store.finish(self.con)
        self.con.close()
        if base_manifest is not None:
            m = base_manifest
            model, checksum, prompt, chunking, precision = m.model, m.model_checksum, m.prompt, m.chunking, m.precision
            backend = m.backend
        else:
            e = self.embedder()
            model, checksum, prompt, precision = self.ref.name, self.ref.checksum, e.prompt, e.precision
            chunking = {"method": e.method, "window_tokens": e.window_tokens}
            backend = e.encoder.describe()
        s = self.summary
        Manifest(model, checksum, self.dim, prompt, chunking,
                 {"by": "language", "min_articles": centering.MIN_ARTICLES,
                  "languages": sorted(k for k in centers if k != centering.ALL)},
                 precision, faiss_entry, n,
                 counts={"read": s.read, "skipped": s.skipped, "updated": s.updated, "removed": s.removed,
                         "reused_vectors": s.reused_vectors},
                 created=time.strftime("%Y-%m-%dT%H:%M:%S"), backend=backend).save(folder)
        version = layout.publish(root, folder).name
        if folder != self.stage:
            layout.discard(self.stage)
        return version, n

    def merge(self, base_manifest: Manifest | None,
              reindex_kind: str | None) -> tuple[Path, dict[str, object], dict[str, np.ndarray]]:
        """Every live article into a new base in stage/merged (renumbered, with its vectors), an empty
        delta, centering refitted (kept by reindex) and FAISS rebuilt: a fresh build's result, without embedding.
        """
        folder = self.stage / "merged"
        shutil.rmtree(folder, ignore_errors=True)  # a killed merge starts over
        folder.mkdir()
        kept = store.merge_into(self.con, folder / store.DB)
        rows = vectors.Rows(self.stage, self.dim)
        with open(folder / vectors.VECTORS, "wb") as f:
            for i in range(0, len(kept), 65536):
                vectors.append(f, rows[kept[i : i + 65536]])
        store.create(folder / store.DELTA_DB, store.DELTA_SCHEMA)
        kind = reindex_kind or (None if base_manifest is None else str(base_manifest.faiss["kind"]))
        if kind == "flat" and len(kept) >= vectors.EXACT_UP_TO and reindex_kind is None:
            kind = None  # an index that grew past exact search moves to the automatic kind
        con = store.connect_base(folder)
        centers, entry = index_vectors(folder, con, self.dim, kind, centering.load(self.stage) if reindex_kind else None)
        con.close()
        return folder, entry, centers


def index_vectors(folder: Path, con: sqlite3.Connection, dim: int, kind: str | None,
                  centers: dict[str, np.ndarray] | None = None) -> tuple[dict[str, np.ndarray], dict[str, object]]:
    """Fit per-language centers over a base's rows 0..n-1 (unless given), then build FAISS on the centered rows.

    Returns:
        (centers, the manifest's FAISS entry)
    """
    raw = vectors.open_vectors(folder, dim)
    languages = functools.partial(store.languages, con)
    if centers is None:
        step = 65536
        centers = centering.fit((raw[i : i + step], languages(i, i + step)) for i in range(0, len(raw), step))
    centering.save(folder, centers)
    entry = vectors.build_faiss(lambda: centering.centered_chunks(raw, languages, centers), len(raw), dim, folder, kind)
    return centers, entry


def _write(root: Path, kind: str, sources: Iterable[str | Path], removals: Iterable[str], settings: Settings,
           strict: bool, backend: str, on_problem: Callable[[Problem], None] | None,
           on_progress: Callable[[int], None] | None, reindex_kind: str | None = None) -> BuildSummary:
    started = time.perf_counter()
    sources, removals = [Path(s) for s in sources], list(removals)
    summary = BuildSummary()
    with layout.writer_lock(root):
        base = layout.current_version(root) if kind != "build" else None
        base_manifest = Manifest.load(base) if base else None
        if base_manifest is not None:
            if settings.model and resolve(settings.model).name != base_manifest.model:
                raise ModelMismatch(f"{root} was built with model '{base_manifest.model}', not '{settings.model}'")
            settings = Settings(base_manifest.model, str(base_manifest.chunking["method"]), int(base_manifest.chunking["window_tokens"]))
        stage = layout.staging(root, _job(f"{kind}:{reindex_kind}:{backend}", base, sources, removals, settings, strict))
        try:
            w = _Writer(stage, base, base_manifest, settings, backend, summary, on_progress)

            def report(problem: Problem) -> None:
                if strict:
                    raise problem.error
                summary.problems[_reason(problem)] += 1
                if on_problem:
                    on_problem(problem)

            handled = 0
            for item in read(sources):
                if isinstance(item, Problem):
                    report(item)
                    summary.read += item.skipped
                    summary.skipped += item.skipped
                    continue
                summary.read += 1
                handled += 1
                if handled <= w.consumed:
                    summary.resumed += 1
                    continue
                w.offer(item)
                if len(w.batch) >= config.INGEST_BATCH:
                    w.flush(handled)
            w.flush(handled)
            for article_id in removals:  # checkpointed like input: a resumed run does not remove twice
                handled += 1
                if handled <= w.consumed:
                    summary.resumed += 1
                    continue
                old = store.current(w.con, article_id)
                if old is None:
                    report(Problem(BadInput("(remove)", 0, "id", f"'{article_id}' is not in the index"), True))
                    continue
                store.drop(w.con, old[0])
                summary.removed += 1
            store.checkpoint(w.con, handled, w.dim)
            summary.version, summary.articles = w.finish(root, base_manifest, reindex_kind)
        except KeyboardInterrupt:
            raise  # the staging folder is the checkpoint: the same command resumes
        except BaseException:
            layout.discard(stage)
            raise
    summary.seconds = time.perf_counter() - started
    return summary


def build(sources: Iterable[str | Path], root: Path, model_name: str | None = None, strict: bool = False,
          backend: str = "auto", method: str = config.CHUNK_METHOD, window_tokens: int = config.WINDOW_TOKENS,
          on_problem: Callable[[Problem], None] | None = None,
          on_progress: Callable[[int], None] | None = None) -> BuildSummary:
    """A new index at `root` from the sources; the previous version stays live until it is complete.

    Args:
        sources: files and folders to ingest.
        root: the index directory.
        strict: the first bad record aborts the build (and nothing changes).
        on_problem: told of each bad record as it is found.
        on_progress: told how many articles were just written.
    Returns:
        What was read, indexed and skipped.
    """
    return _write(root, "build", sources, [], Settings(model_name, method, window_tokens), strict, backend, on_problem, on_progress)


def add(sources: Iterable[str | Path], root: Path, model_name: str | None = None, strict: bool = False,
        backend: str = "auto", on_problem: Callable[[Problem], None] | None = None,
        on_progress: Callable[[int], None] | None = None) -> BuildSummary:
    """New articles into the live index; an id already there is updated if its content changed.

    Only new or changed texts are embedded, the way the index was built (its manifest).
    """
    return _write(root, "add", sources, [], Settings(model_name, config.CHUNK_METHOD, config.WINDOW_TOKENS), strict,
                  backend, on_problem, on_progress)


def remove(ids: Iterable[str], root: Path, strict: bool = False,
           on_problem: Callable[[Problem], None] | None = None) -> BuildSummary:
    """Take articles out of the live index (retractions); never loads the model."""
    return _write(root, "remove", [], ids, Settings(None, config.CHUNK_METHOD, config.WINDOW_TOKENS), strict, "auto",
                  on_problem, None)


def reindex(root: Path, kind: str) -> BuildSummary:
    """The live index merged into one base with another FAISS kind, from the stored vectors and with
    the same centering: nothing is embedded, and results differ only by the kind's approximation."""
    vectors.plan(kind, 1, 8)  # an unknown kind fails before any work
    return _write(root, "reindex", [], [], Settings(None, config.CHUNK_METHOD, config.WINDOW_TOKENS), False, "auto",
                  None, None, reindex_kind=kind)
