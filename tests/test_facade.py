"""akhbar.Index (facade.py): what the CLI prints with --json and the API returns come from it, and a
library user gets the same answers; its writes publish versions; a missing id is one clear error."""

from __future__ import annotations

import shutil

import orjson
import pytest

import akhbar
from akhbar import Index, QueryOptions
from akhbar.cli import app
from akhbar.index.errors import AkhbarError, ArticleNotFound
from akhbar.search.snapshot import open_snapshot
from tests.helpers import SEED_ARTICLES, SEED_PAGE_ID, runner, write_jsonl


def _json_lines(*args: str) -> list[dict]:
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return [orjson.loads(line) for line in result.stdout.splitlines()]


def test_the_facade_answers_what_the_cli_prints(seed_index):
    news = Index(seed_index)
    asked = QueryOptions(k=6, lang="en", window=0, mode="dense")
    box = news.similar("ar-nato-01", asked)
    cli = _json_lines("similar", "ar-nato-01", "-k", "6", "--lang", "en", "--window", "0", "--mode", "dense", "--index", str(seed_index))
    assert orjson.loads(orjson.dumps(box.rows)) == cli and cli
    assert box.head()["article"]["id"] == "ar-nato-01" and box.box.hits[0].id == cli[0]["id"]
    assert news.stories(3) == _json_lines("stories", "--min-articles", "3", "--index", str(seed_index))
    assert [news.coverage(SEED_PAGE_ID, "fr")] == _json_lines("coverage", SEED_PAGE_ID, "--lang", "fr", "--index", str(seed_index))
    assert news.dups() == _json_lines("dups", "--index", str(seed_index))
    assert news.stats()["articles"] == SEED_ARTICLES
    text = "NATO support for Ukraine"
    assert orjson.loads(orjson.dumps(news.search(text, QueryOptions(k=4)).rows)) == _json_lines(
        "search", text, "-k", "4", "--index", str(seed_index)
    )
    news.close()


def test_an_index_over_a_reader_opened_elsewhere_answers_the_same(seed_index):
    snapshot = open_snapshot(seed_index)
    try:
        assert Index.over(snapshot).similar(SEED_PAGE_ID).rows == Index(seed_index).similar(SEED_PAGE_ID).rows
    finally:
        snapshot.close()


def test_a_missing_id_and_a_bad_option_are_one_line_errors(seed_index):
    news = Index(seed_index)
    with pytest.raises(ArticleNotFound, match=f"^no article with id 'nope' in {seed_index}$"):
        news.similar("nope")
    with pytest.raises(ArticleNotFound, match="^no article with id 'nope' in "):
        news.coverage("nope")
    with pytest.raises(AkhbarError, match="^--mode 'fuzzy' is not one of dense, lexical, hybrid$"):
        news.similar(SEED_PAGE_ID, QueryOptions(mode="fuzzy"))
    with pytest.raises(AkhbarError, match="exactly one"):
        news.similar()


def test_writes_through_the_facade_publish_new_versions(seed_index, copy_of, tmp_path):
    root = copy_of(seed_index)
    news = Index(root)
    removed = news.remove(["ar-nato-02"])
    assert removed.as_dict()["removed"] == 1
    with pytest.raises(ArticleNotFound):
        Index(root).similar("ar-nato-02")
    article = {
        "id": "facade-1",
        "title": "Facade test",
        "body": "NATO ministers met in Brussels to discuss support for Ukraine.",
        "lang": "en",
    }
    added = news.add([write_jsonl(tmp_path / "new.jsonl", [article])])
    assert added.as_dict()["indexed"] == 1
    assert Index(root).stats()["articles"] == SEED_ARTICLES


def test_the_package_names_its_version():
    from importlib.metadata import version

    assert akhbar.__version__ == version("akhbar")


def test_records_in_memory_are_written_as_the_same_records_in_a_file_are(seed_index, copy_of, tmp_path):
    """Index.add takes Articles and dicts (as sqlite-utils' insert_all and txtai's upsert do), checked by the
    rules a file's records are: a bad one is named records:N, and the index answers as after adding the file."""
    from akhbar.index.article import Article

    given = [
        {
            "id": "mem-1",
            "title": "NATO ministers meet",
            "body": "NATO ministers met in Brussels to discuss support for Ukraine.",
            "lang": "en",
        },
        {"id": "mem-2", "title": "no body"},
        Article(id="mem-3", title="زلزال", body="ضرب زلزال قوي جنوب المغرب وأودى بحياة المئات.", date="2023-09-09"),
    ]
    in_file = [given[0], given[1], {"id": "mem-3", "title": "زلزال", "body": given[2].body, "date": "2023-09-09"}]
    told: list[str] = []
    from_memory = Index(copy_of(seed_index)).add(given, on_problem=lambda p: told.append(str(p)))
    assert told == ["records:2: field 'body': missing (skipped)"]
    assert from_memory.as_dict()["indexed"] == 2 and from_memory.as_dict()["skipped"] == 1
    other = tmp_path / "other"
    shutil.copytree(seed_index, other)
    from_file = Index(other).add([write_jsonl(tmp_path / "same.jsonl", in_file)])
    assert from_file.as_dict()["indexed"] == 2
    memory_root = tmp_path / "copy"
    for article_id in ("mem-1", "mem-3", "ar-nato-01"):
        assert Index(memory_root).similar(article_id).rows == Index(other).similar(article_id).rows
    assert Index(memory_root).coverage("mem-3") == Index(other).coverage("mem-3")
    with pytest.raises(AkhbarError, match="^records:1: field 'id': missing$"):
        Index(memory_root).add([{"body": "text"}], strict=True)
