"""Story assignment measured (index/stories/links.py, index/stories/rule.py) on real indexes.

- seeds/events.jsonl + seeds/events-truth.tsv: per split (dev, heldout, seed) and language pair,
  the share of same-event pairs in one story, of near-miss pairs (same topic, another event)
  apart, and of the other pairs apart; built here twice, as written and with every date dropped
  (the undated case), stored assignments.
- ECB+ (two events per topic) and MEANTIME (translation groups): pairwise precision, recall, F1,
  other-event pairs joined, translation groups whole and stories mixing groups.
- SaudiNewsNet copy groups whole in one story, and pairs published 3+ days apart joined (chance).
- ECB+ one pair per event (built here): a proxy for rated pairs, each article in one pair.
- Chance joins: one dense multilingual index of all of them (seeds, ECB+, MEANTIME and 1,000
  SaudiNewsNet articles, interleaved), dated and undated, built here once: the share of pairs of
  different topics in one story, and the largest story.
The eval and pooled indexes are read with a fresh pass (index/stories/links.fresh_pass, what a build with
the current rule stores: tests/index/stories/test_stories.py), so indexes built before a rule change still
measure it. Every figure is printed for the current rule and, in the same run, for the rule before
issue 19 (bench/story_rule_before.py). Undated figures of a dated index (SaudiNewsNet, the pooled
corpus) are a pass with every date dropped; the seeds are built undated too. `--cost` times both passes.

Usage: python -m bench.stories ../shared/data [--work /tmp/akhbar-eval] [--cost]
(ECB+, MEANTIME and SaudiNewsNet indexes as bench/eval_all.py builds them, built here when missing)
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import random
import shutil
import time
from collections import Counter
from datetime import date
from itertools import combinations
from pathlib import Path

from akhbar.index.errors import IndexNotFound
from akhbar.index.stories import links
from akhbar.index.writers import add, build
from akhbar.search.snapshot import open_snapshot
from akhbar.search.stories import coverage
from bench import story_rule_before

ROOT = Path(__file__).resolve().parent.parent
POOL_SNN = 1000  # SaudiNewsNet articles in the pooled corpus (its first ones, in date order)
SNN_EXTRA = 2000  # SaudiNewsNet articles besides its copy groups in its eval index (bench/eval_all.py)
COPY_BODY = 50  # SaudiNewsNet copy groups whose shared body is shorter are boilerplate, not copies
FAR_DAYS = 3  # SaudiNewsNet pairs this far apart count as different days' stories


def _jsonl(path: Path) -> list[dict]:
    raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    return [json.loads(line) for line in raw.splitlines() if line.strip()]


def pooled_sources(data: Path, work: Path, dated: bool) -> Path:
    """One dense multilingual file: the seeds, ECB+, MEANTIME and POOL_SNN SaudiNewsNet articles,
    interleaved in a fixed random order (each corpus keeps its own order); `dated=False` drops
    every date, as a user with undated files would build."""
    parts = {
        "seeds": _jsonl(ROOT / "seeds/events.jsonl") + _jsonl(ROOT / "seeds/sample_corpus.jsonl"),
        "ecbplus": _jsonl(data / "ecbplus/articles.jsonl.gz"),
        "meantime": _jsonl(data / "meantime/articles.jsonl.gz"),
        "snn": [r for r in _jsonl(data / "saudinewsnet/articles.jsonl.gz") if r.get("body")][:POOL_SNN],
    }
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


def _seed_truth() -> dict[str, tuple[str, str, str]]:
    """id → (event, topic, split) from seeds/events-truth.tsv."""
    truth = {}
    for line in (ROOT / "seeds/events-truth.tsv").read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            i, ev, topic, split = line.split("\t")
            truth[i] = (ev, topic, split)
    return truth


def seed_counts(story: dict[int, str], idx) -> Counter:
    """(split, relation, language pair, "n" | "ok") → pairs; ok: joined for one event, apart otherwise."""
    truth = _seed_truth()
    rows = {r[1]: (r[0], r[2]) for r in idx.in_order("pos, id, lang")}
    counts: Counter = Counter()
    for a, b in combinations(sorted(i for i in truth if i in rows), 2):
        (ea, ta, sa), (eb, tb, sb) = truth[a], truth[b]
        split = "heldout" if "heldout" in (sa, sb) else ("seed" if sa == sb == "seed" else "dev")
        rel = "same event" if ea == eb else "near miss" if ta == tb else "other"
        langs = "–".join(sorted((rows[a][1], rows[b][1])))
        joined = story[rows[a][0]] == story[rows[b][0]]
        counts[(split, rel, langs, "n")] += 1
        counts[(split, rel, langs, "ok")] += joined if rel == "same event" else not joined
    return counts


def seeds_table(story: dict[int, str], idx) -> list[str]:
    counts = seed_counts(story, idx)
    out = ["| split | pairs | language pair | pairs | right | share |", "|---|---|---|---|---|---|"]
    for split, rel, langs, kind in sorted(counts):
        if kind == "n":
            n, ok = counts[(split, rel, langs, "n")], counts[(split, rel, langs, "ok")]
            verb = "joined" if rel == "same event" else "apart"
            out.append(f"| {split} | {rel} ({verb}) | {langs} | {n} | {ok} | {ok / n:.3f} |")
    return out


def seeds_summary(story: dict[int, str], idx, label: str) -> list[str]:
    """The README's table: right/pairs per split and relation, by language pair (same language pooled)."""
    counts = seed_counts(story, idx)
    cols = ("ar–en", "ar–fr", "en–fr", "same language")
    out = []
    for split in ("dev", "heldout", "seed"):
        for rel, verb in (("same event", "joined"), ("near miss", "apart"), ("other", "apart")):
            cells = []
            for col in cols:
                keys = [
                    k
                    for k in counts
                    if k[:2] == (split, rel)
                    and k[3] == "n"
                    and (k[2] == col or (col == "same language" and len(set(k[2].split("–"))) == 1))
                ]
                n = sum(counts[k] for k in keys)
                ok = sum(counts[k[:3] + ("ok",)] for k in keys)
                cells.append(f"{ok}/{n}" if n else "—")
            out.append(f"| {label} | {split} | {rel} {verb} | " + " | ".join(cells) + " |")
    return out


