"""`akhbar serve`: the HTTP application, and how every error becomes one line of JSON."""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from akhbar.index.errors import AkhbarError, ArticleNotFound, IndexLocked, IndexNotFound, ModelError, ModelMismatch
from akhbar.serve import api, docs, logs, metrics, pages
from akhbar.serve.context import DEFAULT_LIMITS, BodyTooLarge, Context, Limits, json_response
from akhbar.serve.settings import TOKEN_ENV, Settings
from akhbar.serve.writes import WriteTimeout

log = logging.getLogger("akhbar.serve")


def _error(status: int, message: str, **extra) -> Response:
    return json_response({"error": " ".join(str(message).split()), **extra}, status)


_FLAG_FIRST = re.compile(r"^--([a-z][\w-]*) ")
_FLAG = re.compile(r"(?<![\w-])--([a-z][\w-]*)")
_POSTED = re.compile(r"\S*akhbar-post-[^/\s]+/api-[\w.]+")  # serve/writes.py's file of a request body


def public(message: str, root: Path) -> str:
    """An error as the client may read it: the index folder is 'the index', a request body's
    temporary file is 'body', and a command-line flag the shared code names (`--since 'x' is not
    a day`) is the request's parameter of that name (`parameter 'since': 'x' is not a day`)."""
    for folder in sorted({str(root), str(root.resolve())}, key=len, reverse=True):
        message = message.replace(folder, "the index")
    message = _POSTED.sub("body", message)
    message = _FLAG_FIRST.sub(lambda m: f"parameter '{m.group(1).replace('-', '_')}': ", message)
    return _FLAG.sub(lambda m: f"'{m.group(1).replace('-', '_')}'", message)


def _validation_message(exc: RequestValidationError) -> str:
    """FastAPI's list of problems as one line: the first, named by where it is."""
    first = exc.errors()[0]
    loc = [str(p) for p in first.get("loc", ())]
    where = {"query": "query parameter", "path": "path parameter", "body": "body field"}.get(loc[0] if loc else "", "")
    name = ".".join(loc[1:]) if len(loc) > 1 else (loc[0] if loc else "request")
    more = f" (and {len(exc.errors()) - 1} more)" if len(exc.errors()) > 1 else ""
    return f"{where} '{name}': {first.get('msg', 'invalid')}{more}".strip()


STATUS_OF: tuple[tuple[type[Exception], int], ...] = (
    (ArticleNotFound, 404),
    (IndexLocked, 409),
    (WriteTimeout, 504),
    (IndexNotFound, 503),
    (ModelError, 503),
    (ModelMismatch, 503),
    (AkhbarError, 422),
)


UNAVAILABLE = "the index cannot be read now; the server's log says why"


def install_error_handlers(app: FastAPI, root: Path) -> None:
    @app.exception_handler(AkhbarError)
    async def domain(request: Request, exc: AkhbarError) -> Response:
        status = next(code for kind, code in STATUS_OF if isinstance(exc, kind))
        if status == 503:  # the server's own trouble (a damaged index, the model): its details stay in the log
            log.error("%s %s: %s", request.method, request.url.path, exc)
            return _error(503, UNAVAILABLE)
        warnings = getattr(exc, "warnings", None)
        return _error(status, public(str(exc), root), **({"warnings": [public(w, root) for w in warnings]} if warnings is not None else {}))

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> Response:
        return _error(422, _validation_message(exc))

    @app.exception_handler(StarletteHTTPException)
    async def http(_: Request, exc: StarletteHTTPException) -> Response:
        r = _error(exc.status_code, str(exc.detail))
        r.headers.update(exc.headers or {})
        return r

    @app.exception_handler(TimeoutError)
    async def late(_: Request, exc: TimeoutError) -> Response:
        return _error(504, "the request took longer than its time limit")

    @app.exception_handler(Exception)
    async def bug(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.url.path)  # the traceback stays in the log
        return _error(500, f"unexpected error ({type(exc).__name__}); the server's log has the details")


class BodyLimit:
    """Refuse request bodies over the limit (413), by Content-Length or while they stream in."""

    def __init__(self, app, limits: Limits) -> None:
        self.app, self.limits = app, limits

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = self.limits.max_write_body if scope["path"].startswith("/api/articles") else self.limits.max_text_body
        length = dict(scope.get("headers") or {}).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > limit:
            response = _error(413, BodyTooLarge(limit).detail)
            return await response(scope, receive, send)
        seen = 0

        async def counted():
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > limit:
                raise BodyTooLarge(limit)
            return message

        await self.app(scope, counted, send)


def _openapi(app: FastAPI) -> dict:
    """FastAPI's schema, with the box route it does not describe (serve/api.py, api_similar)."""
    if app.openapi_schema is None:
        FastAPI.openapi(app)["paths"]["/api/similar/{article_id}"] = {"get": api.box_operation()}
    return app.openapi_schema  # type: ignore[return-value]  # FastAPI.openapi has just set it


def create_app(settings: Settings, token: str | None = None, limits: Limits = DEFAULT_LIMITS) -> FastAPI:
    """The application over the index at `settings.root`; writes need `token` (AKHBAR_TOKEN)."""
    logs.capture_warnings()
    app = FastAPI(
        title="akhbar",
        summary="Similar articles, related coverage and search by meaning, for news",
        version="1",
        docs_url=None,
        redoc_url=None,
    )  # FastAPI's docs pages load scripts from a CDN: serve/docs.py serves them from installed files
    app.state.ctx = Context(settings, token, limits)
    install_error_handlers(app, settings.root)
    app.include_router(api.router)
    app.include_router(metrics.router)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]  # FastAPI's documented way to extend its schema
    docs.install(app)
    app.include_router(pages.router)
    app.add_middleware(BodyLimit, limits=limits)
    # outermost of ours: counts BodyLimit's 413 too
    app.add_middleware(metrics.Observe, routes=metrics.templates(app.router, api.router, metrics.router, pages.router))
    return app


def from_env() -> FastAPI:
    """The application in a worker process (uvicorn's factory): settings from the parent (serve/run.py)."""
    return create_app(Settings.from_env(), os.environ.get(TOKEN_ENV) or None)
