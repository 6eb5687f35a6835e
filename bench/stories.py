"""Story assignment measured (index/story_links.py), from the assignments stored in real indexes.

- seeds/events.jsonl + seeds/events-truth.tsv: per split (dev, heldout, seed) and language pair,
  the share of same-event pairs in one story, of near-miss pairs (same topic, another event)
  apart, and of the other pairs apart.
- ECB+ (two events per topic) and MEANTIME (translation groups): pairwise precision, recall, F1,
  other-event pairs joined, translation groups whole and stories mixing groups.
- SaudiNewsNet copy groups whole in one story.
`--sweep` recomputes the pass (story_links.fresh_pass) for other thresholds.

Usage: python bench/stories.py ../shared/data [--work /tmp/akhbar-eval] [--sweep]
(ECB+, MEANTIME and SaudiNewsNet indexes from bench/eval_all.py; the seeds index is built here)
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
from collections import Counter
from itertools import combinations
from pathlib import Path

from akhbar.index import config
from akhbar.index.build import build
from akhbar.index.errors import IndexNotFound
from akhbar.search.reader import open_index

ROOT = Path(__file__).resolve().parent.parent
POOL_SNN = 1000  # SaudiNewsNet articles in the pooled corpus (its first ones, in date order)


def _jsonl(path: Path) -> list[dict]:
    raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    return [json.loads(line) for line in raw.splitlines() if line.strip()]


def pooled_sources(data: Path, work: Path, dated: bool) -> Path:
    """One dense multilingual file: the seeds, ECB+, MEANTIME and POOL_SNN SaudiNewsNet articles,
    interleaved in a fixed random order (each corpus keeps its own order); `dated=False` drops
    every date, as a user with undated files would build."""
    parts = {"seeds": _jsonl(ROOT / "seeds/events.jsonl") + _jsonl(ROOT / "seeds/sample_corpus.jsonl"),
             "ecbplus": _jsonl(data / "ecbplus/articles.jsonl.gz"), "meantime": _jsonl(data / "meantime/articles.jsonl.gz"),
             "snn": [r for r in _jsonl(data / "saudinewsnet/articles.jsonl.gz") if r.get("body")][:POOL_SNN]}
    slots = [name for name, rows in parts.items() for _ in rows]
    random.Random(0).shuffle(slots)
    queues = {name: iter(rows) for name, rows in parts.items()}
    out = work / f"pool-{'dated' if dated else 'undated'}.jsonl"
    with open(out, "w", encoding="utf-8") as f:
        for name in slots:
            r = dict(next(queues[name]))
            if not dated:
                r.pop("date", None)
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    return out


def pairwise(story: dict[int, str], event: dict[int, str]) -> tuple[float, float, float]:
    same_story = {(a, b) for a, b in combinations(sorted(event), 2) if story[a] == story[b]}
    same_event = {(a, b) for a, b in combinations(sorted(event), 2) if event[a] == event[b]}
    tp = len(same_story & same_event)
    p = tp / len(same_story) if same_story else 0.0
    r = tp / len(same_event) if same_event else 0.0
    return p, r, 2 * p * r / (p + r) if p + r else 0.0


def truth_of(idx, path: Path) -> tuple[dict[int, str], dict[int, str]]:
    """(event, topic) by position, from a clusters.jsonl.gz."""
    event, topic = {}, {}
    for line in gzip.decompress(path.read_bytes()).splitlines():
        r = json.loads(line)
        for m in r["members"]:
            pos = idx.position(m)
            if pos is not None:
                event[pos] = r.get("cluster") or str(r["members"])
                topic[pos] = str(r.get("topic"))
    return event, topic


def seeds_table(story: dict[int, str], idx) -> list[str]:
    truth = {}
    for line in (ROOT / "seeds/events-truth.tsv").read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            i, ev, topic, split = line.split("\t")
            truth[i] = (ev, topic, split)
    rows = {r[1]: (r[0], r[2]) for r in idx.in_order("pos, id, lang")}
    counts: Counter = Counter()
    for a, b in combinations(sorted(truth), 2):
        (ea, ta, sa), (eb, tb, sb) = truth[a], truth[b]
        split = "heldout" if "heldout" in (sa, sb) else ("seed" if sa == sb == "seed" else "dev")
        rel = "same event" if ea == eb else "near miss" if ta == tb else "other"
        langs = "–".join(sorted((rows[a][1], rows[b][1])))
        joined = story[rows[a][0]] == story[rows[b][0]]
        counts[(split, rel, langs, "n")] += 1
        counts[(split, rel, langs, "ok")] += joined if rel == "same event" else not joined
    out = ["| split | pairs | language pair | pairs | right | share |", "|---|---|---|---|---|---|"]
    for split, rel, langs, kind in sorted(counts):
        if kind == "n":
            n, ok = counts[(split, rel, langs, "n")], counts[(split, rel, langs, "ok")]
            verb = "joined" if rel == "same event" else "apart"
            out.append(f"| {split} | {rel} ({verb}) | {langs} | {n} | {ok} | {ok / n:.3f} |")
    return out


def eval_sets(data: Path, work: Path, story_of) -> list[str]:
    out = ["| data set | pairwise precision | recall | F1 | other-event pairs of a topic joined | groups whole | stories mixing groups |",
           "|---|---|---|---|---|---|---|"]
    for name, folder, truth in (("ECB+", "ecbplus", "ecbplus/clusters.jsonl.gz"), ("MEANTIME", "meantime", "meantime/clusters.jsonl.gz")):
        try:
            idx = open_index(work / folder)
        except IndexNotFound as e:
            out.append(f"| {name} | not measured: {e} | | | | | |")
            continue
        event, topic = truth_of(idx, data / truth)
        story = story_of(idx)
        p, r, f = pairwise(story, event)
        other = [(a, b) for a, b in combinations(sorted(event), 2) if topic[a] == topic[b] and event[a] != event[b]]
        joined_other = sum(story[a] == story[b] for a, b in other) / len(other)
        groups: dict[str, set] = {}
        for pos, ev in event.items():
            groups.setdefault(ev, set()).add(story[pos])
        whole = sum(len(s) == 1 for s in groups.values())
        per_story: dict[str, set] = {}
        for pos, ev in event.items():
            per_story.setdefault(story[pos], set()).add(ev)
        mixed = sum(len(e) > 1 for e in per_story.values())
        out.append(f"| {name} | {p:.3f} | {r:.3f} | {f:.3f} | {joined_other:.3f} | {whole}/{len(groups)} | {mixed} |")
    try:
        idx = open_index(work / "snn")
        raw = gzip.decompress((data / "saudinewsnet/exact_duplicate_groups.jsonl.gz").read_bytes())
        groups = [json.loads(line)["members"] for line in raw.splitlines()]
        story = story_of(idx)
        pos_groups = [[p for p in map(idx.position, g) if p is not None] for g in groups]
        pos_groups = [g for g in pos_groups if len(g) > 1]
        whole = sum(len({story[p] for p in g}) == 1 for g in pos_groups)
        sizes = Counter(story.values())
        n = len(story)
        together = sum(k * (k - 1) for k in sizes.values()) / (n * (n - 1))  # how chained the stories are
        out.append(f"\nSaudiNewsNet ({n} articles, 3 weeks): copy groups whole in one story {whole}/{len(pos_groups)} = "
                   f"{whole / len(pos_groups):.3f}; {sum(1 for k in sizes.values() if k > 1)} stories of 2+ articles, "
                   f"the largest {max(sizes.values())}; two random articles in one story: {together:.4f}")
    except IndexNotFound as e:
        out.append(f"\nSaudiNewsNet: not measured: {e}")
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("data", type=Path)
    ap.add_argument("--work", type=Path, default=Path("/tmp/akhbar-eval"))
    ap.add_argument("--sweep", action="store_true", help="also recompute the pass for other thresholds")
    args = ap.parse_args()
    seeds = args.work / "seeds"
    try:
        idx = open_index(seeds)
    except IndexNotFound:
        build([ROOT / "seeds"], seeds)
        idx = open_index(seeds)
    print("## Stored assignments\n")
    print("\n".join(seeds_table(idx.story_assignments(), idx)) + "\n")
    print("\n".join(eval_sets(args.data, args.work, lambda i: i.story_assignments())))
    if args.sweep:
        for same, cross in ((0.55, 0.55), (0.5, 0.4), (0.45, 0.35), (0.45, 0.3), (0.4, 0.35)):
            config.STORY_SAME_DAY_COSINE, config.STORY_SAME_DAY_CROSS_COSINE = same, cross
            print(f"\n## Recomputed: same-day {same} within a language, {cross} across\n")
            print("\n".join(row for row in seeds_table(idx.fresh_story_pass(), idx) if "heldout" not in row))
            print("\n".join(eval_sets(args.data, args.work, lambda i: i.fresh_story_pass())))


if __name__ == "__main__":
    main()