def chance_joins(data: Path, idx, story: dict[int, str]) -> str:
    """On the pooled corpus: the share of pairs of different topics in one story (pairs from two
    corpora, which share no event, and pairs of one labelled corpus with different topics), and the
    largest story with the corpora it takes in."""
    source, topic = {}, {}
    for i, (_, t, _) in _seed_truth().items():
        source[i], topic[i] = "seeds", t
    for name in ("ecbplus", "meantime"):
        for line in gzip.decompress((data / name / "clusters.jsonl.gz").read_bytes()).splitlines():
            r = json.loads(line)
            for m in r["members"]:
                source[m], topic[m] = name, str(r.get("topic"))
    rows = idx.in_order("pos, id")
    src = {p: source.get(i, "seeds" if not i.startswith("snn-") else "snn") for p, i in rows}
    top = {p: topic.get(i) for p, i in rows}

    def different_topic_pairs(members: list[int]) -> int:
        n = len(members)
        by_source = Counter(src[p] for p in members)
        labelled = [p for p in members if top[p] is not None]
        by_source_l = Counter(src[p] for p in labelled)
        by_topic = Counter((src[p], top[p]) for p in labelled)
        return (
            n * (n - 1)
            - sum(k * (k - 1) for k in by_source.values())
            + sum(k * (k - 1) for k in by_source_l.values())
            - sum(k * (k - 1) for k in by_topic.values())
        ) // 2

    members: dict[str, list[int]] = {}
    for p, s in story.items():
        members.setdefault(s, []).append(p)
    joined = sum(different_topic_pairs(m) for m in members.values())
    total = different_topic_pairs([p for p, _ in rows])
    largest = max(members.values(), key=len)
    return (
        f"{joined}/{total} = {joined / total:.5f} of different-topic pairs in one story; largest story "
        f"{len(largest)} articles ({', '.join(f'{k} {v}' for k, v in Counter(src[p] for p in largest).most_common())})"
    )


def eval_index(data: Path, work: Path, folder: str):
    """An eval index as bench/eval_all.py builds it (in `work`), built here when missing."""
    try:
        return open_snapshot(work / folder)
    except IndexNotFound:
        if folder == "snn":
            from bench.calibrate import snn_subset

            snn_subset(data, work / "snn-subset.jsonl", SNN_EXTRA)
            build([work / "snn-subset.jsonl"], work / folder)
        else:
            build([data / folder / "articles.jsonl.gz"], work / folder)
        return open_snapshot(work / folder)


