"""The box and search as a reader sees them (issue 18), on the seed index with the real model:
one row per stored story, in the reader's language, related stories from any time, search across
languages with a floor."""

from __future__ import annotations

import pytest

from akhbar.search.options import QueryOptions
from akhbar.search.query import search, similar_to_id
from akhbar.search.snapshot import query_embedder
from tests.helpers import SEED_PAGE_ID, SEEDS, TRUTH

NATO_SUBJECT = {
    "nato-madrid-2022",
    "nato-finland",
    "nato-sweden",
    "nato-vilnius-2023",
    "nato-washington-2024",
    "peace-trump-days",
    "peace-lavrov",
    "peace-truce",
}
QUAKES = {
    "quake-morocco",
    "quake-morocco-aid",
    "quake-morocco-rehousing",
    "quake-turkey",
    "quake-turkey-aid",
    "quake-turkey-emergency",
    "quake-turkey-toll",
    "herat-quake-1",
    "herat-quake-2",
}


def event(article_id: str) -> str:
    return TRUTH[article_id][0]


def story_articles(idx, story: str) -> list[dict]:
    return list(idx.rows(idx.story_members(story), "pos, id, lang").values())


@pytest.fixture(scope="module")
def query_model(idx):
    return query_embedder(idx.manifest)


def test_the_seed_box_opens_with_its_story_then_one_row_per_related_story_in_arabic(idx):
    box = similar_to_id(idx, SEED_PAGE_ID)  # the defaults a new user gets
    own = box.story
    assert own is not None and own.id == SEED_PAGE_ID
    assert set(own.languages) == {"ar", "en", "fr"} and own.articles == 6  # the 28 Nov 2023 coverage, folded
    assert {event(a["id"]) for a in own.also} == {"nato-ministers-2023"}
    events = [{event(a["id"]) for a in [{"id": h.id}, *h.also]} for h in box.hits]
    shown = [event(h.id) for h in box.hits]
    for wanted in ("nato-madrid-2022", "nato-finland", "nato-sweden", "nato-vilnius-2023", "nato-washington-2024", "peace-trump-days"):
        assert sum(wanted in e for e in events) == 1, (wanted, shown)  # each in exactly one row
    assert set(shown) <= NATO_SUBJECT, shown  # no row on another subject
    assert len({h.story for h in box.hits}) == len(box.hits) and own.story not in {h.story for h in box.hits}
    for h in box.hits:  # the reader's (the article's) language leads
        if any(a["lang"] == "ar" for a in story_articles(idx, h.story)):
            assert h.lang == "ar", (h.id, h.story)


def test_the_box_takes_any_time_and_orders_nearer_dates_first_without_cutting(idx):
    from akhbar.search.settings import DEFAULTS
    from akhbar.search.story_rows import day_factor

    box = similar_to_id(idx, SEED_PAGE_ID)
    years = {d[:4] for h in box.hits for d in [h.date, *(a["date"] for a in h.also)] if d}
    assert {"2022", "2024", "2025"} <= years  # no ±90-day window by default
    factors = [day_factor(day, "2023-11-28", DEFAULTS) for day in ("2023-11-28", "2024-07-11", "2025-04-25", "2030-01-01")]
    assert factors[0] == 1.0 and factors == sorted(factors, reverse=True) and factors[-1] >= 1 - DEFAULTS.date_weight
    windowed = similar_to_id(idx, SEED_PAGE_ID, QueryOptions(window=90))  # --window stays as a filter: nothing else
    assert windowed.hits == [] and windowed.story.id == SEED_PAGE_ID  # on the subject within 90 days of 2023-11-28


def test_the_reader_language_can_be_asked_for(idx):
    english = similar_to_id(idx, SEED_PAGE_ID, QueryOptions(reader_lang="en"))
    for h in english.hits:
        if any(a["lang"] == "en" for a in story_articles(idx, h.story)):
            assert h.lang == "en", h.id
    assert english.reader_lang == "en"
    assert {h.story for h in english.hits} == {h.story for h in similar_to_id(idx, SEED_PAGE_ID).hits}


@pytest.mark.parametrize("text", ["زلزال", "earthquake", "séisme"])
def test_a_one_word_search_finds_only_earthquakes_in_every_language(idx, query_model, text):
    box = search(idx, query_model, text, QueryOptions(k=10))
    assert box.hits
    shown = [event(h.id) for h in box.hits]
    assert set(shown) <= QUAKES, shown  # no Olympics, no Beirut blast
    langs = {h.lang for h in box.hits} | {a["lang"] for h in box.hits for a in h.also}
    assert {"ar", "en", "fr"} <= langs, langs
    assert box.reader_lang == {"زلزال": "ar", "earthquake": "en", "séisme": "fr"}[text]
    assert box.hits[0].lang == box.reader_lang


def test_a_search_about_nothing_in_the_index_shows_nothing(idx, query_model):
    for text in ("وصفة كعكة الشوكولاتة", "chocolate cake recipe", "recette du gâteau au chocolat"):
        assert search(idx, query_model, text).hits == [], text


def test_the_dev_queries_reach_their_stories_in_hybrid_at_least_as_well_as_dense(idx, query_model):
    """seeds/queries.tsv (dev split): recall@10 and rows on the subject, per language, in the
    default mode against dense."""

    totals: dict[tuple[str, str], list[float]] = {}
    for line in (SEEDS / "queries.tsv").read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or "\tdev\t" not in line:
            continue
        text, lang, _, wanted = (line.split("\t") + [""])[:4]
        wanted_events = set(filter(None, wanted.split(",")))
        for mode in ("dense", "hybrid"):
            hits = search(idx, query_model, text, QueryOptions(mode=mode)).hits
            found = {event(i) for h in hits for i in [h.id, *(a["id"] for a in h.also)]} & wanted_events
            right = sum(event(h.id) in wanted_events for h in hits)
            t = totals.setdefault((mode, lang), [0.0, 0.0, 0.0])
            t[0] += len(found) / len(wanted_events) if wanted_events else 0.0
            t[1] += right
            t[2] += len(hits)
    for lang in ("ar", "en", "fr"):
        dense, hybrid = totals[("dense", lang)], totals[("hybrid", lang)]
        assert hybrid[0] >= dense[0], (lang, dense, hybrid)  # recall
        # precision: hybrid's rows may hold at most one more off-subject row than dense's in a language
        # (with the prompt given once, French hybrid showed 27 right rows of 36 against dense's 27 of 35)
        assert hybrid[2] - hybrid[1] <= dense[2] - dense[1] + 1 and hybrid[1] >= dense[1], (lang, dense, hybrid)
        assert hybrid[0] / 10 >= 0.85 and hybrid[1] / hybrid[2] >= 0.6, (lang, hybrid)
