"""What the routes share: the limits of a request, the live index, the model, the write token,
and running queries and writes in worker threads.

Queries run in worker threads, one per reader of the live version (serve/live.py); each has a
time limit, after which the client gets 504 while the thread finishes and returns its reader.
Writes run one at a time in their own thread and stop themselves between batches when late.
"""

from __future__ import annotations

import fcntl
import hmac
from collections.abc import Callable
from dataclasses import KW_ONLY, dataclass
from typing import TypeVar

import anyio
import orjson
from fastapi import HTTPException, Request
from fastapi.responses import Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.exceptions import HTTPException as StarletteHTTPException

from akhbar.index.errors import AkhbarError, IndexLocked
from akhbar.search.options import MAX_K
from akhbar.serve import metrics
from akhbar.serve.live import LiveVersion, SharedEmbedder
from akhbar.serve.settings import Settings
from akhbar.serve.writes import WriteTimeout

T = TypeVar("T")


@dataclass(frozen=True)
class Limits:
    """What one request may ask for. k as the CLI allows for a box; text sizes well above a long
    article (the longest SaudiNewsNet body is ~60k characters); a write body that embeds in about
    a minute here (~12 articles/s, docs/benchmarks.md); 30 s for a read, while `similar ID` takes
    ~35 ms at 100k articles and `stories` (a whole pass) ~20 s."""

    max_k: int = MAX_K  # search/options.py: the bound pydantic checks
    max_query_chars: int = 1_000  # GET /api/search?q=
    max_text_chars: int = 100_000  # POST /api/similar
    max_text_body: int = 512 * 1024  # bytes of any request body except writes
    max_write_body: int = 2 * 1024 * 1024  # bytes of POST /api/articles
    _: KW_ONLY  # the fields below are named at every call
    read_seconds: float = 30.0
    write_seconds: float = 300.0


class BodyTooLarge(HTTPException):
    """An HTTPException, so FastAPI passes it on while it parses a body instead of calling it a 400."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body is larger than {limit:,} bytes")


class Context:
    """What the routes share: the live index, the model, the limits, the write token."""

    def __init__(self, settings: Settings, token: str | None, limits: Limits) -> None:
        self.root, self.token, self.limits = settings.root, token, limits
        self.read_only = settings.read_only
        self.write_lock = settings.run_dir / "write.lock" if settings.run_dir else None
        self.live = LiveVersion(settings.root, settings.threads)
        self.embedder = SharedEmbedder()
        self.readers = anyio.CapacityLimiter(settings.threads)
        self.writers = anyio.CapacityLimiter(1)

    async def read(self, fn: Callable[..., T], *args) -> T:
        """Run a query in a worker thread within the read time limit (TimeoutError → 504)."""
        with anyio.fail_after(self.limits.read_seconds):
            return await anyio.to_thread.run_sync(fn, *args, limiter=self.readers, abandon_on_cancel=True)

    async def model(self, manifest) -> metrics.TimedEncoder:
        """The shared embedder for this index, loaded on first need, its encodes timed as query
        embedding. Outside the read time limit: the one-time load took 25 s here with the CPU
        shared by several jobs, a query some milliseconds."""
        return metrics.TimedEncoder(await self.write_model(manifest))

    async def write_model(self, manifest):
        """The same shared embedder for a write (its encodes are not queries)."""
        return await anyio.to_thread.run_sync(self.embedder.for_index, manifest)

    async def write(self, credentials: HTTPAuthorizationCredentials | None, fn: Callable[..., T], *args) -> T:
        """Run a writer after checking the request's token; one write at a time in this process
        (the limiter) and across the server's worker processes (the run's write lock, waited for:
        a second HTTP write takes its turn, while a CLI writer holding the index's lock gives 409)."""
        self.authorize(credentials)
        return await anyio.to_thread.run_sync(self._one_at_a_time, fn, *args, limiter=self.writers)

    def _one_at_a_time(self, fn: Callable[..., T], *args) -> T:
        kind = getattr(fn, "__name__", "write")
        try:
            if self.write_lock is None:
                result = fn(*args)
            else:
                with open(self.write_lock, "a") as lock:
                    fcntl.flock(lock, fcntl.LOCK_EX)  # released by the kernel if this worker dies
                    result = fn(*args)
        except BaseException as exc:
            metrics.write_outcome(kind, _outcome(exc))
            raise
        metrics.write_outcome(kind, "published")
        return result

    def authorize(self, credentials: HTTPAuthorizationCredentials | None) -> None:
        """The write token, as BEARER read it, against the server's, in constant time (hmac.compare_digest)."""
        if self.read_only:
            raise StarletteHTTPException(403, "this server is read-only: it serves an index that another process writes")
        if not self.token:
            raise StarletteHTTPException(403, "writes are off: start the server with AKHBAR_TOKEN set to enable them")
        if credentials is None:
            raise StarletteHTTPException(
                401, "this write needs the header 'Authorization: Bearer <AKHBAR_TOKEN>'", headers={"WWW-Authenticate": "Bearer"}
            )
        if not hmac.compare_digest(credentials.credentials.strip().encode(), self.token.encode()):
            raise StarletteHTTPException(403, "the token does not match the server's AKHBAR_TOKEN")


def _outcome(exc: BaseException) -> str:
    """A failed write's outcome label: locked (a CLI writer), timeout, invalid (the body), failed."""
    if isinstance(exc, IndexLocked):
        return "locked"
    if isinstance(exc, WriteTimeout):
        return "timeout"
    return "invalid" if isinstance(exc, AkhbarError) else "failed"


# The write routes' token: FastAPI reads 'Authorization: Bearer …' (and lists the scheme in /openapi.json);
# Context.authorize answers a missing one with 401 and a wrong one with 403, as one line.
BEARER = HTTPBearer(auto_error=False, description="AKHBAR_TOKEN, set when the server started; writes only")


def json_response(payload: object, status: int = 200, version: str | None = None, headers: dict | None = None) -> Response:
    h = dict(headers or {})
    if version:
        h["X-Akhbar-Version"] = version  # which published version answered
    return Response(orjson.dumps(payload), status_code=status, media_type="application/json", headers=h)


DEFAULT_LIMITS = Limits()


def context_of(request: Request) -> Context:
    return request.app.state.ctx
