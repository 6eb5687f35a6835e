"""The JSON API: the CLI's commands over HTTP, returning the objects `--json` prints
(search/present.py builds both). Each answer names the version it came from (X-Akhbar-Version)."""

from __future__ import annotations

import functools
import os
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import BaseModel, Field, ValidationError, create_model

from akhbar.facade import Index
from akhbar.search.options import BOX_ONLY, NAMES, QueryOptions, metadata
from akhbar.serve import labels, writes
from akhbar.serve.context import BEARER, Context, Limits, context_of, json_response
from akhbar.serve.schema import BoxAnswer, SearchAnswer

router = APIRouter()
MAX_K = Limits().max_k  # FastAPI validates k against this (422 above it)

MAX_ID = 500
Id = Annotated[str, Path(max_length=MAX_ID, description="An indexed article's id")]
Shown = Annotated[str | None, Query(max_length=16, description="Show only articles in this language (stories join all)")]


class _Asked(BaseModel):
    """Query options read by pydantic from the query string (or a JSON body), one validation per request."""

    def asked(self) -> QueryOptions:
        """The options as the facade takes them (search/options.py)."""
        return QueryOptions(**{name: getattr(self, name) for name in NAMES if name in type(self).model_fields})

    def read_by(self, request: Request) -> _Asked:
        """reader_lang, else the first language of the request's Accept-Language header, else (None)
        the article's or the query's language."""
        if not self.reader_lang:  # type: ignore[has-type]  # a field create_model adds from QueryOptions
            self.reader_lang = next(iter(labels.accepted(request.headers.get("accept-language", ""))), "") or None
        return self


def _options_model(name: str, names: tuple[str, ...]) -> type[_Asked]:
    """A pydantic model of QueryOptions' fields: their types, defaults, bounds and help, defined once there."""
    fields = {}
    for field in names:
        kind, default, bounds, help_ = metadata(field)
        fields[field] = (kind, Field(default, description=help_.text, **bounds))
    return create_model(name, __base__=_Asked, **fields)  # type: ignore[call-overload]  # fields built at run time


# The options `similar` and `search` share with the CLI; a box under an indexed article also takes `window`.
Options = _options_model("Options", tuple(n for n in NAMES if n not in BOX_ONLY))
BoxOptions = _options_model("BoxOptions", NAMES)


class TextQuery(Options):  # type: ignore[misc, valid-type]  # a model made by create_model, not a class statement
    text: str = Field(..., min_length=1, max_length=Limits().max_text_chars, description="A new article's text")


class SearchQuery(Options):  # type: ignore[misc, valid-type]  # a model made by create_model, not a class statement
    q: str = Field(..., min_length=1, max_length=Limits().max_query_chars, description="What to look for")


def similar_to_id(ctx: Context, article_id: str, o: _Asked, explain) -> tuple[dict, str]:
    version = ctx.live.current()
    with version.snapshot() as idx:
        answer = Index.over(idx, explain).similar(article_id, o.asked())
        return {**answer.head(), "results": answer.rows}, version.name


def similar_to_text(ctx: Context, o: _Asked, text: str, as_search: bool, embedder) -> tuple[dict, str]:
    version = ctx.live.current()
    with version.snapshot() as idx:
        index = Index.over(idx, embedder)
        if as_search:
            found = index.search(text, o.asked())
            return {"query": text, "reader_lang": found.box.reader_lang, "results": found.rows}, version.name
        answer = index.similar(options=o.asked(), text=text)
        return {**answer.head(), "results": answer.rows}, version.name


def coverage_of(ctx: Context, article_id: str, lang: str | None) -> tuple[dict, str]:
    version = ctx.live.current()
    with version.snapshot() as idx:
        return Index.over(idx).coverage(article_id, lang), version.name


def stories_of(ctx: Context, min_articles: int, lang: str | None) -> tuple[dict, str]:
    version = ctx.live.current()
    with version.snapshot() as idx:
        return {"results": Index.over(idx).stories(min_articles, lang)}, version.name


def dups_of(ctx: Context) -> tuple[dict, str]:
    version = ctx.live.current()
    with version.snapshot() as idx:
        return {"results": Index.over(idx).dups()}, version.name


