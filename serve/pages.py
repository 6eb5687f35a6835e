"""Pages rendered on the server: an article with its box, search, a story's coverage, and the
box alone for an iframe. No scripts and no external assets: the style sheet is inlined."""

from __future__ import annotations

from pathlib import Path as FsPath
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from akhbar.facade import Index
from akhbar.search import query
from akhbar.search.options import QueryOptions
from akhbar.serve import labels
from akhbar.serve.api import MAX_K
from akhbar.serve.context import Context, Limits, context_of

router = APIRouter(include_in_schema=False)
TEMPLATES = Jinja2Templates(directory=FsPath(__file__).parent / "templates")
TEMPLATES.env.globals["language_name"] = labels.language_name
TEMPLATES.env.filters["language_name"] = labels.language_name
BOX_ROWS = 10  # like the seed page's box (six rows), with room for coverage in other languages

Ui = Annotated[str | None, Query(max_length=8, description="Page language: ar, en or fr")]
Id = Annotated[str, Path(max_length=500)]


def _article(ctx: Context, article_id: str, k: int, reader_lang: str | None) -> dict:
    """The article's row, paragraphs and box (its own story, then the rows in the reader's
    language, default the article's), from one version."""
    version = ctx.live.current()
    with version.snapshot() as idx:
        row = idx.require(article_id, "the index")
        answer = Index.over(idx).similar(article_id, QueryOptions(k=k, reader_lang=reader_lang))
        box = answer.box
        return {
            "article": {
                **box.article,
                "day": row["date"][:10],
                "url": row["url"],
                "paragraphs": [p.strip() for p in row["body"].split("\n") if p.strip()],
            },
            "story": box.story.as_dict() if box.story else None,
            "copies": box.copies,
            "copies_more": box.copies_more,
            "rows": answer.rows,
        }


def _search(ctx: Context, q: str, lang: str | None, embedder, reader_lang: str | None) -> tuple[list[dict], str]:
    """The rows, and the language they are shown in (the query's unless the page asks for one)."""
    version = ctx.live.current()
    with version.snapshot() as idx:
        found = Index.over(idx, embedder).search(q, QueryOptions(k=20, lang=lang or None, reader_lang=reader_lang))
        return found.rows, found.box.reader_lang


def _coverage(ctx: Context, article_id: str) -> dict:
    version = ctx.live.current()
    with version.snapshot() as idx:
        row = idx.require(article_id, "the index")
        story = Index.over(idx).coverage(article_id)
    return {
        "title": query.display_title(row),
        "id": article_id,
        "lang": row["lang"],
        "rows": story["shown"],
        "sources": len(story["sources"]),
        "langs": story["languages"],
    }


def _render(request: Request, template: str, ui: str, **values) -> HTMLResponse:
    return TEMPLATES.TemplateResponse(
        request, template, {"ui": ui, "dir": "rtl" if ui in labels.RTL else "ltr", "t": labels.words(ui), **values}
    )


def _accepted(request: Request) -> list[str]:
    return labels.accepted(request.headers.get("accept-language", ""))


@router.get("/")
async def home() -> RedirectResponse:
    return RedirectResponse("/search")


@router.get("/article/{article_id:path}", response_class=HTMLResponse)
async def article_page(request: Request, article_id: Id, ui: Ui = None) -> HTMLResponse:
    """Like the seed page: the article, then the box. The page speaks the article's language (or
    ?ui=), and so do the rows where their story has it."""
    ctx = context_of(request)
    found = await ctx.read(_article, ctx, article_id, BOX_ROWS, ui)
    lang = labels.choose(ui, found["article"]["lang"], *_accepted(request))
    return _render(request, "article.html", lang, **found)


@router.get("/box/{article_id:path}", response_class=HTMLResponse)
async def box_fragment(
    request: Request, article_id: Id, ui: Ui = None, k: Annotated[int, Query(ge=1, le=MAX_K)] = BOX_ROWS
) -> HTMLResponse:
    """The box alone, for an iframe in another site's page; links open in the page around it."""
    ctx = context_of(request)
    found = await ctx.read(_article, ctx, article_id, k, ui)
    return _render(request, "box.html", labels.choose(ui, found["article"]["lang"], *_accepted(request)), **found)


@router.get("/search", response_class=HTMLResponse)
async def search_page(
    request: Request,
    q: Annotated[str, Query(max_length=Limits().max_query_chars)] = "",
    lang: Annotated[str, Query(max_length=16)] = "",
    ui: Ui = None,
) -> HTMLResponse:
    """The page speaks ?ui=, else the query's language, else the browser's; rows follow it."""
    ctx = context_of(request)
    rows, shown_in = None, None
    if q.strip():
        rows, shown_in = await ctx.read(_search, ctx, q, lang, await ctx.model(ctx.live.current().manifest), ui)
    return _render(request, "search.html", labels.choose(ui, shown_in, *_accepted(request)), q=q, lang=lang, rows=rows)


@router.get("/coverage/{article_id:path}", response_class=HTMLResponse)
async def coverage_page(request: Request, article_id: Id, ui: Ui = None) -> HTMLResponse:
    ctx = context_of(request)
    found = await ctx.read(_coverage, ctx, article_id)
    lang = labels.choose(ui, found["lang"], *_accepted(request))  # like the article's page
    named = (
        "، ".join(labels.language_name(c, lang) for c in found["langs"])
        if lang == "ar"
        else ", ".join(labels.language_name(c, lang) for c in found["langs"])
    )
    return _render(request, "coverage.html", lang, langs_named=named, **found)
