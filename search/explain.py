"""Why a result is there (`--explain`): the passage of it that matched best, and the shared terms.

The passage is found by meaning, so it works across languages: the result's sentences are
embedded (this loads the model) and compared with the query vector in the index's centered
space. The shared terms are the query's salient terms (most salient first) that the result
also has, after Arabic-aware normalisation.
"""

from __future__ import annotations

import re

import numpy as np

from akhbar.index.store import centering
from akhbar.search.query import Box
from akhbar.search.snapshot import Snapshot

_SENTENCE = re.compile(r"(?<=[.!?؟])\s+|\n+")
MAX_SENTENCES = 40
SHARED_TERMS = 8


def sentences(body: str) -> list[str]:
    parts = [s.strip() for s in _SENTENCE.split(body)]
    return [s for s in parts if len(s) >= 20][:MAX_SENTENCES] or [body.strip()[:300]]


def explain(idx: Snapshot, box: Box, embedder) -> list[dict]:
    """For each hit of the box, in order: {"passage", "passage_cosine", "shared_terms"}."""
    positions = [h.pos for h in box.hits]
    if not positions:
        return []
    rows = idx.rows(positions, "pos, body, lang")
    terms = idx.terms(positions)
    parts = {p: sentences(rows[p]["body"]) for p in positions}
    every = [s for p in positions for s in parts[p]]  # one encode call: the embedder batches them
    langs = [rows[p]["lang"] for p in positions for _ in parts[p]]
    cos = centering.apply(embedder.encode(every), langs, idx.centers) @ box.query_vector
    out, start = [], 0
    for p in positions:
        mine = cos[start : start + len(parts[p])]
        best = int(np.argmax(mine))
        start += len(parts[p])
        have = set(terms.get(p, []))
        out.append(
            {
                "passage": parts[p][best],
                "passage_cosine": round(float(mine[best]), 4),
                "shared_terms": [t for t in box.terms if t in have][:SHARED_TERMS],
            }
        )
    return out
