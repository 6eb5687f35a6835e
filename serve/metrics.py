"""/metrics in Prometheus' text format (prometheus-client), correct across worker processes.

Each worker counts into its own memory-mapped files in the run's folder (prometheus-client's
multiprocess mode, chosen by PROMETHEUS_MULTIPROC_DIR, which serve/run.py sets before any worker
starts); a scrape, answered by any worker, adds up every worker's files, those of a worker that
was killed included, so a kill -9 loses no count. The index gauges are set by the worker that
answers the scrape, from the version it has just looked up; the gauges of dead workers are dropped
at each scrape (only live workers' values count).

Every request passes through `Observe`: it counts the request by route template and status,
times it, names the worker in the header X-Akhbar-Worker (its pid), and writes the access log
line (serve/logs.py).
"""

from __future__ import annotations

import logging
import os
import re
import sqlite3
import time
from datetime import datetime, timezone
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily

from akhbar.serve.logs import ACCESS

MULTIPROCESS = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))  # read by prometheus-client when it is imported
SECONDS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)

REQUESTS = Counter(
    "akhbar_http_requests", "HTTP requests answered, by method, route template and status", ["method", "route", "status"], registry=None
)
LATENCY = Histogram(
    "akhbar_http_request_duration_seconds",
    "Time from a request's arrival to its answer, by route template",
    ["route"],
    buckets=SECONDS,
    registry=None,
)
EMBEDDING = Histogram(
    "akhbar_query_embedding_seconds",
    "Time spent embedding query texts (search, a new article's box, explain)",
    buckets=SECONDS,
    registry=None,
)
WRITES = Counter("akhbar_writes", "Writes over HTTP, by kind (add, remove) and outcome", ["kind", "outcome"], registry=None)
ARTICLES = Gauge(
    "akhbar_index_articles", "Articles in the version the server answers from", multiprocess_mode="livemostrecent", registry=None
)
PUBLISHED = Gauge(
    "akhbar_index_version_published_seconds",
    "When the version the server answers from was published (Unix time, read from its name)",
    multiprocess_mode="livemostrecent",
    registry=None,
)
OWN = (REQUESTS, LATENCY, EMBEDDING, WRITES, ARTICLES, PUBLISHED)

access = logging.getLogger(ACCESS)
router = APIRouter(include_in_schema=False)
_CONVERTER = re.compile(r"\{(\w+):\w+\}")


def published_at(version: str) -> float:
    """A version's publish time from its name (index/store/layout.py: v-YYYYmmddTHHMMSS.micro-random), 0 if unnamed so."""
    try:
        return datetime.strptime(version[2:17], "%Y%m%dT%H%M%S").replace(tzinfo=timezone.utc).timestamp() + int(version[18:24]) / 1e6
    except ValueError:
        return 0.0


def templates(*routers) -> dict[object, str]:
    """Each route's endpoint (a mount's app) → its path template, `{name}` for `{name:path}`."""
    found: dict[object, str] = {}
    for router in routers:
        for route in router.routes:
            path = getattr(route, "path", None)
            if path is None:
                continue
            if hasattr(route, "endpoint"):
                found[route.endpoint] = _CONVERTER.sub(r"{\1}", path)
            elif hasattr(route, "app"):  # a mount: its files under one template
                found[route.app] = f"{path}/{{file}}"
    return found


def route_of(scope: dict, named: dict[object, str]) -> str:
    """The route template that answered (`/api/similar/{article_id}`), never the path itself: the
    ids in paths would make a series per article. Paths no route matched count as `unmatched`."""
    return named.get(scope.get("endpoint"), "unmatched")


