"""An index at 100k and 1M articles: build (embedding excluded), size, memory, latency, recall.

Usage: python bench/scale.py --from-index SRC -n 100000 [--kind ivf-sq8] [--work /tmp/akhbar-scale]

SRC is a real index (e.g. `akhbar build` over a SaudiNewsNet slice, see README). Its stored
vectors are replicated to n rows with small Gaussian noise (sigma 0.01 per dimension, on
unit vectors; rows keep their source article's title, language, source and day, with
suffixed ids). Measured: build time from stored vectors (SQLite, centering, FAISS),
size on disk, similar-ID latency in-process (p50/p99, and of the vector search alone),
text-query latency with the model warm, recall@10 against exact search on 200 queries, cold
start of `akhbar similar ID --json` in a fresh process and its peak RSS, and `akhbar add` of
1,000 articles whose texts are already in the index (so nothing is embedded).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from index import layout, store, vectors  # noqa: E402
from index.build import index_vectors  # noqa: E402
from index.article import Article  # noqa: E402
from index.manifest import Manifest  # noqa: E402
from search.reader import open_index  # noqa: E402


def synthesize(src_root: Path, root: Path, n: int, kind: str | None, sigma: float) -> dict:
    """Write an index of n rows replicated from src's stored vectors; returns timings."""
    src = open_index(src_root)
    raw = np.asarray(src.raw_vectors, dtype=np.float32)
    rows = src.con.execute("SELECT id, title, lang, date, source FROM articles ORDER BY pos").fetchall()
    m = len(rows)
    rng = np.random.default_rng(0)
    t0 = time.perf_counter()
    with layout.writer_lock(root):
        stage = layout.staging(root, f"scale{n}-{os.getpid()}")  # a fresh folder: this bench does not resume
        con = store.open_stage(stage, None)
        with open(stage / vectors.VECTORS, "wb") as vf:
            for start in range(0, n, 50_000):
                idx = np.arange(start, min(n, start + 50_000))
                v = raw[idx % m] + rng.normal(0, sigma, (len(idx), raw.shape[1])).astype(np.float32)
                vectors.append(vf, v / np.linalg.norm(v, axis=1, keepdims=True))
                batch = []
                for i in idx.tolist():
                    rid, title, lang, date, source = rows[i % m]
                    batch.append(Article(id=f"{rid}~{i // m}", title=title, body=title, lang=lang, date=date, source=source))
                store.insert(con, start, batch)
                con.commit()
        t_rows = time.perf_counter() - t0
        store.finish(con, vacuum=False)
        t1 = time.perf_counter()
        _, entry = index_vectors(stage, con, raw.shape[1], kind)
        t_faiss = time.perf_counter() - t1
        con.close()
        mf = src.manifest
        Manifest(mf.model, mf.model_checksum, mf.dimension, mf.prompt, mf.chunking, mf.centering, mf.precision, entry, n,
                 created=time.strftime("%Y-%m-%dT%H:%M:%S")).save(stage)
        layout.publish(root, stage)
    return {"build_s": time.perf_counter() - t0, "rows_and_vectors_s": t_rows, "centering_and_faiss_s": t_faiss, "kind": entry["kind"],
            "factory": entry["factory"], "params": entry["params"]}


def child_query(root: Path, ids: list[str]) -> dict:
    """In a fresh process: cold start of the first query, then warm latencies and peak RSS."""
    t = time.perf_counter()
    from search.query import similar_to_id

    idx = open_index(root)
    similar_to_id(idx, ids[0], k=10)
    cold = time.perf_counter() - t
    lat, ann = [], []
    from index.vectors import search_parameters

    params = search_parameters(idx.manifest.faiss)
    for i in ids[1:]:
        t = time.perf_counter()
        row = idx.con.execute("SELECT pos FROM articles WHERE id = ?", (i,)).fetchone()
        q = idx.vector(row[0])[None, :]
        t_ann = time.perf_counter()
        idx.faiss.search(q, 10, params=params)
        ann.append(time.perf_counter() - t_ann)
        similar_to_id(idx, i, k=10)
        lat.append(time.perf_counter() - t)
    pct = lambda xs, p: float(np.percentile(np.asarray(xs) * 1000, p))  # noqa: E731
    return {"first_query_s": cold, "similar_p50_ms": pct(lat, 50), "similar_p99_ms": pct(lat, 99),
            "vector_search_p50_ms": pct(ann, 50), "vector_search_p99_ms": pct(ann, 99),
            # VmHWM, not ru_maxrss: after fork+exec, ru_maxrss can still report the parent's size.
            # Of the resident memory at the end, file-backed pages are the memory-mapped index (reclaimable).
            **{f"{k.lower()}_mb": int(v.split()[0]) / 1024 for k, v in (line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines())
               if k in ("VmHWM", "RssAnon", "RssFile")},
            "torch_loaded": "torch" in sys.modules}


