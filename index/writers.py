"""ingest → embed → store: write a new index version (build, add, remove, reindex), atomically and resumably.

Every writer works the same way: under the index's lock, in a staging folder named after
the job, over the live version (or nothing, for build). The stage shares the live base
files through hard links and copies its small delta (index/stage.py).
Each batch of articles is embedded, appended to the delta and committed together with the
count of input articles handled, so a killed run leaves a consistent checkpoint: the same
command run again skips what was handled and embeds nothing twice. At the end the stage is
published as it is (a delta write: seconds at any size) or, when the index is small or the
delta has grown past its share, merged into a new base: rows renumbered, centering refitted,
FAISS rebuilt from the stored vectors (never re-embedding). The live version is untouched
until the publish.
"""

from __future__ import annotations

import hashlib
import itertools
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict
from pathlib import Path

import orjson

from akhbar.index import config
from akhbar.index.article import Article
from akhbar.index.embedding.contract import RemoteEncoder
from akhbar.index.embedding.embedder import Embedder
from akhbar.index.embedding.model import resolve, untuned_default
from akhbar.index.errors import BadInput, ModelMismatch
from akhbar.index.ingest.readers import Problem, Record, Records, files_of, read
from akhbar.index.stage import BuildSummary, Settings, Stage
from akhbar.index.store import faiss_index, integrity, layout, sql
from akhbar.index.store.manifest import Manifest


def _reason(p: Problem) -> str:
    reason = p.error.reason.split(" (first at")[0].split(": ")[0]
    return f"{p.error.field}: {reason.split(' at column')[0]}"


def _job(kind: str, base: Path | None, inputs: Inputs, removals: list[str], *, settings: Settings, strict: bool) -> str:
    """Names a job by everything that decides its result, so only the same job resumes: files by path, size
    and time, records given in memory by their content."""
    h = hashlib.sha256(repr((kind, base.name if base else "", settings, strict, sorted(removals))).encode())
    for f, _ in files_of(inputs.files):
        st = f.stat()
        h.update(f"{f.resolve()}:{st.st_size}:{st.st_mtime_ns}".encode())
    if inputs.records is not None:
        h.update(inputs.records.name.encode())
        for n, item in inputs.records.items:
            value = asdict(item) if isinstance(item, Article) else item if isinstance(item, dict) else repr(item)
            h.update(orjson.dumps([n, value], default=repr))
    return h.hexdigest()[:16]


Source = str | Path | Article | dict | Records  # what a writer's `sources` hold (Inputs)


class Inputs:
    """What a write reads: files and folders (a resumable job: the same files resume a killed run), and
    records given in memory after them (an Article or a dict each, reported as records:N; or a Records, numbered
    under its own name), whose content names the job, so the same records resume too."""

    def __init__(self, sources: Iterable[Source] = ()) -> None:
        self.files: list[Path] = []
        given: list[tuple[int, Record]] = []
        name = "records"
        for item in sources:
            if isinstance(item, (str, Path)):
                self.files.append(Path(item))
            elif isinstance(item, Records):
                name, given = item.name, given + item.items
            else:
                given.append((len(given) + 1, item))
        self.records = Records(name, given) if given else None

    def read(self) -> Iterator[Article | Problem]:
        return read(self.files, self.records)


OnProblem = Callable[[Problem], None] | None  # told of each bad record as it is found
OnProgress = Callable[[int], None] | None  # told how many articles were just embedded and stored


def _ahead(w: Stage, inputs: Inputs) -> Iterator[str]:
    """The texts this run will embed, in order, read a second time ahead of the writer: after a resumed
    run's skip, not stored when reached (so no unchanged article), each once. A forecast for a pipelining
    encoder (index/embedding/ray_cluster.py); what the writer then asks for is what counts. Remembers the last
    million texts it planned (~100 MB): older ones the writer has stored, and the store answers for them."""
    handled, planned = 0, dict[str, None]()
    for item in inputs.read():
        if isinstance(item, Problem):
            continue
        handled += 1
        h = item.content_hash
        if handled <= w.consumed or h in planned or sql.position_of_hash(w.con, h) is not None:
            continue
        planned[h] = None
        if len(planned) > 1 << 20:
            del planned[next(iter(planned))]
        yield item.text


