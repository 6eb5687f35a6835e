"""Which backend `auto` means on this machine: measured once, not reasoned from CPU flags.

The fastest backend depends on more than the flags say: on an AVX-512 BF16 EPYC the int8 GEMM
peak is 2x the bf16 one, yet OpenVINO bf16 ran the whole model about as fast as ONNX Runtime int8
(issue 27: 8.33 against 8.83 articles/s), and the runtimes' kernels change with their versions.
So on first use each candidate
runs the same batch (real multilingual text, windows of config.WINDOW_TOKENS), best of 3 runs, one
candidate loaded at a time (memory), then the two fastest again, one run of each in turn, so a load
change on a shared machine falls on both (a suite sharing the cores with other jobs picked torch-bf16
over openvino-bf16 in 2 of 5 runs of the sequential measurement; openvino-bf16 was 1.3-1.6x faster
measured back to back). The result is cached beside the model's exports (runtime_files.export_root, keyed
on the converted model's identity) with a fingerprint: the CPU (model, cores, a digest of every
flag), the runtimes' versions and the export recipe. Any change to it measures again.
"""

from __future__ import annotations

import gc
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Protocol

import numpy as np
import orjson

from akhbar.index import config
from akhbar.index.embedding import runtime_files
from akhbar.index.embedding.cpu import Cpu


class Encoder(Protocol):
    """What a measurement needs of a loaded backend (backends.LoadedBackend)."""

    @property
    def tokenizer(self) -> Callable[..., dict]: ...
    @property
    def prompt(self) -> str: ...
    @property
    def run(self) -> Callable[[np.ndarray, np.ndarray], np.ndarray]: ...


CHOICE = "backend-choice.json"
ROUNDS = 3
BATCH = 4  # windows per timed forward pass, of config.WINDOW_TOKENS tokens each: a build's shape
SAMPLE = (
    "أعلن مجلس الوزراء اليوم عن ميزانية العام المقبل، وقال وزير المالية إن الإنفاق على التعليم والصحة سيرتفع "
    "بنسبة كبيرة، فيما تتوقع الحكومة تراجع العجز مع ارتفاع أسعار النفط وتحسن الإيرادات غير النفطية. "
    "The central bank raised interest rates by a quarter point on Wednesday to curb inflation, and said "
    "further increases were possible if prices kept rising faster than wages across the economy. "
    "La Banque centrale a relevé ses taux d'un quart de point pour freiner l'inflation, a annoncé mercredi "
    "son gouverneur, qui n'exclut pas de nouvelles hausses si les prix continuent de grimper. "
)


@dataclass(frozen=True)
class Choice:
    """The backend `auto` picked, why, and what each candidate measured (tokens per second)."""

    name: str
    why: str
    tokens_per_second: dict[str, float]

    def describe(self) -> str:
        return self.why


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return ""


def fingerprint(cpu: Cpu, names: list[str], threads: int) -> dict[str, object]:
    """What the measurement depends on: a change to any of it measures again."""
    return {
        "cpu": cpu.model,
        "cores": cpu.cores,
        "flags": cpu.flags_digest,
        "threads": threads,
        "candidates": names,
        "runtimes": {p: _version(p) for p in ("torch", "onnxruntime", "openvino")},
        "export_version": runtime_files.EXPORT_VERSION,
        "window_tokens": config.WINDOW_TOKENS,
    }


def sample_batch(tokenizer, prompt: str, windows: int = BATCH, tokens: int = config.WINDOW_TOKENS) -> tuple[np.ndarray, np.ndarray]:
    """`windows` full windows of real text (token ids and mask), as a build's batches hold them."""
    ids = tokenizer(prompt + SAMPLE * 4, add_special_tokens=True, verbose=False)["input_ids"]
    rows = [ids[i * 7 : i * 7 + tokens] for i in range(windows)]
    assert all(len(r) == tokens for r in rows), "the sample text is shorter than a window"
    return np.asarray(rows, np.int64), np.ones((windows, tokens), np.int64)


def measure(encoder: Encoder, ids: np.ndarray, mask: np.ndarray, rounds: int = ROUNDS) -> float:
    """Tokens per second of one loaded backend on the batch: best of `rounds` runs after a warm one
    (first-call allocations and JIT outside the clock)."""
    encoder.run(ids, mask)
    best = 0.0
    for _ in range(rounds):
        t = time.perf_counter()
        encoder.run(ids, mask)
        best = max(best, ids.size / (time.perf_counter() - t))
    return best


