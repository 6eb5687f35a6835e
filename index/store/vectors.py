"""The model's vectors on disk, float16: an index can be rebuilt (merged, re-indexed) without
re-embedding anything.

Like the databases (index/store/sql.py), a version has a base and a delta: `vectors.f16` holds the
base's rows and is shared with later versions through a hard link, never written again;
`delta.f16` holds the rows added since (positions from the base's row count on). The FAISS
indexes over them are index/store/faiss_index.py's.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

import numpy as np

VECTORS = "vectors.f16"
DELTA_VECTORS = "delta.f16"
DTYPE = np.float16


def append(f: BinaryIO, vectors: np.ndarray) -> None:
    f.write(np.ascontiguousarray(vectors, dtype=DTYPE).tobytes())


def open_vectors(folder: Path, dim: int, name: str = VECTORS) -> np.ndarray:
    """A read-only (n, dim) float16 memory map: nothing is loaded until rows are read."""
    path = folder / name
    n = path.stat().st_size // (np.dtype(DTYPE).itemsize * dim) if dim and path.exists() else 0
    if n == 0:
        return np.zeros((0, dim), DTYPE)
    return np.memmap(path, dtype=DTYPE, mode="r", shape=(n, dim))


class Rows:
    """A version's stored vectors by position: base rows first, then the delta's."""

    def __init__(self, folder: Path, dim: int) -> None:
        self.base = open_vectors(folder, dim)
        self.delta = open_vectors(folder, dim, DELTA_VECTORS)
        self.base_rows, self.dim = len(self.base), dim

    def __len__(self) -> int:
        return self.base_rows + len(self.delta)

    def __getitem__(self, positions: np.ndarray | Sequence[int]) -> np.ndarray:
        positions = np.asarray(positions, np.int64)
        if positions.ndim == 0:
            return self[positions[None]][0]
        out = np.empty((len(positions), self.dim), DTYPE)
        in_base = positions < self.base_rows
        out[in_base] = self.base[positions[in_base]]
        out[~in_base] = self.delta[positions[~in_base] - self.base_rows]
        return out


def stage(folder: Path, base: Path | None) -> None:
    """A writer's stage: the base version's base rows (a hard link; an empty file for a fresh build,
    whose rows all go to the delta and then merge) and a copy of its delta, resumed as left."""
    if not (folder / VECTORS).exists():
        if base is not None:
            os.link(base / VECTORS, folder / VECTORS)
        else:
            (folder / VECTORS).touch()
    delta = folder / DELTA_VECTORS
    if not delta.exists():
        if base is not None and (base / DELTA_VECTORS).exists():
            tmp = delta.with_name(delta.name + ".tmp")  # copy then rename: a killed copy never looks finished
            shutil.copyfile(base / DELTA_VECTORS, tmp)
            os.replace(tmp, delta)
        else:
            delta.touch()


class Delta:
    """A writer's delta rows, appended batch by batch and durable before each checkpoint commits."""

    def __init__(self, folder: Path, dim: int, rows: int) -> None:
        """Open the stage's delta holding `rows` committed rows: any written after the last commit go."""
        self.f = open(folder / DELTA_VECTORS, "r+b")  # noqa: SIM115 - open for the whole run, closed by close()
        self.f.truncate(rows * np.dtype(DTYPE).itemsize * dim)
        self.f.seek(0, os.SEEK_END)

    def append(self, vectors: np.ndarray) -> None:
        append(self.f, vectors)
        self.f.flush()
        os.fsync(self.f.fileno())

    def close(self) -> None:
        self.f.close()


def write_base(folder: Path, rows: Rows, order: list[int], step: int = 65536) -> None:
    """A merged base: the rows at `order`, renumbered 0..n-1."""
    with open(folder / VECTORS, "wb") as f:
        for i in range(0, len(order), step):
            append(f, rows[order[i : i + step]])
