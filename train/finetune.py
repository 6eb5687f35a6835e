"""Fine-tune the default model on people's ratings of news pairs; write the shipped tuning file.

`make train` (python -m akhbar.train.finetune DATA): reads DATA/semeval_train/pairs.jsonl.gz
(SemEval-2022 Task 8's training split, 969 rated pairs) and trains low-rank deltas (LoRA) on the
Linear layers of the top `--top` transformer layers of the untuned multilingual-e5-small, with the
CoSENT loss on `Overall` (a pair rated more alike must score a higher cosine than a pair rated less
alike). Texts are cut to their first window as the index embeds it (the prompt's ids, <s> … </s>).

Cheap on 2 cores because the layers under the tuned ones never change: their token states are
computed once (bf16 autocast) and kept, so an epoch runs only the tuned layers forward and back.
Seeded and repeatable: the same data, settings and seed give the same file. The file holds each
factor pair in fp16 (index/embedding/tuning.py) plus the settings and the data's sha256.
"""

from __future__ import annotations

import argparse
import hashlib
import math
import random
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import orjson

from akhbar.index.checksum import sha256_file
from akhbar.index.embedding.embedder import prompt_token_ids, windows
from akhbar.index.embedding.tuning import TUNING_FILE
from akhbar.train.pairs import Pair, read_pairs

TUNED = (
    "attention.self.query",
    "attention.self.key",
    "attention.self.value",
    "attention.output.dense",
    "intermediate.dense",
    "output.dense",
)


@dataclass(frozen=True)
class Settings:
    top: int = 2  # transformer layers tuned (the top ones); the rest stay as they are
    rank: int = 16
    alpha: float = 32.0  # LoRA scale = alpha / rank
    epochs: int = 2  # bench/relatedness_cv.py: held-out Pearson rose from epoch 1 to 2
    lr: float = 3e-4  # after a linear warm-up over the first tenth of the steps, constant
    batch: int = 16  # pairs per step
    max_tokens: int = 128  # per text, with the prompt and <s> … </s>: the title and lead
    scale: float = 20.0  # CoSENT's temperature
    seed: int = 0


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def token_ids(tokenizer, prompt: str, texts: list[str], max_tokens: int) -> list[list[int]]:
    """Each text's first window, as the index embeds it."""
    pids = prompt_token_ids(tokenizer, prompt)
    bos, eos = (lambda s: (s[:1], s[1:]))(tokenizer("", add_special_tokens=True)["input_ids"])
    body = tokenizer(texts, add_special_tokens=False, verbose=False)["input_ids"]
    return [bos + windows(b, pids, max_tokens - len(bos) - len(eos), first_only=True)[0] + eos for b in body]


def cached_lower_states(bert, ids: list[list[int]], cut: int, cache: Path | None, model_checksum: str) -> list:
    """lower_states, kept in `cache` under a key of the model, the cut and the ids (they cost minutes)."""
    import torch

    if cache is None:
        return lower_states(bert, ids, cut)
    key = hashlib.sha256(orjson.dumps([model_checksum, cut, ids])).hexdigest()[:16]
    path = cache / f"states-{key}.pt"
    if path.exists():
        log(f"  lower states from {path}")
        return torch.load(path)
    states = lower_states(bert, ids, cut)
    cache.mkdir(parents=True, exist_ok=True)
    torch.save(states, path.with_suffix(".tmp"))
    path.with_suffix(".tmp").replace(path)
    return states


