"""The similar-articles box and search by meaning: the article's own story, then rows that are
stored stories in the reader's language (search/story_search.py, story_rows.py, expand.py).

Each entry point turns the caller's QueryOptions, with what the query is (an indexed article, a text,
a search), into one QueryPlan (search/options.py) and hands it to story_search.find."""

from __future__ import annotations

import dataclasses
from dataclasses import KW_ONLY, dataclass, field
from datetime import date, timedelta

import numpy as np

from akhbar.index.filters import Filters
from akhbar.index.ingest import language
from akhbar.search import copies as copy_groups
from akhbar.search import expand, hybrid, story_rows, story_search
from akhbar.search.options import QueryOptions, QueryPlan
from akhbar.search.settings import DEFAULTS, QuerySettings
from akhbar.search.snapshot import Snapshot
from akhbar.search.story_rows import StoryRow

EVENT_SPARE = 4  # rows ranked beyond k in a box, for those that fold into another (one_row_per_event)


@dataclass
class Hit:
    """One row of a result list; `also` holds the copies folded into it."""

    id: str
    title: str
    score: float  # what the mode ranks by: cosine (dense), BM25 (lexical), fused (hybrid)
    cosine: float
    source: str
    _: KW_ONLY  # the fields below are named at every call
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
    _: KW_ONLY  # the fields below are named at every call
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
        id=r["id"],
        title=display_title(r),
        score=row.score,
        cosine=row.cosine,
        source=r["source"],
        date=r["date"],
        lang=r["lang"],
        url=r["url"],
        pos=row.pos,
        also=row.also,
        also_more=row.also_more,
        story=row.story,
        articles=row.articles,
        languages=row.languages,
    )


def similar_to_id(idx: Snapshot, article_id: str, options: QueryOptions = QueryOptions(), *, settings: QuerySettings = DEFAULTS) -> Box:
    """The box under an indexed article: its own story (coverage in every language), then up to k
    other stories on its subject from any time, nearer dates first (story_rows.day_factor), each
    shown in options.reader_lang (default: the article's language) where the story has it. It ends
    early only when nothing left reaches settings.min_similarity.

    options.window (0 = any time), with no --since/--until, keeps only articles within that many days
    of the article's date. An undated article is placed in time by its stored story.
    """
    ranking, filters = options.ranking(), options.filters()
    row = idx.require(article_id)
    anchor = row["day"] or _story_day(idx, row["pos"])
    if options.window and anchor and not (filters.since or filters.until):
        since, until = _window(anchor, options.window)
        filters = Filters(filters.lang, filters.source, since, until)
    terms = hybrid.query_terms(idx, f"{row['title']}\n{row['body']}", article=True, settings=settings)
    qvec = idx.vector(row["pos"], row["lang"])
    own = story_rows.own_story(idx, row["pos"], qvec, settings.copies_listed)
    plan = QueryPlan(
        options.k,
        filters,
        ranking,
        reader_lang=options.reader_lang or row["lang"],
        query_lang=row["lang"],
        floor=settings.min_similarity,
        anchor=anchor,
        skip=frozenset({own.story}),
        exclude=frozenset({row["pos"]}),
    )
    # a few rows more than asked: a row that repeats an event folds into another (story_rows.one_row_per_event)
    found = story_search.find(idx, qvec, terms, dataclasses.replace(plan, k=plan.k + EVENT_SPARE), settings)
    own, found = story_rows.one_row_per_event(idx, row, own, found, settings.copies_listed)
    hits = [_hit(idx, r) for r in found[: plan.k]]
    members, cosines, size = copy_groups.listed(idx, qvec, [row["pos"]], settings.copies_listed, hybrid.ROW_COLUMNS)[row["pos"]]
    copies = [story_rows.listed(r, c) for r, c in zip(members, cosines)]
    return Box(
        article={
            "id": row["id"],
            "title": display_title(row),
            "source": row["source"],
            "date": row["date"],
            "lang": row["lang"],
            "related": row["related"],
        },
        copies=copies,
        copies_more=size - len(copies),
        hits=hits,
        filters=filters,
        query_vector=qvec,
        terms=terms,
        story=_hit(idx, own),
        reader_lang=plan.reader_lang,
    )


def similar_to_text(
    idx: Snapshot, embedder, text: str, options: QueryOptions = QueryOptions(), *, settings: QuerySettings = DEFAULTS
) -> Box:
    """The box for an article that is not in the index (a draft, a page from elsewhere): its
    stories, the text's own (a story it was copied from) among them."""
    ranking, filters = options.ranking(), options.filters()
    qvec, terms = idx.query_vector(embedder, text), hybrid.query_terms(idx, text, article=True, settings=settings)
    lang = language.guess(text)
    plan = QueryPlan(options.k, filters, ranking, reader_lang=options.reader_lang or lang, query_lang=lang, floor=settings.min_similarity)
    return _answer(idx, plan, qvec, terms, title=text.strip().split("\n", 1)[0][:90], settings=settings)


def search(idx: Snapshot, embedder, text: str, options: QueryOptions = QueryOptions(), *, settings: QuerySettings = DEFAULTS) -> Box:
    """Search by meaning and words: one row per story, in the query's language (or options.reader_lang)
    where the story has it, every language's coverage found through the best same-language
    matches (search/expand.py); rows under the floor are not shown."""
    ranking, filters = options.ranking(), options.filters()
    qvec, terms = idx.query_vector(embedder, text), hybrid.query_terms(idx, text, article=False, settings=settings)
    grouped = idx.one_per_copy_group is not None  # as the search's own lexical list: one article per copy group
    lang = expand.query_language(idx, text, lambda: hybrid.lexical_list(idx, terms, settings, grouped))
    widen = ranking.mode != "lexical"
    plan = QueryPlan(
        options.k,
        filters,
        ranking,
        reader_lang=options.reader_lang or lang,
        query_lang=lang,
        floor=settings.min_similarity if widen else -1.0,
        widen=widen,
    )
    return _answer(idx, plan, qvec, terms, title=text, settings=settings)


def _answer(idx: Snapshot, plan: QueryPlan, qvec: np.ndarray, terms: list[str], *, title: str, settings: QuerySettings) -> Box:
    """The rows for a query that is not an indexed article (a text, a search): no copies, no own story."""
    hits = [_hit(idx, r) for r in story_search.find(idx, qvec, terms, plan, settings)]
    return Box(
        article={"id": "", "title": title, "source": "", "date": "", "lang": plan.query_lang, "related": []},
        copies=[],
        copies_more=0,
        hits=hits,
        filters=plan.filters,
        query_vector=qvec,
        terms=terms,
        reader_lang=plan.reader_lang,
    )
