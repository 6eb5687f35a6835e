"""Where a writer's texts are embedded: the contract the local Embedder and a remote service share."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Protocol

import numpy as np

from akhbar.index.embedding.embedder import Embedder
from akhbar.index.embedding.model import ModelRef


class TextEncoder(Protocol):
    """Texts → float32 rows of unit length, in order: Embedder.encode's contract."""

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


# Builds the TextEncoder a writer calls instead of its local Embedder (index/embedding/ray_cluster.py), from that Embedder
# (the settings to copy), its model, and the texts the run will ask for, in order, read ahead of the writer.
RemoteEncoder = Callable[[Embedder, ModelRef, Iterator[str]], TextEncoder]
