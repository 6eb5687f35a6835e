"""The similar-articles box and search by meaning: the article's own story, then rows that are
stored stories in the reader's language (search/story_search.py, story_rows.py, expand.py).

`rank` is the search as it was before story rows (article rows, copies folded at query time by
search/fold.py, no floor for search): bench/search_dev.py and bench/mixed_search.py report it
beside the new rows, in the same run."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np

from akhbar.index.errors import AkhbarError
from akhbar.index.filters import Filters
from akhbar.index.ingest import language
from akhbar.search import copies as copy_groups
from akhbar.search import expand, fold, hybrid, story_rows, story_search
from akhbar.search.settings import DEFAULT_MODE, DEFAULTS, QuerySettings
from akhbar.search.snapshot import Snapshot
from akhbar.search.story_rows import StoryRow, decayed_by_age


@dataclass(frozen=True)
class Ranking:
    """How a result list is ordered: by which signals (search/hybrid.py), how much recency
    counts, and whether rows should differ from each other."""

    mode: str = DEFAULT_MODE
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
    also: list[dict] = field(default_factory=list)  # the first settings.copies_listed, by arrival or rank
    also_more: int = 0  # copies folded into the row beyond those listed
    story: str = ""  # the stored story the row stands for (its coverage: /coverage/{id})
    articles: int = 1  # the story's articles, the shown one included
    languages: list[str] = field(default_factory=list)  # the story's languages

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "title": self.title,
            "score": round(self.score, 4),
            "cosine": round(self.cosine, 4),
            "source": self.source,
            "date": self.date,
            "lang": self.lang,
            "url": self.url,
            "story": self.story,
            "articles": self.articles,
            "languages": self.languages,
            "also": self.also,
            "also_more": self.also_more,
        }


@dataclass
class Box:
    """A similar-articles box: the article asked about, its own copies, and the rows."""

    article: dict
    copies: list[dict]  # the first settings.copies_listed
    copies_more: int  # copies of the article beyond those listed
    hits: list[Hit]
    filters: Filters
    query_vector: np.ndarray  # what --explain compares passages with
    terms: list[str]  # the query's lexical terms, most salient first
    story: Hit | None = None  # the box's article's own story (its coverage), shown before the rows
    reader_lang: str = ""  # the language rows are shown in where their story has it


def display_title(row: dict) -> str:
    """The title, else (pages and .txt files without one) the lead sentence, cut at a word."""
    if row["title"]:
        return row["title"]
    lead = row["body"].split("\n", 1)[0]
    return lead if len(lead) <= 90 else lead[:90].rsplit(" ", 1)[0] + " …"


def _copy(row: dict, score: float) -> dict:
    return {"id": row["id"], "source": row["source"], "date": row["date"], "lang": row["lang"], "score": round(score, 4)}


def faiss_selector(allowed: np.ndarray):
    import faiss

    return faiss.IDSelectorBatch(allowed)


def _selective(idx: Snapshot, filters: Filters, total: int, share: float) -> np.ndarray | None:
    """The positions a selective filter allows (fewer than `share` of the articles), for FAISS to
    skip the rest rather than fetch ever more; None when the filter is not selective."""
    if idx.count(filters) >= share * total:
        return None
    return np.asarray(idx.positions(filters), np.int64)


def _rows_of(
    plan: fold.Plan, rows: dict[int, dict], idx: Snapshot, qvec: np.ndarray, grouped: bool, query_pos: int | None, limit: int
) -> tuple[list[Hit], list[dict], int]:
    """The plan as result rows (each with the copies folded into it), copies of the query, and how
    many of those there are beyond the `limit` listed. `grouped`: candidates were one per stored copy
    group, so each row's and the query's group members are listed first (search/copies.py)."""
    untitled = [pos for kind, pos, *_ in plan.steps if kind == "hit" and not rows[pos]["title"]]
    for pos, row in idx.rows(untitled, "pos, body").items():  # bodies only where a title is missing
        rows[pos]["body"] = row["body"]
    hits: list[Hit] = []
    folded: list[list[dict]] = []
    group_size: list[int] = []
    heads = [pos for kind, pos, *_ in plan.steps if kind == "hit"] + ([query_pos] if query_pos is not None else [])
    groups = copy_groups.listed(idx, qvec, heads, limit, hybrid.ROW_COLUMNS) if grouped else {}
    members, cosines, copies_size = groups.get(query_pos, ([], [], 0))
    copies = [_copy(r, c) for r, c in zip(members, cosines)]
    for kind, pos, target, score, cos in plan.steps:
        row = rows[pos]
        if kind == "hit":
            hits.append(Hit(row["id"], display_title(row), score, cos, row["source"], row["date"], row["lang"], row["url"], pos))
            members, cosines, size = groups.get(pos, ([], [], 0))
            folded.append([_copy(r, c) for r, c in zip(members, cosines)])
            group_size.append(size)
        elif kind == "fold":
            folded[target].append(_copy(row, cos))
            group_size[target] += 1
        else:
            copies.append(_copy(row, cos))
            copies_size += 1
    for hit, also, size in zip(hits, folded, group_size):
        hit.also, hit.also_more = also[:limit], size - min(len(also), limit)
    return hits, copies[:limit], copies_size - min(len(copies), limit)


def _mmr(hits: list[Hit], plan: fold.Plan, mode: str, k: int, dim: int, lam: float) -> list[Hit]:
    """Maximal marginal relevance: each next row is the one most relevant to the query and least
    similar to the rows already chosen (`lam`, settings.mmr_lambda, weighs the two). Relevance is the mode's
    score, the cosine for lexical (BM25 is on another scale)."""
    vecs = np.stack([v for v, _ in plan.kept]) if plan.kept else np.zeros((0, dim))
    rel = np.asarray([h.cosine if mode == "lexical" else h.score for h in hits])
    chosen: list[int] = []
    rest = list(range(len(hits)))
    while rest and len(chosen) < k:
        redundancy = (vecs[rest] @ vecs[chosen].T).max(1) if chosen else np.zeros(len(rest))
        best = rest[int(np.argmax(lam * rel[rest] - (1 - lam) * redundancy))]
        chosen.append(best)
        rest.remove(best)
    return [hits[i] for i in chosen]


def rank(
    idx: Snapshot,
    qvec: np.ndarray,
    terms: list[str],
    k: int,
    filters: Filters,
    exclude: set[int] = frozenset(),
    query_is_article: bool = True,
    ranking: Ranking = Ranking(),
    query_lang: str = "",
    query_row: dict | None = None,
    settings: QuerySettings = DEFAULTS,
) -> tuple[list[Hit], list[dict], int]:
    """Today's baseline (before story rows; the benches compare with it): top-k article rows for a
    unit query vector and its lexical terms, ordered by `ranking`.

    The vector search sees one article per stored copy group (search/copies.py), unless the
    mode is lexical or a source is asked for (a copy may be that outlet's only article).
    Candidates are fetched in widening rounds and folded (search/fold.py) until `k` rows are
    kept. When the query is an article, copies of it are returned apart, and candidates under
    settings.min_similarity are not similar at all: the list ends there.
    Returns:
        (rows, copies of the query listed, how many more copies it has)
    """
    mode = ranking.mode
    by_cosine = mode == "dense" and not ranking.half_life  # candidates arrive in cosine order
    want = 3 * k if ranking.diverse else k  # MMR picks k rows from more
    grouped = idx.one_per_copy_group if mode != "lexical" and not filters.source else None
    selector = grouped  # with a selective filter's, once post-filtering it has proved too slow
    total = idx.searchable if mode != "lexical" else idx.manifest.articles
    fetch = min(total, 4 * want + 16)
    floor = settings.min_similarity if query_is_article else -1.0
    words = hybrid.lexical_list(idx, terms, settings, grouped is not None) if mode == "hybrid" else None
    if grouped is not None and query_row is not None:  # the query's own group (its first), whichever member it is
        exclude = exclude | set(idx.copy_group_members([query_row["pos"]], 1)[query_row["pos"]][0])
    is_copy = fold.copy_of_query(query_row, settings) if query_is_article else None

    verdict: dict[int, bool] = {}  # each round walks the earlier rounds' candidates again

    def passes(pos: int, row: dict) -> bool:
        if pos not in verdict:
            verdict[pos] = pos not in exclude and filters.match(row)
        return verdict[pos]

    seen = hybrid.Seen()  # what earlier rounds fetched: a wider round fetches only what is new
    rows = seen.rows
    while True:
        found = hybrid.candidates(idx, qvec, terms, fetch, mode, query_lang, selector, words, settings, seen)
        cands = decayed_by_age(found.items, rows, ranking.half_life) if ranking.half_life else found.items
        plan = fold.fold(cands, rows, seen.vector, want, floor, by_cosine, passes, is_copy, settings)
        exhausted = found.exhausted or (by_cosine and cands and cands[-1][2] < floor)
        if len(plan.kept) >= want or fetch >= total or exhausted:
            break
        if selector is grouped and mode != "lexical" and filters.any() and fetch * 4 > settings.post_filter_max:
            allowed = _selective(idx, filters, total, settings.selective)
            if allowed is not None:
                if len(allowed) == 0:
                    return [], [], 0
                selector, total = copy_groups.both(grouped, faiss_selector(allowed)), len(allowed)
                fetch = min(total, 4 * want + 16)
                continue
        fetch = min(total, fetch * 4)
    hits, copies, more = _rows_of(
        plan, rows, idx, qvec, grouped is not None, query_row["pos"] if query_row else None, settings.copies_listed
    )
    if ranking.diverse:
        hits = _mmr(hits, plan, mode, k, len(qvec), settings.mmr_lambda)
    return hits, copies, more


def _window(day: str, days: int) -> tuple[str, str]:
    d = date.fromisoformat(day)
    return (d - timedelta(days=days)).isoformat(), (d + timedelta(days=days)).isoformat()


def _story_day(idx: Snapshot, pos: int, most: int = 500) -> str:
    """When an undated article (a saved page, a .txt file) was published, as far as its stored
    story tells: the median day of the story's dated articles, or "" when none is dated. The seed
    page is undated, and without this its box mixed 2022 to 2025 the way the site's own box does."""
    members = [p for p in idx.story_members(idx.story_of(pos))[:most] if p != pos]
    days = sorted(r["day"] for r in idx.rows(members, "pos, day").values() if r["day"])
    return days[len(days) // 2] if days else ""


def _hit(idx: Snapshot, row: StoryRow) -> Hit:
    """A story row as a result row: its shown article's fields, its story and coverage."""
    r = idx.rows([row.pos], "pos, id, title, body, source, date, lang, url")[row.pos]
    return Hit(
        r["id"],
        display_title(r),
        row.score,
        row.cosine,
        r["source"],
        r["date"],
        r["lang"],
        r["url"],
        row.pos,
        row.also,
        row.also_more,
        row.story,
        row.articles,
        row.languages,
    )


def similar_to_id(
    idx: Snapshot,
    article_id: str,
    k: int = 10,
    filters: Filters = Filters(),
    window_days: int | None = None,
    ranking: Ranking = Ranking(),
    settings: QuerySettings = DEFAULTS,
    reader_lang: str | None = None,
) -> Box:
    """The box under an indexed article: its own story (coverage in every language), then up to k
    other stories on its subject from any time, nearer dates first (story_rows.day_factor), each
    shown in `reader_lang` (default: the article's language) where the story has it. It ends
    early only when nothing left reaches settings.min_similarity.

    `window_days` (default settings.similar_window_days, 0 = any time), with no --since/--until,
    keeps only articles within that many days of the article's date. An undated article is
    placed in time by its stored story.
    """
    row = idx.require(article_id)
    if window_days is None:
        window_days = settings.similar_window_days
    anchor = row["day"] or _story_day(idx, row["pos"])
    if window_days and anchor and not (filters.since or filters.until):
        since, until = _window(anchor, window_days)
        filters = Filters(filters.lang, filters.source, since, until)
    terms = hybrid.query_terms(idx, f"{row['title']}\n{row['body']}", article=True, settings=settings)
    qvec = idx.vector(row["pos"], row["lang"])
    own = story_rows.own_story(idx, row["pos"], qvec, settings.copies_listed)
    reader = reader_lang or row["lang"]
    asked = story_search.Asked(k, reader, row["lang"], settings.min_similarity, anchor, frozenset({own.story}), frozenset({row["pos"]}))
    hits = [_hit(idx, r) for r in story_search.find(idx, qvec, terms, filters, ranking, asked, settings)]
    members, cosines, size = copy_groups.listed(idx, qvec, [row["pos"]], settings.copies_listed, hybrid.ROW_COLUMNS)[row["pos"]]
    copies = [_copy(r, c) for r, c in zip(members, cosines)]
    return Box(
        {
            "id": row["id"],
            "title": display_title(row),
            "source": row["source"],
            "date": row["date"],
            "lang": row["lang"],
            "related": row["related"],
        },
        copies,
        size - len(copies),
        hits,
        filters,
        qvec,
        terms,
        _hit(idx, own),
        reader,
    )


def similar_to_text(
    idx: Snapshot,
    embedder,
    text: str,
    k: int = 10,
    filters: Filters = Filters(),
    ranking: Ranking = Ranking(),
    settings: QuerySettings = DEFAULTS,
    reader_lang: str | None = None,
) -> Box:
    """The box for an article that is not in the index (a draft, a page from elsewhere): its
    stories, the text's own (a story it was copied from) among them."""
    if not text.strip():
        raise AkhbarError("the article text is empty")
    qvec, terms = idx.query_vector(embedder, text), hybrid.query_terms(idx, text, article=True, settings=settings)
    lang = language.guess(text)
    asked = story_search.Asked(k, reader_lang or lang, lang, settings.min_similarity)
    hits = [_hit(idx, r) for r in story_search.find(idx, qvec, terms, filters, ranking, asked, settings)]
    lead = text.strip().split("\n", 1)[0]
    return Box(
        {"id": "", "title": lead[:90], "source": "", "date": "", "lang": lang, "related": []},
        [],
        0,
        hits,
        filters,
        qvec,
        terms,
        None,
        asked.reader_lang,
    )


def search(
    idx: Snapshot,
    embedder,
    text: str,
    k: int = 10,
    filters: Filters = Filters(),
    ranking: Ranking = Ranking(),
    settings: QuerySettings = DEFAULTS,
    reader_lang: str | None = None,
) -> Box:
    """Search by meaning and words: one row per story, in the query's language (or `reader_lang`)
    where the story has it, every language's coverage found through the best same-language
    matches (search/expand.py); rows under the floor are not shown."""
    if not text.strip():
        raise AkhbarError("the search text is empty")
    qvec, terms = idx.query_vector(embedder, text), hybrid.query_terms(idx, text, article=False, settings=settings)
    grouped = idx.one_per_copy_group is not None  # as the search's own lexical list: one article per copy group
    lang = expand.query_language(idx, text, lambda: hybrid.lexical_list(idx, terms, settings, grouped))
    widen = ranking.mode != "lexical"
    asked = story_search.Asked(k, reader_lang or lang, lang, settings.min_similarity if widen else -1.0, widen=widen)
    hits = [_hit(idx, r) for r in story_search.find(idx, qvec, terms, filters, ranking, asked, settings)]
    return Box(
        {"id": "", "title": text, "source": "", "date": "", "lang": lang, "related": []},
        [],
        0,
        hits,
        filters,
        qvec,
        terms,
        None,
        asked.reader_lang,
    )
