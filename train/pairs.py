"""SemEval-2022 Task 8 training pairs: read, and split into folds no article crosses."""

from __future__ import annotations

import gzip
import random
import re
from dataclasses import dataclass
from pathlib import Path

import orjson

DIMENSIONS = ("Overall", "Geography", "Entities", "Time", "Narrative", "Style", "Tone")


@dataclass(frozen=True)
class Pair:
    """Two articles and people's ratings, 1 = very similar … 4 = very dissimilar."""

    id1: str
    id2: str
    lang1: str
    lang2: str
    text1: str
    text2: str
    ratings: dict[str, float]
    translated: bool


def read_pairs(path: Path) -> list[Pair]:
    """pairs.jsonl(.gz) → Pairs; a missing field is a one-line error naming the file and line."""
    opener = gzip.open if path.suffix == ".gz" else open
    out = []
    with opener(path, "rb") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                r = orjson.loads(line)
                out.append(
                    Pair(
                        str(r["id1"]),
                        str(r["id2"]),
                        r["lang1"],
                        r["lang2"],
                        r["text1"],
                        r["text2"],
                        {d: float(r[d]) for d in DIMENSIONS},
                        bool(r.get("machine_translated", False)),
                    )
                )
            except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
                raise ValueError(f"{path}:{n}: bad pair ({type(exc).__name__}: {exc})") from exc
    return out


def article(pair_id: str) -> str:
    """The article an id names: a machine translation ('1484038640zh') is its original ('1484038640')."""
    m = re.match(r"\d+", pair_id)
    return m.group(0) if m else pair_id


def folds(pairs: list[Pair], k: int, seed: int = 0) -> list[int]:
    """A fold number per pair such that no article (or its translation) is in two folds.

    Pairs that share an article form one group (union-find); groups are dealt to folds, largest
    first, each to the fold with fewest pairs, in a seeded order among equal sizes.
    """
    parent: dict[str, str] = {}

    def root(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for p in pairs:
        parent[root(article(p.id1))] = root(article(p.id2))
    groups: dict[str, list[int]] = {}
    for i, p in enumerate(pairs):
        groups.setdefault(root(article(p.id1)), []).append(i)
    order = sorted(groups.values())
    random.Random(seed).shuffle(order)
    order.sort(key=len, reverse=True)
    size, out = [0] * k, [0] * len(pairs)
    for g in order:
        f = size.index(min(size))
        size[f] += len(g)
        for i in g:
            out[i] = f
    return out
