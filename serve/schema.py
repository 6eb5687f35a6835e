"""The result objects of `--json` and the API, as pydantic models: the one documented schema.

search/present.py builds the objects (plain dicts, for speed); these models only describe them
in the OpenAPI schema, and tests/serve/test_serve.py validates real answers against that schema.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Listed(BaseModel):
    """One of a story's other articles, folded into its row ("also in")."""

    model_config = ConfigDict(extra="forbid")
    id: str
    source: str
    date: str = Field(description="ISO date or datetime, '' when undated")
    lang: str
    score: float = Field(description="Cosine with the query")


class Row(BaseModel):
    """One row of a box or a search: a stored story, shown by its article in the reader's language."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(description="The article shown")
    title: str
    score: float = Field(description="What the row was ranked by (the mode's score; a box decays it by date distance)")
    cosine: float = Field(description="The shown article's cosine with the query (centered space)")
    source: str
    date: str
    lang: str
    url: str
    story: str = Field(description="The stored story: its coverage is /api/coverage/{story}")
    articles: int = Field(description="The story's articles, the shown one included")
    languages: list[str] = Field(description="The story's languages")
    also: list[Listed] = Field(description="The story's other articles, nearest the query first (at most 8)")
    also_more: int = Field(description="The story's other articles beyond those listed")
    passage: str | None = Field(None, description="With explain: the row's best-matching passage")
    passage_cosine: float | None = Field(None, description="With explain: that passage's cosine with the query")
    shared_terms: list[str] | None = Field(None, description="With explain: the query's terms the row shares")


class Article(BaseModel):
    id: str
    title: str
    source: str
    date: str
    lang: str
    related: list = Field(description="The page's own related links, when it had some")


class BoxAnswer(BaseModel):
    """GET /api/similar/{id} and POST /api/similar (as `similar --json`, whose lines are `results`)."""

    model_config = ConfigDict(extra="forbid")
    article: Article
    story: Row | None = Field(description="The article's own story (its coverage); null for a text")
    copies: list[Listed] = Field(description="Copies of the article (its copy group)")
    copies_more: int
    reader_lang: str = Field(description="The language rows are shown in where their story has it")
    since: str
    until: str
    results: list[Row]


class SearchAnswer(BaseModel):
    """GET /api/search (as `search --json`, whose lines are `results`)."""

    model_config = ConfigDict(extra="forbid")
    query: str
    reader_lang: str
    results: list[Row]
