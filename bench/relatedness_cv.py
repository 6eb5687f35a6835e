"""Cross-validated relatedness on SemEval-2022 Task 8's training pairs: Pearson of the cosine with `Overall`.

Three folds that no article (nor its machine translation) crosses (train/pairs.py). Each fold's
held-out pairs are scored by the untuned model and by train/finetune.py's tuning trained on the
other two folds, after each epoch (epoch 1 is the issue's probe recipe: one epoch of LoRA at 2e-4-ish
on the same data), so the table shows the learning curve on pairs never trained on. Pearson is
taken over all out-of-fold pairs at once, then per language pair.

Vectors are those training sees: each text's first --max-tokens tokens as the index embeds its
first window (prompt, <s> … </s>), the untuned lower layers' states cached, the top layers run in
fp32. Pearson is of the cosine with 4 − Overall (higher = more alike).

Usage: nice -n 5 python -m bench.relatedness_cv ../shared/data [--folds 3] [--epochs 3] [--top 2]
       [--out bench/results/relatedness-cv.json]
"""

from __future__ import annotations

import argparse
import platform
import subprocess
import time
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np
import orjson

from akhbar.train import finetune
from akhbar.train.pairs import folds, read_pairs


def pearson(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(a, b)[0, 1]) if len(a) > 2 else float("nan")


def cpu_record() -> dict[str, str]:
    flags = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("flags"):
            want = ("avx2", "avx512f", "avx512_bf16", "avx512_vnni", "amx_bf16")
            flags = " ".join(f for f in line.split() if f in want)
            break
    model = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines() if ln.startswith("model name")), "")
    load = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    return {"cpu": model, "flags": flags, "machine": platform.machine(), "uptime": load}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data", type=Path, nargs="?", default=Path("../shared/data"))
    ap.add_argument("--folds", type=int, default=3)
    ap.add_argument("--cache", type=Path, default=Path("/tmp/akhbar-train-cache"))
    ap.add_argument("--out", type=Path, default=Path("bench/results/relatedness-cv.json"))
    for f, v in asdict(finetune.Settings()).items():
        ap.add_argument("--" + f.replace("_", "-"), type=type(v), default=v)
    args = ap.parse_args()
    s = finetune.Settings(**{f: getattr(args, f) for f in asdict(finetune.Settings())})
    import torch

    from akhbar.index.embedding.model import article_prompt, base_ref, load

    torch.set_num_threads(2)
    record = {"start": cpu_record(), "settings": asdict(s)}
    pairs = read_pairs(args.data / "semeval_train" / "pairs.jsonl.gz")
    fold = np.asarray(folds(pairs, args.folds, s.seed))
    st = load(base_ref())
    bert = st[0].auto_model
    texts = finetune.Texts(pairs)
    cut = len(bert.encoder.layer) - s.top
    t0 = time.perf_counter()
    ids = finetune.token_ids(st.tokenizer, article_prompt(st), texts.texts, s.max_tokens)
    states = finetune.cached_lower_states(bert, ids, cut, args.cache, base_ref().checksum)
    record["states_seconds"] = round(time.perf_counter() - t0)
    left, right = np.asarray(texts.left), np.asarray(texts.right)

    def cosines(layers, rows: np.ndarray) -> np.ndarray:
        need = sorted(set(left[rows]) | set(right[rows]))
        v = dict(zip(need, finetune.embed(layers, [states[i] for i in need])))
        return np.asarray([float(v[a] @ v[b]) for a, b in zip(left[rows], right[rows])])

    scores: dict[str, np.ndarray] = {"untuned": cosines(list(bert.encoder.layer[cut:]), np.arange(len(pairs)))}
    similarity = finetune.similarity_of(pairs)
    t1 = time.perf_counter()
    for f in range(args.folds):
        held = np.flatnonzero(fold == f)
        rows = [int(i) for i in np.flatnonzero(fold != f)]
        finetune.log(f"fold {f + 1}/{args.folds}: train {len(rows)} pairs, held out {len(held)}")

        def on_epoch(epoch: int, layers, _factors, held=held, f=f) -> None:
            scores.setdefault(f"epoch {epoch}", np.zeros(len(pairs)))[held] = cosines(layers, held)
            finetune.log(f"  fold {f + 1} epoch {epoch}: held-out Pearson {pearson(scores[f'epoch {epoch}'][held], similarity[held]):.3f}")

        finetune.train(bert, cut, states, texts, rows, similarity, replace(s), on_epoch)
    record["train_seconds"] = round(time.perf_counter() - t1)
    record["end"] = cpu_record()
    langs = np.asarray([f"{p.lang1}-{p.lang2}" for p in pairs], dtype=object)  # str keys for orjson
    groups = {"all": np.ones(len(pairs), bool)} | {str(g): langs == g for g in sorted(set(langs), key=lambda g: -int((langs == g).sum()))}
    table = {name: {g: round(pearson(v[m], similarity[m]), 4) for g, m in groups.items()} for name, v in scores.items()}
    record |= {"pairs": len(pairs), "pairs_per_group": {g: int(m.sum()) for g, m in groups.items()}, "pearson": table}
    record["per_pair"] = {"fold": fold.tolist(), "lang": langs.tolist(), **{k: np.round(v, 5).tolist() for k, v in scores.items()}}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(orjson.dumps(record, option=orjson.OPT_INDENT_2))
    print("| group | pairs | " + " | ".join(scores) + " |\n|---|---|" + "---|" * len(scores))
    for g, m in groups.items():
        print(f"| {g} | {int(m.sum())} | " + " | ".join(f"{table[n][g]:.3f}" for n in scores) + " |")
    print(f"states {record['states_seconds']} s, training {record['train_seconds']} s; {record['start']} → {record['end']['uptime']}")


if __name__ == "__main__":
    main()
