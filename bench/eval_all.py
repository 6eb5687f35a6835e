"""Build an index per evaluation data set and score it with `akhbar eval`'s code.

Usage: python bench/eval_all.py ../shared/data [--work /tmp/akhbar-eval] [--rebuild]
Prints a Markdown table beside the TF-IDF reference figures of data/README.md.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from index.build import build  # noqa: E402
from index.errors import IndexNotFound  # noqa: E402
from search.evaluate import evaluate  # noqa: E402
from search.reader import open_index  # noqa: E402

# (name, articles, ground truth, k, TF-IDF reference from data/README.md)
SETS = [
    ("ECB+", "ecbplus/articles.jsonl.gz", "ecbplus/clusters.jsonl.gz", 10, {"recall@10": 0.903, "mrr": 0.988}),
    ("MEANTIME", "meantime/articles.jsonl.gz", "meantime/clusters.jsonl.gz", 3, {"recall@3": 0.162}),
    ("ANS", "ans_arabic_headlines/headlines.jsonl.gz", "ans_arabic_headlines/pairs.jsonl.gz", 10, {"recall@10": 0.935, "mrr": 0.763}),
]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("data", type=Path)
    ap.add_argument("--work", type=Path, default=Path("/tmp/akhbar-eval"))
    ap.add_argument("--rebuild", action="store_true")
    ap.add_argument("--method", default=None, help="chunk method to build with (first, mean, lead)")
    ap.add_argument("--window-tokens", type=int, default=None, help="window size to build with")
    ap.add_argument("--sets", default="ECB+,MEANTIME,ANS", help="comma-separated data sets to run")
    args = ap.parse_args()
    rows = []
    for name, articles, truth, k, ref in [s for s in SETS if s[0] in args.sets.split(",")]:
        tag = "".join(f"-{v}" for v in (args.method, args.window_tokens) if v)
        root = args.work / (name.lower().replace("+", "plus") + tag)
        try:
            if args.rebuild:
                raise IndexNotFound
            idx = open_index(root)
        except IndexNotFound:
            t = time.perf_counter()
            kw = {k: v for k, v in (("method", args.method), ("window_tokens", args.window_tokens)) if v}
            s = build([args.data / articles], root, **kw)
            print(f"{name}: built {s.indexed} articles in {time.perf_counter() - t:.0f}s", file=sys.stderr)
            idx = open_index(root)
        result = evaluate(idx, args.data / truth, k)
        rows.append((name, result, ref))
        print(name, result, file=sys.stderr)
    print("| data set | measure | akhbar (dense) | TF-IDF reference |")
    print("|---|---|---|---|")
    for name, result, ref in rows:
        for measure, value in result.items():
            if measure in ("ground_truth", "kind", "queries", "pairs", "positive_pairs"):
                continue
            print(f"| {name} | {measure} | {value} | {ref.get(measure, '')} |")


if __name__ == "__main__":
    main()
