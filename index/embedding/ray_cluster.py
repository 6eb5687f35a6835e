"""Embedding on a Ray cluster: Ray Data feeds an actor pool (one model per actor), vectors stream back to the one writer.

Only WHERE texts are embedded changes. The writer (index/writers.py) still reads the input, reports
bad records by file and line, decides what is new, checkpoints and publishes; it calls
`RayEncoder.encode(texts)` exactly as it calls `Embedder.encode`. The encoder reads the same
input a second time ahead of the writer (`_Writer.ahead`), ships rounds of those texts through
`map_batches` over an actor pool, and hands each batch of the writer the vectors of its texts as
they come back, so the actors keep embedding while the writer writes. A text the forecast missed
is embedded here, by the local Embedder, so the result never depends on the forecast.

Imported only for `--ray`: the core never imports ray (an optional extra, `akhbar[ray]`).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from akhbar.index.embedding.contract import RemoteEncoder
from akhbar.index.embedding.embedder import Embedder
from akhbar.index.embedding.model import ModelRef
from akhbar.index.errors import AkhbarError, ModelMismatch

# Texts per map_batches call: small enough that actors share a round evenly, large enough that each
# call sorts its windows by length well (Embedder.encode batches them by tokens).
BATCH_TEXTS = 64
# Texts per actor in one round (one Ray Data dataset, one actor pool). A round starts its actors
# afresh (bench/ray_embed.py: ~10-15 s here, model load included), so a round holds minutes of work.
ROUND_TEXTS_PER_ACTOR = 1024


class _EmbedActor:
    """One actor of the pool: loads the model once, with its threads set to its CPUs."""

    def __init__(
        self, model: str, checksum: str, prompt: str, method: str, window_tokens: int, *, backend: str, threads: int, cache: str | None
    ) -> None:
        if cache:
            os.environ["AKHBAR_CACHE"] = cache
        from akhbar.index.embedding.backends import load_for
        from akhbar.index.embedding.model import resolve

        ref = resolve(model, checksum)
        if ref.checksum != checksum:  # another node's weights would give vectors that do not compare
            raise ModelMismatch(f"model '{model}' on this node has checksum {ref.checksum[:12]}, the writer's {checksum[:12]}")
        # the writer's backend: its vectors are what the writer checked against the index
        self.embedder = Embedder(
            load_for(ref, backend, threads=threads),
            prompt,
            method=method,  # type: ignore[arg-type]  # the writer's method, checked by its Embedder
            window_tokens=window_tokens,
        )

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        return {"i": batch["i"], "vector": self.embedder.encode([str(t) for t in batch["text"]])}


class RayEncoder:
    """`encode(texts)` with the Embedder's contract, served by a Ray Data actor pool working ahead."""

    def __init__(self, local: Embedder, ref: ModelRef, ahead: Iterator[str], actors: int, threads: int) -> None:
        self.local, self.ref, self.ahead = local, ref, ahead
        self.actors, self.threads = actors, threads
        self.ready: dict[str, np.ndarray] = {}  # text → its vector, back from the pool, not yet asked for
        self.results = self._stream()
        self.embedded_locally = 0  # texts the forecast missed (tests and bench read it)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Float32 unit rows for the texts, in order: from the pool where forecast, else embedded here."""
        missing = {t for t in texts if t not in self.ready}
        while missing:
            try:
                got = next(self.results, None)
            except Exception as exc:  # Ray retries lost workers itself; what reaches here is final
                last = (str(exc).strip().splitlines() or [type(exc).__name__])[-1]
                raise AkhbarError(f"the Ray cluster could not embed: {last}") from exc
            if got is None:
                break
            for text, vector in got:
                self.ready[text] = vector
                missing.discard(text)
        if missing:  # the writer wants what the forecast left out (e.g. a text dropped and re-added)
            self.ready.update(zip(missing, self.local.encode(list(missing))))
            self.embedded_locally += len(missing)
        if not texts:
            return np.zeros((0, self.local.dim), np.float32)
        return np.stack([self.ready.pop(t) for t in texts]).astype(np.float32)

    def _stream(self) -> Iterator[list[tuple[str, np.ndarray]]]:
        """Rounds of forecast texts through map_batches; yields (text, vector) pairs as batches come back."""
        import pyarrow as pa
        import ray.data

        round_size = self.actors * ROUND_TEXTS_PER_ACTOR
        kwargs = {
            "model": self.ref.name,
            "checksum": self.ref.checksum,
            "prompt": self.local.prompt,
            "method": self.local.method,
            "window_tokens": self.local.window_tokens,
            "backend": self.local.backend,
            "threads": self.threads,
            "cache": os.environ.get("AKHBAR_CACHE"),
        }
        while True:
            texts = [t for _, t in zip(range(round_size), self.ahead)]
            if not texts:
                return
            blocks = [
                pa.table({"i": np.arange(s, min(s + BATCH_TEXTS, len(texts))), "text": texts[s : s + BATCH_TEXTS]})
                for s in range(0, len(texts), BATCH_TEXTS)
            ]
            # from_blocks, not from_arrow: the same blocks, but their metadata read here, where from_arrow ran a
            # remote task per block for it (~2.5 s a round on 2 cores before the first actor started)
            ds = ray.data.from_blocks(blocks).map_batches(
                _EmbedActor,
                fn_constructor_kwargs=kwargs,
                batch_size=BATCH_TEXTS,
                num_cpus=self.threads,
                compute=ray.data.ActorPoolStrategy(size=min(self.actors, len(blocks))),
                batch_format="numpy",
            )
            back = 0
            for batch in ds.iter_batches(batch_size=None, batch_format="numpy"):
                pairs = [(texts[int(i)], v) for i, v in zip(batch["i"], batch["vector"])]
                back += len(pairs)
                if back == len(texts):
                    break  # leave Ray's iterator now, not when this generator is collected after ray shuts down
                yield pairs
            yield pairs


