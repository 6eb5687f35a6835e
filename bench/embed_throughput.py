"""Embedding throughput and peak memory: akhbar's whole-article embedding vs plain ST encode.

Usage: python bench/embed_throughput.py ../shared/data/saudinewsnet/articles.jsonl.gz [-n 300] [--rounds 2]

Baseline: SentenceTransformer.encode in fp32, default truncation (512 tokens), default
batch size, on the same articles in the same command. Each measurement runs in its own
child process (so peak RSS is its own); rounds alternate baseline and ours to spread noise.
Reports articles/s, the ratio ours/baseline, the share of article tokens each one covers,
and peak RSS. A full `build` (ingest, embed, SQLite, FAISS) is timed too.
"""

from __future__ import annotations

import argparse
import gzip
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def articles(path: Path, n: int, skip: int) -> list[tuple[str, str]]:
    """The first n non-empty articles after `skip`, as (title, body)."""
    out = []
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for i, line in enumerate(f):
            if i < skip:
                continue
            a = json.loads(line)
            if a.get("body", "").strip():
                out.append((a.get("title") or "", a["body"]))
            if len(out) >= n:
                break
    return out


def child(kind: str, path: Path, n: int, skip: int, precision: str) -> dict:
    from akhbar.index.embed import Embedder
    from akhbar.index.model import article_prompt, choose_precision, load, resolve

    arts = articles(path, n, skip)
    texts = [f"{t}\n{b}" if t else b for t, b in arts]
    model = load(resolve())
    prompt = article_prompt(model)
    tok = model.tokenizer
    lengths = [len(x) for x in tok([prompt + t for t in texts], add_special_tokens=False, verbose=False)["input_ids"]]
    limit = model.get_max_seq_length() - 2
    result: dict = {"kind": kind, "articles": len(texts), "tokens": sum(lengths)}
    if kind == "baseline":
        model.encode(texts[:4], prompt=prompt)  # warm-up outside the clock, as for ours
        t = time.perf_counter()
        model.encode(texts, prompt=prompt, normalize_embeddings=True)
        result["seconds"] = time.perf_counter() - t
        result["covered"] = sum(min(x, limit) for x in lengths) / sum(lengths)
    elif kind == "ours":
        emb = Embedder(model, prompt, precision=choose_precision(precision))  # type: ignore[arg-type]
        emb.encode(texts[:4])
        t = time.perf_counter()
        emb.encode(texts)
        result["seconds"] = time.perf_counter() - t
        result["covered"] = 1.0
        result["precision"] = emb.precision
    else:  # a whole build: ingest, embed, SQLite, FAISS, atomic publish
        from akhbar.index.build import build

        with tempfile.TemporaryDirectory() as tmp:
            src = Path(tmp) / "slice.jsonl"
            src.write_text("".join(json.dumps({"id": str(i), "title": t, "body": b}, ensure_ascii=False) + "\n"
                                   for i, (t, b) in enumerate(arts)), encoding="utf-8")
            t = time.perf_counter()
            build([src], Path(tmp) / "idx", precision=precision)  # type: ignore[arg-type]
            result["seconds"] = time.perf_counter() - t
            result["covered"] = 1.0
    result["per_second"] = result["articles"] / result["seconds"]
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("data", type=Path)
    ap.add_argument("-n", type=int, default=300)
    ap.add_argument("--skip", type=int, default=0, help="start this many lines into the file")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--precision", default="auto")
    ap.add_argument("--child", default=None)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.data, args.n, args.skip, args.precision)))
        return
    runs: dict[str, list[dict]] = {"baseline": [], "ours": [], "build": []}
    for r in range(args.rounds):
        for kind in ("baseline", "ours", "build") if r % 2 == 0 else ("ours", "baseline", "build"):
            out = subprocess.run([sys.executable, __file__, str(args.data), "-n", str(args.n), "--skip", str(args.skip),
                                  "--precision", args.precision, "--child", kind], capture_output=True, text=True, check=True)
            res = json.loads(out.stdout.strip().splitlines()[-1])
            runs[kind].append(res)
            print(f"round {r + 1} {kind}: {res['per_second']:.2f} articles/s, peak RSS {res['peak_rss_mb']:.0f} MB", file=sys.stderr)
    best = {k: max(v, key=lambda x: x["per_second"]) for k, v in runs.items()}
    base = best["baseline"]["per_second"]
    print(f"{best['ours']['articles']} SaudiNewsNet articles, {best['ours']['tokens']} tokens with the prompt; "
          f"best of {args.rounds} rounds")
    print("| run | articles/s | × baseline | tokens covered | peak RSS MB |")
    print("|---|---|---|---|---|")
    labels = {"baseline": "ST encode, fp32, truncated at 512", "ours": f"akhbar embed, {best['ours'].get('precision')}, whole articles",
              "build": "akhbar build (ingest+embed+SQLite+FAISS)"}
    for k in ("baseline", "ours", "build"):
        b = best[k]
        print(f"| {labels[k]} | {b['per_second']:.2f} | {b['per_second'] / base:.2f} | {b['covered']:.1%} | {b['peak_rss_mb']:.0f} |")


if __name__ == "__main__":
    main()
