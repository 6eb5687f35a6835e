"""ingest → embed → store: build a new index version from sources, atomically."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from index import centering, config, layout, store, vectors
from index.article import Article
from index.embed import Embedder
from index.errors import AkhbarError
from index.ingest import Problem, read
from index.manifest import Manifest
from index.model import Precision, article_prompt, choose_precision, load, resolve


@dataclass
class BuildSummary:
    """What a build read, indexed and skipped, and why."""

    read: int = 0
    indexed: int = 0
    skipped: int = 0
    reused_vectors: int = 0  # identical texts embedded once
    problems: Counter = field(default_factory=Counter)  # "field: reason" → count
    version: str = ""
    seconds: float = 0.0

    def as_dict(self) -> dict[str, object]:
        return {"read": self.read, "indexed": self.indexed, "skipped": self.skipped,
                "reused_vectors": self.reused_vectors, "problems": dict(self.problems),
                "version": self.version, "seconds": round(self.seconds, 2)}


def _reason(p: Problem) -> str:
    reason = p.error.reason.split(" (first at")[0].split(": ")[0]
    return f"{p.error.field}: {reason.split(' at column')[0]}"


def build(sources: Iterable[str | Path], root: Path, model_name: str | None = None, strict: bool = False,
          precision: Precision = "auto", method: str = config.CHUNK_METHOD, window_tokens: int = config.WINDOW_TOKENS,
          on_problem: Callable[[Problem], None] | None = None,
          on_progress: Callable[[int], None] | None = None) -> BuildSummary:
    """Build a new index at `root`; the previous version stays live until this one is complete.

    Args:
        sources: files and folders to ingest.
        root: the index directory.
        strict: the first bad record aborts the build (and nothing changes).
        on_problem: told of each bad record as it is found.
        on_progress: told how many articles were just indexed.
    Returns:
        The summary of what was read, indexed and skipped.
    """
    started = time.perf_counter()
    ref = resolve(model_name)
    model = load(ref)
    embedder = Embedder(model, article_prompt(model), method=method,  # type: ignore[arg-type]
                        window_tokens=window_tokens, precision=choose_precision(precision))
    stage = layout.staging(root)
    summary = BuildSummary()
    try:
        con = store.create(stage)
        by_hash: dict[str, int] = {}  # identical text → position of its vector
        with open(stage / vectors.VECTORS, "wb") as vf:
            batch: list[Article] = []

            def flush() -> None:
                """Embed each distinct new text once; copies reuse the vector already written."""
                unique = list({a.content_hash: a for a in batch if a.content_hash not in by_hash}.values())
                new = dict(zip((a.content_hash for a in unique), embedder.encode([a.text for a in unique])))
                summary.reused_vectors += len(batch) - len(unique)
                written = vectors.open_vectors(stage, embedder.dim)
                rows = np.empty((len(batch), embedder.dim), np.float32)
                for i, a in enumerate(batch):
                    if a.content_hash in new:
                        rows[i] = new.pop(a.content_hash)
                        by_hash[a.content_hash] = summary.indexed + i
                    else:  # a copy: of a row in this batch, or of one already on disk
                        p = by_hash[a.content_hash]
                        rows[i] = rows[p - summary.indexed] if p >= summary.indexed else written[p]
                vectors.append(vf, rows)
                vf.flush()
                store.insert(con, summary.indexed, batch)
                summary.indexed += len(batch)
                if on_progress:
                    on_progress(len(batch))
                batch.clear()

            for item in read(sources):
                if isinstance(item, Problem):
                    if strict:
                        raise item.error
                    summary.problems[_reason(item)] += 1
                    summary.read += item.skipped
                    summary.skipped += item.skipped
                    if on_problem:
                        on_problem(item)
                    continue
                summary.read += 1
                batch.append(item)
                if len(batch) >= config.INGEST_BATCH:
                    flush()
            if batch:
                flush()
        con.commit()
        if summary.indexed == 0:
            raise AkhbarError("no article could be indexed; the index was left as it was")
        raw = vectors.open_vectors(stage, embedder.dim)

        def chunks():
            step = 65536
            for i in range(0, len(raw), step):
                yield raw[i : i + step], store.languages(con, i, i + step)

        centers = centering.fit(chunks())
        centering.save(stage, centers)
        vectors.build_faiss((centering.apply(v, langs, centers) for v, langs in chunks()), embedder.dim, stage)
        con.close()
        Manifest(
            model=ref.name, model_checksum=ref.checksum, dimension=embedder.dim, prompt=embedder.prompt,
            chunking={"method": embedder.method, "window_tokens": embedder.window_tokens},
            centering={"by": "language", "min_articles": centering.MIN_ARTICLES,
                       "languages": sorted(k for k in centers if k != centering.ALL)},
            precision=embedder.precision, faiss=vectors.FACTORY, articles=summary.indexed,
            counts={"read": summary.read, "skipped": summary.skipped, "reused_vectors": summary.reused_vectors},
            created=time.strftime("%Y-%m-%dT%H:%M:%S"),
        ).save(stage)
        summary.version = layout.publish(root, stage).name
    except BaseException:
        layout.discard(stage)
        raise
    summary.seconds = time.perf_counter() - started
    return summary
