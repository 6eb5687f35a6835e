"""`akhbar stats`: what an index holds and how it was built."""

from __future__ import annotations

from pathlib import Path

from index import store
from search.reader import open_index


def stats(root: Path) -> dict[str, object]:
    idx = open_index(root)
    m = idx.manifest
    size = sum(f.stat().st_size for f in idx.folder.iterdir() if f.is_file())
    return {
        "articles": m.articles,
        "model": m.model,
        "model_checksum": m.model_checksum[:16],
        "dimension": m.dimension,
        "prompt": m.prompt,
        "chunking": m.chunking,
        "precision": m.precision,
        "faiss": m.faiss,
        "created": m.created,
        "version": idx.folder.name,
        "size_mb": round(size / 1e6, 2),
        **m.counts,
        **store.summary(idx.con),
    }
