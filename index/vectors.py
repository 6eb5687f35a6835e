"""Embeddings on disk (float16, so an index can be rebuilt without re-embedding) and the FAISS indexes.

Like the databases (index/store.py), a version has a base and a delta: `vectors.f16` and
`faiss.index` are shared with later versions through hard links and never written again;
`delta.f16` holds the rows added since (positions from the base's row count on) and
`delta.faiss` an exact index of them, keyed by position. Queries search both.

Index kinds: exact `flat` for small corpora; the IVF family (`ivf-flat`, `ivf-sq8`, `ivf-pq`)
for large ones (they support removal and memory-mapping); `hnsw` only on request. The
manifest records the kind, the FAISS factory string and the search parameters.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import BinaryIO

import numpy as np

VECTORS = "vectors.f16"
FAISS = "faiss.index"
DELTA_VECTORS = "delta.f16"
DELTA_FAISS = "delta.faiss"
KINDS = ("flat", "ivf-flat", "ivf-sq8", "ivf-pq", "hnsw")
EXACT_UP_TO = 50_000  # below this, exact search is fast enough (< 5 ms) and needs no training
TRAIN_MAX = 200_000


def append(f: BinaryIO, vectors: np.ndarray) -> None:
    f.write(np.ascontiguousarray(vectors, dtype=np.float16).tobytes())


def open_vectors(folder: Path, dim: int, name: str = VECTORS) -> np.ndarray:
    """A read-only (n, dim) float16 memory map: nothing is loaded until rows are read."""
    path = folder / name
    n = path.stat().st_size // (2 * dim) if dim and path.exists() else 0
    if n == 0:
        return np.zeros((0, dim), np.float16)
    return np.memmap(path, dtype=np.float16, mode="r", shape=(n, dim))


class Rows:
    """A version's stored vectors by position: base rows first, then the delta's."""

    def __init__(self, folder: Path, dim: int) -> None:
        self.base = open_vectors(folder, dim)
        self.delta = open_vectors(folder, dim, DELTA_VECTORS)
        self.base_rows, self.dim = len(self.base), dim

    def __len__(self) -> int:
        return self.base_rows + len(self.delta)

    def __getitem__(self, positions: np.ndarray) -> np.ndarray:
        positions = np.asarray(positions, np.int64)
        if positions.ndim == 0:
            return self[positions[None]][0]
        out = np.empty((len(positions), self.dim), np.float16)
        in_base = positions < self.base_rows
        out[in_base] = self.base[positions[in_base]]
        out[~in_base] = self.delta[positions[~in_base] - self.base_rows]
        return out


def auto_kind(n: int) -> str:
    return "flat" if n < EXACT_UP_TO else "ivf-sq8"


def plan(kind: str, n: int, dim: int) -> dict[str, object]:
    """The FAISS factory string and search parameters for a kind at this corpus size."""
    nlist = max(1, min(65536, int(4 * math.sqrt(n)), n))
    pq_bits = 8 if n >= 10_000 else 4  # 256 codes per sub-quantizer need ~10k training vectors
    factories = {"flat": "Flat", "ivf-flat": f"IVF{nlist},Flat", "ivf-sq8": f"IVF{nlist},SQ8",
                 "ivf-pq": f"IVF{nlist},PQ{dim // 8}x{pq_bits}", "hnsw": "HNSW32"}
    if kind not in factories:
        from akhbar.index.errors import AkhbarError

        raise AkhbarError(f"index kind '{kind}' is not one of {', '.join(KINDS)}")
    params: dict[str, int] = {}
    if kind.startswith("ivf"):
        params["nprobe"] = min(nlist, max(16, nlist // 16))
    elif kind == "hnsw":
        params["efSearch"] = 128
    return {"kind": kind, "factory": factories[kind], "params": params}


def build_faiss(chunks: Callable[[], Iterable[np.ndarray]], n: int, dim: int, folder: Path, kind: str | None = None) -> dict[str, object]:
    """Build the index over unit vectors added in order (FAISS ids are row positions).

    `chunks` is called once more to draw a training sample when the kind needs training.
    Returns the manifest entry: kind, factory, search parameters.
    """
    import faiss

    entry = plan(kind or auto_kind(n), n, dim)
    index = faiss.index_factory(dim, str(entry["factory"]), faiss.METRIC_INNER_PRODUCT)
    if not index.is_trained:
        step = max(1, n // TRAIN_MAX)
        sample = np.concatenate([c[::step] for c in chunks()])[:TRAIN_MAX]
        index.train(np.ascontiguousarray(sample, dtype=np.float32))
    for chunk in chunks():
        index.add(np.ascontiguousarray(chunk, dtype=np.float32))
    faiss.write_index(index, str(folder / FAISS))
    return entry


def build_delta_faiss(folder: Path, positions: list[int], centered: np.ndarray) -> None:
    """An exact index of the delta's rows, keyed by position (none when the delta adds nothing)."""
    import faiss

    (folder / DELTA_FAISS).unlink(missing_ok=True)
    if positions:
        index = faiss.IndexIDMap2(faiss.IndexFlatIP(centered.shape[1]))
        index.add_with_ids(np.ascontiguousarray(centered, dtype=np.float32), np.asarray(positions, np.int64))
        faiss.write_index(index, str(folder / DELTA_FAISS))


def load_faiss(folder: Path) -> tuple[object, object | None]:
    """(base, delta) indexes. The base is memory-mapped where FAISS can: a cold query reads only
    the lists it probes."""
    import faiss

    base = faiss.read_index(str(folder / FAISS), faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY)
    delta = faiss.read_index(str(folder / DELTA_FAISS)) if (folder / DELTA_FAISS).exists() else None
    return base, delta


def search(indexes: tuple[object, object | None], entry: dict, queries: np.ndarray, k: int,
           selector=None) -> tuple[np.ndarray, np.ndarray]:
    """Top k (scores, positions) per query over base and delta; -1 pads missing places."""
    base, delta = indexes
    q = np.ascontiguousarray(queries, dtype=np.float32)
    scores, ids = base.search(q, k, params=search_parameters(entry, selector))
    if delta is None:
        return scores, ids
    import faiss

    d_scores, d_ids = delta.search(q, min(k, delta.ntotal), params=faiss.SearchParameters(sel=selector) if selector else None)
    scores, ids = np.concatenate([scores, d_scores], axis=1), np.concatenate([ids, d_ids], axis=1)
    scores[ids < 0] = -np.inf
    top = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(scores, top, 1), np.take_along_axis(ids, top, 1)


def search_parameters(entry: dict, selector=None):
    """FAISS search parameters of the index kind, with an optional id selector (filters)."""
    import faiss

    kind, params = entry["kind"], entry.get("params", {})
    if str(kind).startswith("ivf"):
        return faiss.SearchParametersIVF(sel=selector, nprobe=int(params["nprobe"]))
    if kind == "hnsw":
        return faiss.SearchParametersHNSW(sel=selector, efSearch=int(params["efSearch"]))
    return faiss.SearchParameters(sel=selector) if selector is not None else None
