"""The similar-articles box and search by meaning: rank, filter, fold copies of one story."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np

from index import config, store
from index.errors import AkhbarError, ArticleNotFound
from index.textnorm import trigram_jaccard
from search.reader import OpenIndex


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


@dataclass
class Hit:
    """One row of a result list; `also` holds the copies folded into it."""

    id: str
    title: str
    score: float
    source: str
    date: str
    lang: str
    url: str
    also: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {"id": self.id, "title": self.title, "score": round(self.score, 4), "source": self.source,
                "date": self.date, "lang": self.lang, "url": self.url, "also": self.also}


@dataclass
class Box:
    """A similar-articles box: the article asked about, its own copies, and the rows."""

    article: dict
    copies: list[dict]
    hits: list[Hit]
    filters: Filters


def _display_title(row: dict) -> str:
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


def _candidates(idx: OpenIndex, qvec: np.ndarray, fetch: int, selector) -> tuple[list[float], list[int], dict[int, dict]]:
    """(scores, positions, rows) of the nearest live articles (removed ones have no row)."""
    scores, ids = idx.search(qvec[None, :], fetch, selector)
    rows = store.by_positions(idx.con, [p for p in ids[0].tolist() if p >= 0], "pos, id, title, body, source, date, day, lang, url")
    keep = [i for i, p in enumerate(ids[0].tolist()) if p in rows]
    return scores[0][keep].tolist(), ids[0][keep].tolist(), rows


def same_story(cosine: float, a: dict, b: dict) -> bool:
    """Copies of one article, or two write-ups of one event with headlines that read alike."""
    if cosine >= config.DUPLICATE_COSINE:
        return True
    if cosine < config.STORY_COSINE or not (a["title"] and b["title"]):
        return False
    if a["day"] and b["day"] and abs((date.fromisoformat(a["day"]) - date.fromisoformat(b["day"])).days) > config.STORY_DAYS:
        return False
    return trigram_jaccard(a["title"], b["title"]) >= config.STORY_TITLE_JACCARD


def rank(idx: OpenIndex, qvec: np.ndarray, k: int, filters: Filters, exclude: set[int] = frozenset(),
         query_is_article: bool = True) -> tuple[list[Hit], list[dict]]:
    """Top-k distinct stories for a unit query vector.

    A candidate within DUPLICATE_COSINE of a kept row is folded into that row. When the
    query is an article, a candidate that close to it is a copy of it, returned apart, and
    candidates under MIN_SIMILARITY are not similar at all: the list ends there.
    Returns:
        (rows, copies of the query)
    """
    selector = None  # FAISS-side filter, once post-filtering a selective filter has proved too slow
    total = idx.searchable
    fetch = min(total, 4 * k + 16)
    floor = config.MIN_SIMILARITY if query_is_article else -1.0
    while True:
        scores, positions, rows = _candidates(idx, qvec, fetch, selector)
        kept: list[tuple[np.ndarray, dict]] = []  # (vector, row) of each row so far
        plan: list[tuple[str, int, int, float]] = []  # (kind, pos, row it folds into, score)
        vecs = idx.vectors_at(positions, [rows[p]["lang"] for p in positions])
        for score, pos, vec in zip(scores, positions, vecs):
            if score < floor:
                break
            if pos in exclude or not filters.match(rows[pos]):
                continue
            if query_is_article and float(vec @ qvec) >= config.DUPLICATE_COSINE:
                plan.append(("copy", pos, -1, score))
                continue
            same = next((i for i, (v, r) in enumerate(kept) if same_story(float(vec @ v), rows[pos], r)), -1)
            if same >= 0:
                plan.append(("fold", pos, same, score))
            elif len(kept) < k:
                kept.append((vec, rows[pos]))
                plan.append(("hit", pos, -1, score))
        if len(kept) >= k or fetch >= total or (scores and scores[-1] < floor):
            break
        if selector is None and filters.any() and fetch * 4 > POST_FILTER_MAX and \
                store.count_where(idx.con, filters.lang, filters.source, filters.since, filters.until) < SELECTIVE * total:
            # a selective filter: let FAISS skip what it excludes rather than fetch ever more
            allowed = np.asarray(store.positions_where(idx.con, filters.lang, filters.source, filters.since, filters.until), np.int64)
            if len(allowed) == 0:
                return [], []
            selector, total = faiss_selector(allowed), len(allowed)
            fetch = min(total, 4 * k + 16)
            continue
        fetch = min(total, fetch * 4)
    hits: list[Hit] = []
    copies: list[dict] = []
    for kind, pos, target, score in plan:
        row = rows[pos]
        if kind == "hit":
            hits.append(Hit(row["id"], _display_title(row), score, row["source"], row["date"], row["lang"], row["url"]))
        elif kind == "fold":
            hits[target].also.append(_copy(row, score))
        else:
            copies.append(_copy(row, score))
    return hits, copies


def _window(day: str, days: int) -> tuple[str, str]:
    d = date.fromisoformat(day)
    return (d - timedelta(days=days)).isoformat(), (d + timedelta(days=days)).isoformat()


def similar_to_id(idx: OpenIndex, article_id: str, k: int = 10, filters: Filters = Filters(),
                  window_days: int = config.SIMILAR_WINDOW_DAYS) -> Box:
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
    hits, copies = rank(idx, idx.vector(row["pos"], row["lang"]), k, filters, exclude={row["pos"]})
    return Box({"id": row["id"], "title": _display_title(row), "source": row["source"], "date": row["date"],
                "lang": row["lang"], "related": row["related"]}, copies, hits, filters)


def similar_to_text(idx: OpenIndex, embedder, text: str, k: int = 10, filters: Filters = Filters()) -> Box:
    """The box for an article that is not in the index (a draft, a page from elsewhere)."""
    if not text.strip():
        raise AkhbarError("the article text is empty")
    hits, copies = rank(idx, idx.query_vector(embedder, text), k, filters)
    lead = text.strip().split("\n", 1)[0]
    return Box({"id": "", "title": lead[:90], "source": "", "date": "", "lang": "", "related": []}, copies, hits, filters)


def search(idx: OpenIndex, embedder, text: str, k: int = 10, filters: Filters = Filters()) -> list[Hit]:
    """Search by meaning; copies of one story fold into one row."""
    if not text.strip():
        raise AkhbarError("the search text is empty")
    return rank(idx, idx.query_vector(embedder, text), k, filters, query_is_article=False)[0]