def eval_sets(data: Path, work: Path, story_of, undated_story_of) -> list[str]:
    out = [
        "| data set (undated) | pairwise precision | recall | F1 | other-event pairs of a topic apart | groups whole "
        "| stories mixing groups |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, folder, truth in (("ECB+", "ecbplus", "ecbplus/clusters.jsonl.gz"), ("MEANTIME", "meantime", "meantime/clusters.jsonl.gz")):
        idx = eval_index(data, work, folder)
        event, topic = truth_of(idx, data / truth)
        story = story_of(idx)
        p, r, f = pairwise(story, event)
        other = [(a, b) for a, b in combinations(sorted(event), 2) if topic[a] == topic[b] and event[a] != event[b]]
        apart_other = sum(story[a] != story[b] for a, b in other) / len(other)
        groups: dict[str, set] = {}
        for pos, ev in event.items():
            groups.setdefault(ev, set()).add(story[pos])
        whole = sum(len(s) == 1 for s in groups.values())
        per_story: dict[str, set] = {}
        for pos, ev in event.items():
            per_story.setdefault(story[pos], set()).add(ev)
        mixed = sum(len(e) > 1 for e in per_story.values())
        out.append(f"| {name} | {p:.3f} | {r:.3f} | {f:.3f} | {apart_other:.3f} | {whole}/{len(groups)} | {mixed} |")
    idx = eval_index(data, work, "snn")
    raw = gzip.decompress((data / "saudinewsnet/exact_duplicate_groups.jsonl.gz").read_bytes())
    groups = [json.loads(line)["members"] for line in raw.splitlines()]
    pos_groups = [[p for p in map(idx.position, g) if p is not None] for g in groups]
    pos_groups = [g for g in pos_groups if len(g) > 1]
    day = {p: date.fromisoformat(d[:10]).toordinal() for p, d in idx.in_order("pos, day") if d}
    body = {p: len(b.strip()) for p, b in idx.in_order("pos, body")}
    real = [g for g in pos_groups if body[g[0]] >= COPY_BODY]  # identical bodies of a few characters are boilerplate
    for label, story in (("dated", story_of(idx)), ("undated", undated_story_of(idx))):
        whole = sum(len({story[p] for p in g}) == 1 for g in pos_groups)
        whole_real = sum(len({story[p] for p in g}) == 1 for g in real)
        sizes = Counter(story.values())
        members: dict[str, list[int]] = {}
        for p, st in story.items():
            members.setdefault(st, []).append(p)
        far = sum(abs(day[a] - day[b]) >= FAR_DAYS for m in members.values() for a, b in combinations(m, 2))
        by_day = Counter(day.values())
        all_far = sum(by_day[x] * by_day[y] for x in by_day for y in by_day if x < y and y - x >= FAR_DAYS)
        out.append(
            f"\nSaudiNewsNet, {label} ({len(story)} articles, 3 weeks; the copy groups and the first {SNN_EXTRA} others "
            f"in date order, a fixed sample): copy groups whole in one story {whole}/{len(pos_groups)} = "
            f"{whole / len(pos_groups):.3f} ({whole_real}/{len(real)} = {whole_real / len(real):.3f} of those with a body "
            f"of {COPY_BODY}+ characters: the rest are a few characters of boilerplate under different headlines "
            f"on different days); pairs published {FAR_DAYS}+ days apart (different days' stories) in one story "
            f"{far}/{all_far} = {far / all_far:.5f}; {sum(1 for k in sizes.values() if k > 1)} stories of 2+ articles, "
            f"the largest {max(sizes.values())}"
        )
    return out


@contextlib.contextmanager
def before():
    """The story pass with the rule before issue 19 (bench/story_rule_before.py) in this process."""
    keep = links.rule
    links.rule = story_rule_before
    try:
        yield
    finally:
        links.rule = keep


@contextlib.contextmanager
def dates_dropped():
    """The story pass reading every article as undated: what an undated build of the same file in
    the same order stores (vectors and centering do not depend on dates), without embedding it again."""
    keep = links._rows

    def undated(con, positions):
        return {p: (i, lang, "", title) for p, (i, lang, _, title) in keep(con, positions).items()}

    links._rows = undated
    try:
        yield
    finally:
        links._rows = keep


def undated_pass(idx) -> dict[int, str]:
    with dates_dropped():
        return idx.fresh_story_pass()


def cost(indexes: dict, rounds: int = 3) -> list[str]:
    """Seconds of a whole story pass (what a build or a small index's write runs) with the current
    rule and with the previous one, alternated in this process; the best round of each."""
    out = ["| index | articles | pass, rule before issue 19 | pass, current rule | ratio |", "|---|---|---|---|---|"]
    for name, idx in indexes.items():
        best = {"previous": float("inf"), "mutual": float("inf")}
        for _ in range(rounds):
            for rule in ("previous", "mutual"):
                with before() if rule == "previous" else contextlib.nullcontext():
                    t = time.perf_counter()
                    idx.fresh_story_pass()
                    best[rule] = min(best[rule], time.perf_counter() - t)
        n = idx.count()
        out.append(
            f"| {name} | {n} | {best['previous']:.2f} s ({1e3 * best['previous'] / n:.2f} ms/article) | "
            f"{best['mutual']:.2f} s ({1e3 * best['mutual'] / n:.2f} ms/article) | {best['mutual'] / best['previous']:.2f}x |"
        )
    return out


def ecb_pairs(data: Path, work: Path, draws: int = 3) -> str:
    """A proxy for rated pairs (each article in one pair, the other event of its topic around it):
    indexes of one random same-event pair per ECB+ event (undated, shuffled), built here; the
    share of pairs in one story, and of pairs of a topic's two events."""
    articles = {r["id"]: r for r in _jsonl(data / "ecbplus/articles.jsonl.gz")}
    clusters = [json.loads(line) for line in gzip.decompress((data / "ecbplus/clusters.jsonl.gz").read_bytes()).splitlines()]
    joined = n = other_joined = other_n = 0
    for draw in range(draws):
        rng = random.Random(draw)
        pairs = [
            (rng.sample([m for m in c["members"] if m in articles], 2), str(c["topic"]))
            for c in clusters
            if sum(m in articles for m in c["members"]) >= 2
        ]
        ids = [i for p, _ in pairs for i in p]
        rng.shuffle(ids)
        src = work / f"ecb-pairs-{draw}.jsonl"
        src.write_text("".join(json.dumps(articles[i], ensure_ascii=False) + "\n" for i in ids), encoding="utf-8")
        root = work / f"ecb-pairs-{draw}"
        try:
            idx = open_snapshot(root)
        except IndexNotFound:
            build([src], root)
            idx = open_snapshot(root)
        story = idx.fresh_story_pass()
        pairs = [(p, t) for p, t in pairs if all(idx.position(i) is not None for i in p)]  # skipped on ingest: dropped
        of = {i: story[idx.position(i)] for p, _ in pairs for i in p}
        joined += sum(of[a] == of[b] for (a, b), _ in pairs)
        n += len(pairs)
        for ((a1, b1), t1), ((a2, b2), t2) in combinations(pairs, 2):
            if t1 == t2:
                other_n += 4
                other_joined += sum(of[x] == of[y] for x in (a1, b1) for y in (a2, b2))
    return (
        f"ECB+ one pair per event ({draws} draws, {n} pairs, undated): pairs in one story {joined}/{n} = {joined / n:.3f}; "
        f"pairs of a topic's two events in one story {other_joined}/{other_n} = {other_joined / other_n:.3f}"
    )


def add_cost(data: Path, work: Path, n: int = 50, rounds: int = 2) -> str:
    """Seconds of `akhbar add` of n more SaudiNewsNet articles to a copy of its index (below
    MERGE_BELOW a write merges and runs the whole story pass), with each rule, alternated; best round."""
    src = eval_index(data, work, "snn")
    have = {r[0] for r in src.in_order("id")}
    new = [r for r in _jsonl(data / "saudinewsnet/articles.jsonl.gz") if r.get("body") and r["id"] not in have][:n]
    more = work / "snn-more.jsonl"
    more.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in new), encoding="utf-8")
    best = {"previous": float("inf"), "mutual": float("inf")}
    for _ in range(rounds):
        for rule in best:
            root = work / f"snn-add-{rule}"
            shutil.rmtree(root, ignore_errors=True)
            shutil.copytree(src.root, root)
            with before() if rule == "previous" else contextlib.nullcontext():
                t = time.perf_counter()
                add([more], root)
                best[rule] = min(best[rule], time.perf_counter() - t)
            shutil.rmtree(root)
    return (
        f"`add` of {n} articles to SaudiNewsNet ({src.count()}; embedding, merge, centering refit, story pass): "
        f"{best['previous']:.1f} s with the rule before issue 19, {best['mutual']:.1f} s with the current one"
    )


