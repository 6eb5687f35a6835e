"""Calibrate the two score thresholds of the default model, in the index's (centered) space.

Usage: python bench/calibrate.py ../shared/data [--work /tmp/akhbar-calibrate] [-n 2000]

1. QuerySettings.duplicate_cosine (one row per story copy): on SaudiNewsNet, every member of the 734
   exact-duplicate groups (same body; titles and outlets differ) plus the next n articles as
   distractors. Positives: pairs inside a group. Hard negatives: each article's 5 nearest
   neighbours outside its group. For each threshold: share of positive pairs folded, share
   of hard negatives folded (some of these are genuine near copies the groups do not list,
   so a few samples at the chosen threshold are printed to read).
2. QuerySettings.min_similarity (below it, an article is not "similar" and the box ends early): on the
   ECB+ and MEANTIME indexes that bench/eval_all.py builds, the cosine of same-event pairs
   (ECB+ clusters), translations (MEANTIME), same-topic-other-event pairs (ECB+'s hard
   negatives) and pairs from different topics. The floor is the 99th percentile of
   different-topic pairs: what share of related pairs stays above it is printed.
"""

from __future__ import annotations

import argparse
import gzip
import json
from pathlib import Path

import numpy as np

from akhbar.index.errors import IndexNotFound
from akhbar.index.writers import build
from akhbar.search.snapshot import open_snapshot


def snn_subset(data: Path, out: Path, n: int) -> list[list[str]]:
    with gzip.open(data / "saudinewsnet/exact_duplicate_groups.jsonl.gz") as f:
        groups = [json.loads(line)["members"] for line in f]
    wanted = {m for g in groups for m in g}
    extra = 0
    with gzip.open(data / "saudinewsnet/articles.jsonl.gz", "rt", encoding="utf-8") as f, open(out, "w", encoding="utf-8") as o:
        for line in f:
            a = json.loads(line)
            if a["id"] in wanted or (extra < n and a["body"].strip()):
                extra += a["id"] not in wanted
                o.write(line)
    return groups


def pair_scores(root: Path, truth: Path) -> dict[str, np.ndarray]:
    """Cosines of all article pairs of an eval index, split by relation."""
    idx = open_snapshot(root)
    ids = [r[0] for r in idx.in_order("id")]
    X = idx.vectors_at(list(range(len(ids))))
    cluster, topic = {}, {}
    with gzip.open(truth) as f:
        truth_rows = [json.loads(line) for line in f]
    for r in truth_rows:
        for m in r["members"]:
            cluster[m], topic[m] = r.get("cluster") or r.get("translation_group"), r.get("topic")
    c = np.asarray([cluster.get(i) for i in ids], dtype=object)
    t = np.asarray([topic.get(i) for i in ids], dtype=object)
    S = X @ X.T
    upper = np.triu(np.ones_like(S, dtype=bool), 1)
    same_c, same_t = c[:, None] == c[None, :], t[:, None] == t[None, :]
    return {"same event": S[upper & same_c], "same topic, other event": S[upper & same_t & ~same_c], "other topic": S[upper & ~same_t]}


def relevance_floor(ecb: Path, meantime: Path, data: Path) -> None:
    ecb_s = pair_scores(ecb, data / "ecbplus/clusters.jsonl.gz")
    mt_s = pair_scores(meantime, data / "meantime/clusters.jsonl.gz")
    floor = float(np.percentile(np.concatenate([ecb_s["other topic"], mt_s["other topic"]]), 99))
    print(f"\nMIN_SIMILARITY: 99th percentile of different-topic pairs = {floor:.3f}")
    print("| pairs | n | median cosine | share at or above the floor |")
    print("|---|---|---|---|")
    meantime = [("MEANTIME translations", mt_s["same event"]), ("MEANTIME other topic", mt_s["other topic"])]
    for name, scores in [("ECB+ " + k, v) for k, v in ecb_s.items()] + meantime:
        print(f"| {name} | {len(scores)} | {np.median(scores):.3f} | {(scores >= floor).mean():.3f} |")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("data", type=Path)
    ap.add_argument("--work", type=Path, default=Path("/tmp/akhbar-calibrate"))
    ap.add_argument("-n", type=int, default=2000)
    ap.add_argument("--eval-work", type=Path, default=Path("/tmp/akhbar-eval"), help="where bench/eval_all.py built its indexes")
    ap.add_argument("--floor-only", action="store_true")
    args = ap.parse_args()
    if args.floor_only:
        relevance_floor(args.eval_work / "ecbplus-lead", args.eval_work / "meantime-lead", args.data)
        return
    args.work.mkdir(parents=True, exist_ok=True)
    corpus = args.work / "snn-subset.jsonl"
    groups = snn_subset(args.data, corpus, args.n)
    root = args.work / "snn-index"
    try:
        idx = open_snapshot(root)
    except IndexNotFound:
        build([corpus], root)
        idx = open_snapshot(root)
    ids, titles = (list(c) for c in zip(*idx.in_order("id, title")))
    pos = {i: p for p, i in enumerate(ids)}
    X = idx.vectors_at(list(range(len(ids))))
    group_of = {}
    for g_i, g in enumerate(groups):
        for m in g:
            if m in pos:
                group_of[pos[m]] = g_i
    positives = []
    for g in groups:
        ps = [pos[m] for m in g if m in pos]
        positives += [float(X[a] @ X[b]) for i, a in enumerate(ps) for b in ps[i + 1 :]]
    sims, nn = idx.search(X, 7)
    negatives, samples = [], []
    for a, (row_s, row_n) in enumerate(zip(sims, nn)):
        outside = [(s, b) for s, b in zip(row_s, row_n) if b != a and (a not in group_of or group_of.get(int(b)) != group_of[a])][:5]
        negatives += [s for s, _ in outside]
        samples += [(float(s), a, int(b)) for s, b in outside]
    positives_arr, negatives_arr = np.asarray(positives), np.asarray(negatives)
    print(f"{len(ids)} articles, {len(positives)} duplicate pairs, {len(negatives)} hard negatives")
    print("| threshold | duplicate pairs folded | hard negatives folded |")
    print("|---|---|---|")
    for t in (0.75, 0.8, 0.85, 0.88, 0.9, 0.92, 0.95, 0.97):
        print(f"| {t} | {(positives_arr >= t).mean():.3f} | {(negatives_arr >= t).mean():.4f} |")
    print("positive pair cosine percentiles 1/5/50:", np.percentile(positives_arr, [1, 5, 50]).round(3))
    print("hard negative cosine percentiles 50/99/99.9:", np.percentile(negatives_arr, [50, 99, 99.9]).round(3))
    print("\nhard negatives just above and below 0.85 (to read):")
    for s, a, b in sorted((x for x in samples if 0.8 <= x[0] < 0.9), reverse=True)[:12]:
        print(f"{s:.3f} | {titles[a][:70]} | {titles[b][:70]}")
    relevance_floor(args.eval_work / "ecbplus-lead", args.eval_work / "meantime-lead", args.data)


if __name__ == "__main__":
    main()