def _exists(ctx: Context, article_id: str) -> None:
    with ctx.live.current().snapshot() as idx:
        idx.require(article_id, "the index")


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
    o = _query_options(request).read_by(request)
    o.asked().check()  # a bad mode or day answers 422 before the model loads for explain
    explain_with = await ctx.model(ctx.live.current().manifest) if o.explain else None  # type: ignore[attr-defined]  # a QueryOptions field
    payload, version = await ctx.read(similar_to_id, ctx, request.path_params["article_id"], o, explain_with)
    return json_response(payload, version=version)


def _query_options(request: Request) -> _Asked:
    problems: list[dict] = []
    if len(request.path_params["article_id"]) > MAX_ID:
        problems.append({"loc": ("path", "article_id"), "msg": f"String should have at most {MAX_ID} characters"})
    try:
        o = BoxOptions.model_validate(dict(request.query_params))
    except ValidationError as exc:
        problems += [dict(e) | {"loc": ("query", *e["loc"])} for e in exc.errors()]
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
    body.asked().check()  # a bad mode or day answers 422 before the model loads (7 s, once a worker)
    embedder = await ctx.model(ctx.live.current().manifest)
    payload, version = await ctx.read(similar_to_text, ctx, body.read_by(request), body.text, False, embedder)
    return json_response(payload, version=version)


@router.get(
    "/api/search",
    tags=["query"],
    summary="Search by meaning and words, in any language",
    responses={200: {"model": SearchAnswer, "description": "One row per story (as `search --json`)"}},
)
async def api_search(request: Request, o: Annotated[SearchQuery, Query()]) -> Response:
    ctx = context_of(request)
    o.asked().check()  # a bad mode or day answers 422 before the model loads
    embedder = await ctx.model(ctx.live.current().manifest)
    payload, version = await ctx.read(similar_to_text, ctx, o.read_by(request), o.q, True, embedder)
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
    return json_response(await ctx.read(Index(ctx.root).stats))


@router.get("/healthz", tags=["service"], summary="The server is up; which worker answered (pid) and which version it answers from")
async def healthz(request: Request) -> Response:
    ctx = context_of(request)
    version = await ctx.read(ctx.live.current)
    answer = {"ok": True, "pid": os.getpid(), "version": version.name, "articles": version.manifest.articles, "read_only": ctx.read_only}
    return json_response(answer, version=version.name)


@router.post(
    "/api/articles",
    tags=["write"],
    summary="Add or update articles (JSON Lines, a JSON array, an HTML page or an RSS/Atom feed, by Content-Type); needs the token",
    openapi_extra={
        "requestBody": {
            "content": {
                "application/x-ndjson": {"schema": {"type": "string"}},
                "application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
                "text/html": {"schema": {"type": "string"}},
                "application/rss+xml": {"schema": {"type": "string"}},
                "application/atom+xml": {"schema": {"type": "string"}},
            }
        }
    },
)
async def api_add(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)],
    strict: Annotated[bool, Query(description="Stop at the first bad record")] = False,
    url: Annotated[str | None, Query(max_length=2000, description="An HTML page's address, if it names none")] = None,
) -> Response:
    ctx = context_of(request)
    ctx.authorize(credentials)  # before reading a body the server would refuse anyway
    body = await request.body()
    embedder = await ctx.write_model(ctx.live.current().manifest) if body.strip() else None
    content_type = request.headers.get("content-type", "")
    add = functools.partial(writes.add, strict=strict, content_type=content_type, url=url)
    summary = await ctx.write(credentials, add, ctx.root, body, embedder, ctx.limits.write_seconds)
    return json_response(summary, version=summary["version"])


@router.delete("/api/articles/{article_id:path}", tags=["write"], summary="Take an article out (a retraction); needs the token")
async def api_remove(
    request: Request, article_id: Id, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)]
) -> Response:
    ctx = context_of(request)
    ctx.authorize(credentials)
    await ctx.read(_exists, ctx, article_id)
    summary = await ctx.write(credentials, writes.remove, ctx.root, article_id)
    return json_response(summary, version=summary["version"])
