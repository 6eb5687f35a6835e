"""Is a backend's index as good as the fp32 one? Per-article cosine, eval with paired intervals, thresholds.

Usage: python bench/backend_quality.py ../shared/data --backends openvino-fp32,openvino-bf16 [-n 300] [--skip 5000]
                                       [--work /tmp/akhbar-quality] [--sets ECB+,MEANTIME,ANS]

The first backend is the reference (an fp32 one). For each other backend:
1. per-article cosine to the reference on n SaudiNewsNet articles (whole articles, as a build embeds);
2. ECB+ recall@10, MEANTIME recall@3, ANS MRR (default ranking) of an index built with it, minus the
   reference index's, over the same queries, with a paired bootstrap 95% interval (bench/eval_all.py);
3. the thresholds (copy DUPLICATE_COSINE, story STORY_LINK_COSINE, floor MIN_SIMILARITY): how many
   article pairs of the ECB+ and MEANTIME indexes fall on the other side of each than in the reference,
   and the floor recomputed as bench/calibrate.py does (99th percentile of different-topic pairs).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from akhbar.index import config
from akhbar.index.embedding.backends import load_for
from akhbar.index.embedding.cpu import detect
from akhbar.index.embedding.embedder import Embedder
from akhbar.index.embedding.model import resolve
from akhbar.index.errors import IndexNotFound
from akhbar.index.writers import build
from akhbar.search.evaluate import evaluate
from akhbar.search.settings import DEFAULT_MODE, DEFAULTS
from akhbar.search.snapshot import open_snapshot
from bench.calibrate import pair_scores
from bench.embed_throughput import articles
from bench.eval_all import SETS, difference

MEASURE = {"ECB+": "recall@10", "MEANTIME": "recall@3", "ANS": "mrr"}
THRESHOLDS = {"copy": DEFAULTS.duplicate_cosine, "story": config.STORY_LINK_COSINE, "floor": DEFAULTS.min_similarity}


def article_cosines(backends: list[str], data: Path, n: int, skip: int) -> dict[str, np.ndarray]:
    arts = articles(data / "saudinewsnet/articles.jsonl.gz", n, skip)
    texts = [f"{t}\n{b}" if t else b for t, b in arts]
    ref = resolve()
    out = {}
    for name in backends:
        t = time.perf_counter()
        enc = load_for(ref, name)
        out[name] = Embedder(enc, enc.prompt).encode(texts)
        print(f"{name}: embedded {len(texts)} articles in {time.perf_counter() - t:.0f}s", file=sys.stderr)
    return {name: (out[name] * out[backends[0]]).sum(1) for name in backends[1:]}


def index_for(data: Path, work: Path, set_name: str, articles_file: str, backend: str):
    root = work / f"{set_name.lower().replace('+', 'plus')}-{backend}"
    try:
        return open_snapshot(root)
    except IndexNotFound:
        t = time.perf_counter()
        build([data / articles_file], root, backend=backend)
        print(f"{set_name} {backend}: built in {time.perf_counter() - t:.0f}s", file=sys.stderr)
        return open_snapshot(root)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("data", type=Path)
    ap.add_argument("--backends", default="openvino-fp32,openvino-bf16")
    ap.add_argument("-n", type=int, default=300)
    ap.add_argument("--skip", type=int, default=5000, help="SaudiNewsNet lines to skip (as docs/benchmarks.md's throughput run)")
    ap.add_argument("--work", type=Path, default=Path("/tmp/akhbar-quality"))
    ap.add_argument("--sets", default="ECB+,MEANTIME,ANS")
    args = ap.parse_args()
    backends = args.backends.split(",")
    print(f"CPU: {detect().label()}; reference backend {backends[0]}\n")
    rows, flips = [], []
    for set_name, articles_file, truth, k, _ in [s for s in SETS if s[0] in args.sets.split(",")]:
        idx = {b: index_for(args.data, args.work, set_name, articles_file, b) for b in backends}
        res = {b: evaluate(i, args.data / truth, k, DEFAULT_MODE, per_query=True) for b, i in idx.items()}
        m = MEASURE[set_name]
        for b in backends[1:]:
            d, lo, hi = difference(res[b]["per_query"][m], res[backends[0]]["per_query"][m])
            rows.append(
                f"| {set_name} {m} | {res[backends[0]][m]} | {b} | {res[b][m]} | {d:+.4f} [{lo:+.4f}, {hi:+.4f}] |"
                f" {'yes' if lo <= 0 <= hi or d >= 0 else 'NO'} |"
            )
        if set_name in ("ECB+", "MEANTIME"):
            sims = {}
            for b, i in idx.items():
                X = i.vectors_at(list(range(i.manifest.articles)))
                sims[b] = (X @ X.T)[np.triu_indices(len(X), 1)]
            floors = {b: float(np.percentile(pair_scores(i.root, args.data / truth)["other topic"], 99)) for b, i in idx.items()}
            for b in backends[1:]:
                moved = {name: int(((sims[b] >= t) != (sims[backends[0]] >= t)).sum()) for name, t in THRESHOLDS.items()}
                flips.append(
                    f"| {set_name} | {b} | {len(sims[b])} | {np.abs(sims[b] - sims[backends[0]]).max():.4f} | "
                    + " | ".join(str(moved[n]) for n in THRESHOLDS)
                    + f" | {floors[backends[0]]:.3f} → {floors[b]:.3f} |"
                )
    print(f"| measure | {backends[0]} | backend | value | difference, 95% CI | within noise |")
    print("|---|---|---|---|---|---|")
    print("\n".join(rows))
    print(
        "\n| data set | backend | pairs | max cosine change | "
        + " | ".join(f"cross {n} {t}" for n, t in THRESHOLDS.items())
        + " | floor (99th pct other topic) |"
    )
    print("|---|---|---|---|" + "---|" * len(THRESHOLDS) + "---|")
    print("\n".join(flips), flush=True)
    print()
    if args.n:
        cos = article_cosines(backends, args.data, args.n, args.skip)
        print(f"| backend | per-article cosine to {backends[0]}: min | 1st percentile | mean |")
        print("|---|---|---|---|")
        for name, c in cos.items():
            print(f"| {name} | {c.min():.5f} | {np.percentile(c, 1):.5f} | {c.mean():.5f} |")
        print()


if __name__ == "__main__":
    main()
