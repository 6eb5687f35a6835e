"""Ray embedding against the single-process build, and how many vectors/s the one writer can absorb.

Usage: python bench/ray_cluster.py ../shared/data/saudinewsnet/articles.jsonl.gz [-n 512] [--intake 20000]

All in one run, so the ratios share the machine's state:
1. a local build of the first n articles (one process, torch on every core): the baseline;
2. `ray.init()` starting a local cluster: Ray's start-up;
3. builds with `--ray` and 1, then 2 actors (1 thread each) of the same articles, end to end, and a
   two-article build with 1 actor minus the same locally: what one round's actor pool costs to start
   (worker processes, imports, model load);
4. the writer's intake: a build of `--intake` articles whose encoder hands back precomputed vectors
   (after reading the input ahead, as the Ray encoder does), so the time is the writer's alone:
   parsing, hashing, SQLite, vector appends, checkpoints; the publish (centering, FAISS) apart.
   intake / (one actor's articles/s) is the actor count at which the writer becomes the bottleneck.
Prints one JSON object (CPU model and flags included).
"""

from __future__ import annotations

import argparse
import gzip
import json
import platform
import tempfile
import time
from pathlib import Path

import numpy as np

from akhbar.index.writers import build


def write_corpus(src: Path, n: int, out: Path) -> Path:
    """The first n articles with a body, as JSON Lines."""
    kept = 0
    with gzip.open(src, "rt", encoding="utf-8") as f, open(out, "w", encoding="utf-8") as g:
        for line in f:
            a = json.loads(line)
            if (a.get("body") or "").strip():
                g.write(line if line.endswith("\n") else line + "\n")
                kept += 1
                if kept >= n:
                    break
    return out


def cpu() -> dict[str, object]:
    info = Path("/proc/cpuinfo").read_text()
    model = next((line.split(":", 1)[1].strip() for line in info.splitlines() if line.startswith("model name")), platform.processor())
    flags = next((line.split(":", 1)[1].split() for line in info.splitlines() if line.startswith("flags")), [])
    wanted = ("avx2", "avx512f", "avx512_bf16", "avx512_vnni", "amx_bf16", "amx_tile")
    return {
        "model": model,
        "cores": len([x for x in info.splitlines() if x.startswith("processor")]),
        "flags": [f for f in wanted if f in flags],
    }


def timed_build(corpus: Path, root: Path, remote=None) -> tuple[float, int]:
    t = time.perf_counter()
    s = build([corpus], root, remote=remote)
    return time.perf_counter() - t, s.embedded


class Precomputed:
    """An encoder that only looks vectors up: what the writer sees from an infinitely fast cluster."""

    def __init__(self, ahead, dim: int) -> None:
        self.ahead, self.dim, self.rng = ahead, dim, np.random.default_rng(0)

    def encode(self, texts):
        for _ in zip(range(len(texts)), self.ahead):  # read ahead as RayEncoder does, so its cost counts
            pass
        v = self.rng.standard_normal((len(texts), self.dim)).astype(np.float32)
        return v / np.linalg.norm(v, axis=1, keepdims=True)


def intake(corpus: Path, root: Path) -> dict[str, float]:
    marks: list[tuple[float, int]] = []
    t = time.perf_counter()
    s = build(
        [corpus],
        root,
        remote=lambda local, ref, ahead: Precomputed(ahead, local.dim),
        on_progress=lambda n: marks.append((time.perf_counter(), n)),
    )
    total = time.perf_counter() - t
    loop = marks[-1][0] - marks[0][0]
    written = sum(n for _, n in marks[1:])  # the first batch's clock starts at its end
    return {
        "articles": s.indexed,
        "vectors_per_s": round(written / loop, 1),
        "publish_s": round(total - (marks[-1][0] - t), 1),
        "total_s": round(total, 1),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("articles", type=Path)
    ap.add_argument("-n", type=int, default=512)
    ap.add_argument("--intake", type=int, default=20000)
    args = ap.parse_args()
    out: dict[str, object] = {"cpu": cpu(), "n": args.n}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        corpus = write_corpus(args.articles, args.n, tmp / "corpus.jsonl")
        tiny = write_corpus(args.articles, 2, tmp / "tiny.jsonl")
        local_s, embedded = timed_build(corpus, tmp / "local")
        tiny_local_s, _ = timed_build(tiny, tmp / "tiny-local")
        out["local"] = {"seconds": round(local_s, 1), "articles_per_s": round(embedded / local_s, 2)}

        import ray

        from akhbar.index.embedding import ray_cluster

        t = time.perf_counter()
        ray.init(address="local", include_dashboard=False, log_to_driver=False)
        out["ray_init_s"] = round(time.perf_counter() - t, 1)
        for actors in (1, 2):
            remote = ray_cluster.remote(None, [corpus], actors=actors)
            s, embedded = timed_build(corpus, tmp / f"ray{actors}", remote)
            out[f"ray_{actors}_actors"] = {
                "seconds": round(s, 1),
                "articles_per_s": round(embedded / s, 2),
                "vs_local": round(local_s / s, 2),
            }
        s, _ = timed_build(tiny, tmp / "tiny-ray", ray_cluster.remote(None, [tiny], actors=1))
        out["actor_pool_start_s"] = round(s - tiny_local_s, 1)
        ray.shutdown()

        big = write_corpus(args.articles, args.intake, tmp / "intake.jsonl")
        out["writer_intake"] = w = intake(big, tmp / "intake")
        per_actor = out["ray_1_actors"]["articles_per_s"]  # type: ignore[index]
        out["writer_bound_at_actors"] = round(w["vectors_per_s"] / per_actor)
    print(json.dumps(out, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
