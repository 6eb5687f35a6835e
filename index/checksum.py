"""The sha256 of a file, read in 1 MiB blocks: one function for the model's pinned file, the runtime
exports' cache keys and the index's integrity records, so a checksum means the same thing everywhere."""

from __future__ import annotations

import hashlib
from pathlib import Path


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()