def seeds_index(work: Path, dated: bool):
    """The seeds built afresh with the current rule (the .tsv is not ingested); undated: every date dropped."""
    root = work / ("seeds" if dated else "seeds-undated")
    sources = [ROOT / "seeds"]
    if not dated:
        src = work / "seeds-undated.jsonl"
        with open(src, "w", encoding="utf-8") as f:
            for name in ("events.jsonl", "sample_corpus.jsonl"):
                for r in _jsonl(ROOT / "seeds" / name):
                    r.pop("date", None)
                    f.write(json.dumps(r, ensure_ascii=False) + "\n")
        sources = [src] + sorted((ROOT / "seeds").glob("*.txt"))  # the seed page: undated already
    build(sources, root)
    return open_snapshot(root)


def pooled_index(data: Path, work: Path):
    """The pooled corpus built dated; its undated figures come from a pass with the dates dropped."""
    root = work / "pool-dated"
    try:
        return open_snapshot(root)
    except IndexNotFound:
        build([pooled_sources(data, work, True)], root)
        return open_snapshot(root)


def report(data: Path, work: Path, seeds: dict) -> None:
    """Every figure with the current rule, then with the rule before issue 19, in this process."""
    for title, rule in (("Current rule", contextlib.nullcontext), ("Rule before issue 19 (same run)", before)):
        with rule():
            print(f"## {title}\n\nSeeds (dev, heldout and seed splits, built dated and undated; right/pairs):\n")
            print("| dates | split | pairs | ar–en | ar–fr | en–fr | same language |\n|---|---|---|---|---|---|---|")
            for label, idx in seeds.items():
                print("\n".join(seeds_summary(idx.fresh_story_pass(), idx, label)))
            print()
            print("\n".join(eval_sets(data, work, lambda i: i.fresh_story_pass(), undated_pass)))
            print("\n" + ecb_pairs(data, work))
            idx = pooled_index(data, work)
            for label, story in (("dated", idx.fresh_story_pass()), ("undated (dates dropped)", undated_pass(idx))):
                print(
                    f"\nPooled corpus, {label} ({idx.count()} articles: seeds, ECB+, MEANTIME, {POOL_SNN} SaudiNewsNet): "
                    + chance_joins(data, idx, story)
                )
            print()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("data", type=Path)
    ap.add_argument("--work", type=Path, default=Path("/tmp/akhbar-eval"))
    ap.add_argument("--cost", action="store_true", help="time the story pass with the current rule and the one before")
    args = ap.parse_args()
    seeds = {"dated": seeds_index(args.work, True), "undated": seeds_index(args.work, False)}
    report(args.data, args.work, seeds)
    nato = coverage(seeds["dated"], "ar-nato-01")
    rows = seeds["dated"].rows(nato.members, "pos, id, lang, day, source")
    print(
        "The demo (`akhbar coverage ar-nato-01`, stored): "
        + "; ".join(f"{r['id']} {r['lang']} {r['day'] or 'undated'} {r['source']}" for r in (rows[p] for p in nato.members))
    )
    print("\n## Seeds in detail (stored, dated, current rule)\n")
    print("\n".join(seeds_table(seeds["dated"].story_assignments(), seeds["dated"])))
    if args.cost:
        indexes = {
            "seeds": seeds["dated"],
            "pooled, dated": pooled_index(args.data, args.work),
            "SaudiNewsNet": eval_index(args.data, args.work, "snn"),
        }
        print("\n## Cost of the story pass (what a write runs), same process\n")
        print("\n".join(cost(indexes)))
        print("\n" + add_cost(args.data, args.work))


if __name__ == "__main__":
    main()
