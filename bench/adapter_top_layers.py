"""Experiment beside bench/adapter_train.py: fine-tune the model's top TOP transformer layers (not a
head over the pooled vector) on the same SaudiNewsNet pairs, and score ANS with and without.

Token states below the top layers are computed once (torch, bf16 autocast, the index's prompt and
special tokens; texts here are short so one window each) and cached in memory; only the top layers
train, so an epoch costs seconds of forward/backward over TOP layers. ANS is never trained on.
The baseline in the table is the same torch path with the original layers (paired bootstrap).

Usage: nice -n 19 python -m bench.adapter_top_layers ../shared/data [--top 2] [--epochs 1] [--lr 2e-5]
"""

from __future__ import annotations

import argparse
import copy
import random
import sys
import time
from pathlib import Path

import numpy as np

from akhbar.train.finetune import embed, top_forward
from bench.adapter_eval import ans, interval
from bench.adapter_train import SEED, pairs
from bench.adapter_vectors import centred


def lower_states(st, texts: list[str], cut: int, batch: int = 64) -> list:
    """Per text: (token states after layer `cut`, length), with the index's prompt."""
    import torch

    bert, tok = st[0].auto_model, st.tokenizer
    out, t = [], time.perf_counter()
    for i in range(0, len(texts), batch):
        enc = tok(["query: " + x for x in texts[i : i + batch]], padding=True, truncation=True, max_length=256, return_tensors="pt")
        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16):
            hs = bert(**enc, output_hidden_states=True).hidden_states[cut]
        for h, m in zip(hs.float(), enc["attention_mask"]):
            out.append(h[: int(m.sum())].clone())
        print(
            f"  lower states {min(i + batch, len(texts))}/{len(texts)} ({(i + batch) / (time.perf_counter() - t):.0f}/s)", file=sys.stderr
        )
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("data", type=Path)
    ap.add_argument("--top", type=int, default=2)
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--lr", type=float, default=2e-5)
    ap.add_argument("--rewrites", type=int, default=4000)
    ap.add_argument("--articles", type=int, default=3000)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--temperature", type=float, default=0.05)
    args = ap.parse_args()
    import torch

    from akhbar.index.embedding.model import load, resolve

    torch.manual_seed(SEED)
    t0 = time.perf_counter()
    st = load(resolve())
    bert = st[0].auto_model
    cut = len(bert.encoder.layer) - args.top
    base_layers = list(bert.encoder.layer[cut:])
    rows, record = pairs(args.data, args.articles, args.rewrites)
    days = [r[0] for r in rows]
    held = set(sorted(set(days))[-3:])
    rows = [r for r in rows if r[0] not in held]  # the same training days as bench/adapter_train.py
    left, right = lower_states(st, [r[2] for r in rows], cut), lower_states(st, [r[3] for r in rows], cut)
    texts, langs, score = ans(args.data)
    ans_states = lower_states(st, texts, cut)
    t_states = time.perf_counter() - t0
    before = score(centred(embed(base_layers, ans_states, batch=128), langs))
    layers = torch.nn.ModuleList(copy.deepcopy(base_layers)).train()
    opt = torch.optim.AdamW(layers.parameters(), lr=args.lr, weight_decay=0.01)
    by_day: dict[str, list[int]] = {}
    for i, r in enumerate(rows):
        by_day.setdefault(r[0], []).append(i)
    groups = np.asarray([r[1] for r in rows])
    rng = random.Random(SEED)
    t1 = time.perf_counter()
    for epoch in range(args.epochs):
        batches = []
        for d in sorted(by_day):
            idx = by_day[d][:]
            rng.shuffle(idx)
            batches += [idx[i : i + args.batch] for i in range(0, len(idx), args.batch) if len(idx[i : i + args.batch]) > 1]
        rng.shuffle(batches)
        for step, b in enumerate(batches):
            x = top_forward(layers, [left[i] for i in b])
            y = top_forward(layers, [right[i] for i in b])
            logits = x @ y.T / args.temperature
            same = torch.from_numpy(groups[b][:, None] == groups[b][None, :]) & ~torch.eye(len(b), dtype=torch.bool)
            logits = logits.masked_fill(same, -1e4)
            target = torch.arange(len(b))
            loss = (torch.nn.functional.cross_entropy(logits, target) + torch.nn.functional.cross_entropy(logits.T, target)) / 2
            opt.zero_grad()
            loss.backward()
            opt.step()
            if step % 10 == 0:
                print(f"  epoch {epoch + 1} step {step}/{len(batches)} loss {float(loss.detach()):.4f}", file=sys.stderr)
    t_train = time.perf_counter() - t1
    layers.eval()
    after = score(centred(embed(list(layers), ans_states, batch=128), langs))
    print(f"record: {record}, top {args.top}, epochs {args.epochs}, lr {args.lr}, train pairs {len(rows)}")
    print(f"lower-state pass {t_states:.0f}s, training {t_train:.0f}s")
    print("| ANS measure | original top layers [95% CI] | fine-tuned top layers [95% CI] | difference [95% CI] |\n|---|---|---|---|")
    for m in before:
        a, b = interval(before[m]), interval(after[m])
        d = interval(list(np.asarray(after[m]) - np.asarray(before[m])))
        print(
            f"| {m} | {a[0]:.4f} [{a[1]:.4f}, {a[2]:.4f}] | {b[0]:.4f} [{b[1]:.4f}, {b[2]:.4f}] | {d[0]:+.4f} [{d[1]:+.4f}, {d[2]:+.4f}] |"
        )


if __name__ == "__main__":
    main()