class Observe:
    """Count, time and log every HTTP request (outermost of the app's own middleware, so a 413 of
    BodyLimit counts too; a bug's 500 is answered outside it and counted here as 500)."""

    def __init__(self, app, routes: dict[object, str]) -> None:
        self.app, self.routes = app, routes
        self.pid = str(os.getpid()).encode()  # every answer names its worker (X-Akhbar-Worker)

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started, status, version = time.perf_counter(), 500, ""

        async def sending(message) -> None:
            nonlocal status, version
            if message["type"] == "http.response.start":
                status = message["status"]
                version = next((v.decode() for k, v in message.get("headers", ()) if k == b"x-akhbar-version"), "")
                message = {**message, "headers": [*message.get("headers", ()), (b"x-akhbar-worker", self.pid)]}
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            seconds = time.perf_counter() - started
            route = route_of(scope, self.routes)
            REQUESTS.labels(scope["method"], route, str(status)).inc()
            LATENCY.labels(route).observe(seconds)
            client = scope.get("client") or ("-", 0)
            access.info(
                "%s %s %s",
                scope["method"],
                scope["path"],
                status,
                extra={
                    "method": scope["method"],
                    "path": scope["path"],
                    "route": route,
                    "status": status,
                    "ms": round(seconds * 1000, 2),
                    "client": client[0],
                    "version": version,
                },
            )


class TimedEncoder:
    """The shared query model, its encode calls timed into akhbar_query_embedding_seconds."""

    def __init__(self, embedder) -> None:
        self._embedder = embedder

    def encode(self, texts):
        started = time.perf_counter()
        try:
            return self._embedder.encode(texts)
        finally:
            EMBEDDING.observe(time.perf_counter() - started)

    def __getattr__(self, name: str):
        return getattr(self._embedder, name)


def write_outcome(kind: str, outcome: str) -> None:
    WRITES.labels(kind, outcome).inc()


class WatchLinks:
    """`akhbar watch`'s outcome so far, from its state file in the index folder (watch/state.py):
    the links it has seen, by status (indexed, pending, retry, given_up). Read-only; none when
    nothing watches this index."""

    def __init__(self, root: Path) -> None:
        self.db = root / "watch" / "state.sqlite"

    def collect(self):
        if not self.db.exists():
            return
        # The file is in WAL mode: a read-only open of it creates its -wal and -shm files when they are
        # missing (a write in the index folder). They exist while a poller runs; when none does, the
        # file is read as it is (immutable: no locks, nothing created).
        running = all(self.db.with_name(self.db.name + end).exists() for end in ("-wal", "-shm"))
        try:
            con = sqlite3.connect(f"file:{self.db}?{'mode=ro' if running else 'immutable=1'}", uri=True, timeout=0.5)
            try:
                rows = con.execute("SELECT status, COUNT(*) FROM links GROUP BY status").fetchall()
            finally:
                con.close()
        except sqlite3.Error:
            return
        family = GaugeMetricFamily("akhbar_watch_links", "Links akhbar watch has seen for this index, by status", labels=["status"])
        for status, count in rows:
            family.add_metric([status], count)
        yield family


def _forget_dead_workers(folder: str) -> None:
    """Drop the live-gauge files of workers that are gone (a kill -9 runs no cleanup of its own)."""
    for path in Path(folder).glob("gauge_live*_*.db"):
        pid = int(path.stem.rsplit("_", 1)[1])
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            multiprocess.mark_process_dead(pid, folder)
        except PermissionError:
            pass


def registry_of(root: Path) -> CollectorRegistry:
    registry = CollectorRegistry()
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if MULTIPROCESS and folder:
        _forget_dead_workers(folder)
        multiprocess.MultiProcessCollector(registry, folder)
    else:
        for metric in OWN:
            registry.register(metric)
    registry.register(WatchLinks(root))
    return registry


@router.get("/metrics")
async def metrics(request: Request) -> Response:
    ctx = request.app.state.ctx  # serve/context.py's Context (which imports this module)
    version = await ctx.read(ctx.live.current)
    ARTICLES.set(version.manifest.articles)
    PUBLISHED.set(published_at(version.name))
    body = await ctx.read(generate_latest, registry_of(ctx.root))
    return Response(body, media_type=CONTENT_TYPE_LATEST)
