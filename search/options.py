"""The options of `similar` and `search`, defined once: the CLI (typer) and the HTTP API (pydantic) both read them.

Each field carries its flag, help text and bounds (annotated_types' Ge/Le/MaxLen, which pydantic
honours; cli.py turns Ge into typer's min). The CLI has no upper bounds; the server's (Le, MaxLen) keep
one request small. A query takes a QueryOptions, and its filters and ranking are built from it.
"""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass, fields
from typing import Annotated

from annotated_types import Ge, Le, MaxLen

from akhbar.index.errors import AkhbarError
from akhbar.index.filters import Filters
from akhbar.search.settings import DEFAULT_MODE, DEFAULTS

# how candidates are found (search/hybrid.py): by meaning, by words (BM25), or both fused
MODES = ("dense", "lexical", "hybrid")

MAX_K = 100  # rows one HTTP request may ask for (serve/context.Limits.max_k)
MAX_DAYS = 100_000


@dataclass(frozen=True)
class Help:
    """A field's flag on the command line (also its query-string name without dashes) and its help text."""

    flag: str
    text: str


@dataclass(frozen=True)
class Ranking:
    """How a result list is ordered: by which signals (MODES), how much recency counts, and whether
    rows should differ from each other."""

    mode: str = DEFAULT_MODE
    half_life: int = 0  # days: a result this much older than the newest candidate counts half; 0 = off
    diverse: bool = False  # maximal marginal relevance (MMR) over the rows

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise AkhbarError(f"--mode '{self.mode}' is not one of {', '.join(MODES)}")
        if self.half_life < 0:
            raise AkhbarError("--recency must be a number of days, 0 or more")


@dataclass(frozen=True)
class QueryOptions:
    """What a box or a search is asked with; the defaults are the CLI's and the API's."""

    k: Annotated[int, Ge(1), Le(MAX_K), Help("-k", "How many results")] = 10
    lang: Annotated[str | None, MaxLen(16), Help("--lang", "Only articles in this language (ar, en, fr, …)")] = None
    source: Annotated[str | None, MaxLen(200), Help("--source", "Only articles from this source")] = None
    since: Annotated[str | None, MaxLen(32), Help("--since", "Only articles published on or after this day (YYYY-MM-DD)")] = None
    until: Annotated[str | None, MaxLen(32), Help("--until", "Only articles published on or before this day (YYYY-MM-DD)")] = None
    _: KW_ONLY  # the fields below are named at every call
    mode: Annotated[str, MaxLen(16), Help("--mode", "dense (meaning), lexical (words, BM25) or hybrid (both, fused)")] = DEFAULT_MODE
    recency: Annotated[int, Ge(0), Le(MAX_DAYS), Help("--recency", "Half-life in days: older results count less (0 = off)")] = 0
    diverse: Annotated[bool, Help("--diverse", "Rows that differ from each other (MMR) rather than the closest ones")] = False
    explain: Annotated[bool, Help("--explain", "Show each result's best-matching passage and shared terms (loads the model)")] = False
    window: Annotated[int, Ge(0), Le(MAX_DAYS), Help("--window", "For ID: days either side of its date to look in, 0 = any time")] = (
        DEFAULTS.similar_window_days
    )
    reader_lang: Annotated[
        str | None,
        MaxLen(16),
        Help(
            "--reader-lang",
            "Show each story by its article in this language where it has one "
            "(default: the article's language for similar, the query's for search; on the API, else Accept-Language's first)",
        ),
    ] = None

    def filters(self) -> Filters:
        """Which articles may be returned (checks the days)."""
        return Filters(self.lang, self.source, self.since, self.until)

    def ranking(self) -> Ranking:
        """How rows are ordered (checks the mode)."""
        return Ranking(self.mode, self.recency, self.diverse)

    def check(self) -> None:
        """AkhbarError for a bad mode, recency or day (each query builds its plan from these again)."""
        self.ranking()
        self.filters()


@dataclass(frozen=True)
class QueryPlan:
    """One query, decided once (search/query.py builds it from QueryOptions and what the query is) and
    passed whole down the read path: k rows passing `filters`, ordered by `ranking`, each shown in
    `reader_lang` where its story has it; `query_lang` is the query's own language (hybrid fusion,
    widening); candidates under `floor` are not related at all; `anchor` (the box's article's day)
    makes nearer stories count more; `skip` stories (the box's own) and `exclude` positions are never
    rows; `widen` searches again with the best same-language matches' vectors (a short query)."""

    k: int
    filters: Filters = Filters()
    ranking: Ranking = Ranking()
    reader_lang: str = ""
    query_lang: str = ""
    _: KW_ONLY  # the fields below are named at every call
    floor: float = -1.0
    anchor: str = ""
    skip: frozenset[str] = frozenset()
    exclude: frozenset[int] = frozenset()
    widen: bool = False

    @property
    def want(self) -> int:
        """How many rows to rank before the last step: --diverse picks k from three times more."""
        return 3 * self.k if self.ranking.diverse else self.k


BOX_ONLY = {"window"}  # an indexed article's box only: a search or a text has no date to look around
NAMES = tuple(f.name for f in fields(QueryOptions))


def metadata(name: str) -> tuple[type, object, dict, Help]:
    """A field's type, default, bounds ({ge, le, max_length}) and Help, for the CLI and the API to build their parameters from."""
    import typing

    hint = typing.get_type_hints(QueryOptions, include_extras=True)[name]
    base, *extras = typing.get_args(hint)
    bounds: dict[str, int] = {}
    help_ = None
    for extra in extras:
        if isinstance(extra, Ge):
            bounds["ge"] = int(extra.ge)  # type: ignore[call-overload]  # annotated_types types a bound as SupportsGe; ours are ints
        elif isinstance(extra, Le):
            bounds["le"] = int(extra.le)  # type: ignore[call-overload]  # annotated_types types a bound as SupportsLe; ours are ints
        elif isinstance(extra, MaxLen):
            bounds["max_length"] = extra.max_length
        elif isinstance(extra, Help):
            help_ = extra
    assert help_ is not None, name
    default = next(f.default for f in fields(QueryOptions) if f.name == name)
    return base, default, bounds, help_
