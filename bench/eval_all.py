"""Build an index per evaluation data set and score it with `akhbar eval`'s code.

Usage: python -m bench.eval_all ../shared/data [--work /tmp/akhbar-eval] [--rebuild]
                                [--modes dense,lexical,hybrid] [--fusion rrf | weighted:0.1]
Prints a Markdown table, one column per ranking mode, beside the TF-IDF reference figures of
data/README.md. --fusion sets how hybrid fuses (QuerySettings.fusion) for a comparison run.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

from akhbar.index.errors import IndexNotFound
from akhbar.index.writers import build
from akhbar.search.evaluate import evaluate
from akhbar.search.settings import DEFAULTS
from akhbar.search.snapshot import open_snapshot

# (name, articles, ground truth, k, TF-IDF reference from data/README.md)
SETS = [
    ("ECB+", "ecbplus/articles.jsonl.gz", "ecbplus/clusters.jsonl.gz", 10, {"recall@10": 0.903, "mrr": 0.988}),
    ("MEANTIME", "meantime/articles.jsonl.gz", "meantime/clusters.jsonl.gz", 3, {"recall@3": 0.162}),
    ("ANS", "ans_arabic_headlines/headlines.jsonl.gz", "ans_arabic_headlines/pairs.jsonl.gz", 10, {"recall@10": 0.935, "mrr": 0.763}),
]


def difference(a: list[float], b: list[float], rounds: int = 2000) -> tuple[float, float, float]:
    """Mean of a − b over the same queries, with a paired bootstrap 95% interval: the noise to
    compare a difference with."""
    import numpy as np

    d = np.asarray(a) - np.asarray(b)
    means = d[np.random.default_rng(0).integers(0, len(d), (rounds, len(d)))].mean(1)
    return float(d.mean()), float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))


def snn_copies(data: Path, work: Path, rebuild: bool) -> dict[str, object]:
    """SaudiNewsNet's exact-duplicate groups (members plus 2,000 other articles, as bench/calibrate.py):
    how many `akhbar dups` finds whole, and how many stay whole in one story."""
    from akhbar.search.dups import duplicate_groups, folded_share
    from bench.calibrate import snn_subset

    work.mkdir(parents=True, exist_ok=True)
    groups = snn_subset(data, work / "snn-subset.jsonl", 2000)
    root = work / "snn"
    try:
        if rebuild:
            raise IndexNotFound
        idx = open_snapshot(root)
    except IndexNotFound:
        build([work / "snn-subset.jsonl"], root)
        idx = open_snapshot(root)
    truth = [[p for p in (idx.position(m) for m in g) if p is not None] for g in groups]
    truth = [g for g in truth if len(g) > 1]
    story = idx.story_assignments()
    return {
        "copy_groups": len(truth),
        "copy_groups_found_whole_by_dups": round(folded_share(duplicate_groups(idx), truth), 4),
        "copy_groups_whole_in_one_story": round(sum(len({story[p] for p in g}) == 1 for g in truth) / len(truth), 4),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("data", type=Path)
    ap.add_argument("--work", type=Path, default=Path("/tmp/akhbar-eval"))
    ap.add_argument("--rebuild", action="store_true")
    ap.add_argument("--method", default=None, help="chunk method to build with (first, mean, lead)")
    ap.add_argument("--window-tokens", type=int, default=None, help="window size to build with")
    ap.add_argument("--sets", default="ECB+,MEANTIME,ANS,SNN", help="comma-separated data sets to run")
    ap.add_argument("--modes", default="dense,lexical,hybrid")
    ap.add_argument("--fusion", default=None, help="rrf, or weighted:W")
    args = ap.parse_args()
    modes = args.modes.split(",")
    settings = DEFAULTS
    if args.fusion:
        fusion, _, w = args.fusion.partition(":")
        settings = dataclasses.replace(settings, fusion=fusion, lexical_weight=float(w or settings.lexical_weight))
    rows = []
    for name, articles, truth, k, ref in [s for s in SETS if s[0] in args.sets.split(",")]:
        tag = "".join(f"-{v}" for v in (args.method, args.window_tokens) if v)
        root = args.work / (name.lower().replace("+", "plus") + tag)
        try:
            if args.rebuild:
                raise IndexNotFound
            idx = open_snapshot(root)
        except IndexNotFound:
            t = time.perf_counter()
            kw = {k: v for k, v in (("method", args.method), ("window_tokens", args.window_tokens)) if v}
            s = build([args.data / articles], root, **kw)
            print(f"{name}: built {s.indexed} articles in {time.perf_counter() - t:.0f}s", file=sys.stderr)
            idx = open_snapshot(root)
        results = {}
        for mode in modes:
            t = time.perf_counter()
            results[mode] = evaluate(idx, args.data / truth, k, mode, per_query=True, settings=settings)
            print(
                name, mode, f"{time.perf_counter() - t:.0f}s", {m: v for m, v in results[mode].items() if m != "per_query"}, file=sys.stderr
            )
        rows.append((name, results, ref))
    if "SNN" in args.sets.split(","):
        rows.append(("SaudiNewsNet", {m: r for m in modes for r in [snn_copies(args.data, args.work, args.rebuild)]}, {}))
    paired = "dense" in modes and "hybrid" in modes
    print(f"| data set | measure | {' | '.join(modes)} | TF-IDF reference |" + (" hybrid − dense, 95% CI |" if paired else ""))
    print("|---|---|" + "---|" * len(modes) + "---|" + ("---|" if paired else ""))
    for name, results, ref in rows:
        for measure in results[modes[0]]:
            if measure in ("ground_truth", "kind", "queries", "pairs", "positive_pairs", "copy_groups") or measure.endswith("_mean_cosine"):
                continue
            if measure.endswith("_as_duplicate") or name == "SaudiNewsNet":  # cosine-based: the same in every mode
                print(f"| {name} | {measure} | {results[modes[0]][measure]} (all modes) |" + " |" * len(modes))
                continue
            if measure == "per_query":
                continue
            ci = ""
            if paired and measure in results["dense"].get("per_query", {}):
                ci = " {:+.4f} [{:+.4f}, {:+.4f}] |".format(
                    *difference(results["hybrid"]["per_query"][measure], results["dense"]["per_query"][measure])
                )
            print(f"| {name} | {measure} | {' | '.join(str(results[m][measure]) for m in modes)} | {ref.get(measure, '')} |{ci}")


if __name__ == "__main__":
    main()
