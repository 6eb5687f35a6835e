"""Calibrate story assignment (search/stories.py): pairwise precision and recall of "same story"
against the events of ECB+ (two events per topic: the hard case) and MEANTIME (an article and
its translations are one story), for several link thresholds.

Usage: python bench/stories.py ../shared/data [--work /tmp/akhbar-eval]   (indexes from bench/eval_all.py)
"""

from __future__ import annotations

import argparse
import dataclasses
import gzip
import json
from itertools import combinations
from pathlib import Path

from akhbar.search.reader import open_index
from akhbar.search.settings import DEFAULTS
from akhbar.search.stories import assign


def pairwise(story: dict[int, int], event: dict[int, str]) -> tuple[float, float, float]:
    same_story = {(a, b) for a, b in combinations(sorted(event), 2) if story[a] == story[b]}
    same_event = {(a, b) for a, b in combinations(sorted(event), 2) if event[a] == event[b]}
    tp = len(same_story & same_event)
    p = tp / len(same_story) if same_story else 0.0
    r = tp / len(same_event) if same_event else 0.0
    return p, r, 2 * p * r / (p + r) if p + r else 0.0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("data", type=Path)
    ap.add_argument("--work", type=Path, default=Path("/tmp/akhbar-eval"))
    args = ap.parse_args()
    print("| data set | link cosine | pairwise precision | recall | F1 |")
    print("|---|---|---|---|---|")
    for name, folder, truth in (("ECB+", "ecbplus", "ecbplus/clusters.jsonl.gz"), ("MEANTIME", "meantime", "meantime/clusters.jsonl.gz")):
        idx = open_index(args.work / folder)
        event = {}
        with gzip.open(args.data / truth) as f:
            truth_rows = [json.loads(line) for line in f]
        for r in truth_rows:
            for m in r["members"]:
                p = idx.position(m)
                if p is not None:
                    event[p] = r.get("cluster") or str(r["members"])
        for t in (0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7):
            p, r, f = pairwise(assign(idx, settings=dataclasses.replace(DEFAULTS, story_link_cosine=t)), event)
            print(f"| {name} | {t} | {p:.3f} | {r:.3f} | {f:.3f} |")


if __name__ == "__main__":
    main()