def choice_file(cpu: Cpu) -> str:
    """One file per set of CPU flags: a process capped at AVX2 (bench --emulate-avx2) keeps its own."""
    return f"{CHOICE.removesuffix('.json')}-{cpu.flags_digest}.json"


def _cached(path: Path, fp: dict[str, object]) -> Choice | None:
    try:
        data = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return None
    candidates = fp["candidates"]
    if data.get("fingerprint") != fp or not isinstance(candidates, list) or data.get("name") not in candidates:
        return None
    return Choice(str(data["name"]), str(data["why"]), {k: float(v) for k, v in data["tokens_per_second"].items()})


def _save(path: Path, choice: Choice, fp: dict[str, object]) -> None:
    """Written to a temporary name, then renamed: a killed write never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    tmp.write_bytes(
        orjson.dumps({"name": choice.name, "why": choice.why, "tokens_per_second": choice.tokens_per_second, "fingerprint": fp})
    )
    os.replace(tmp, path)


def pick(ref, cpu: Cpu, names: list[str], load: Callable[[str], Encoder], threads: int = 0) -> tuple[Choice, Encoder | None]:
    """The fastest of `names` here (cached), and the winner's loaded backend when this call measured.

    `load(name)` loads a backend (backends.open_encoder); one that fails to load is left out and the
    failure named in `why`.
    """
    if len(names) == 1:
        return Choice(names[0], f"{names[0]}: the only candidate", {}), None
    path = runtime_files.export_root(ref) / choice_file(cpu)
    fp = fingerprint(cpu, names, threads)
    cached = _cached(path, fp)
    if cached is not None:
        return cached, None
    print(f"akhbar: measuring {', '.join(names)} on this CPU to choose the backend (once)", file=sys.stderr)
    # One candidate loaded at a time beside the best so far: all five at once took ~3 GB, and a test
    # run sharing the machine was killed for memory. Then the two fastest take turns, run by run.
    speed: dict[str, float] = {}
    failed: list[str] = []
    best: tuple[str, Encoder] | None = None
    batch: tuple[np.ndarray, np.ndarray] | None = None
    for name in names:
        try:
            enc = load(name)
        except Exception as exc:  # noqa: BLE001 - a runtime that cannot run here is not a candidate
            failed.append(f"{name} failed to load ({type(exc).__name__}: {str(exc)[:80]})")
            continue
        batch = batch or sample_batch(enc.tokenizer, enc.prompt)
        speed[name] = measure(enc, *batch)
        if best is None or speed[name] > speed[best[0]]:
            best = (name, enc)
        del enc
        gc.collect()
    if best is None or batch is None:
        raise RuntimeError("no backend could be loaded: " + "; ".join(failed))
    ranked = sorted(speed, key=lambda n: speed[n], reverse=True)
    winner = best[1]
    if len(ranked) > 1:  # the two fastest again, run by run in turn: a load change falls on both
        duel = {ranked[0]: best[1], ranked[1]: load(ranked[1])}
        again = dict.fromkeys(duel, 0.0)
        for _ in range(ROUNDS):
            for name, enc in duel.items():
                again[name] = max(again[name], measure(enc, *batch, rounds=1))
        speed.update(again)  # the two compared under the same conditions, whatever the first pass met
        ranked = sorted(speed, key=lambda n: speed[n], reverse=True)
        winner = duel[ranked[0]] if ranked[0] in duel else load(ranked[0])
        del duel
        gc.collect()
    win = ranked[0]
    others = ", ".join(f"{n} {speed[win] / speed[n]:.2f}x slower" for n in ranked[1:])
    why = (
        f"{win}: fastest measured on {cpu.label()} ({speed[win]:,.0f} tokens/s, {BATCH}x{config.WINDOW_TOKENS}-token "
        f"batches, best of {ROUNDS} runs, the two fastest again in turns); {others or 'no other candidate'}"
        + ("; " + "; ".join(failed) if failed else "")
        + f"; measured {time.strftime('%Y-%m-%d %H:%M')}"
    )
    choice = Choice(win, why, {n: round(speed[n], 1) for n in ranked})
    _save(path, choice, fp)
    return choice, winner
