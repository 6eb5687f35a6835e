"""Short queries in one index of several languages, data we did not write: is the partner found?

Usage: python -m bench.mixed_search ../shared/data [--work /tmp/akhbar-mixed] [-n 400]

One index of ANS headlines (ar), ECB+ (en) and MEANTIME (en, es, it, nl), as a reader's index
holds several languages. Queries, each a short text given to `search`:
- ANS: a real headline; its partner is the annotators' paraphrase (stance "agree");
- ECB+: the first 12 words of an article; partners are the other articles of its event;
- MEANTIME: the first 12 words of an English article; partners are its translations (es, it, nl).
hit@10: a partner is among the top 10 rows (the shown article or one folded into the row).
Today's search (article rows, centered fusion, no floor) beside story rows, in dense and hybrid.
"""

from __future__ import annotations

import argparse
import dataclasses
import gzip
import json
import random
import sys
from collections import defaultdict
from pathlib import Path

from akhbar.index.errors import IndexNotFound
from akhbar.index.filters import Filters
from akhbar.index.ingest import language
from akhbar.index.writers import build
from akhbar.search import hybrid, query
from akhbar.search.options import QueryOptions
from akhbar.search.settings import DEFAULTS
from akhbar.search.snapshot import open_snapshot, query_embedder
from bench import search_before_story_rows as before

K = 10


def _lines(path: Path) -> list[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def cpu() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "?"


def queries(data: Path, idx, n: int, rng: random.Random) -> list[tuple[str, str, set[str]]]:
    """(set, query text, partner ids) for each set, at most n a set."""
    text_of = {r[0]: (r[1], r[2], r[3]) for r in idx.in_order("id, title, body, lang")}
    out = []
    ans = [
        p
        for p in _lines(data / "ans_arabic_headlines/pairs.jsonl.gz")
        if p.get("stance") == "agree" and p["id1"] in text_of and p["id2"] in text_of
    ]
    out += [("ANS", text_of[p["id1"]][0] or text_of[p["id1"]][1], {p["id2"]}) for p in rng.sample(ans, min(n, len(ans)))]

    def lead(i: str) -> str:
        return " ".join(text_of[i][1].split()[:12])

    ecb = [
        (m, set(c["members"]) - {m})
        for c in _lines(data / "ecbplus/clusters.jsonl.gz")
        for m in c["members"][:3]
        if m in text_of and len(c["members"]) > 1
    ]
    out += [("ECB+", lead(m), rest) for m, rest in rng.sample(ecb, min(n, len(ecb)))]
    mt = [
        (m, set(c["members"]) - {m})
        for c in _lines(data / "meantime/clusters.jsonl.gz")
        for m in c["members"]
        if m in text_of and text_of[m][2] == "en"
    ]
    out += [("MEANTIME", lead(m), rest) for m, rest in rng.sample(mt, min(n, len(mt)))]
    return out


def today(idx, qvec, terms, text: str, mode: str) -> list[query.Hit]:
    was = dataclasses.replace(DEFAULTS, fusion="centered")
    return before.rank(
        idx,
        qvec,
        terms,
        K,
        Filters(),
        query_is_article=False,
        ranking=before.Ranking(mode),
        query_lang=language.guess(text),
        settings=was,
    )[0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("data", type=Path)
    ap.add_argument("--work", type=Path, default=Path("/tmp/akhbar-mixed"))
    ap.add_argument("-n", type=int, default=400, help="queries a set")
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--fusion", default=DEFAULTS.fusion, help="Hybrid fusion for story rows (settings.fusion)")
    a = ap.parse_args()
    settings = dataclasses.replace(DEFAULTS, fusion=a.fusion)
    try:
        idx = open_snapshot(a.work)
    except IndexNotFound:
        print(f"building {a.work} …", file=sys.stderr)
        build(
            [
                a.data / "ans_arabic_headlines/headlines.jsonl.gz",
                a.data / "ecbplus/articles.jsonl.gz",
                a.data / "meantime/articles.jsonl.gz",
            ],
            a.work,
        )
        idx = open_snapshot(a.work)
    embedder = query_embedder(idx.manifest)
    found: dict[tuple, list[float]] = defaultdict(list)
    shown: dict[tuple, list[int]] = defaultdict(list)
    for i, (name, text, partners) in enumerate(queries(a.data, idx, a.n, random.Random(18))):
        qvec, terms = idx.query_vector(embedder, text), hybrid.query_terms(idx, text, article=False)
        for mode in ("dense", "hybrid"):
            for path, rows in (
                ("today", today(idx, qvec, terms, text, mode)),
                ("stories", query.search(idx, embedder, text, QueryOptions(k=K, mode=mode), settings=settings).hits),
            ):
                ids = {h.id for h in rows[:K]} | {c["id"] for h in rows[:K] for c in h.also}
                found[(name, path, mode)].append(float(bool(ids & partners)))
                shown[(name, path, mode)].append(len(rows[:K]))
        if i % 100 == 0:
            print(f"{i} queries", file=sys.stderr)
    lines = [
        f"CPU: {cpu()}; index {a.work} ({idx.manifest.articles} articles: ANS, ECB+, MEANTIME); "
        f"story rows' fusion {settings.fusion} (today's: centered)",
        "",
        "| set | rows | mode | queries | hit@10 | rows shown (mean) |",
        "|---|---|---|---|---|---|",
    ]
    for (name, path, mode), hits in sorted(found.items()):
        lines.append(
            f"| {name} | {path} | {mode} | {len(hits)} | {sum(hits) / len(hits):.3f} | {sum(shown[(name, path, mode)]) / len(hits):.2f} |"
        )
    text = "\n".join(lines)
    print(text)
    if a.out:
        a.out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
