"""The similar-articles box and search by meaning: rank, filter, fold copies of one story."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np

from akhbar.index import config, langdetect, store
from akhbar.index.errors import AkhbarError, ArticleNotFound
from akhbar.index.textnorm import trigram_jaccard
from akhbar.search import hybrid
from akhbar.search.reader import OpenIndex


@dataclass(frozen=True)
class Filters:
    """Restrict results by language, source and publication day (inclusive)."""

    lang: str | None = None
    source: str | None = None
    since: str | None = None
    until: str | None = None

    def __post_init__(self) -> None:
        for name, day in (("--since", self.since), ("--until", self.until)):
            if day:
                try:
                    date.fromisoformat(day[:10])
                except ValueError:
                    raise AkhbarError(f"{name} '{day}' is not a day (YYYY-MM-DD)") from None

    def any(self) -> bool:
        return any((self.lang, self.source, self.since, self.until))

    def match(self, row: dict) -> bool:
        """The same test as store.positions_where, on one fetched row."""
        day = row["day"]
        return ((not self.lang or row["lang"] == self.lang) and (not self.source or row["source"] == self.source)
                and (not self.since or (day != "" and day >= self.since[:10]))
                and (not self.until or (day != "" and day <= self.until[:10])))


@dataclass(frozen=True)
class Ranking:
    """How a result list is ordered: by which signals (search/hybrid.py), how much recency
    counts, and whether rows should differ from each other."""

    mode: str = config.MODE
    half_life: int = 0  # days: a result this much older than the newest candidate counts half; 0 = off
    diverse: bool = False  # maximal marginal relevance (MMR) over the rows

    def __post_init__(self) -> None:
        if self.mode not in hybrid.MODES:
            raise AkhbarError(f"--mode '{self.mode}' is not one of {', '.join(hybrid.MODES)}")
        if self.half_life < 0:
            raise AkhbarError("--recency must be a number of days, 0 or more")


@dataclass
class Hit:
    """One row of a result list; `also` holds the copies folded into it."""

    id: str
    title: str
    score: float  # what the mode ranks by: cosine (dense), BM25 (lexical), fused (hybrid)
    cosine: float
    source: str
    date: str
    lang: str
    url: str
    pos: int
    also: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {"id": self.id, "title": self.title, "score": round(self.score, 4), "cosine": round(self.cosine, 4),
                "source": self.source, "date": self.date, "lang": self.lang, "url": self.url, "also": self.also}


@dataclass
class Box:
    """A similar-articles box: the article asked about, its own copies, and the rows."""

    article: dict
    copies: list[dict]
    hits: list[Hit]
    filters: Filters
    query_vector: np.ndarray  # what --explain compares passages with
    terms: list[str]  # the query's lexical terms, most salient first


def display_title(row: dict) -> str:
    """The title, else (pages and .txt files without one) the lead sentence, cut at a word."""
    if row["title"]:
        return row["title"]
    lead = row["body"].split("\n", 1)[0]
    return lead if len(lead) <= 90 else lead[:90].rsplit(" ", 1)[0] + " …"


def _copy(row: dict, score: float) -> dict:
    return {"id": row["id"], "source": row["source"], "date": row["date"], "lang": row["lang"], "score": round(score, 4)}


POST_FILTER_MAX = 1024  # candidates to filter after the search before asking FAISS to filter
SELECTIVE = 0.1  # ... which it does only when fewer than this share of the articles pass


def faiss_selector(allowed: np.ndarray):
    import faiss

    return faiss.IDSelectorBatch(allowed)


def same_story(cosine: float, a: dict, b: dict) -> bool:
    """Copies of one article, or two write-ups of one event with headlines that read alike."""
    if cosine >= config.DUPLICATE_COSINE:
        return True
    if cosine < config.STORY_COSINE or not (a["title"] and b["title"]):
        return False
    if a["day"] and b["day"] and abs((date.fromisoformat(a["day"]) - date.fromisoformat(b["day"])).days) > config.STORY_DAYS:
        return False
    return trigram_jaccard(a["title"], b["title"]) >= config.STORY_TITLE_JACCARD


def _recency(cands: list[tuple[int, float, float]], rows: dict[int, dict], half_life: int) -> list[tuple[int, float, float]]:
    """Scores decayed by age relative to the newest candidate (the ordering does not depend on
    that reference); undated candidates count as old as the oldest dated one."""
    days = [date.fromisoformat(rows[p]["day"]) for p, _, _ in cands if rows[p]["day"]]
    if not days:
        return cands
    newest, oldest = max(days), min(days)

    def factor(day: str) -> float:
        return 0.5 ** ((newest - (date.fromisoformat(day) if day else oldest)).days / half_life)

    return sorted(((p, max(s, 0.0) * factor(rows[p]["day"]), c) for p, s, c in cands), key=lambda x: -x[1])


def _diverse(hits: list[Hit], vecs: np.ndarray, relevance: np.ndarray, k: int) -> list[Hit]:
    """Maximal marginal relevance: each next row is the one most relevant to the query and least
    similar to the rows already chosen (config.MMR_LAMBDA weighs the two)."""
    chosen: list[int] = []
    rest = list(range(len(hits)))
    rel = relevance
    while rest and len(chosen) < k:
        redundancy = (vecs[rest] @ vecs[chosen].T).max(1) if chosen else np.zeros(len(rest))
        best = rest[int(np.argmax(config.MMR_LAMBDA * rel[rest] - (1 - config.MMR_LAMBDA) * redundancy))]
        chosen.append(best)
        rest.remove(best)
    return [hits[i] for i in chosen]


def rank(idx: OpenIndex, qvec: np.ndarray, terms: list[str], k: int, filters: Filters, exclude: set[int] = frozenset(),
         query_is_article: bool = True, ranking: Ranking = Ranking(), query_lang: str = "",
         query_row: dict | None = None) -> tuple[list[Hit], list[dict]]:
    """Top-k distinct stories for a unit query vector and its lexical terms, ordered by `ranking`.

    A candidate of the same story as a kept row (same_story) is folded into that row. When
    the query is an article, a candidate within DUPLICATE_COSINE of it (or, given its row, of
    its own story) is a copy of it, returned apart, and candidates under MIN_SIMILARITY are
    not similar at all: the list ends there.
    Returns:
        (rows, copies of the query)
    """
    mode = ranking.mode
    by_cosine = mode == "dense" and not ranking.half_life  # candidates arrive in cosine order
    want = 3 * k if ranking.diverse else k  # MMR picks k rows from more
    selector = None  # FAISS-side filter, once post-filtering a selective filter has proved too slow
    total = idx.searchable if mode != "lexical" else idx.manifest.articles
    fetch = min(total, 4 * want + 16)
    floor = config.MIN_SIMILARITY if query_is_article else -1.0
    words = hybrid.lexical_list(idx, terms) if mode == "hybrid" else None
    while True:
        found = hybrid.candidates(idx, qvec, terms, fetch, mode, query_lang, selector, words)
        rows = store.by_positions(idx.con, [p for p, _, _ in found.items], "pos, id, title, body, source, date, day, lang, url")
        vector_of = dict(zip((p for p, _, _ in found.items), found.vectors))
        cands = _recency(found.items, rows, ranking.half_life) if ranking.half_life else found.items
        kept: list[tuple[np.ndarray, dict]] = []  # (vector, row) of each row so far
        plan: list[tuple[str, int, int, float, float]] = []  # (kind, pos, row it folds into, score, cosine)
        for pos, score, cos in cands:
            vec = vector_of[pos]
            if cos < floor:
                if by_cosine:
                    break  # nothing further is similar
                continue
            if pos in exclude or not filters.match(rows[pos]):
                continue
            if query_is_article and (cos >= config.DUPLICATE_COSINE or (query_row and same_story(cos, query_row, rows[pos]))):
                plan.append(("copy", pos, -1, score, cos))
                continue
            same = next((i for i, (v, r) in enumerate(kept) if same_story(float(vec @ v), rows[pos], r)), -1)
            if same >= 0:
                plan.append(("fold", pos, same, score, cos))
            elif len(kept) < want:
                kept.append((vec, rows[pos]))
                plan.append(("hit", pos, -1, score, cos))
        exhausted = found.exhausted or (by_cosine and cands and cands[-1][2] < floor)
        if len(kept) >= want or fetch >= total or exhausted:
            break
        if selector is None and mode != "lexical" and filters.any() and fetch * 4 > POST_FILTER_MAX and \
                store.count_where(idx.con, filters.lang, filters.source, filters.since, filters.until) < SELECTIVE * total:
            # a selective filter: let FAISS skip what it excludes rather than fetch ever more
            allowed = np.asarray(store.positions_where(idx.con, filters.lang, filters.source, filters.since, filters.until), np.int64)
            if len(allowed) == 0:
                return [], []
            selector, total = faiss_selector(allowed), len(allowed)
            fetch = min(total, 4 * want + 16)
            continue
        fetch = min(total, fetch * 4)
    hits: list[Hit] = []
    copies: list[dict] = []
    for kind, pos, target, score, cos in plan:
        row = rows[pos]
        if kind == "hit":
            hits.append(Hit(row["id"], display_title(row), score, cos, row["source"], row["date"], row["lang"], row["url"], pos))
        elif kind == "fold":
            hits[target].also.append(_copy(row, cos))
        else:
            copies.append(_copy(row, cos))
    if ranking.diverse:
        relevance = np.asarray([h.cosine if mode == "lexical" else h.score for h in hits])  # BM25 is on another scale
        hits = _diverse(hits, np.stack([v for v, _ in kept]) if kept else np.zeros((0, len(qvec))), relevance, k)
    return hits, copies


def _window(day: str, days: int) -> tuple[str, str]:
    d = date.fromisoformat(day)
    return (d - timedelta(days=days)).isoformat(), (d + timedelta(days=days)).isoformat()


def similar_to_id(idx: OpenIndex, article_id: str, k: int = 10, filters: Filters = Filters(),
                  window_days: int = config.SIMILAR_WINDOW_DAYS, ranking: Ranking = Ranking()) -> Box:
    """The box under an indexed article: other stories, never the article or its copies.

    With no --since/--until, only articles within `window_days` of the article's date
    (0 = any time), so the box does not mix years the way the seed page's does.
    """
    row = store.by_id(idx.con, article_id)
    if row is None:
        raise ArticleNotFound(f"no article with id '{article_id}' in {idx.root}")
    if window_days and row["day"] and not (filters.since or filters.until):
        since, until = _window(row["day"], window_days)
        filters = Filters(filters.lang, filters.source, since, until)
    terms = hybrid.query_terms(idx, f"{row['title']}\n{row['body']}", article=True)
    qvec = idx.vector(row["pos"], row["lang"])
    hits, copies = rank(idx, qvec, terms, k, filters, exclude={row["pos"]}, ranking=ranking, query_lang=row["lang"],
                         query_row=row)
    return Box({"id": row["id"], "title": display_title(row), "source": row["source"], "date": row["date"],
                "lang": row["lang"], "related": row["related"]}, copies, hits, filters, qvec, terms)


def similar_to_text(idx: OpenIndex, embedder, text: str, k: int = 10, filters: Filters = Filters(),
                    ranking: Ranking = Ranking()) -> Box:
    """The box for an article that is not in the index (a draft, a page from elsewhere)."""
    if not text.strip():
        raise AkhbarError("the article text is empty")
    qvec, terms = idx.query_vector(embedder, text), hybrid.query_terms(idx, text, article=True)
    hits, copies = rank(idx, qvec, terms, k, filters, ranking=ranking, query_lang=langdetect.guess(text))
    lead = text.strip().split("\n", 1)[0]
    return Box({"id": "", "title": lead[:90], "source": "", "date": "", "lang": "", "related": []}, copies, hits, filters,
               qvec, terms)


def search(idx: OpenIndex, embedder, text: str, k: int = 10, filters: Filters = Filters(), ranking: Ranking = Ranking()) -> Box:
    """Search by meaning and words; copies of one story fold into one row."""
    if not text.strip():
        raise AkhbarError("the search text is empty")
    qvec, terms = idx.query_vector(embedder, text), hybrid.query_terms(idx, text, article=False)
    hits, _ = rank(idx, qvec, terms, k, filters, query_is_article=False, ranking=ranking, query_lang=langdetect.guess(text))
    return Box({"id": "", "title": text, "source": "", "date": "", "lang": "", "related": []}, [], hits, filters, qvec, terms)
