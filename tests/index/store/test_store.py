"""The metadata store (index/store/sql.py) and the filters it reads (index/filters.py), on a real
SQLite file with no model: base and delta read as one, and one filter definition for SQL and rows."""

from __future__ import annotations

import itertools

import pytest

from akhbar.index.article import Article
from akhbar.index.errors import AkhbarError
from akhbar.index.filters import Filters
from akhbar.index.store import sql

ARTICLES = [
    Article(id=f"a{i}", body=f"body {i}", title=f"title {i}", lang=lang, date=day, source=source)
    for i, (lang, day, source) in enumerate(
        itertools.product(("ar", "en", "fr"), ("", "2023-09-01", "2023-09-08T10:00:00", "2024-01-31"), ("Reuters", "AFP", ""))
    )
]


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    """A written stage (base and delta files, as a fresh build has them) and a reader on it."""
    folder = tmp_path_factory.mktemp("store")
    writer = sql.open_stage(folder, None)
    sql.insert(writer, 0, ARTICLES[:20])
    sql.checkpoint(writer, 20, 0)
    sql.insert(writer, 20, ARTICLES[20:])
    sql.drop(writer, 3)
    sql.checkpoint(writer, len(ARTICLES), 0)
    writer.close()
    reader = sql.connect_readonly(folder)
    yield reader
    reader.close()


CASES = [
    Filters(),
    Filters(lang="ar"),
    Filters(source="AFP"),
    Filters(lang="en", source="Reuters"),
    Filters(since="2023-09-02"),
    Filters(until="2023-09-08"),
    Filters(since="2023-09-01", until="2023-09-08T23:59:59"),
    Filters(lang="fr", since="2024-01-31", until="2024-01-31"),
    Filters(source="missing"),
]


@pytest.mark.parametrize("filters", CASES, ids=str)
def test_sql_and_row_test_select_the_same_articles(con, filters):
    rows = sql.by_positions(con, range(len(ARTICLES)))
    assert 3 not in rows  # dropped: the view hides it
    by_rows = sorted(p for p, r in rows.items() if filters.match(r))
    assert sorted(sql.positions_where(con, filters)) == by_rows
    assert sql.count_where(con, filters) == len(by_rows)


def test_undated_articles_are_outside_every_day_range(con):
    rows = sql.by_positions(con, sql.positions_where(con, Filters(until="2100-01-01")))
    assert rows and all(r["day"] for r in rows.values())
    assert len(sql.positions_where(con)) == len(ARTICLES) - 1


def test_a_day_that_is_not_a_day_is_a_clear_error():
    with pytest.raises(AkhbarError, match="--since 'last week' is not a day"):
        Filters(since="last week")
