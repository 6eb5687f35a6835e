"""The JSON API: the CLI's commands over HTTP, returning the objects `--json` prints
(search/present.py builds both). Each answer names the version it came from (X-Akhbar-Version)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import BaseModel, Field, ValidationError

from akhbar.index.errors import ArticleNotFound
from akhbar.search import present, query, stats, stories
from akhbar.search.dups import duplicate_groups
from akhbar.search.settings import DEFAULT_MODE, DEFAULTS
from akhbar.serve import labels, writes
from akhbar.serve.context import Context, Limits, context_of, json_response
from akhbar.serve.schema import BoxAnswer, SearchAnswer

router = APIRouter()
MAX_K = Limits().max_k  # FastAPI validates k against this (422 above it)

MAX_ID = 500
Id = Annotated[str, Path(max_length=MAX_ID, description="An indexed article's id")]
Shown = Annotated[str | None, Query(max_length=16, description="Show only articles in this language (stories join all)")]


class Options(BaseModel):
    """The options `similar` and `search` share with the CLI, read from the query string (or a
    JSON body) by one pydantic model: one validation per request, not one per parameter."""

    k: int = Field(10, ge=1, le=MAX_K, description="How many rows")
    lang: str | None = Field(None, max_length=16, description="Only articles in this language (ar, en, fr, …)")
    source: str | None = Field(None, max_length=200, description="Only articles from this source")
    since: str | None = Field(None, max_length=32, description="Only articles published on or after this day (YYYY-MM-DD)")
    until: str | None = Field(None, max_length=32, description="Only articles published on or before this day (YYYY-MM-DD)")
    mode: str = Field(DEFAULT_MODE, max_length=16, description="dense, lexical or hybrid")
    recency: int = Field(0, ge=0, le=100_000, description="Half-life in days: older results count less (0 = off)")
    diverse: bool = Field(False, description="Rows that differ from each other (MMR)")
    explain: bool = Field(False, description="Each row's best-matching passage and shared terms (loads the model)")
    reader_lang: str | None = Field(
        None,
        max_length=16,
        description="Show each story's article in this language where it "
        "has one (default: the Accept-Language header's first, else the article's or query's)",
    )

    def filters(self) -> query.Filters:
        return query.Filters(self.lang, self.source, self.since, self.until)

    def ranking(self) -> query.Ranking:
        return query.Ranking(self.mode, self.recency, self.diverse)

    def reader(self, request: Request) -> str | None:
        """reader_lang, else the first language of the request's Accept-Language header, else None
        (the article's or the query's language)."""
        return self.reader_lang or next(iter(labels.accepted(request.headers.get("accept-language", ""))), None) or None


class BoxOptions(Options):
    window: int = Field(DEFAULTS.similar_window_days, ge=0, le=100_000, description="Days either side of the article's date, 0 = any time")


class TextQuery(Options):
    text: str = Field(..., min_length=1, max_length=Limits().max_text_chars, description="A new article's text")


class SearchQuery(Options):
    q: str = Field(..., min_length=1, max_length=Limits().max_query_chars, description="What to look for")


def similar_to_id(ctx: Context, article_id: str, o: BoxOptions, explain, reader: str | None) -> tuple[dict, str]:
    version = ctx.live.current()
    with version.reader() as idx:
        box = query.similar_to_id(idx, article_id, o.k, o.filters(), o.window, o.ranking(), reader_lang=reader)
        return {**present.box_head(box), "results": present.hit_rows(box, idx, explain)}, version.name


def similar_to_text(ctx: Context, o: Options, text: str, as_search: bool, embedder, reader: str | None) -> tuple[dict, str]:
    version = ctx.live.current()
    with version.reader() as idx:
        run = query.search if as_search else query.similar_to_text
        box = run(idx, embedder, text, o.k, o.filters(), o.ranking(), reader_lang=reader)
        head = {"query": text, "reader_lang": box.reader_lang} if as_search else present.box_head(box)
        return {**head, "results": present.hit_rows(box, idx, embedder if o.explain else None)}, version.name


def coverage_of(ctx: Context, article_id: str, lang: str | None) -> tuple[dict, str]:
    version = ctx.live.current()
    with version.reader() as idx:
        return present.coverage_row(idx, stories.coverage(idx, article_id, lang)), version.name


def stories_of(ctx: Context, min_articles: int, lang: str | None) -> tuple[dict, str]:
    version = ctx.live.current()
    with version.reader() as idx:
        return {"results": [present.story_row(idx, s) for s in stories.stories(idx, min_articles, lang)]}, version.name


def dups_of(ctx: Context) -> tuple[dict, str]:
    version = ctx.live.current()
    with version.reader() as idx:
        return {"results": present.dup_rows(idx, duplicate_groups(idx))}, version.name


def _exists(ctx: Context, article_id: str) -> None:
    with ctx.live.current().reader() as idx:
        if idx.position(article_id) is None:
            raise ArticleNotFound(f"no article with id '{article_id}' in the index")


async def api_similar(request: Request) -> Response:
    """GET /api/similar/{id}: the box under an indexed article, which a site asks for with each
    article page it renders (unless it embeds /box/{id}, the HTML twin).

    A plain Starlette route, registered below: FastAPI's per-route machinery (dependencies, its
    exception and exit-stack wrappers) took ~0.2 ms a request once a query had filled the CPU
    caches, ~3% of a whole box at 100k. The options are read in one pydantic call, bad
    ones raise the RequestValidationError FastAPI would (the same 422 line), and `box_operation`
    describes the route in the OpenAPI schema from the same model.
    """
    ctx = context_of(request)
    o = _query_options(request)
    explain_with = await ctx.model(ctx.live.current().manifest) if o.explain else None
    payload, version = await ctx.read(similar_to_id, ctx, request.path_params["article_id"], o, explain_with, o.reader(request))
    return json_response(payload, version=version)


def _query_options(request: Request) -> BoxOptions:
    problems = []
    if len(request.path_params["article_id"]) > MAX_ID:
        problems.append({"loc": ("path", "article_id"), "msg": f"String should have at most {MAX_ID} characters"})
    try:
        o = BoxOptions.model_validate(dict(request.query_params))
    except ValidationError as exc:
        problems += [{**e, "loc": ("query", *e["loc"])} for e in exc.errors()]
    if problems:
        raise RequestValidationError(problems)
    return o


def box_operation() -> dict:
    """GET /api/similar/{id} in the OpenAPI schema, as FastAPI would describe it (it lists only its own routes)."""
    fields = BoxOptions.model_json_schema()["properties"]
    return {
        "tags": ["query"],
        "summary": "The similar-articles box under an indexed article",
        "operationId": "api_similar",
        "parameters": [
            {
                "name": "article_id",
                "in": "path",
                "required": True,
                "description": "An indexed article's id",
                "schema": {"type": "string", "maxLength": MAX_ID},
            }
        ]
        + [
            {"name": name, "in": "query", "required": False, "description": field.get("description", ""), "schema": field}
            for name, field in fields.items()
        ],
        "responses": {
            "200": {
                "description": "The box: the article, its own story and copies, and the rows (as `similar --json`)",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/BoxAnswer"}}},
            },
            "404": {"description": "No article with this id"},
            "422": {"description": "A bad option, as one line"},
        },
    }


router.add_route("/api/similar/{article_id:path}", api_similar, methods=["GET"], include_in_schema=False)


@router.post(
    "/api/similar",
    tags=["query"],
    summary="The similar-articles box for a new article's text",
    responses={200: {"model": BoxAnswer, "description": "The box (as `similar --text … --json`)"}},
)
async def api_similar_text(request: Request, body: TextQuery) -> Response:
    ctx = context_of(request)
    embedder = await ctx.model(ctx.live.current().manifest)
    payload, version = await ctx.read(similar_to_text, ctx, body, body.text, False, embedder, body.reader(request))
    return json_response(payload, version=version)


@router.get(
    "/api/search",
    tags=["query"],
    summary="Search by meaning and words, in any language",
    responses={200: {"model": SearchAnswer, "description": "One row per story (as `search --json`)"}},
)
async def api_search(request: Request, o: Annotated[SearchQuery, Query()]) -> Response:
    ctx = context_of(request)
    embedder = await ctx.model(ctx.live.current().manifest)
    payload, version = await ctx.read(similar_to_text, ctx, o, o.q, True, embedder, o.reader(request))
    return json_response(payload, version=version)


@router.get("/api/coverage/{article_id:path}", tags=["query"], summary="An article's whole story, by date (as `coverage --json`)")
async def api_coverage(request: Request, article_id: Id, lang: Shown = None) -> Response:
    ctx = context_of(request)
    payload, version = await ctx.read(coverage_of, ctx, article_id, lang)
    return json_response(payload, version=version)


@router.get("/api/stories", tags=["query"], summary="The corpus grouped into stories, largest first")
async def api_stories(request: Request, min_articles: Annotated[int, Query(ge=1, le=100_000)] = 2, lang: Shown = None) -> Response:
    ctx = context_of(request)
    payload, version = await ctx.read(stories_of, ctx, min_articles, lang)
    return json_response(payload, version=version)


@router.get("/api/dups", tags=["query"], summary="Groups of copies of one wire story")
async def api_dups(request: Request) -> Response:
    ctx = context_of(request)
    payload, version = await ctx.read(dups_of, ctx)
    return json_response(payload, version=version)


@router.get("/api/stats", tags=["query"], summary="What the index holds and how it was built")
async def api_stats(request: Request) -> Response:
    ctx = context_of(request)
    return json_response(await ctx.read(stats.stats, ctx.root))


@router.get("/healthz", tags=["service"], summary="The server is up; which version it answers from")
async def healthz(request: Request) -> Response:
    ctx = context_of(request)
    version = await ctx.read(ctx.live.current)
    return json_response({"ok": True, "version": version.name, "articles": version.manifest.articles}, version=version.name)


@router.post(
    "/api/articles",
    tags=["write"],
    summary="Add or update articles (JSON Lines or a JSON array); needs the token",
    openapi_extra={
        "requestBody": {
            "content": {
                "application/x-ndjson": {"schema": {"type": "string"}},
                "application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
            }
        }
    },
)
async def api_add(request: Request, strict: Annotated[bool, Query(description="Stop at the first bad record")] = False) -> Response:
    ctx = context_of(request)
    ctx.authorize(request)  # before reading a body the server would refuse anyway
    body = await request.body()
    embedder = await ctx.model(ctx.live.current().manifest) if body.strip() else None
    summary = await ctx.write(request, writes.add, ctx.root, body, embedder, ctx.limits.write_seconds, strict)
    return json_response(summary, version=summary["version"])


@router.delete("/api/articles/{article_id:path}", tags=["write"], summary="Take an article out (a retraction); needs the token")
async def api_remove(request: Request, article_id: Id) -> Response:
    ctx = context_of(request)
    ctx.authorize(request)
    await ctx.read(_exists, ctx, article_id)
    summary = await ctx.write(request, writes.remove, ctx.root, article_id)
    return json_response(summary, version=summary["version"])
