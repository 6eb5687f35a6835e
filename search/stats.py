"""`akhbar stats`: what an index holds and how it was built."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from akhbar.index.embedding.model import untuned_default
from akhbar.index.store import faiss_index, sql, vectors
from akhbar.search.snapshot import Snapshot, open_snapshot


def recall_at_k(idx: Snapshot, sample: int = 200, k: int = 10) -> float:
    """recall@k of the index (base and delta) against exact search, for `sample` live articles as queries."""
    live = np.asarray(idx.positions(), np.int64)
    queries = np.sort(np.random.default_rng(0).choice(live, min(sample, len(live)), replace=False))
    q = idx.vectors_at(queries.tolist())
    _, ann = idx.search(q, k)
    best_s = np.full((len(q), 0), -np.inf, np.float32)
    best_i = np.zeros((len(q), 0), np.int64)
    for start in range(0, len(live), 65536):
        chunk = live[start : start + 65536]
        s = q @ idx.vectors_at(chunk.tolist()).T
        best_s = np.concatenate([best_s, s], axis=1)
        best_i = np.concatenate([best_i, np.broadcast_to(chunk, s.shape)], axis=1)
        top = np.argsort(-best_s, axis=1)[:, :k]
        best_s, best_i = np.take_along_axis(best_s, top, 1), np.take_along_axis(best_i, top, 1)
    return float(np.mean([len(set(a) & set(e)) / len(e) for a, e in zip(ann.tolist(), best_i.tolist())]))


def stats(root: Path, check_recall: bool = False) -> dict[str, object]:
    idx = open_snapshot(root)
    m = idx.manifest
    sizes = {f.name: f.stat().st_size for f in idx.folder.iterdir() if f.is_file()}
    return {
        "articles": m.articles,
        "model": m.model,
        "model_checksum": m.model_checksum[:16],
        **(
            {"model_tuning": "none: built before the shipped tuning (index/embedding/tuning.py); 'akhbar reindex' embeds it again"}
            if untuned_default(m.model, m.model_checksum)
            else {}
        ),
        "dimension": m.dimension,
        "prompt": m.prompt,
        "chunking": m.chunking,
        "precision": m.precision,
        "backend": m.backend.get("name", "torch"),
        "backend_chosen": m.backend.get("chosen", ""),  # why auto picked it (measured); "" when named or older
        "index_kind": m.faiss["kind"],
        "faiss": m.faiss["factory"],
        "search_params": m.faiss.get("params", {}),
        "created": m.created,
        "version": idx.folder.name,
        "size_mb": round(sum(sizes.values()) / 1e6, 2),
        "faiss_mb": round(sizes.get(faiss_index.FAISS, 0) / 1e6, 2),
        "vectors_mb": round(sizes.get(vectors.VECTORS, 0) / 1e6, 2),
        "sqlite_mb": round(sizes.get(sql.DB, 0) / 1e6, 2),
        "delta_mb": round(sum(sizes.get(f, 0) for f in (sql.DELTA_DB, vectors.DELTA_VECTORS, faiss_index.DELTA_FAISS)) / 1e6, 2),
        "delta_rows": idx.delta_size(),
        **m.counts,
        **idx.summary(),
        **({"recall@10_vs_exact": round(recall_at_k(idx), 4)} if check_recall else {}),
    }
