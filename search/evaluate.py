"""`akhbar eval`: score an index's rankings against ground truth in JSON Lines.

Clusters (`{"members": [...]}`, optional `topic`): each member queries the index; we
report recall@k = |relevant ∩ top-k| / min(k, |relevant|), MRR of the first relevant
hit, and — where clusters carry a topic — how many top-k hits come from another
cluster of the same topic (ECB+'s hard negatives).
Pairs (`{"id1", "id2"}` with `score`, or `stance`/`label`): graded pairs give Pearson
and Spearman (ties get their mean rank, scipy) of cosine against the score; labelled pairs give, for each positive pair,
the rank of id2 among all articles for id1 (recall@k, MRR), and for each other label its
mean cosine and how often it would be folded as a duplicate.
"""

from __future__ import annotations

import gzip
from collections import defaultdict
from pathlib import Path

import numpy as np
import orjson
from scipy.stats import spearmanr

from akhbar.index.errors import AkhbarError
from akhbar.search import hybrid
from akhbar.search.settings import DEFAULTS, QuerySettings
from akhbar.search.snapshot import Snapshot

POSITIVE = {"agree", "paraphrase", "duplicate", "same", "positive", "1", "true"}


def _lines(path: Path) -> list[dict]:
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            return [orjson.loads(line) for line in f if line.strip()]
    except (OSError, orjson.JSONDecodeError) as exc:
        raise AkhbarError(f"{path}: cannot read ground truth ({exc})") from None


def _positions(idx: Snapshot, ids: set[str]) -> dict[str, int]:
    """Positions of the ids that are in the index (ground truth may name others)."""
    found = {i: idx.position(i) for i in ids}
    return {i: p for i, p in found.items() if p is not None}


def _ranked(idx: Snapshot, pos: list[int], depth: int, mode: str, settings: QuerySettings) -> list[list[int]]:
    """Top `depth` positions for each query article, itself excluded."""
    if mode == "dense":  # one batched search
        _, found = idx.search(idx.vectors_at(pos), depth + 1)
        return [[p for p in row if p != me and p >= 0][:depth] for row, me in zip(found.tolist(), pos)]
    rows = idx.rows(pos, "pos, title, body, lang")
    out = []
    for me, q in zip(pos, idx.vectors_at(pos)):
        terms = hybrid.query_terms(idx, f"{rows[me]['title']}\n{rows[me]['body']}", article=True, settings=settings)
        cands = hybrid.candidates(idx, q, terms, depth + 1, mode, query_lang=rows[me]["lang"], settings=settings)
        out.append([p for p, _, _ in cands.items if p != me][:depth])
    return out


def clusters(idx: Snapshot, rows: list[dict], k: int, mode: str = "dense", settings: QuerySettings = DEFAULTS) -> dict[str, object]:
    members = [r["members"] for r in rows]
    where = _positions(idx, {m for ms in members for m in ms})
    cluster_of, topic_of = {}, {}
    for r, ms in zip(rows, members):
        for m in ms:
            if m in where:
                cluster_of[where[m]] = id(ms)
                topic_of[where[m]] = r.get("topic")
    size: dict[int, int] = defaultdict(int)
    for p in cluster_of:
        size[cluster_of[p]] += 1
    queries = [p for p in cluster_of if size[cluster_of[p]] > 1]
    if not queries:
        raise AkhbarError("no cluster has two members in this index")
    depth = max(k, 100)
    ranked = _ranked(idx, queries, depth, mode, settings)
    recall, rr, confused = [], [], []
    for p, found in zip(queries, ranked):
        rel = [cluster_of.get(int(f)) == cluster_of[p] for f in found]
        recall.append(sum(rel[:k]) / min(k, size[cluster_of[p]] - 1))
        first = next((i for i, r in enumerate(rel) if r), None)
        rr.append(0.0 if first is None else 1.0 / (first + 1))
        if topic_of[p] is not None:
            confused.append(sum(1 for f in found[:k] if topic_of.get(int(f)) == topic_of[p] and cluster_of.get(int(f)) != cluster_of[p]))
    result: dict[str, object] = {
        "queries": len(queries),
        f"recall@{k}": round(float(np.mean(recall)), 4),
        "mrr": round(float(np.mean(rr)), 4),
        "per_query": {f"recall@{k}": recall, "mrr": rr},
    }
    if confused:
        result[f"other_event_in_top{k}"] = round(float(np.mean(confused)), 3)
    return result


def pairs(idx: Snapshot, rows: list[dict], k: int, mode: str = "dense", settings: QuerySettings = DEFAULTS) -> dict[str, object]:
    where = _positions(idx, {r["id1"] for r in rows} | {r["id2"] for r in rows})
    rows = [r for r in rows if r["id1"] in where and r["id2"] in where]
    if not rows:
        raise AkhbarError("no pair has both articles in this index")
    a, b = idx.vectors_at([where[r["id1"]] for r in rows]), idx.vectors_at([where[r["id2"]] for r in rows])
    cos = (a * b).sum(1)
    if "score" in rows[0]:
        gold = np.asarray([float(r["score"]) for r in rows])
        return {
            "pairs": len(rows),
            "pearson": round(float(np.corrcoef(cos, gold)[0, 1]), 4),
            "spearman": round(float(spearmanr(cos, gold).statistic), 4),
        }
    label = lambda r: str(r.get("stance", r.get("label", ""))).lower()  # noqa: E731
    result: dict[str, object] = {"pairs": len(rows)}
    pos_rows = [r for r in rows if label(r) in POSITIVE]
    if pos_rows:
        depth = max(k, 100)
        ranked = _ranked(idx, [where[r["id1"]] for r in pos_rows], depth, mode, settings)
        ranks = [next((i + 1 for i, f in enumerate(found) if f == where[r["id2"]]), None) for r, found in zip(pos_rows, ranked)]
        result["positive_pairs"] = len(pos_rows)
        hit = [float(r is not None and r <= k) for r in ranks]
        rr = [1.0 / r if r else 0.0 for r in ranks]
        result[f"recall@{k}"] = round(float(np.mean(hit)), 4)
        result["mrr"] = round(float(np.mean(rr)), 4)
        result["per_query"] = {f"recall@{k}": hit, "mrr": rr}
    for name in sorted({label(r) for r in rows}):
        c = cos[[label(r) == name for r in rows]]
        result[f"{name}_mean_cosine"] = round(float(c.mean()), 4)
        result[f"{name}_as_duplicate"] = round(float((c >= settings.duplicate_cosine).mean()), 4)
    return result


def evaluate(
    idx: Snapshot, ground_truth: Path, k: int = 10, mode: str = "dense", *, per_query: bool = False, settings: QuerySettings = DEFAULTS
) -> dict[str, object]:
    """Clusters or pairs, told apart by the first line's keys; `per_query` keeps each query's values
    (for paired comparisons of two modes)."""
    rows = _lines(ground_truth)
    if not rows:
        raise AkhbarError(f"{ground_truth}: no ground truth lines")
    if "members" in rows[0]:
        result = {"ground_truth": ground_truth.name, "kind": "clusters", **clusters(idx, rows, k, mode, settings)}
    elif "id1" in rows[0] and "id2" in rows[0]:
        result = {"ground_truth": ground_truth.name, "kind": "pairs", **pairs(idx, rows, k, mode, settings)}
    else:
        raise AkhbarError(f"{ground_truth}:1: expected 'members' (clusters) or 'id1'/'id2' (pairs)")
    if not per_query:
        result.pop("per_query", None)
    return result
