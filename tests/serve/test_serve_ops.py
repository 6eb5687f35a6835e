"""Operating `akhbar serve --workers 2 --log-format json`: every kind of bad request to every route
answers one line that names the request's own parameters, never the server's files or command-line
flags; the logs hold one JSON object a line; SIGTERM lets a write in flight finish. A real server on
127.0.0.1."""

from __future__ import annotations

import re
import shutil
import signal
import sys
import threading
import time
from pathlib import Path

import httpx
import orjson
import pytest

from akhbar.index.store import layout
from tests.conftest import SERVE_TOKEN
from tests.helpers import CORPUS, ROOT, SEED_PAGE_ID
from tests.serve.servers import Serving

AUTH = {"Authorization": f"Bearer {SERVE_TOKEN}"}
FLAG = re.compile(r"(?<![\w-])--[a-z]")
PAGES = {"/article/{article_id}": ["get"], "/box/{article_id}": ["get"], "/coverage/{article_id}": ["get"], "/search": ["get"]}
METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture(scope="module")
def ops(seed_index, tmp_path_factory):
    root = tmp_path_factory.mktemp("ops") / "idx"
    shutil.copytree(seed_index, root)
    server = Serving(root, root.parent / "ops.log", "--workers", "2", "--log-format", "json")
    try:
        yield server.wait()
    finally:
        server.stop()


def _bad_values(schema: dict) -> list[object]:
    """Values a parameter of this schema refuses (or, for a string, odd ones it must still answer well)."""
    kind = schema.get("type") or next((s.get("type") for s in schema.get("anyOf", ()) if s.get("type") != "null"), "string")
    if kind == "integer":
        return ["ten", "1.5", -1, 10**12]
    if kind == "number":
        return ["ten", -1e9]
    if kind == "boolean":
        return ["perhaps"]
    return ["notaday", "x" * 3000, "%00", "../../etc", "", "magic"]


def _requests(spec: dict) -> list[tuple[str, str, dict]]:
    """(method, path, httpx keywords): each operation's parameters one bad value at a time, unknown
    and odd ids, bad bodies, and every method a path does not take."""
    out: list[tuple[str, str, dict]] = []
    paths = {path: list(ops) for path, ops in spec["paths"].items()} | PAGES
    for path, methods in paths.items():
        operations = spec["paths"].get(path, {})
        ids = ["no-such-article", "x" * 600, "..%2F..%2Fmanifest.json", "a b"] if "{article_id}" in path else [""]
        for method in methods:
            params = [p for p in operations.get(method, {}).get("parameters", []) if p["in"] == "query"]
            needed = {p["name"]: "earthquake" for p in params if p.get("required")}
            for article_id in ids:
                url = path.replace("{article_id}", article_id)
                out.append((method, url, {"params": needed}))
                for p in params:
                    for value in _bad_values(p.get("schema", {})):
                        out.append((method, path.replace("{article_id}", SEED_PAGE_ID), {"params": needed | {p["name"]: value}}))
            if method in ("post", "put", "patch"):
                url = path.replace("{article_id}", SEED_PAGE_ID)
                for body, kind in (
                    (b"{not json", "application/json"),
                    (b"[1, 2", "application/json"),
                    (b'{"text": 5, "k": "ten", "since": "notaday"}', "application/json"),
                    (b'{"text": "quake", "since": "notaday"}', "application/json"),
                    (b'{"text": "quake", "mode": "magic"}', "application/json"),
                    (b"", "application/json"),
                    (b'["x", {"id": 5}, {"id": "a"}]', "application/json"),
                    (b'{"id": "s-1"}\n{"nope"\n', "application/x-ndjson"),
                    (b"<html><body><p>no address</p></body></html>", "text/html"),
                    (b"<rss><channel><item>", "application/rss+xml"),
                    (b"\xff\xfe\x00garbage", "application/octet-stream"),
                ):
                    for headers in ({"content-type": kind}, {"content-type": kind} | AUTH):
                        out.append((method, url, {"content": body, "headers": headers, "params": needed | {"strict": "true"}}))
        for method in METHODS:
            if method not in methods:
                out.append((method, path.replace("{article_id}", SEED_PAGE_ID), {"headers": AUTH}))
    return out


