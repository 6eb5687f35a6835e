"""A short query across languages. A query's vector is near its own language's articles and far
from the rest (single words most of all: "زلزال" is nearer the Paris Olympics in English than
to any English earthquake article), while article-to-article matching is what the model does
best across languages. So a search takes its best matches in the query's language as seeds and
searches again with their article vectors: a candidate's relevance is its cosine with the
nearest seed (the scale the box's floor was calibrated on), its score that cosine times the
seed's cosine with the query. A row needs a relevance of settings.search_related (the same event
in another language), or of settings.min_similarity (the same subject) with a cosine with the
query of settings.query_floor. What is near no seed (the Olympics for "زلزال") or only near as
another disaster is (the Beirut blast for "earthquake") is not shown.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import numpy as np

from akhbar.index.ingest import language
from akhbar.search.hybrid import Candidate, Seen
from akhbar.search.settings import QuerySettings
from akhbar.search.snapshot import Snapshot


def query_language(idx: Snapshot, text: str, words: Callable[[], list[tuple[int, float]]]) -> str:
    """The query's language: guessed from its text, else (one word has no stop words to tell by)
    the language most of its best lexical matches are in, since words match within a language.
    `words` fetches those matches, only when the text does not tell."""
    guessed = language.guess(text)
    if guessed:
        return guessed
    top = [p for p, _ in words()[:10]]
    langs = Counter(r["lang"] for r in idx.rows(top, "pos, lang").values() if r["lang"])
    return langs.most_common(1)[0][0] if langs else ""


def _pick(order: list[Candidate], seen: Seen, query_lang: str, most: int, similarity: float) -> list[int]:
    """The first in the query's language (else the first), then up to `most` in all, in order,
    near that first one."""
    first = next((c[0] for c in order if seen.rows[c[0]]["lang"] == query_lang), order[0][0])
    chosen = [first]
    for pos, _, _ in order:
        if len(chosen) == most:
            break
        if pos != first and float(seen.vector[pos] @ seen.vector[first]) >= similarity:
            chosen.append(pos)
    return chosen


def seeds(cands: list[Candidate], seen: Seen, query_lang: str, settings: QuerySettings) -> list[int]:
    """Candidates whose cosine with the query reaches settings.query_floor: the best in the
    query's language (a short query's vector is nearest its own language, and its best match
    elsewhere can be off the subject: the Paris Olympics for "séisme"), then up to
    settings.widen_seeds in all, in any language, near that first one (a seed off the subject
    would widen the search to its own). Picked by cosine (dense's seeds) and, for another mode,
    also in its order: hybrid's seeds hold dense's, so what dense shows passes for hybrid too."""
    live = [c for c in cands if c[2] >= settings.query_floor]
    if not live:
        return []
    by_cosine = _pick(sorted(live, key=lambda c: -c[2]), seen, query_lang, settings.widen_seeds, settings.min_similarity)
    by_mode = _pick(live, seen, query_lang, settings.widen_seeds, settings.min_similarity)
    return list(dict.fromkeys(by_mode + by_cosine))


def widen(
    idx: Snapshot,
    cands: list[Candidate],
    seen: Seen,
    qvec: np.ndarray,
    *,
    query_lang: str,
    fetch: int,
    selector,
    settings: QuerySettings,
) -> list[Candidate]:
    """The candidates and the seeds' neighbours as (position, score, relevance), best first; empty
    when no candidate is near enough the query to be a seed."""
    chosen = seeds(cands, seen, query_lang, settings)
    if not chosen:
        return []
    seed_vectors = np.stack([seen.vector[p] for p in chosen])
    _, ids = idx.search(seed_vectors, fetch, selector)
    seen.learn(idx, qvec, [p for p in ids.ravel().tolist() if p >= 0])
    pool = [p for p in dict.fromkeys([p for p, _, _ in cands] + ids.ravel().tolist()) if p in seen.vector]
    near = np.stack([seen.vector[p] for p in pool]) @ seed_vectors.T  # (pool, seeds)
    weight = np.asarray([max(seen.cosine[p], 0.0) for p in chosen])
    score = (near * weight).max(1).tolist()
    relevance = near.max(1).tolist()
    kept = [
        i
        for i, p in enumerate(pool)
        if relevance[i] >= settings.search_related or (relevance[i] >= settings.min_similarity and seen.cosine[p] >= settings.query_floor)
    ]
    return sorted((Candidate(pool[i], score[i], relevance[i]) for i in kept), key=lambda x: -x[1])