def _write(
    root: Path,
    kind: str,
    *,
    inputs: Inputs,
    removals: Iterable[str] = (),
    settings: Settings,
    strict: bool,
    backend: str = "auto",
    on_problem: OnProblem,
    on_progress: OnProgress,
    reindex_kind: str | None = None,
    batch: int = config.INGEST_BATCH,
    remote: RemoteEncoder | None = None,
    embedder: Embedder | None = None,
    stored: Path | None = None,
) -> BuildSummary:
    """stored: a version folder whose live articles are the input (reindex's model upgrade), as ingested."""
    started = time.perf_counter()
    removals = list(removals)
    summary = BuildSummary()
    with layout.writer_lock(root):
        base = layout.current_version(root) if kind != "build" else None
        base_manifest = Manifest.load(base) if base else None
        if base is not None and base_manifest is not None:
            integrity.raise_first(root, base, integrity.check_files(base, base_manifest))  # never build on a damaged version
            if settings.model and resolve(settings.model).name != base_manifest.model:
                raise ModelMismatch(f"{root} was built with model '{base_manifest.model}', not '{settings.model}'")
            settings = Settings(base_manifest.model, str(base_manifest.chunking["method"]), int(base_manifest.chunking["window_tokens"]))
        stage = layout.staging(root, _job(f"{kind}:{reindex_kind}:{backend}", base, inputs, removals, settings=settings, strict=strict))
        try:
            try:
                w = Stage(stage, base, base_manifest, settings, backend, summary=summary, on_progress=on_progress, embedder=embedder)
            except integrity.READ_ERRORS:  # a killed run's checkpoint that cannot be read: do the job over
                layout.discard(stage)
                stage = layout.staging(root, stage.name[len(layout.STAGING_PREFIX) :])
                w = Stage(stage, base, base_manifest, settings, backend, summary=summary, on_progress=on_progress, embedder=embedder)
            if remote is not None:
                w.remote = lambda embedder, ref: remote(embedder, ref, _ahead(w, inputs))

            def report(problem: Problem) -> None:
                if strict:
                    raise problem.error
                summary.problems[_reason(problem)] += 1
                if on_problem:
                    on_problem(problem)

            handled = 0
            for item in inputs.read() if stored is None else stored_articles(stored):
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
                if len(w.batch) >= batch:
                    w.flush(handled)
            w.flush(handled)
            for article_id in removals:  # checkpointed like input: a resumed run does not remove twice
                handled += 1
                if handled <= w.consumed:
                    summary.resumed += 1
                    continue
                if not w.drop(article_id):
                    report(Problem(BadInput("(remove)", 0, "id", f"'{article_id}' is not in the index"), True))
                    continue
                summary.removed += 1
            w.checkpoint(handled)
            summary.version, summary.articles = w.finish(root, reindex_kind, removal=kind == "remove")
        except KeyboardInterrupt:
            raise  # the staging folder is the checkpoint: the same command resumes
        except BaseException:
            layout.discard(stage)
            raise
    summary.seconds = time.perf_counter() - started
    return summary


def build(
    sources: Iterable[Source],
    root: Path,
    *,
    model_name: str | None = None,
    strict: bool = False,
    backend: str = "auto",
    method: str = config.CHUNK_METHOD,
    window_tokens: int = config.WINDOW_TOKENS,
    batch: int = config.INGEST_BATCH,
    on_problem: OnProblem = None,
    on_progress: OnProgress = None,
    remote: RemoteEncoder | None = None,
) -> BuildSummary:
    """A new index at `root` from the sources; the previous version stays live until it is complete.

    Args:
        sources: files and folders to ingest, and records given in memory (an Article or a dict, as one JSON
            Lines record; reported as records:N), read after the files.
        root: the index directory.
        strict: the first bad record aborts the build (and nothing changes).
        batch: articles embedded and committed per step (config.INGEST_BATCH).
        on_problem, on_progress: the callbacks every writer takes (OnProblem, OnProgress).
        remote: embed somewhere else (index/embedding/ray_cluster.py); the writer and its guarantees stay here.
    Returns:
        What was read, indexed and skipped.
    """
    return _write(
        root,
        "build",
        inputs=Inputs(sources),
        settings=Settings(model_name, method, window_tokens),
        strict=strict,
        backend=backend,
        on_problem=on_problem,
        on_progress=on_progress,
        batch=batch,
        remote=remote,
    )


