"""Train a residual linear head W = I + A over the frozen default model, on SaudiNewsNet only.

Pairs (no labels): headline <-> lead (the body's first LEAD_WORDS words) of sampled articles, and
headline <-> headline of the same wire copy under another paper's title (the corpus' exact
duplicate groups of at most 10 members). Loss: symmetric InfoNCE with in-batch negatives; each
batch holds the pairs of one day, so the negatives are same-day news on other stories; pairs of one
copy group never count as each other's negatives. The last VAL_DAYS days are held out to report
title -> lead recall@1 before and after (ANS, ECB+, MEANTIME are never read here).

Vectors are the index's own (bench/adapter_vectors.py), cached under /tmp; the head is trained on
them centred by the training mean, as the index searches centred vectors.

Usage: nice -n 19 python -m bench.adapter_train ../shared/data [--articles 3000] [--rank 0]
       [--epochs 4] [--out /tmp/akhbar-adapter/head.npz]      (rank 0: full 384x384 A)
Writes the head (float32 `weight`, plus the inputs and settings it was made from) and prints a table.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
import time
from collections import Counter, defaultdict
from itertools import combinations
from pathlib import Path

import numpy as np

from bench.adapter_vectors import encode, lines

SEED = 0
LEAD_WORDS = 64
VAL_DAYS = 3
MAX_GROUP = 10  # larger "copy groups" are boilerplate bodies, not one story
REWRITE_JACCARD = 0.3


def rewrites(usable: list[dict], cap: int, rng: random.Random) -> list[tuple[dict, dict]]:
    """Articles of two different papers whose leads share >= REWRITE_JACCARD of their word 4-grams
    but whose headlines differ: one story, two editors' headlines (the closest thing to headline
    paraphrases without labels). 4-grams held by more than 20 articles are boilerplate, skipped."""
    shingles, holders = [], defaultdict(list)
    for i, r in enumerate(usable):
        w = r["body"].split()[:LEAD_WORDS]
        s = {" ".join(w[j : j + 4]) for j in range(len(w) - 3)}
        shingles.append(s)
        for x in s:
            holders[x].append(i)
    shared: Counter = Counter()
    for ids in holders.values():
        if 2 <= len(ids) <= 20:
            shared.update(combinations(ids, 2))
    found = [
        (usable[a], usable[b])
        for (a, b), n in sorted(shared.items())
        if n / len(shingles[a] | shingles[b]) >= REWRITE_JACCARD
        and usable[a].get("source") != usable[b].get("source")
        and usable[a]["title"].strip() != usable[b]["title"].strip()
    ]
    return rng.sample(found, min(cap, len(found)))


def pairs(data: Path, n_articles: int, n_rewrites: int) -> tuple[list[tuple[str, str, str, str]], dict]:
    """(day, group, left text, right text) pairs and a record of what they were made from."""
    path = data / "saudinewsnet" / "articles.jsonl.gz"
    arts = {r["id"]: r for r in lines(path)}
    usable = [r for r in arts.values() if (r.get("title") or "").strip() and len((r.get("body") or "").split()) >= 20]
    rng = random.Random(SEED)
    sample = rng.sample(sorted(usable, key=lambda r: r["id"]), n_articles)
    group_of: dict[str, str] = {}
    out = []
    groups_path = data / "saudinewsnet" / "exact_duplicate_groups.jsonl.gz"
    for g in lines(groups_path):
        members = [arts[m] for m in g["members"] if m in arts]
        if len(members) > MAX_GROUP:
            continue
        gid = members[0]["id"]
        for m in members:
            group_of[m["id"]] = gid
        titles = sorted({(m.get("title") or "").strip(): m for m in members if (m.get("title") or "").strip()}.items())
        for (t1, m1), (t2, _) in zip(titles, titles[1:]):
            out.append((m1["date"][:10], gid, t1, t2))
    copies = len(out)
    parent: dict[str, str] = {}

    def root(x: str) -> str:
        while parent.get(x, x) != x:
            x = parent[x]
        return x

    found = rewrites(usable, n_rewrites, rng) if n_rewrites else []
    for a, b in found:
        parent[root(group_of.get(b["id"], b["id"]))] = root(group_of.get(a["id"], a["id"]))
    for a, b in found:
        out.append((a["date"][:10], root(group_of.get(a["id"], a["id"])), a["title"].strip(), b["title"].strip()))
    for r in sample:
        lead = " ".join(r["body"].split()[:LEAD_WORDS])
        out.append((r["date"][:10], root(group_of.get(r["id"], r["id"])), r["title"].strip(), lead))
    record = {
        "articles": str(path),
        "articles_sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "groups_sha256": hashlib.sha256(groups_path.read_bytes()).hexdigest(),
        "seed": SEED,
        "headline_lead_pairs": len(sample),
        "headline_headline_pairs_copies": copies,
        "headline_headline_pairs_rewrites": len(found),
        "rewrite_jaccard": REWRITE_JACCARD,
        "lead_words": LEAD_WORDS,
    }
    return out, record


def recall_at_1(left: np.ndarray, right: np.ndarray) -> float:
    return float((np.argmax(left @ right.T, axis=1) == np.arange(len(left))).mean())


def train(left, right, days, groups, rank: int, epochs: int, lr: float, temperature: float, decay: float, batch: int):
    """A (384x384, or U V^T of `rank`) trained from zero; returns W = I + A as float32."""
    import torch

    torch.manual_seed(SEED)
    dim = left.shape[1]
    if rank:
        u = torch.zeros(dim, rank, requires_grad=True)
        v = torch.nn.init.normal_(torch.empty(rank, dim), std=dim**-0.5).requires_grad_()
        params = [u, v]
        delta = lambda: u @ v  # noqa: E731
    else:
        a = torch.zeros(dim, dim, requires_grad=True)
        params = [a]
        delta = lambda: a  # noqa: E731
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=decay)
    eye = torch.eye(dim)
    L, R = torch.from_numpy(left), torch.from_numpy(right)
    by_day = defaultdict(list)
    for i, d in enumerate(days):
        by_day[d].append(i)
    g = np.asarray(groups)
    rng = random.Random(SEED)
    for epoch in range(epochs):
        batches = []
        for d in sorted(by_day):
            idx = by_day[d][:]
            rng.shuffle(idx)
            batches += [idx[i : i + batch] for i in range(0, len(idx), batch) if len(idx[i : i + batch]) > 1]
        rng.shuffle(batches)
        total = 0.0
        for b in batches:
            w = eye + delta()
            x = torch.nn.functional.normalize(L[b] @ w.T, dim=1)
            y = torch.nn.functional.normalize(R[b] @ w.T, dim=1)
            logits = x @ y.T / temperature
            same = torch.from_numpy(g[b][:, None] == g[b][None, :]) & ~torch.eye(len(b), dtype=torch.bool)
            logits = logits.masked_fill(same, -1e4)  # copies of one story are not negatives
            target = torch.arange(len(b))
            loss = (torch.nn.functional.cross_entropy(logits, target) + torch.nn.functional.cross_entropy(logits.T, target)) / 2
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss.detach()) * len(b)
        print(f"  epoch {epoch + 1}/{epochs}: loss {total / len(days):.4f}", file=sys.stderr)
    with torch.no_grad():
        return (eye + delta()).numpy().astype(np.float32)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("data", type=Path)
    ap.add_argument("--articles", type=int, default=3000)
    ap.add_argument("--rewrites", type=int, default=0, help="at most N headline pairs of rewritten stories (see rewrites)")
    ap.add_argument("--rank", type=int, default=0, help="rank of A; 0 = full matrix")
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--temperature", type=float, default=0.05)
    ap.add_argument("--decay", type=float, default=0.01)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--out", type=Path, default=Path("/tmp/akhbar-adapter/head.npz"))
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    t0 = time.perf_counter()
    rows, record = pairs(args.data, args.articles, args.rewrites)
    n_heads = record["headline_headline_pairs_copies"] + record["headline_headline_pairs_rewrites"]
    print(f"{len(rows)} pairs ({n_heads} headline-headline)", file=sys.stderr)
    left = encode([r[2] for r in rows], "snn-left")
    right = encode([r[3] for r in rows], "snn-right")
    t_embed = time.perf_counter() - t0
    days = [r[0] for r in rows]
    val_days = set(sorted(set(days))[-VAL_DAYS:])
    tr = [i for i, d in enumerate(days) if d not in val_days]
    va = [i for i, d in enumerate(days) if d in val_days and i >= n_heads]  # held-out headline -> lead pairs
    va_heads = [i for i, d in enumerate(days) if d in val_days and i < n_heads]
    mean = np.concatenate([left[tr], right[tr]]).mean(0)
    centre = lambda v: v - mean  # noqa: E731
    t1 = time.perf_counter()
    weight = train(
        centre(left[tr]),
        centre(right[tr]),
        [days[i] for i in tr],
        [rows[i][1] for i in tr],
        args.rank,
        args.epochs,
        args.lr,
        args.temperature,
        args.decay,
        args.batch,
    )
    t_train = time.perf_counter() - t1

    def unit(v):
        return v / np.linalg.norm(v, axis=1, keepdims=True)

    before = recall_at_1(unit(centre(left[va])), unit(centre(right[va])))
    after = recall_at_1(unit(centre(left[va]) @ weight.T), unit(centre(right[va]) @ weight.T))
    heads_before = recall_at_1(unit(centre(left[va_heads])), unit(centre(right[va_heads])))
    heads_after = recall_at_1(unit(centre(left[va_heads]) @ weight.T), unit(centre(right[va_heads]) @ weight.T))
    settings = {k: getattr(args, k) for k in ("rank", "epochs", "lr", "temperature", "decay", "batch")}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez(args.out, weight=weight, inputs=json.dumps({**record, **settings, "val_days": sorted(val_days)}))
    result = {
        **record,
        **settings,
        "train_pairs": len(tr),
        "val_pairs": len(va),
        "val_title_to_lead_recall@1_before": round(before, 4),
        "val_title_to_lead_recall@1_after": round(after, 4),
        "val_headline_pairs": len(va_heads),
        "val_headline_to_headline_recall@1_before": round(heads_before, 4),
        "val_headline_to_headline_recall@1_after": round(heads_after, 4),
        "embed_seconds": round(t_embed, 1),
        "train_seconds": round(t_train, 1),
        "head": str(args.out),
        "head_bytes": args.out.stat().st_size,
        "head_sha256": hashlib.sha256(args.out.read_bytes()).hexdigest(),
        "delta_frobenius": round(float(np.linalg.norm(weight - np.eye(len(weight)))), 4),
    }
    if args.json:
        import orjson

        sys.stdout.buffer.write(orjson.dumps(result) + b"\n")
        return
    print("| measure | value |\n|---|---|")
    for k, v in result.items():
        print(f"| {k} | {v} |")


if __name__ == "__main__":
    main()
