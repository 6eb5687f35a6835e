"""What bench/adapter_train.py and bench/adapter_eval.py share: the index's own embedder, a vector
cache under /tmp, the residual linear head, and exact dense ranking as the index does it.

The vectors are what a default build stores: the default model, backend `auto`, the manifest's
prompt, windows and `lead` combining (index/embedding/embedder.py). Ranking centres them per
language with means fitted on the same corpus (index/store/centering.py), as a build does.
"""

from __future__ import annotations

import gzip
import hashlib
import sys
import time
from pathlib import Path

import numpy as np
import orjson

from akhbar.index import config
from akhbar.index.store import centering

CACHE = Path("/tmp/akhbar-adapter")


def lines(path: Path) -> list[dict]:
    with gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb") as f:
        return [orjson.loads(line) for line in f if line.strip()]


def article_text(row: dict) -> str:
    """What a build embeds (index/article.py Article.text): the title leads."""
    title, body = row.get("title") or "", row.get("body") or ""
    return f"{title}\n{body}" if title else body


_EMBEDDER = None
SINGLE_PROMPT = False  # set by --single-prompt: see single_prompt()


def single_prompt(emb) -> None:
    """Measure the index with its prompt once. Embedder strips `prompt_ids` = ids of "query: " (ending
    in a lone "▁", id 6) from the text's ids before prefixing each window with them; but "query: word"
    usually tokenises as "query:" + "▁word", so nothing is stripped and windows hold the prompt twice
    ("query: ▁ query: word"). The ids of "query:" (no space) match every text, so windows then hold
    exactly the tokeniser's ids of "query: " + text."""
    emb.prompt_ids = emb.tokenizer(emb.prompt.rstrip(), add_special_tokens=False)["input_ids"]


def embedder():
    """The Embedder a default build makes (index/stage.py), loaded once."""
    global _EMBEDDER
    if _EMBEDDER is None:
        from akhbar.index.embedding.backends import load_for
        from akhbar.index.embedding.embedder import Embedder
        from akhbar.index.embedding.model import resolve

        enc = load_for(resolve(config.DEFAULT_MODEL), "auto")
        _EMBEDDER = Embedder(enc, enc.prompt, method=config.CHUNK_METHOD, window_tokens=config.WINDOW_TOKENS)  # type: ignore[arg-type]
        if SINGLE_PROMPT:
            single_prompt(_EMBEDDER)
    return _EMBEDDER


def backend_name() -> str:
    return embedder().backend


def encode(texts: list[str], tag: str, batch: int = 256) -> np.ndarray:
    """Unit vectors of `texts` as a default build stores them, cached by content under /tmp."""
    key = hashlib.sha256(orjson.dumps([config.DEFAULT_MODEL, config.CHUNK_METHOD, config.WINDOW_TOKENS, texts])).hexdigest()[:16]
    path = CACHE / f"{tag}{'-single-prompt' if SINGLE_PROMPT else ''}-{key}.npy"
    if path.exists():
        return np.load(path)
    CACHE.mkdir(parents=True, exist_ok=True)
    emb, out, t = embedder(), [], time.perf_counter()
    for i in range(0, len(texts), batch):
        out.append(emb.encode(texts[i : i + batch]))
        done = min(i + batch, len(texts))
        print(f"  {tag}: {done}/{len(texts)} embedded ({done / (time.perf_counter() - t):.1f}/s, {emb.backend})", file=sys.stderr)
    vectors = np.concatenate(out).astype(np.float32)
    np.save(path, vectors)
    return vectors


def apply_head(vectors: np.ndarray, weight: np.ndarray | None) -> np.ndarray:
    """v -> normalise(v @ W.T); W = I + A is the adapter (None: the unadapted model)."""
    if weight is None:
        return vectors
    v = vectors @ weight.T
    return (v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)).astype(np.float32)


def load_head(path: Path | None) -> np.ndarray | None:
    if path is None:
        return None
    with np.load(path) as z:
        return z["weight"].astype(np.float32)


def centred(vectors: np.ndarray, langs: list[str]) -> np.ndarray:
    """What the index searches with: per-language centring fitted on this corpus, unit rows."""
    return centering.apply(vectors, langs, centering.fit([(vectors, langs)]))


def ranks(vectors: np.ndarray, queries: list[int], depth: int = 100) -> list[list[int]]:
    """Top `depth` positions per query by cosine (exact, as a flat index), the query itself excluded."""
    out, depth = [], min(depth, len(vectors) - 1)
    for start in range(0, len(queries), 512):
        q = np.asarray(queries[start : start + 512])
        sims = vectors[q] @ vectors.T
        sims[np.arange(len(q)), q] = -np.inf
        top = np.argpartition(-sims, depth, axis=1)[:, :depth]
        order = np.take_along_axis(top, np.argsort(-np.take_along_axis(sims, top, 1), axis=1), 1)
        out.extend(order.tolist())
    return out
