"""Dense retrieval with and without an adapter head (bench/adapter_train.py), with bootstrap intervals.

Sets (none used in training): ANS (each real headline queries all 4,590 headlines; rank of its
`agree` paraphrase: MRR, recall@10; false rows: how often the `disagree` contradiction is the top
hit), ECB+ (recall@10, MRR, other-event-of-topic hits in the top 10), MEANTIME (recall@3 of the
translations), seeds/events.jsonl dev split (recall@3, MRR, same-topic-other-event hits in the top 3).
Vectors are the index's (bench/adapter_vectors.py), centred per language on each corpus as a build
does; the head is applied to each article vector before centring. Intervals: 95% percentile
bootstrap over queries (2,000 rounds, seed 0); the difference is paired over the same queries.

Usage: nice -n 19 python -m bench.adapter_eval ../shared/data --head /tmp/akhbar-adapter/head.npz [--head ...]
       [--sets ANS,ECB+,MEANTIME,events] [--sample N] [--json]
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np
import orjson

from bench import adapter_vectors
from bench.adapter_vectors import apply_head, article_text, centred, encode, lines, load_head, ranks

ROOT = Path(__file__).resolve().parent.parent
ROUNDS = 2000


def interval(values: list[float]) -> tuple[float, float, float]:
    v = np.asarray(values, float)
    means = v[np.random.default_rng(0).integers(0, len(v), (ROUNDS, len(v)))].mean(1)
    return float(v.mean()), float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))


def ans(data: Path):
    """(texts, langs, scorer): the scorer takes centred vectors and returns per-query measures."""
    heads = lines(data / "ans_arabic_headlines" / "headlines.jsonl.gz")
    where = {h["id"]: i for i, h in enumerate(heads)}
    pairs = lines(data / "ans_arabic_headlines" / "pairs.jsonl.gz")
    agree = [(where[p["id1"]], where[p["id2"]]) for p in pairs if p["stance"] == "agree"]
    disagree = [(where[p["id1"]], where[p["id2"]]) for p in pairs if p["stance"] == "disagree"]

    def score(v):
        found = ranks(v, [a for a, _ in agree])
        rank = [next((i + 1 for i, f in enumerate(row) if f == b), None) for row, (_, b) in zip(found, agree)]
        top = ranks(v, [a for a, _ in disagree], depth=1)
        return {
            "mrr": [1 / r if r else 0.0 for r in rank],
            "recall@10": [float(r is not None and r <= 10) for r in rank],
            "false: disagree pair is top-1": [float(row[0] == b) for row, (_, b) in zip(top, disagree)],
        }

    return [article_text(h) for h in heads], [h.get("lang") or "ar" for h in heads], score


def clustered(arts: list[dict], groups: list[list[str]], topics: list[str | None], k: int, queries: set[str] | None = None):
    where = {a["id"]: i for i, a in enumerate(arts)}
    cluster_of, topic_of = {}, {}
    for c, (members, topic) in enumerate(zip(groups, topics)):
        for m in members:
            if m in where:
                cluster_of[where[m]], topic_of[where[m]] = c, topic
    size = defaultdict(int)
    for c in cluster_of.values():
        size[c] += 1
    qs = [p for p in cluster_of if size[cluster_of[p]] > 1 and (queries is None or arts[p]["id"] in queries)]

    def score(v):
        found = ranks(v, qs)
        out = {f"recall@{k}": [], "mrr": [], f"false: other event of topic in top {k}": []}
        for p, row in zip(qs, found):
            rel = [cluster_of.get(f) == cluster_of[p] for f in row]
            out[f"recall@{k}"].append(sum(rel[:k]) / min(k, size[cluster_of[p]] - 1))
            first = next((i for i, r in enumerate(rel) if r), None)
            out["mrr"].append(0.0 if first is None else 1 / (first + 1))
            if topic_of[p] is not None:
                out[f"false: other event of topic in top {k}"].append(
                    sum(1 for f in row[:k] if topic_of.get(f) == topic_of[p] and cluster_of.get(f) != cluster_of[p])
                )
        if not out[f"false: other event of topic in top {k}"]:
            del out[f"false: other event of topic in top {k}"]
        return out

    return [article_text(a) for a in arts], [a.get("lang") or "" for a in arts], score


def corpus(data: Path, name: str, k: int, sample: int):
    folder = {"ECB+": "ecbplus", "MEANTIME": "meantime"}[name]
    arts = lines(data / folder / "articles.jsonl.gz")
    rows = lines(data / folder / "clusters.jsonl.gz")
    if sample and len(arts) > sample:  # keep whole clusters: sample clusters, not articles
        rng = np.random.default_rng(0)
        keep, n = set(), 0
        for c in rng.permutation(len(rows)):
            if n >= sample:
                break
            keep |= set(rows[c]["members"])
            n += len(rows[c]["members"])
        arts = [a for a in arts if a["id"] in keep]
    return clustered(arts, [r["members"] for r in rows], [r.get("topic") for r in rows], k)


def events():
    arts = lines(ROOT / "seeds" / "events.jsonl")
    truth = [line.split("\t") for line in (ROOT / "seeds" / "events-truth.tsv").read_text().splitlines() if not line.startswith("#")]
    event, topic, split = {}, {}, {}
    for i, e, t, s in truth:
        event[i], topic[i], split[i] = e, t, s
    arts = [a for a in arts if a["id"] in event]
    by_event = defaultdict(list)
    for a in arts:
        by_event[event[a["id"]]].append(a["id"])
    names = sorted(by_event)
    return clustered(
        arts, [by_event[e] for e in names], [topic[by_event[e][0]] for e in names], 3, {i for i, s in split.items() if s == "dev"}
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("data", type=Path)
    ap.add_argument("--head", type=Path, action="append", default=[], help="adapter .npz (repeat to compare several)")
    ap.add_argument("--sets", default="ANS,ECB+,MEANTIME,events")
    ap.add_argument("--sample", type=int, default=0, help="at most N articles of ECB+/MEANTIME (whole clusters); 0: all")
    ap.add_argument("--single-prompt", action="store_true", help="embed with the prompt once (see adapter_vectors.single_prompt)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    adapter_vectors.SINGLE_PROMPT = args.single_prompt
    variants = {"unadapted": None, **{h.stem: load_head(h) for h in args.head}}
    results = []
    for name in args.sets.split(","):
        if name == "ANS":
            texts, langs, score = ans(args.data)
        elif name == "events":
            texts, langs, score = events()
        else:
            texts, langs, score = corpus(args.data, name, 10 if name == "ECB+" else 3, args.sample)
        raw = encode(texts, name.lower().replace("+", "plus"))
        per = {v: score(centred(apply_head(raw, w), langs)) for v, w in variants.items()}
        base = per["unadapted"]
        for measure in base:
            for v in variants:
                mean, lo, hi = interval(per[v][measure])
                row = {"set": name, "articles": len(texts), "measure": measure, "variant": v, "queries": len(base[measure])}
                row.update(value=round(mean, 4), ci=[round(lo, 4), round(hi, 4)])
                if v != "unadapted":
                    d, dlo, dhi = interval(list(np.asarray(per[v][measure]) - np.asarray(base[measure])))
                    row.update(diff=round(d, 4), diff_ci=[round(dlo, 4), round(dhi, 4)])
                results.append(row)
                print(name, measure, v, row["value"], row["ci"], row.get("diff_ci", ""), file=sys.stderr)
    if args.json:
        sys.stdout.buffer.write(orjson.dumps(results) + b"\n")
        return
    print("| set (articles, queries) | measure | variant | value [95% CI] | minus unadapted [95% CI] |")
    print("|---|---|---|---|---|")
    for r in results:
        d = f"{r['diff']:+.4f} [{r['diff_ci'][0]:+.4f}, {r['diff_ci'][1]:+.4f}]" if "diff" in r else ""
        value = f"{r['value']:.4f} [{r['ci'][0]:.4f}, {r['ci'][1]:.4f}]"
        print(f"| {r['set']} ({r['articles']}, {r['queries']}) | {r['measure']} | {r['variant']} | {value} | {d} |")


if __name__ == "__main__":
    main()