def test_no_answer_to_a_bad_request_names_a_file_or_a_flag(ops):
    spec = httpx.get(ops.url + "/openapi.json", timeout=120).json()
    assert {"/api/similar/{article_id}", "/api/search", "/api/articles", "/api/articles/{article_id}"} <= set(spec["paths"])
    requests = _requests(spec)
    assert len(requests) > 300
    server_paths = {str(ops.root), str(ops.root.resolve()), str(ROOT), sys.prefix, "/tmp/", "/work/", "/root/", "/home/", "/usr/"}
    statuses: dict[int, int] = {}
    with httpx.Client(base_url=ops.url, timeout=120) as client:
        for method, url, kw in requests:
            r = client.request(method.upper(), url, **kw)
            statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
            said = r.text if r.headers.get("content-type", "").startswith("application/json") or r.status_code >= 400 else ""
            where = f"{method.upper()} {url} {str(kw)[:200]} → {r.status_code} {said[:300]}"
            assert r.status_code < 500, where
            assert not any(p in said for p in server_paths), where
            assert not FLAG.search(said), where
            if r.status_code >= 400 and r.headers["content-type"].startswith("application/json"):
                message = r.json()["error"]
                assert message and "\n" not in message, where
    assert {200, 401, 404, 405, 422} <= set(statuses), statuses
    # the messages name what the request said
    since = httpx.get(f"{ops.url}/api/similar/{SEED_PAGE_ID}", params={"since": "notaday"}, timeout=120).json()["error"]
    assert since == "parameter 'since': 'notaday' is not a day (YYYY-MM-DD)"
    assert httpx.get(f"{ops.url}/api/similar/nope", timeout=120).json()["error"] == "no article with id 'nope' in the index"
    assert "'mode'" in httpx.get(f"{ops.url}/api/search", params={"q": "x", "mode": "magic"}, timeout=120).json()["error"]


def test_json_logs_hold_one_object_a_line_for_access_and_errors(ops):
    httpx.get(f"{ops.url}/api/similar/{SEED_PAGE_ID}", params={"k": 3, "q": "secret words"}, timeout=120)
    time.sleep(0.3)
    lines = ops.log.read_text().splitlines()
    records = [orjson.loads(line) for line in lines]  # every line is one JSON object
    assert all(isinstance(r, dict) and {"time", "level", "logger", "pid", "message"} <= set(r) for r in records)
    access = [r for r in records if r["logger"] == "akhbar.access"]
    box = [r for r in access if r.get("route") == "/api/similar/{article_id}" and r["status"] == 200]
    assert box and box[-1]["path"] == f"/api/similar/{SEED_PAGE_ID}" and box[-1]["ms"] > 0 and box[-1]["version"].startswith("v-")
    assert not any("secret words" in line for line in lines)  # the query string stays out of the log
    assert any(r["logger"].startswith("uvicorn") and "Started server process" in r["message"] for r in records)


def test_the_docs_pages_load_their_files_from_this_server(ops):
    for page in ("/docs", "/redoc"):
        answer = httpx.get(ops.url + page, timeout=120)
        assert answer.headers["content-security-policy"].startswith("default-src 'self';")  # the browser asks no other host
        html = answer.text
        sources = re.findall(r'(?:src|href)="([^"]+)"', html)
        assert sources and all(s.startswith("/") for s in sources), sources  # no CDN, no other host
        for s in sources:
            assert httpx.get(ops.url + s, timeout=120).status_code == 200, s
    assert "SwaggerUIBundle" in httpx.get(ops.url + "/docs-assets/swagger-ui-bundle.js", timeout=120).text[:5000]


def test_sigterm_lets_the_write_in_flight_finish(ops):
    """Last in this module: it stops the server. SIGTERM while a write embeds 16 new texts: the write
    still answers 200 and publishes, the parent and both workers exit 0, no new connection is taken,
    and the server's run folder is gone."""
    seed = next(a for a in CORPUS if a["id"] == "fr-quake-ma-01")
    body = [{**seed, "id": f"term-{i}", "body": f"{seed['body']} (mise à jour {i})"} for i in range(16)]
    worker = httpx.get(ops.url + "/healthz", timeout=120).json()["pid"]
    environ = dict(v.split("=", 1) for v in Path(f"/proc/{worker}/environ").read_text().split("\0") if "=" in v)
    run_dir = Path(environ["PROMETHEUS_MULTIPROC_DIR"]).parent  # the server's private folder (write lock, metrics)
    assert run_dir.name.startswith("akhbar-serve-") and (run_dir / "metrics").is_dir()
    answer: list[httpx.Response] = []
    writing = threading.Thread(target=lambda: answer.append(httpx.post(ops.url + "/api/articles", json=body, headers=AUTH, timeout=300)))
    staged = set(ops.root.glob(layout.STAGING_PREFIX + "*"))
    writing.start()
    deadline = time.monotonic() + 120
    while set(ops.root.glob(layout.STAGING_PREFIX + "*")) == staged and writing.is_alive() and time.monotonic() < deadline:
        time.sleep(0.01)  # until the write has begun (its staging folder): a loaded worker embeds the 16 in ~0.7 s
    assert writing.is_alive(), "the write finished before the server could be stopped: nothing was in flight"
    ops.proc.send_signal(signal.SIGTERM)
    writing.join(300)
    assert answer and answer[0].status_code == 200, answer and answer[0].text
    assert answer[0].json()["indexed"] == 16 and answer[0].json()["version"] == layout.current_version(ops.root).name
    assert ops.proc.wait(60) == 0
    assert not run_dir.exists()
    with pytest.raises(httpx.TransportError):
        httpx.get(ops.url + "/healthz", timeout=2)
