"""Embeddings on disk (float16, so an index can be rebuilt without re-embedding) and the FAISS index."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

import numpy as np

VECTORS = "vectors.f16"
FAISS = "faiss.index"
FACTORY = "Flat"  # exact inner product on unit vectors = cosine


def append(f: BinaryIO, vectors: np.ndarray) -> None:
    f.write(np.ascontiguousarray(vectors, dtype=np.float16).tobytes())


def open_vectors(folder: Path, dim: int) -> np.ndarray:
    """A read-only (n, dim) float16 memory map: nothing is loaded until rows are read."""
    path = folder / VECTORS
    n = path.stat().st_size // (2 * dim)
    if n == 0:
        return np.zeros((0, dim), np.float16)
    return np.memmap(path, dtype=np.float16, mode="r", shape=(n, dim))


def build_faiss(chunks: Iterable[np.ndarray], dim: int, folder: Path) -> None:
    """Exact inner-product index over unit vectors added in order: FAISS ids are row positions."""
    import faiss

    index = faiss.index_factory(dim, FACTORY, faiss.METRIC_INNER_PRODUCT)
    for chunk in chunks:
        index.add(np.ascontiguousarray(chunk, dtype=np.float32))
    faiss.write_index(index, str(folder / FAISS))


def load_faiss(folder: Path):
    import faiss

    return faiss.read_index(str(folder / FAISS))
