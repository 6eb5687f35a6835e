"""Short queries on the seeds (seeds/queries.tsv): what search shows a reader, today's rows
(article rows folded by the copy rule: bench/search_before_story_rows.py `rank`, the search before story rows)
beside story rows (search/query.py `search`), in dense and hybrid mode, per query language.

Usage: python -m bench.search_dev [--index /tmp/akhbar-seeds] [--split dev|heldout|all] [--out FILE]

- recall@10: of the events a query should find, the share whose articles are in the top 10 rows
  (a row's shown article and the articles folded into it);
- precision: of the rows shown, the share whose shown article is on an event the query should find
  (a query about nothing in seeds/ should show no row: every row it shows is false);
- all languages: of the queries with events to find, the share whose top 10 rows hold a right
  article in each of ar, en and fr.
"""

from __future__ import annotations

import argparse
import dataclasses
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

ROOT = Path(__file__).resolve().parent.parent
K = 10


def cpu() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "?"


def load_queries(split: str) -> list[tuple[str, str, str, set[str]]]:
    out = []
    for line in (ROOT / "seeds/queries.tsv").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        text, lang, part, events = (line.split("\t") + [""])[:4]
        if split in ("all", part):
            out.append((text, lang, part, {e for e in events.split(",") if e}))
    return out


def truth() -> dict[str, str]:
    rows = (ROOT / "seeds/events-truth.tsv").read_text(encoding="utf-8").splitlines()
    return {r.split("\t")[0]: r.split("\t")[1] for r in rows if r.strip() and not r.startswith("#")}


def today(idx, embedder, text: str, mode: str) -> list[query.Hit]:
    """The search as it was: article rows, copies folded by the row rule, no floor, centered fusion."""
    qvec, terms = idx.query_vector(embedder, text), hybrid.query_terms(idx, text, article=False)
    was = dataclasses.replace(DEFAULTS, fusion="centered")
    hits, _, _ = before.rank(
        idx,
        qvec,
        terms,
        K,
        Filters(),
        query_is_article=False,
        ranking=before.Ranking(mode),
        query_lang=language.guess(text),
        settings=was,
    )
    return hits


def measure(rows: list[query.Hit], wanted: set[str], event: dict[str, str], lang_of: dict[str, str]) -> dict[str, float]:
    found, right, langs = set(), 0, set()
    for h in rows[:K]:
        ids = [h.id] + [a["id"] for a in h.also]
        right += event.get(h.id) in wanted
        for i in ids:
            if event.get(i) in wanted:
                found.add(event[i])
                langs.add(lang_of[i])
    return {
        "recall": len(found) / len(wanted) if wanted else float("nan"),
        "right": right,
        "shown": len(rows[:K]),
        "all_langs": float({"ar", "en", "fr"} <= langs) if wanted else float("nan"),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--index", type=Path, default=Path("/tmp/akhbar-seeds"))
    ap.add_argument("--split", default="all", choices=("dev", "heldout", "all"))
    ap.add_argument("--out", type=Path, default=None, help="Also write the table here (markdown)")
    ap.add_argument("--fusion", default=DEFAULTS.fusion, help="Hybrid fusion for story rows (settings.fusion)")
    a = ap.parse_args()
    settings = dataclasses.replace(DEFAULTS, fusion=a.fusion)
    try:
        idx = open_snapshot(a.index)
    except IndexNotFound:
        print(f"building {a.index} from seeds/ …", file=sys.stderr)
        build([ROOT / "seeds"], a.index)
        idx = open_snapshot(a.index)
    embedder = query_embedder(idx.manifest)
    event = truth()
    lang_of = {r[0]: r[1] for r in idx.in_order("id, lang")}
    cells: dict[tuple, list[dict]] = defaultdict(list)
    for split in ("dev", "heldout") if a.split == "all" else (a.split,):
        for text, lang, _, wanted in load_queries(split):
            for mode in ("dense", "hybrid"):
                for name, rows in (
                    ("today", today(idx, embedder, text, mode)),
                    ("stories", query.search(idx, embedder, text, QueryOptions(k=K, mode=mode), settings=settings).hits),
                ):
                    m = measure(rows, wanted, event, lang_of)
                    cells[(split, name, mode, lang)].append(m)
                    print(f"{split} {name:7s} {mode:6s} {lang} r={m['recall']:.2f} {m['right']}/{m['shown']}  {text}", file=sys.stderr)
    lines = [
        f"CPU: {cpu()}; index {a.index} ({idx.manifest.articles} articles); "
        f"settings: query_floor {DEFAULTS.query_floor}, search_related {DEFAULTS.search_related}, "
        f"min_similarity {DEFAULTS.min_similarity}, fusion {settings.fusion} (today: centered)",
        "",
        "| split | rows | mode | lang | queries | recall@10 | precision of rows shown | false rows | rows shown | all of ar, en, fr |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for (split, name, mode, lang), ms in sorted(cells.items()):
        with_events = [m for m in ms if m["recall"] == m["recall"]]
        shown = sum(m["shown"] for m in ms)
        right = sum(m["right"] for m in ms)
        recall = sum(m["recall"] for m in with_events) / len(with_events)
        langs = sum(m["all_langs"] for m in with_events) / len(with_events)
        lines.append(
            f"| {split} | {name} | {mode} | {lang} | {len(ms)} | {recall:.3f} | "
            f"{right / shown if shown else 1.0:.3f} | {shown - right} | {shown} | {langs:.3f} |"
        )
    text = "\n".join(lines)
    print(text)
    if a.out:
        a.out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