def text_queries(root: Path) -> dict:
    from search.query import search
    from search.reader import query_embedder

    idx = open_index(root)
    emb = query_embedder(idx.manifest)
    texts = ["زلزال قوي يضرب تركيا", "أسعار النفط ترتفع بعد قرار أوبك", "NATO summit on Ukraine", "كأس العالم قطر",
             "الملك سلمان يستقبل رئيس الوزراء", "Greek debt crisis talks", "موسم الحج هذا العام", "hausse du prix du pétrole"] * 5
    search(idx, emb, texts[0], k=10)
    lat = []
    for t in texts:
        s = time.perf_counter()
        search(idx, emb, t, k=10)
        lat.append(time.perf_counter() - s)
    return {"text_p50_ms": float(np.percentile(np.asarray(lat) * 1000, 50)), "text_p99_ms": float(np.percentile(np.asarray(lat) * 1000, 99))}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--from-index", type=Path)
    ap.add_argument("-n", type=int, default=100_000)
    ap.add_argument("--kind", default=None)
    ap.add_argument("--sigma", type=float, default=0.01)
    ap.add_argument("--work", type=Path, default=Path("/tmp/akhbar-scale"))
    ap.add_argument("--child", default=None)
    args = ap.parse_args()
    root = args.work / f"n{args.n}-{args.kind or 'auto'}"
    if args.child:
        print(json.dumps(child_query(root, args.child.split(","))))
        return
    result: dict = {"n": args.n}
    result.update(synthesize(args.from_index, root, args.n, args.kind, args.sigma))
    result["disk_mb"] = {f.name: round(f.stat().st_size / 1e6, 1) for f in layout.current_version(root).iterdir()}
    idx = open_index(root)
    rng = np.random.default_rng(1)
    ids = [idx.con.execute("SELECT id FROM articles WHERE pos = ?", (int(p),)).fetchone()[0] for p in rng.choice(args.n, 201, replace=False)]
    out = subprocess.run([sys.executable, __file__, "-n", str(args.n), "--work", str(args.work), "--child", ",".join(ids)]
                         + (["--kind", args.kind] if args.kind else []), capture_output=True, text=True, check=True)
    result.update(json.loads(out.stdout.strip().splitlines()[-1]))
    walls = []
    for i in ids[:3]:
        t = time.perf_counter()
        subprocess.run([str(Path(sys.executable).parent / "akhbar"), "similar", i, "--index", str(root), "--json"],
                       capture_output=True, check=True)
        walls.append(time.perf_counter() - t)
    result["cli_cold_start_s"] = statistics.median(walls)
    from search.stats import recall_at_k

    result["recall@10_vs_exact"] = recall_at_k(idx)
    result.update(text_queries(root))
    # add 1,000 articles whose texts are already indexed: the add path without embedding
    rows = idx.con.execute("SELECT id, title, body, lang, date, source FROM articles LIMIT 1000").fetchall()
    new = args.work / "add-1000.jsonl"
    new.write_text("".join(json.dumps({"id": f"{r[0]}+new", "title": r[1], "body": r[2], "lang": r[3], "date": r[4], "source": r[5]},
                                      ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    from index.build import add

    t = time.perf_counter()
    s = add([new], root)
    result["add_1000_s"] = time.perf_counter() - t
    result["add_1000_embedded"] = s.embedded
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