def add(
    sources: Iterable[Source],
    root: Path,
    *,
    model_name: str | None = None,
    strict: bool = False,
    backend: str = "auto",
    on_problem: OnProblem = None,
    on_progress: OnProgress = None,
    remote: RemoteEncoder | None = None,
    embedder: Embedder | None = None,
) -> BuildSummary:
    """New articles into the live index; an id already there is updated if its content changed.

    `sources` are files and folders (a killed add of the same files resumes) and records given in memory (an
    Article or a dict each, the way sqlite-utils' insert_all and txtai's upsert take them; reported as
    records:N; the same records given again resume too). Only new or changed texts are embedded, the
    way the index was built (its manifest). A process that keeps a model loaded (akhbar serve) passes its
    `embedder`, built for this index (search.snapshot.query_embedder), so a write does not load the model again.
    """
    return _write(
        root,
        "add",
        inputs=Inputs(sources),
        settings=Settings(model_name, config.CHUNK_METHOD, config.WINDOW_TOKENS),
        strict=strict,
        backend=backend,
        on_problem=on_problem,
        on_progress=on_progress,
        remote=remote,
        embedder=embedder,
    )


def remove(
    ids: Iterable[str], root: Path, *, strict: bool = False, on_problem: OnProblem = None, on_progress: OnProgress = None
) -> BuildSummary:
    """Take articles out of the live index (retractions); never loads the model, so embeds nothing
    and never calls on_progress."""
    return _write(
        root,
        "remove",
        inputs=Inputs(),
        removals=ids,
        settings=Settings(None, config.CHUNK_METHOD, config.WINDOW_TOKENS),
        strict=strict,
        on_problem=on_problem,
        on_progress=on_progress,
    )


def reindex(root: Path, kind: str, *, on_problem: OnProblem = None, on_progress: OnProgress = None) -> BuildSummary:
    """The live index merged into one base with another FAISS kind, from the stored vectors and with
    the same centering: nothing is read or embedded (the callbacks are never called), and results
    differ only by the kind's approximation. An index of the default model built before its shipped
    tuning (index/embedding/tuning.py) is first built again from its stored articles with the
    tuned model: every vector, the centering and the stories are new."""
    faiss_index.plan(kind, 1, 8)  # an unknown kind fails before any work
    live = layout.current_version(root)
    m = Manifest.load(live) if live else None
    if m is not None and untuned_default(m.model, m.model_checksum):
        # built before the default model's shipped tuning: embedded again, from its stored articles
        # (a build's merge: centering refitted, stories from scratch), then the kind asked for, below
        settings = Settings(None, str(m.chunking["method"]), int(m.chunking["window_tokens"]))
        _write(root, "build", inputs=Inputs(), settings=settings, strict=False, on_problem=on_problem, on_progress=on_progress, stored=live)
    return _write(
        root,
        "reindex",
        inputs=Inputs(),
        settings=Settings(None, config.CHUNK_METHOD, config.WINDOW_TOKENS),
        strict=False,
        on_problem=on_problem,
        on_progress=on_progress,
        reindex_kind=kind,
    )


def stored_articles(version: Path, batch: int = 1000) -> Iterator[Article]:
    """A version's live articles in position order, as they were ingested (for a rebuild by reindex)."""
    con = sql.connect_readonly(version)
    try:
        for offset in itertools.count(0, batch):
            rows = sql.in_order(con, "id, body, title, lang, date, source, url, keywords, related, extra, origin", batch, offset)
            for i, body, title, lang, date, source, url, keywords, related, extra, origin in rows:
                yield Article(
                    i,
                    body,
                    title=title,
                    lang=lang,
                    date=date,
                    source=source,
                    url=url,
                    keywords=orjson.loads(keywords),
                    related=orjson.loads(related),
                    extra=orjson.loads(extra),
                    origin=origin,
                )
            if len(rows) < batch:
                return
    finally:
        con.close()
