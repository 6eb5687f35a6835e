"""Candidates for a query, by meaning (dense), by words (lexical, BM25) or both (hybrid).

Dense ranks by the cosine of centered embeddings (FAISS); it crosses languages but can
prefer an unrelated article that shares the topic's vocabulary of meaning. Lexical ranks by
BM25 over Arabic-aware terms (index/ingest/terms.py, SQLite FTS5); it pins names, places and
numbers but cannot cross languages. Hybrid fuses the two lists (settings.fusion, chosen with
bench/eval_all.py): each candidate keeps its cosine, which the similar box's floor and the
folding of copies use in every mode.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from akhbar.index.ingest import terms
from akhbar.search.settings import DEFAULTS, QuerySettings
from akhbar.search.snapshot import Snapshot


def query_terms(idx: Snapshot, text: str, article: bool, settings: QuerySettings = DEFAULTS) -> list[str]:
    """The terms to match: a whole article's most salient ones, or every term of a short query.

    Terms in more than settings.common_term_share of the articles (and more than common_term_min)
    are left out: they say little (low idf) and cost the most, BM25 scoring every article that has
    them (at 1M articles, 0.3 s a query with them, 0.06 s without: bench/scale.py).
    """
    df: dict[str, int] = {}

    def frequency(term: str) -> int:
        if term not in df:
            df[term] = idx.document_frequency(term)
        return df[term]

    n = idx.manifest.articles
    if article:
        wanted = terms.salient(text, frequency, n, settings.article_query_terms)
    else:
        wanted = list(dict.fromkeys(terms.tokens(text)))[: settings.article_query_terms * 2]
    limit = max(settings.common_term_share * n, settings.common_term_min)
    return [t for t in wanted if frequency(t) <= limit] or sorted(wanted, key=frequency)[:1]


def fuse(
    dense: Sequence[tuple[int, float]],
    words: Sequence[tuple[int, float]],
    cosine: dict[int, float],
    lang: dict[int, str],
    *,
    query_lang: str,
    settings: QuerySettings = DEFAULTS,
) -> list[tuple[int, float]]:
    """One list from a dense and a lexical one, each (position, score) best first.

    settings.fusion `rrf`: reciprocal-rank fusion, sum of 1 / (rrf_k + rank). `weighted`: cosine plus
    lexical_weight times BM25 over the query's best BM25 (0 when not in the lexical list).
    `centered`: the same, but a candidate's lexical part is taken relative to the best one in
    the query's language, and is 0 for other languages. Words can only match within a
    language: they reorder it, and never lift an article above coverage in another language.
    """
    if settings.fusion == "rrf":
        fused: dict[int, float] = {}
        for ranked in (dense, words):
            for r, (p, _) in enumerate(ranked):
                fused[p] = fused.get(p, 0.0) + 1.0 / (settings.rrf_k + r + 1)
        return sorted(fused.items(), key=lambda x: -x[1])
    top = words[0][1] if words and words[0][1] > 0 else 1.0
    bm = {p: s / top for p, s in words}
    lexical_part = {p: settings.lexical_weight * bm.get(p, 0.0) for p in cosine}
    if settings.fusion == "centered":
        best = max((v for p, v in lexical_part.items() if lang[p] == query_lang), default=0.0)
        lexical_part = {p: (v - best if lang[p] == query_lang else 0.0) for p, v in lexical_part.items()}
    return sorted(((p, cosine[p] + lexical_part[p]) for p in cosine), key=lambda x: -x[1])


def lexical_list(
    idx: Snapshot, terms: Sequence[str], settings: QuerySettings = DEFAULTS, one_per_copy_group: bool = False
) -> list[tuple[int, float]]:
    """What hybrid fuses: the settings.lexical_candidates best BM25 matches, fetched once per query
    (of the first articles of copy groups only, when the dense search sees only those)."""
    return idx.lexical(terms, settings.lexical_candidates, one_per_copy_group)


class Candidate(NamedTuple):
    """An article found for a query: its position (FAISS id), the score its mode ranks by (cosine for
    dense, BM25 for lexical, fused for hybrid; decayed by age or widened when asked), its cosine with the
    query (a widened search: with the nearest seed)."""

    pos: int
    score: float
    cosine: float


@dataclass
class Candidates:
    """A mode's top candidates that are live, best first, with what the box needs of each."""

    items: list[Candidate]
    exhausted: bool  # the mode had fewer than asked for: asking for more finds nothing new
    lowest_dense: float = float("inf")  # the dense list's last score: a wider round finds only lower ones


# what ranking and folding read of each candidate; bodies are fetched for the rows shown without a title
ROW_COLUMNS = "pos, id, title, source, date, day, lang, url"


@dataclass
class Seen:
    """What earlier rounds of one query fetched, so a wider round fetches only what is new:
    each live position's row (ROW_COLUMNS), centered vector and exact cosine with the query;
    positions removed since the base have none of them."""

    rows: dict[int, dict] = field(default_factory=dict)
    vector: dict[int, np.ndarray] = field(default_factory=dict)
    cosine: dict[int, float] = field(default_factory=dict)
    asked: set[int] = field(default_factory=set)

    def learn(self, idx: Snapshot, qvec: np.ndarray, positions: list[int]) -> None:
        new = [p for p in positions if p not in self.asked]
        self.asked.update(new)
        rows = idx.rows(new, ROW_COLUMNS)  # removed: none
        live = [p for p in new if p in rows]
        vecs = idx.vectors_at(live, [rows[p]["lang"] for p in live])
        self.rows.update(rows)
        self.vector.update(zip(live, vecs))
        self.cosine.update(zip(live, (vecs @ qvec).tolist()))


def candidates(
    idx: Snapshot,
    qvec: np.ndarray,
    terms: Sequence[str],
    k: int,
    mode: str,
    *,
    query_lang: str = "",
    selector=None,
    words: list[tuple[int, float]] | None = None,
    settings: QuerySettings = DEFAULTS,
    seen: Seen | None = None,
) -> Candidates:
    """The top k for the mode. Positions removed since the base (FAISS still holds them) are left out.

    `words`: the lexical list (hybrid), when the caller asks for several k with one query;
    `seen`: what its earlier rounds fetched.
    """
    dense: list[tuple[int, float]] = []
    if mode != "lexical":
        scores, ids = idx.search(qvec[None, :], k, selector)
        dense = [(p, s) for p, s in zip(ids[0].tolist(), scores[0].tolist()) if p >= 0]
    if mode == "dense":
        words = []
    elif words is None:
        words = idx.lexical(terms, k) if mode == "lexical" else lexical_list(idx, terms, settings)
    seen = seen if seen is not None else Seen()
    pool = list(dict.fromkeys([p for p, _ in dense] + [p for p, _ in words]))
    seen.learn(idx, qvec, pool)
    cosine = {p: seen.cosine[p] for p in pool if p in seen.cosine}
    lang = {p: seen.rows[p]["lang"] for p in cosine}
    if mode == "hybrid":
        ranked = fuse([(p, s) for p, s in dense if p in cosine], words, cosine, lang, query_lang=query_lang, settings=settings)
        exhausted = len(ranked) < k
    else:
        found = dense if mode == "dense" else words
        ranked, exhausted = [(p, s) for p, s in found if p in cosine], len(found) < k
    return Candidates([Candidate(p, s, cosine[p]) for p, s in ranked[:k]], exhausted, dense[-1][1] if dense else float("inf"))
