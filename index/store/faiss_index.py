"""The FAISS indexes of a version: `faiss.index` over the base's rows (shared with later versions
through a hard link, never written again) and `delta.faiss`, an exact index of the rows added
since, keyed by position. Queries search both and merge.

Index kinds: exact `flat` for small corpora; the IVF family (`ivf-flat`, `ivf-sq8`, `ivf-pq`)
for large ones (they support removal and memory-mapping); `hnsw` only on request. The
manifest records the kind, the FAISS factory string and the search parameters.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np

FAISS = "faiss.index"
DELTA_FAISS = "delta.faiss"
KINDS = ("flat", "ivf-flat", "ivf-sq8", "ivf-pq", "hnsw")
EXACT_UP_TO = 50_000  # below this, exact search is fast enough (< 5 ms) and needs no training
TRAIN_MAX = 200_000


def stage(folder: Path, base: Path | None) -> None:
    """A writer's stage shares the base version's base index (a hard link); its delta index is
    rebuilt at the end (build_delta), so nothing of it is carried."""
    if base is not None and not (folder / FAISS).exists():
        os.link(base / FAISS, folder / FAISS)


def auto_kind(n: int) -> str:
    return "flat" if n < EXACT_UP_TO else "ivf-sq8"


def plan(kind: str, n: int, dim: int) -> dict[str, object]:
    """The FAISS factory string and search parameters for a kind at this corpus size."""
    nlist = max(1, min(65536, int(4 * math.sqrt(n)), n))
    pq_bits = 8 if n >= 10_000 else 4  # 256 codes per sub-quantizer need ~10k training vectors
    factories = {
        "flat": "Flat",
        "ivf-flat": f"IVF{nlist},Flat",
        "ivf-sq8": f"IVF{nlist},SQ8",
        "ivf-pq": f"IVF{nlist},PQ{dim // 8}x{pq_bits}",
        "hnsw": "HNSW32",
    }
    if kind not in factories:
        from akhbar.index.errors import AkhbarError

        raise AkhbarError(f"index kind '{kind}' is not one of {', '.join(KINDS)}")
    params: dict[str, int] = {}
    if kind.startswith("ivf"):
        params["nprobe"] = min(nlist, max(16, nlist // 16))
    elif kind == "hnsw":
        params["efSearch"] = 128
    return {"kind": kind, "factory": factories[kind], "params": params}


def build(chunks: Callable[[], Iterable[np.ndarray]], n: int, dim: int, folder: Path, kind: str | None = None) -> dict[str, object]:
    """Build the index over unit vectors added in order (FAISS ids are row positions).

    `chunks` is called once more to draw a training sample when the kind needs training.
    Returns the manifest entry: kind, factory, search parameters.
    """
    import faiss

    entry = plan(kind or auto_kind(n), n, dim)
    index = faiss.index_factory(dim, str(entry["factory"]), faiss.METRIC_INNER_PRODUCT)
    if isinstance(index, faiss.IndexIVFPQ):
        # Polysemous training only orders each codebook for Hamming pre-filtering, which searches here
        # never use (polysemous_ht stays 0): same results, and it cost ~4 s per ivf-pq build at any size.
        index.do_polysemous_training = False
    if not index.is_trained:
        step = max(1, n // TRAIN_MAX)
        sample = np.concatenate([c[::step] for c in chunks()])[:TRAIN_MAX]
        index.train(np.ascontiguousarray(sample, dtype=np.float32))
    for chunk in chunks():
        index.add(np.ascontiguousarray(chunk, dtype=np.float32))
    tmp = folder / f".{FAISS}.tmp"  # then renamed: a killed write leaves no half file, and a hard-linked one is replaced, not written
    faiss.write_index(index, str(tmp))
    os.replace(tmp, folder / FAISS)
    return entry


def build_delta(folder: Path, positions: list[int], centered: np.ndarray) -> None:
    """An exact index of the delta's rows, keyed by position (none when the delta adds nothing)."""
    import faiss

    (folder / DELTA_FAISS).unlink(missing_ok=True)
    if positions:
        index = faiss.IndexIDMap2(faiss.IndexFlatIP(centered.shape[1]))
        index.add_with_ids(np.ascontiguousarray(centered, dtype=np.float32), np.asarray(positions, np.int64))
        faiss.write_index(index, str(folder / DELTA_FAISS))


def load(folder: Path) -> tuple[Any, Any | None]:
    """(base, delta) indexes. The base is memory-mapped where FAISS can: a cold query reads only
    the lists it probes."""
    import faiss

    base = faiss.read_index(str(folder / FAISS), faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY)
    delta = faiss.read_index(str(folder / DELTA_FAISS)) if (folder / DELTA_FAISS).exists() else None
    return base, delta


def search(indexes: tuple[Any, Any | None], entry: dict, queries: np.ndarray, k: int, selector=None) -> tuple[np.ndarray, np.ndarray]:
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