def lower_states(bert, ids: list[list[int]], cut: int, batch: int = 32) -> list:
    """Token states entering layer `cut` (0: the embeddings' output), fp16, one tensor per text."""
    import torch

    t = time.perf_counter()
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
    states: dict[int, object] = {}
    for s in range(0, len(order), batch):
        part = order[s : s + batch]
        width = max(len(ids[i]) for i in part)
        x = torch.zeros(len(part), width, dtype=torch.long)
        m = torch.zeros(len(part), width, dtype=torch.long)
        for r, i in enumerate(part):
            x[r, : len(ids[i])], m[r, : len(ids[i])] = torch.tensor(ids[i]), 1
        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16):
            h = bert(input_ids=x, attention_mask=m, output_hidden_states=True).hidden_states[cut] if cut else bert.embeddings(input_ids=x)
        for r, i in enumerate(part):
            states[i] = h[r, : len(ids[i])].to(torch.float16).clone()
        if (s // batch) % 10 == 0:
            log(f"  lower states {s + len(part)}/{len(ids)} ({(s + len(part)) / (time.perf_counter() - t):.1f} texts/s)")
    out = [states[i] for i in range(len(ids))]
    return out


class LoRALinear:
    """Factory for a Linear with a trainable low-rank delta: y = base(x) + scale · x Aᵀ Bᵀ."""

    @staticmethod
    def wrap(base, rank: int, scale: float, gen):
        import torch

        class Wrapped(torch.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.base = base
                for p in base.parameters():
                    p.requires_grad_(False)
                a = torch.empty(rank, base.in_features)
                torch.nn.init.kaiming_uniform_(a, a=math.sqrt(5), generator=gen)
                self.lora_A = torch.nn.Parameter(a)
                self.lora_B = torch.nn.Parameter(torch.zeros(base.out_features, rank))
                self.scale = scale

            def forward(self, x):
                return self.base(x) + (x @ self.lora_A.T @ self.lora_B.T) * self.scale

        return Wrapped()


def add_lora(bert, cut: int, s: Settings) -> dict:
    """Wrap every tuned Linear of layers cut… in place; returns BertModel name → wrapped module."""
    import torch

    gen = torch.Generator().manual_seed(s.seed)
    wrapped = {}
    for i in range(cut, len(bert.encoder.layer)):
        layer = bert.encoder.layer[i]
        for name in TUNED:
            parent_name, _, leaf = name.rpartition(".")
            parent = layer.get_submodule(parent_name)
            w = LoRALinear.wrap(getattr(parent, leaf), s.rank, s.alpha / s.rank, gen)
            setattr(parent, leaf, w)
            wrapped[f"encoder.layer.{i}.{name}"] = w
    for p in bert.parameters():
        p.requires_grad_(False)
    for w in wrapped.values():
        w.lora_A.requires_grad_(True)
        w.lora_B.requires_grad_(True)
    return wrapped


def top_forward(layers, states: list):
    """Pad, run the given layers, mean-pool over tokens, normalise (what the model's pooling does)."""
    import torch

    n = max(len(s) for s in states)
    h = torch.zeros(len(states), n, states[0].shape[1])
    mask = torch.zeros(len(states), n)
    for r, s in enumerate(states):
        h[r, : len(s)], mask[r, : len(s)] = s.float(), 1
    add = (1.0 - mask)[:, None, None, :] * torch.finfo(torch.float32).min
    for layer in layers:
        h = layer(h, attention_mask=add)
        h = h[0] if isinstance(h, tuple) else h
    pooled = (h * mask[:, :, None]).sum(1) / mask.sum(1, keepdim=True)
    return torch.nn.functional.normalize(pooled, dim=1)


def embed(layers, states: list, batch: int = 64) -> np.ndarray:
    import torch

    with torch.inference_mode():
        return np.concatenate([top_forward(layers, states[i : i + batch]).numpy() for i in range(0, len(states), batch)])


def cosent(cos, similarity, scale: float):
    """CoSENT: log(1 + Σ over pairs (i, j) rated i more alike than j of exp(scale · (cos_j − cos_i)))."""
    import torch

    diff = scale * (cos[None, :] - cos[:, None])  # [i, j] = cos_j − cos_i
    wanted = similarity[:, None] > similarity[None, :]
    return torch.logsumexp(torch.cat([torch.zeros(1), diff[wanted]]), 0)


class Texts:
    """The unique texts of a list of pairs, with each pair's two indexes into them."""

    def __init__(self, pairs: list[Pair]) -> None:
        index: dict[str, int] = {}
        self.left = [index.setdefault(p.text1, len(index)) for p in pairs]
        self.right = [index.setdefault(p.text2, len(index)) for p in pairs]
        self.texts = list(index)


def train(
    bert, cut: int, states: list, texts: Texts, rows: list[int], similarity: np.ndarray, s: Settings, on_epoch: Callable | None = None
) -> dict[str, np.ndarray]:
    """LoRA on layers cut… over the given pair rows; returns the factors (B scaled), float32.

    `bert` is changed in place (its layers wrapped) only for the duration of the call; after each
    epoch `on_epoch(epoch, layers, factors)` may embed with the layers as they are
    (bench/relatedness_cv.py) or keep `factors()` as they are.
    """
    import torch

    torch.manual_seed(s.seed)
    originals = {i: bert.encoder.layer[i] for i in range(cut, len(bert.encoder.layer))}
    import copy

    for i in originals:
        bert.encoder.layer[i] = copy.deepcopy(originals[i])
    try:
        wrapped = add_lora(bert, cut, s)
        layers = list(bert.encoder.layer[cut:])
        for layer in layers:
            layer.eval()  # no dropout: only the low-rank factors learn, and a run repeats exactly
        params = [p for w in wrapped.values() for p in (w.lora_A, w.lora_B)]
        opt = torch.optim.AdamW(params, lr=s.lr, weight_decay=0.01)
        rng = random.Random(s.seed)
        steps_per_epoch = max(1, math.ceil(len(rows) / s.batch))
        total = steps_per_epoch * s.epochs
        warm = max(1, total // 10)
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda k: min(1.0, (k + 1) / warm))

        def factors() -> dict[str, np.ndarray]:
            return {
                k: t
                for name, w in wrapped.items()
                for k, t in (
                    (name + ".lora_A", w.lora_A.detach().numpy().copy()),
                    (name + ".lora_B", (w.lora_B.detach() * w.scale).numpy().copy()),
                )
            }

        t, step = time.perf_counter(), 0
        for epoch in range(s.epochs):
            order = rows[:]
            rng.shuffle(order)
            for b in range(0, len(order), s.batch):
                part = order[b : b + s.batch]
                if len(part) < 2:
                    continue
                x = top_forward(layers, [states[texts.left[i]] for i in part])
                y = top_forward(layers, [states[texts.right[i]] for i in part])
                loss = cosent((x * y).sum(1), torch.from_numpy(similarity[part]), s.scale)
                opt.zero_grad()
                loss.backward()
                opt.step()
                sched.step()
                step += 1
                if step % 10 == 0 or step == total:
                    rate = step / (time.perf_counter() - t)
                    log(f"  epoch {epoch + 1}/{s.epochs} step {step}/{total} loss {float(loss.detach()):.3f} ({rate:.2f} steps/s)")
            if on_epoch is not None:
                on_epoch(epoch + 1, layers, factors)
        return factors()
    finally:
        for i, layer in originals.items():
            bert.encoder.layer[i] = layer


def similarity_of(pairs: list[Pair]) -> np.ndarray:
    """Overall 1 (very similar) … 4 (very dissimilar) → 3 … 0, higher = more alike."""
    return np.asarray([4.0 - p.ratings["Overall"] for p in pairs], np.float32)


def save(factors: dict[str, np.ndarray], out: Path, record: dict[str, str]) -> None:
    """fp16 safetensors, written beside and renamed, so a failed run leaves the old file whole."""
    from safetensors.numpy import save_file

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    save_file({k: v.astype(np.float16) for k, v in sorted(factors.items())}, str(tmp), metadata=record)
    tmp.replace(out)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data", type=Path, nargs="?", default=Path("../shared/data"))
    ap.add_argument("--pairs", type=Path, help="a pairs file instead of DATA/semeval_train/pairs.jsonl.gz")
    ap.add_argument("--out", type=Path, default=TUNING_FILE)
    ap.add_argument("--keep-epochs", action="store_true", help="also write each earlier epoch's factors beside --out")
    ap.add_argument("--cache", type=Path, help="keep the untuned layers' token states here between runs")
    for f, v in asdict(Settings()).items():
        ap.add_argument("--" + f.replace("_", "-"), type=type(v), default=v)
    args = ap.parse_args(argv)
    s = Settings(**{f: getattr(args, f) for f in asdict(Settings())})
    import torch

    from akhbar.index.embedding.model import article_prompt, base_ref, load

    torch.set_num_threads(2)
    path = args.pairs or args.data / "semeval_train" / "pairs.jsonl.gz"
    if not path.is_file():
        sys.exit(f"{path}: no such pairs file (give the data folder, default ../shared/data)")
    pairs = read_pairs(path)
    log(f"{len(pairs)} pairs from {path}; settings {s}")
    t0 = time.perf_counter()
    st = load(base_ref())
    bert = st[0].auto_model
    texts = Texts(pairs)
    cut = len(bert.encoder.layer) - s.top
    ids = token_ids(st.tokenizer, article_prompt(st), texts.texts, s.max_tokens)
    states = cached_lower_states(bert, ids, cut, args.cache, base_ref().checksum)
    record = {"pairs_sha256": sha256_file(path), "pairs": str(len(pairs)), **{k: str(v) for k, v in asdict(s).items()}}

    def keep(epoch: int, _layers, factors) -> None:
        if args.keep_epochs and epoch < s.epochs:
            save(factors(), args.out.with_name(f"{args.out.stem}.epoch{epoch}{args.out.suffix}"), record | {"epochs": str(epoch)})

    factors = train(bert, cut, states, texts, list(range(len(pairs))), similarity_of(pairs), s, keep)
    save(factors, args.out, record)
    log(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.2f} MB, sha256 {sha256_file(args.out)}) in {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
