"""Which articles a query may return: one definition, read as SQL by index/store/sql.py and as a
test on a fetched row by search/, so the two can never disagree."""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import cached_property

from akhbar.index.errors import AkhbarError

_TESTS = {"=": operator.eq, ">=": operator.ge, "<=": operator.le}


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

    def conditions(self) -> list[tuple[str, str, str]]:
        """(column, operator, value), all of which must hold. An empty column matches none: an
        undated article is outside every day range (lang and source are never asked to be empty)."""
        given = (
            ("lang", "=", self.lang),
            ("source", "=", self.source),
            ("day", ">=", self.since and self.since[:10]),
            ("day", "<=", self.until and self.until[:10]),
        )
        return [(column, op, value) for column, op, value in given if value]

    @cached_property
    def _tests(self) -> tuple[tuple[str, Callable[[str, str], bool], str], ...]:
        return tuple((column, _TESTS[op], value) for column, op, value in self.conditions())

    def match(self, row: dict) -> bool:
        """The conditions, on one fetched row (what the SQL of sql.where selects). A box tests
        thousands of candidates: the conditions are worked out once per Filters."""
        return all(row[column] != "" and test(row[column], value) for column, test, value in self._tests)

    def sql(self) -> tuple[str, list[str]]:
        """The conditions as an SQL WHERE clause (empty when there are none) and its arguments."""
        conditions = self.conditions()
        clauses = [f"{column} != '' AND {column} {op} ?" for column, op, _ in conditions]
        return (" WHERE " + " AND ".join(clauses) if clauses else ""), [value for _, _, value in conditions]


NONE = Filters()
