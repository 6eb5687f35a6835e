"""An index of n articles replicated from a real index's stored vectors with small noise.

The large-index paths (IVF kinds, delta writes, merges) can then be measured (bench/scale.py)
and tested without embedding n texts. Row i copies source article i mod m: its title (also
as body), language, source and date, with the id suffixed `~{i // m}`; its vector is the
source vector plus Gaussian noise (sigma per dimension), renormalised. Replica 0 keeps its
source's story link and copy mark; replica r > 0 links to replica 0 of its source article,
as a link pass would link it to one of the earlier replicas, and is its copy when the two pass
index/stories/same_row.py (the same headline and day, so a centered cosine of COPY_STORY_COSINE; the
noise keeps replicas under COPY_COSINE). The stories of a synthetic index are not claimed to
equal a fresh pass.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from akhbar.index import config
from akhbar.index.article import Article
from akhbar.index.stage import index_vectors
from akhbar.index.store import centering, integrity, layout, sql, vectors
from akhbar.index.store.manifest import Manifest
from akhbar.index.stories.same_row import same_row


def replicate(src_root: Path, root: Path, n: int, kind: str | None = None, sigma: float = 0.01) -> dict[str, object]:
    """Publish at `root` an index of n rows made from `src_root`'s; returns timings and the FAISS entry."""
    src = layout.current_version(src_root)
    mf = Manifest.load(src)
    raw = np.asarray(vectors.Rows(src, mf.dimension)[np.arange(mf.articles)], dtype=np.float32)
    con = sql.connect_base(src)  # a built index: everything is in its base
    rows = sql.in_order(con, "id, title, body, lang, date, source")
    stories = sql.story_rows(con)
    con.close()
    m = len(rows)
    rng = np.random.default_rng(0)
    t0 = time.perf_counter()
    with layout.writer_lock(root):
        stage = layout.staging(root, f"replicate-{n}-{time.time_ns()}")  # a fresh folder: this does not resume
        sql.create(stage / sql.DB)
        sql.create(stage / sql.DELTA_DB, sql.DELTA_SCHEMA)
        con = sql.connect_base(stage, readonly=False)
        with open(stage / vectors.VECTORS, "wb") as vf:
            for start in range(0, n, 50_000):
                idx = np.arange(start, min(n, start + 50_000))
                v = raw[idx % m] + rng.normal(0, sigma, (len(idx), raw.shape[1])).astype(np.float32)
                vectors.append(vf, v / np.linalg.norm(v, axis=1, keepdims=True))
                batch = [
                    Article(
                        id=f"{rows[i % m][0]}~{i // m}",
                        title=rows[i % m][1] or rows[i % m][2][:90],
                        body=rows[i % m][1] or rows[i % m][2],
                        lang=rows[i % m][3],
                        date=rows[i % m][4],
                        source=rows[i % m][5],
                    )
                    for i in idx.tolist()
                ]
                sql.insert(con, start, batch)
                con.commit()
        t_rows = time.perf_counter() - t0
        t1 = time.perf_counter()
        base = sql.connect_base(stage)
        centers, entry = index_vectors(stage, base, mf.dimension, kind)
        base.close()
        t_faiss = time.perf_counter() - t1
        con = sql.connect_base(stage, readonly=False)
        _replicate_stories(con, vectors.Rows(stage, mf.dimension), centers, rows, stories, n=n)
        con.commit()
        con.close()
        Manifest(
            mf.model,
            mf.model_checksum,
            mf.dimension,
            mf.prompt,
            mf.chunking,
            centering=mf.centering,
            precision=mf.precision,
            faiss=entry,
            articles=n,
            created=time.strftime("%Y-%m-%dT%H:%M:%S"),
            files=integrity.describe(stage),
            backend=mf.backend,
            story_rule=config.STORY_RULE,
        ).save(stage)
        layout.publish(root, stage)
    return {
        "build_s": time.perf_counter() - t0,
        "rows_and_vectors_s": t_rows,
        "centering_and_faiss_s": t_faiss,
        "kind": entry["kind"],
        "factory": entry["factory"],
        "params": entry["params"],
    }


def _replicate_stories(
    con, raw: vectors.Rows, centers: dict[str, np.ndarray], rows: list[tuple], stories: dict[int, tuple[str, int, int, str]], *, n: int
) -> None:
    """Story rows of the n replicas (see the module's docstring), from the source's rows by position."""
    m = len(rows)
    ids = [r[0] for r in rows]
    for start in range(0, n, 50_000):
        idx = np.arange(start, min(n, start + 50_000))
        first = idx % m
        lang = [rows[i][3] for i in first.tolist()]
        cos = np.einsum("ij,ij->i", centering.apply(raw[idx], lang, centers), centering.apply(raw[first], lang, centers))
        out = []
        for i, j, c in zip(idx.tolist(), first.tolist(), cos.tolist()):
            story, link, copied, group = stories[j]
            if i < m:
                out.append((i, f"{story}~0", link, copied, f"{group}~0"))
            else:
                replica = {"title": rows[j][1] or rows[j][2][:90], "day": ""}  # the same headline; the same day
                copy = same_row(c, replica, replica)
                out.append((i, f"{story}~0", j, copy, f"{group}~0" if copy else f"{ids[j]}~{i // m}"))
        sql.insert_stories(con, out)
