"""An index of n articles replicated from a real index's stored vectors with small noise.

The large-index paths (IVF kinds, delta writes, merges) can then be measured (bench/scale.py)
and tested without embedding n texts. Row i copies source article i mod m: its title (also
as body), language, source and date, with the id suffixed `~{i // m}`; its vector is the
source vector plus Gaussian noise (sigma per dimension), renormalised. Its story is replicated
the same way: replica r of a source story is a story of its own (the source's story id and link,
suffixed and shifted by r), so writes to it take the incremental story path; the stories of a
synthetic index are not claimed to equal a fresh pass (its replicas are near-duplicates of each other).
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from akhbar.index import integrity, layout, store, vectors
from akhbar.index.article import Article
from akhbar.index.manifest import Manifest
from akhbar.index.stage import index_vectors


def replicate(src_root: Path, root: Path, n: int, kind: str | None = None, sigma: float = 0.01) -> dict[str, object]:
    """Publish at `root` an index of n rows made from `src_root`'s; returns timings and the FAISS entry."""
    src = layout.current_version(src_root)
    mf = Manifest.load(src)
    raw = np.asarray(vectors.Rows(src, mf.dimension)[np.arange(mf.articles)], dtype=np.float32)
    con = store.connect_base(src)  # a built index: everything is in its base
    rows = store.in_order(con, "id, title, body, lang, date, source")
    stories = store.story_rows(con)
    con.close()
    m = len(rows)
    rng = np.random.default_rng(0)
    t0 = time.perf_counter()
    with layout.writer_lock(root):
        stage = layout.staging(root, f"replicate-{n}-{time.time_ns()}")  # a fresh folder: this does not resume
        store.create(stage / store.DB)
        store.create(stage / store.DELTA_DB, store.DELTA_SCHEMA)
        con = store.connect_base(stage, readonly=False)
        with open(stage / vectors.VECTORS, "wb") as vf:
            for start in range(0, n, 50_000):
                idx = np.arange(start, min(n, start + 50_000))
                v = raw[idx % m] + rng.normal(0, sigma, (len(idx), raw.shape[1])).astype(np.float32)
                vectors.append(vf, v / np.linalg.norm(v, axis=1, keepdims=True))
                batch = [Article(id=f"{rows[i % m][0]}~{i // m}", title=rows[i % m][1] or rows[i % m][2][:90],
                                 body=rows[i % m][1] or rows[i % m][2], lang=rows[i % m][3], date=rows[i % m][4],
                                 source=rows[i % m][5]) for i in idx.tolist()]
                store.insert(con, start, batch)
                story_link = [stories[i % m] for i in idx.tolist()]
                store.insert_stories(con, [(i, f"{st}~{i // m}", -1 if ln < 0 else ln + i - i % m)
                                           for i, (st, ln) in zip(idx.tolist(), story_link)])
                con.commit()
        con.close()
        t_rows = time.perf_counter() - t0
        t1 = time.perf_counter()
        base = store.connect_base(stage)
        _, entry = index_vectors(stage, base, mf.dimension, kind)
        base.close()
        t_faiss = time.perf_counter() - t1
        Manifest(mf.model, mf.model_checksum, mf.dimension, mf.prompt, mf.chunking, mf.centering, mf.precision, entry, n,
                 created=time.strftime("%Y-%m-%dT%H:%M:%S"), files=integrity.describe(stage), backend=mf.backend).save(stage)
        layout.publish(root, stage)
    return {"build_s": time.perf_counter() - t0, "rows_and_vectors_s": t_rows, "centering_and_faiss_s": t_faiss,
            "kind": entry["kind"], "factory": entry["factory"], "params": entry["params"]}
