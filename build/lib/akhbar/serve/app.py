"""`akhbar serve`: the HTTP application, its limits, and how every error becomes one line of JSON.

Queries run in worker threads, one per reader of the live version (serve/live.py); each has a
time limit, after which the client gets 504 while the thread finishes and returns its reader.
Writes run one at a time in their own thread and stop themselves between batches when late.
"""

from __future__ import annotations

import hmac
import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import anyio
import orjson
from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from akhbar.index.errors import AkhbarError, ArticleNotFound, IndexLocked, IndexNotFound, ModelError, ModelMismatch
from akhbar.serve.live import LiveIndex, SharedEmbedder
from akhbar.serve.writes import WriteTimeout

log = logging.getLogger("akhbar.serve")
T = TypeVar("T")


@dataclass(frozen=True)
class Limits:
    """What one request may ask for. k as the CLI allows for a box; text sizes well above a long
    article (the longest SaudiNewsNet body is ~60k characters); a write body that embeds in about
    a minute here (~12 articles/s, README "Benchmark"); 30 s for a read, while `similar ID` takes
    ~35 ms at 100k articles and `stories` (a whole pass) ~20 s."""

    max_k: int = 100
    max_query_chars: int = 1_000  # GET /api/search?q=
    max_text_chars: int = 100_000  # POST /api/similar
    max_text_body: int = 512 * 1024  # bytes of any request body except writes
    max_write_body: int = 2 * 1024 * 1024  # bytes of POST /api/articles
    read_seconds: float = 30.0
    write_seconds: float = 300.0


class BodyTooLarge(HTTPException):
    """An HTTPException, so FastAPI passes it on while it parses a body instead of calling it a 400."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body is larger than {limit:,} bytes")


class Context:
    """What the routes share: the live index, the model, the limits, the write token."""

    def __init__(self, root: Path, token: str | None, limits: Limits, workers: int) -> None:
        self.root, self.token, self.limits = root, token, limits
        self.live = LiveIndex(root, workers)
        self.embedder = SharedEmbedder()
        self.readers = anyio.CapacityLimiter(workers)
        self.writers = anyio.CapacityLimiter(1)

    async def read(self, fn: Callable[..., T], *args) -> T:
        """Run a query in a worker thread within the read time limit (TimeoutError → 504)."""
        with anyio.fail_after(self.limits.read_seconds):
            return await anyio.to_thread.run_sync(fn, *args, limiter=self.readers, abandon_on_cancel=True)

    async def model(self, manifest):
        """The shared embedder for this index, loaded on first need. Outside the read time limit: the
        one-time load took 25 s here with the CPU shared by several jobs, a query some milliseconds."""
        return await anyio.to_thread.run_sync(self.embedder.for_index, manifest)

    async def write(self, request: Request, fn: Callable[..., T], *args) -> T:
        """Run a writer after checking the request's token; one write at a time."""
        self.authorize(request)
        return await anyio.to_thread.run_sync(fn, *args, limiter=self.writers)

    def authorize(self, request: Request) -> None:
        if not self.token:
            raise StarletteHTTPException(403, "writes are off: start the server with AKHBAR_TOKEN set to enable them")
        given = request.headers.get("authorization", "")
        if not given.lower().startswith("bearer "):
            raise StarletteHTTPException(401, "this write needs the header 'Authorization: Bearer <AKHBAR_TOKEN>'",
                                         headers={"WWW-Authenticate": "Bearer"})
        if not hmac.compare_digest(given[7:].strip().encode(), self.token.encode()):
            raise StarletteHTTPException(403, "the token does not match the server's AKHBAR_TOKEN")


def json_response(payload: object, status: int = 200, version: str | None = None, headers: dict | None = None) -> Response:
    h = dict(headers or {})
    if version:
        h["X-Akhbar-Version"] = version  # which published version answered
    return Response(orjson.dumps(payload), status_code=status, media_type="application/json", headers=h)


def _error(status: int, message: str, **extra) -> Response:
    return json_response({"error": " ".join(str(message).split()), **extra}, status)


def _validation_message(exc: RequestValidationError) -> str:
    """FastAPI's list of problems as one line: the first, named by where it is."""
    first = exc.errors()[0]
    loc = [str(p) for p in first.get("loc", ())]
    where = {"query": "query parameter", "path": "path parameter", "body": "body field"}.get(loc[0] if loc else "", "")
    name = ".".join(loc[1:]) if len(loc) > 1 else (loc[0] if loc else "request")
    more = f" (and {len(exc.errors()) - 1} more)" if len(exc.errors()) > 1 else ""
    return f"{where} '{name}': {first.get('msg', 'invalid')}{more}".strip()


STATUS_OF: tuple[tuple[type[Exception], int], ...] = (
    (ArticleNotFound, 404), (IndexLocked, 409), (WriteTimeout, 504), (IndexNotFound, 503), (ModelError, 503),
    (ModelMismatch, 503), (AkhbarError, 422),
)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AkhbarError)
    async def domain(_: Request, exc: AkhbarError) -> Response:
        status = next(code for kind, code in STATUS_OF if isinstance(exc, kind))
        warnings = getattr(exc, "warnings", None)
        return _error(status, str(exc), **({"warnings": warnings} if warnings is not None else {}))

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
        return _error(500, f"unexpected {type(exc).__name__}: {exc}")


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


def create_app(root: Path, token: str | None = None, limits: Limits = Limits(), workers: int = 4) -> FastAPI:
    """The application over the index at `root`; writes need `token` (AKHBAR_TOKEN)."""
    from akhbar.serve import api, pages

    logging.basicConfig(stream=sys.stderr, level=logging.WARNING, format="%(levelname)s: %(name)s: %(message)s")
    app = FastAPI(title="akhbar", summary="Similar articles, related coverage and search by meaning, for news",
                  version="1", docs_url=None, redoc_url=None)  # the docs pages load scripts from a CDN: no external assets
    app.state.ctx = Context(root, token, limits, workers)
    install_error_handlers(app)
    app.include_router(api.router)
    app.include_router(pages.router)
    app.add_middleware(BodyLimit, limits=limits)
    return app
