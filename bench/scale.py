"""An index at 100k and 1M articles: build (embedding excluded), size, memory, latency, recall.

Usage: python bench/scale.py --from-index SRC -n 100000 [--kind ivf-sq8] [--work /tmp/akhbar-scale]

SRC is a real index (e.g. `akhbar build` over a SaudiNewsNet slice, see docs/scale.md). Its stored
vectors are replicated to n rows with small Gaussian noise (sigma 0.01 per dimension, on
unit vectors; rows keep their source article's title, language, source and day, with
suffixed ids). Measured: build time from stored vectors (SQLite, centering, FAISS),
size on disk, similar-ID latency in-process (p50/p99, and of the vector search alone),
text-query latency with the model warm, recall@10 against exact search on 200 queries, cold
start of `akhbar similar ID --json` in a fresh process and its peak RSS. Baselines in the
same run: `similar ID` in dense mode beside the default hybrid, the same IVF index probing
every list beside its tuned nprobe, and a merge beside each delta write. Then the writes:
`add` of 1,000 articles whose texts are already in the index (so nothing is embedded: the
write path alone), twice, and `remove` of 100 (all delta writes); the query measurements again
over base + delta; how far the frozen centering drifts from a refit (top-10 overlap of exact
search, 200 queries); and a merge (`reindex` into the same kind).
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

from akhbar.index.store import layout
from akhbar.search.options import QueryOptions
from akhbar.search.snapshot import open_snapshot

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # bench.synthetic, run as a script too
from bench.synthetic import replicate  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def child_query(root: Path, ids: list[str]) -> dict:
    """In a fresh process: cold start of the first query, then warm latencies and peak RSS."""
    t = time.perf_counter()
    from akhbar.search.query import similar_to_id

    idx = open_snapshot(root)
    similar_to_id(idx, ids[0], QueryOptions(k=10))
    cold = time.perf_counter() - t
    lat, ann, dense, scan = [], [], [], []
    base, _ = idx.faiss
    exhaustive = None
    if hasattr(base, "nlist"):  # baseline: the same IVF index probing every list
        import faiss

        exhaustive = faiss.SearchParametersIVF(nprobe=base.nlist)
    for n, i in enumerate(ids[1:]):
        t = time.perf_counter()
        q = idx.vector(idx.position(i))[None, :]
        t_ann = time.perf_counter()
        idx.search(q, 10)
        ann.append(time.perf_counter() - t_ann)
        similar_to_id(idx, i, QueryOptions(k=10))
        lat.append(time.perf_counter() - t)
        t = time.perf_counter()
        similar_to_id(idx, i, QueryOptions(k=10, mode="dense"))
        dense.append(time.perf_counter() - t)
        if exhaustive is not None and n < 20:
            t = time.perf_counter()
            base.search(q, 10, params=exhaustive)
            scan.append(time.perf_counter() - t)
    pct = lambda xs, p: float(np.percentile(np.asarray(xs) * 1000, p))  # noqa: E731
    return {
        "first_query_s": cold,
        "similar_p50_ms": pct(lat, 50),
        "similar_p99_ms": pct(lat, 99),
        # issue 9's targets, against the vector search beneath the box: p50 <= 5x, p99 <= 20x its p50
        "similar_vs_vector_search_p50": pct(lat, 50) / pct(ann, 50),
        "similar_p99_vs_vector_search_p50": pct(lat, 99) / pct(ann, 50),
        "similar_dense_p50_ms": pct(dense, 50),
        "similar_hybrid_vs_dense_p50": pct(lat, 50) / pct(dense, 50),
        "vector_search_p50_ms": pct(ann, 50),
        "vector_search_p99_ms": pct(ann, 99),
        **({"all_lists_search_p50_ms": pct(scan, 50), "vector_search_vs_all_lists_p50": pct(ann, 50) / pct(scan, 50)} if scan else {}),
        # VmHWM, not ru_maxrss: after fork+exec, ru_maxrss can still report the parent's size.
        # Of the resident memory at the end, file-backed pages are the memory-mapped index (reclaimable).
        **{
            f"{k.lower()}_mb": int(v.split()[0]) / 1024
            for k, v in (line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines())
            if k in ("VmHWM", "RssAnon", "RssFile")
        },
        "torch_loaded": "torch" in sys.modules,
    }


def child(root: Path, args: argparse.Namespace, ids: list[str]) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "-n", str(args.n), "--work", str(args.work), "--child", ",".join(ids)]
        + (["--kind", args.kind] if args.kind else []),
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def centering_drift(idx, sample: int = 200, k: int = 10) -> dict:
    """Top-k overlap of exact search under the index's (frozen) centers and under centers refitted
    on its live articles now: what a delta write gives up against a merge."""
    from akhbar.index.store import centering

    rows = idx.in_order("pos, lang")
    pos = np.asarray([r[0] for r in rows])
    langs = np.asarray([r[1] for r in rows])
    step = 65536
    refit = centering.fit((idx.raw_vectors[pos[i : i + step]], langs[i : i + step].tolist()) for i in range(0, len(pos), step))
    q = np.random.default_rng(2).choice(len(pos), sample, replace=False)
    tops = []
    for centers in (idx.centers, refit):
        qv = centering.apply(idx.raw_vectors[pos[q]], langs[q].tolist(), centers)
        scores = np.concatenate(
            [
                qv @ centering.apply(idx.raw_vectors[pos[i : i + step]], langs[i : i + step].tolist(), centers).T
                for i in range(0, len(pos), step)
            ],
            axis=1,
        )
        tops.append(np.argpartition(-scores, k, axis=1)[:, :k])
    shift = max(float(np.linalg.norm(refit[c] - idx.centers[c])) for c in refit if c in idx.centers)
    return {"top10_overlap": float(np.mean([len(set(a) & set(b)) / k for a, b in zip(*tops)])), "max_center_shift": shift}


def text_queries(root: Path) -> dict:
    from akhbar.search.query import search
    from akhbar.search.snapshot import query_embedder

    idx = open_snapshot(root)
    emb = query_embedder(idx.manifest)
    texts = [
        "زلزال قوي يضرب تركيا",
        "أسعار النفط ترتفع بعد قرار أوبك",
        "NATO summit on Ukraine",
        "كأس العالم قطر",
        "الملك سلمان يستقبل رئيس الوزراء",
        "Greek debt crisis talks",
        "موسم الحج هذا العام",
        "hausse du prix du pétrole",
    ] * 5
    search(idx, emb, texts[0], QueryOptions(k=10))
    lat, floor = [], []  # floor: encoding the text alone plus the vector search, the same texts in the same run
    for t in texts:
        s = time.perf_counter()
        search(idx, emb, t, QueryOptions(k=10))
        lat.append(time.perf_counter() - s)
        s = time.perf_counter()
        idx.search(idx.query_vector(emb, t)[None, :], 10)
        floor.append(time.perf_counter() - s)
    ms, floor_ms = np.asarray(lat) * 1000, np.asarray(floor) * 1000
    return {
        "text_p50_ms": float(np.percentile(ms, 50)),
        "text_p99_ms": float(np.percentile(ms, 99)),
        "encode_and_vector_search_p50_ms": float(np.percentile(floor_ms, 50)),
        # issue 9's target: p50 <= 2x encoding the query alone plus the vector search
        "text_vs_encode_and_vector_search_p50": float(np.percentile(ms, 50) / np.percentile(floor_ms, 50)),
    }


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
    from akhbar.index.embedding.cpu import detect

    result: dict = {"n": args.n, "cpu": detect().as_dict(), "cpu_label": detect().label(), "load_average_at_start": os.getloadavg()}
    result.update(replicate(args.from_index, root, args.n, args.kind, args.sigma))
    result["disk_mb"] = {f.name: round(f.stat().st_size / 1e6, 1) for f in layout.current_version(root).iterdir()}
    idx = open_snapshot(root)
    rng = np.random.default_rng(1)
    picks = rng.choice(args.n, 201, replace=False).tolist()
    rows = idx.rows(picks, "pos, id")
    ids = [rows[p]["id"] for p in picks]
    result.update(child(root, args, ids))
    walls = []
    for i in ids[:3]:
        t = time.perf_counter()
        subprocess.run(
            [str(Path(sys.executable).parent / "akhbar"), "similar", i, "--index", str(root), "--json"], capture_output=True, check=True
        )
        walls.append(time.perf_counter() - t)
    result["cli_cold_start_s"] = statistics.median(walls)
    from akhbar.search.stats import recall_at_k

    result["recall@10_vs_exact"] = recall_at_k(idx)
    result.update(text_queries(root))
    from akhbar.index.writers import add, reindex, remove

    for name, first in (("add_1000", 0), ("add_1000_again", 1000)):  # texts already indexed: the write path alone
        rows = idx.in_order("id, title, body, lang, date, source", 1000, first)
        new = args.work / f"{name}.jsonl"
        new.write_text(
            "".join(
                json.dumps(
                    {"id": f"{r[0]}+new", "title": r[1], "body": r[2], "lang": r[3], "date": r[4], "source": r[5]}, ensure_ascii=False
                )
                + "\n"
                for r in rows
            ),
            encoding="utf-8",
        )
        t = time.perf_counter()
        s = add([new], root)
        result[f"{name}_s"], result[f"{name}_embedded"] = time.perf_counter() - t, s.embedded
    t = time.perf_counter()
    remove(ids[-100:], root)
    result["remove_100_s"] = time.perf_counter() - t
    after = {k: v for k, v in child(root, args, ids[1:-100]).items() if "ms" in k or k == "vmhwm_mb"}
    result.update({f"after_writes_{k}": v for k, v in after.items()})
    written = open_snapshot(root)
    result["after_writes_recall@10_vs_exact"] = recall_at_k(written)
    result["after_writes_centering_drift"] = centering_drift(written)
    t = time.perf_counter()
    reindex(root, written.manifest.faiss["kind"])
    result["merge_s"] = time.perf_counter() - t
    result["add_1000_vs_merge"] = result["add_1000_s"] / result["merge_s"]  # a merge is what every write did before deltas
    result["remove_100_vs_merge"] = result["remove_100_s"] / result["merge_s"]  # issue 27: under 1 at every size
    result["load_average_at_end"] = os.getloadavg()  # other work on the machine inflates absolute times
    print(json.dumps(result, indent=1))
    print(
        f"similar p50 {result['similar_vs_vector_search_p50']:.1f}x the vector search p50 (target 5x), "
        f"p99 {result['similar_p99_vs_vector_search_p50']:.1f}x (target 20x); text query p50 "
        f"{result['text_vs_encode_and_vector_search_p50']:.1f}x encoding plus vector search (target 2x); "
        f"remove 100 {result['remove_100_s']:.2f} s = {result['remove_100_vs_merge']:.2f}x a merge ({result['merge_s']:.2f} s)",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