def connect(address: str | None) -> int:
    """Join the cluster at `address` ('auto': the one `ray start` runs here), or start a new local one
    ('local' or None); reuses a connection this process already has.

    Returns:
        the cluster's CPUs.
    """
    try:
        import ray
        import ray.data
    except ImportError as exc:
        raise AkhbarError("--ray needs Ray: pip install 'akhbar[ray]'") from exc
    if not ray.is_initialized():
        try:
            ray.init(address=address or "local", include_dashboard=False, log_to_driver=False, logging_level=logging.WARNING)
        except (ConnectionError, ValueError, RuntimeError) as exc:
            raise AkhbarError(f"cannot reach a Ray cluster at {address}: {exc}") from exc
    logging.getLogger("ray.data").setLevel(logging.ERROR)  # not even the notice that its bars are off
    ctx = ray.data.DataContext.get_current()
    ctx.enable_progress_bars = False  # the writer shows progress on stderr; Ray's own would interleave
    ctx.print_on_execution_start = False
    return int(ray.cluster_resources().get("CPU", 1))


def remote(address: str | None, sources: Sequence[str | Path], actors: int | None = None, threads: int = 1) -> RemoteEncoder:
    """The `remote` argument of build/add for a Ray cluster: `actors` of `threads` CPUs each (default: all its CPUs).

    One thread per actor: on small machines more threads per process oversubscribe the cores.
    """
    for s in map(Path, sources):
        if s.exists() and not (s.is_dir() or s.is_file()):  # a pipe cannot be read twice
            raise AkhbarError(f"{s}: --ray reads the input twice, so it must be files or folders, not a stream")
    cpus = connect(address)
    actors = actors or max(1, cpus // threads)

    def make(local: Embedder, ref: ModelRef, ahead: Iterator[str]) -> RayEncoder:
        return RayEncoder(local, ref, ahead, actors, threads)

    return make
