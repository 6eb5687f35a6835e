"""`akhbar serve` as a real process on 127.0.0.1, over a copy of the seed index, with the real model:
the API returns the CLI's --json objects, pages render, writes need the token, answers follow
new versions, and every error is one line of JSON."""

from __future__ import annotations

import subprocess
import sys
import time

import httpx
import orjson
import pytest
from typer.testing import CliRunner

from akhbar.cli import app
from akhbar.index import writers
from akhbar.index.store import layout
from akhbar.search.options import QueryOptions
from tests.conftest import SERVE_TOKEN, Server
from tests.helpers import SEED_PAGE_ID, SEEDS

runner = CliRunner()
AUTH = {"Authorization": f"Bearer {SERVE_TOKEN}"}


@pytest.fixture(scope="module")
def http(served):
    with httpx.Client(base_url=served.url, timeout=300) as client:
        yield client


def _cli_json(*args: str) -> list[dict]:
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return [orjson.loads(line) for line in result.stdout.splitlines()]


def _is_one_line_error(r: httpx.Response, status: int) -> str:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    message = r.json()["error"]
    assert message and "\n" not in message and "Traceback" not in message
    return message


def test_api_answers_equal_the_cli_json(http, served):
    box = http.get(f"/api/similar/{SEED_PAGE_ID}", params={"k": 5})
    assert box.status_code == 200 and box.headers["x-akhbar-version"].startswith(layout.VERSION_PREFIX)
    assert box.json()["results"] == _cli_json("similar", SEED_PAGE_ID, "--index", str(served.root), "-k", "5")
    assert box.json()["article"]["id"] == SEED_PAGE_ID
    options = {"k": 3, "lang": "en", "window": 0, "mode": "dense", "diverse": "true", "recency": 30}
    got = http.get("/api/similar/ar-nato-01", params=options).json()["results"]
    assert got and got == _cli_json(
        "similar",
        "ar-nato-01",
        "--index",
        str(served.root),
        "-k",
        "3",
        "--lang",
        "en",
        "--window",
        "0",
        "--mode",
        "dense",
        "--diverse",
        "--recency",
        "30",
    )
    assert {r["lang"] for r in got} == {"en"}
    cov = http.get("/api/coverage/ar-nato-01").json()
    assert [cov] == _cli_json("coverage", "ar-nato-01", "--index", str(served.root))
    assert "ar-nato-01" in {a["id"] for a in cov["shown"]}
    assert http.get("/api/stories").json()["results"] == _cli_json("stories", "--index", str(served.root))
    assert http.get("/api/dups").json()["results"] == _cli_json("dups", "--index", str(served.root))
    stats = http.get("/api/stats").json()
    assert stats["articles"] == http.get("/healthz").json()["articles"] == _cli_json("stats", "--index", str(served.root))[0]["articles"]
    paths = http.get("/openapi.json").json()["paths"]
    box_options = {p["name"]: p for p in paths["/api/similar/{article_id}"]["get"]["parameters"]}
    assert set(options) | {"article_id", "since", "until", "source", "explain", "reader_lang"} == set(box_options)
    assert box_options["k"]["schema"]["maximum"] == 100 and box_options["article_id"]["in"] == "path"
    assert {p["name"] for p in paths["/api/search"]["get"]["parameters"]} == set(box_options) - {"article_id", "window"} | {"q"}


def test_answers_match_the_documented_schema(http):
    """The OpenAPI schema's answer of each query route validates real answers (and so documents
    them): the box by id and by text, search, with and without explain."""
    import jsonschema

    spec = http.get("/openapi.json").json()
    paths = spec["paths"]

    def validate(answer: dict, path: str, method: str) -> None:
        schema = paths[path][method]["responses"]["200"]["content"]["application/json"]["schema"]
        jsonschema.validate(answer, {**schema, "components": spec["components"]})

    box = http.get(f"/api/similar/{SEED_PAGE_ID}").json()
    assert box["results"] and box["story"]["articles"] == 6
    validate(box, "/api/similar/{article_id}", "get")
    text = http.post("/api/similar", json={"text": "Séisme au Maroc : le bilan dépasse les 2 000 morts", "explain": True}).json()
    validate(text, "/api/similar", "post")
    found = http.get("/api/search", params={"q": "earthquake"}).json()
    validate(found, "/api/search", "get")
    assert found["reader_lang"] == "en" and found["results"][0]["lang"] == "en"
    arabic = http.get("/api/search", params={"q": "earthquake"}, headers={"Accept-Language": "ar,en;q=0.5"}).json()
    assert arabic["reader_lang"] == "ar" and arabic["results"][0]["lang"] == "ar"  # the header picks the reader
    with pytest.raises(jsonschema.ValidationError):  # the schema can fail: a table column is not allowed
        validate({**found, "results": [{**found["results"][0], "also in": []}]}, "/api/search", "get")


def test_text_queries_use_the_model(http):
    text = "Un violent séisme a frappé le Maroc, faisant des milliers de morts dans la région d'Al-Haouz."
    box = http.post("/api/similar", json={"text": text, "k": 5, "explain": True}).json()
    assert box["results"] and all("quake" in r["id"] for r in box["results"][:2]), box["results"]
    assert {"passage", "shared_terms"} <= set(box["results"][0]) and "why" not in box["results"][0]
    found = http.get("/api/search", params={"q": "زلزال المغرب", "k": 3}).json()
    assert found["query"] == "زلزال المغرب" and "quake-ma" in found["results"][0]["id"]


def test_errors_are_one_line_json_with_the_right_status(http):
    assert "nope" in _is_one_line_error(http.get("/api/similar/nope"), 404)
    _is_one_line_error(http.get("/api/coverage/nope"), 404)
    _is_one_line_error(http.get("/article/nope"), 404)
    assert "'k'" in _is_one_line_error(http.get(f"/api/similar/{SEED_PAGE_ID}", params={"k": 101}), 422)
    _is_one_line_error(http.get(f"/api/similar/{SEED_PAGE_ID}", params={"k": "ten"}), 422)
    assert "'article_id'" in _is_one_line_error(http.get("/api/similar/" + "x" * 501), 422)
    assert "2024-02-30" in _is_one_line_error(http.get(f"/api/similar/{SEED_PAGE_ID}", params={"since": "2024-02-30"}), 422)
    assert "mode" in _is_one_line_error(http.get("/api/search", params={"q": "x", "mode": "magic"}), 422)
    _is_one_line_error(http.get("/api/search", params={"q": "x" * 1001}), 422)
    _is_one_line_error(http.post("/api/similar", json={"text": "x" * 100_001}), 422)
    _is_one_line_error(http.post("/api/similar", content=b"{not json", headers={"content-type": "application/json"}), 422)
    _is_one_line_error(http.post("/api/similar", content=b"x" * 600_000), 413)
    _is_one_line_error(http.post("/api/articles", content=b"x" * (2 * 1024 * 1024 + 1), headers=AUTH), 413)
    _is_one_line_error(http.get("/no/such/page"), 404)
    _is_one_line_error(http.put("/api/stats"), 405)


def test_writes_need_the_token(http, served, tmp_path):
    article = [{"id": "t-1", "body": "text"}]
    assert "Bearer" in _is_one_line_error(http.post("/api/articles", json=article), 401)
    _is_one_line_error(http.post("/api/articles", json=article, headers={"Authorization": "Bearer wrong"}), 403)
    _is_one_line_error(http.delete(f"/api/similar/{SEED_PAGE_ID}", headers=AUTH), 405)
    closed = Server(served.root, tmp_path / "closed.log", token=None).wait()
    try:
        r = httpx.post(closed.url + "/api/articles", json=article, headers=AUTH)
        assert "AKHBAR_TOKEN" in _is_one_line_error(r, 403)
        _is_one_line_error(httpx.delete(closed.url + "/api/articles/ar-nato-01", headers=AUTH), 403)
    finally:
        closed.stop()


def test_writes_over_http_and_answers_from_each_new_version(http, served, tmp_path):
    before = http.get("/healthz").json()
    body = [
        {
            "id": "serve-quake-1",
            "title": "Strong earthquake hits Morocco's Atlas mountains",
            "body": "A powerful earthquake struck the High Atlas in Morocco late on Friday, killing hundreds.",
            "lang": "en",
            "date": "2023-09-09",
            "source": "Test Wire",
        },
        {"title": "no id", "body": "x"},
        "not an object",
    ]
    added = http.post("/api/articles", json=body, headers=AUTH)
    assert added.status_code == 200, added.text
    summary = added.json()
    assert summary["indexed"] == 1 and summary["skipped"] == 2 and summary["articles"] == before["articles"] + 1
    assert summary["warnings"] == ["body:2: field 'id': missing (skipped)", "body:3: field 'json': expected an object, got str (skipped)"]
    assert http.get("/healthz").json()["version"] == summary["version"] == added.headers["x-akhbar-version"]
    box = http.get("/api/similar/serve-quake-1", params={"k": 3}).json()
    assert any("quake-ma" in a["id"] for a in box["story"]["also"])  # it joined the Morocco earthquake's story
    assert box["results"] and "quake" in box["results"][0]["title"]  # the other earthquakes first
    strict = http.post("/api/articles", content=b'{"id": "s-1", "body": "ok"}\n{"id": "s-2"}\n', headers=AUTH, params={"strict": "true"})
    assert "body:2: field 'body'" in _is_one_line_error(strict, 422)
    _is_one_line_error(http.get("/api/similar/s-1"), 404)  # a strict failure writes nothing

    # a CLI writer publishes; the server answers from its version within a second, without a restart
    # (a seed article's text under a new id: its vector is reused, so the CLI loads no model)
    seed = next(a for a in map(orjson.loads, (SEEDS / "sample_corpus.jsonl").read_bytes().splitlines()) if a["id"] == "fr-quake-ma-01")
    new = tmp_path / "new.jsonl"
    new.write_bytes(orjson.dumps({**seed, "id": "serve-cli-1"}) + b"\n")
    subprocess.run([sys.executable, "-m", "akhbar.cli", "add", str(new), "--index", str(served.root)], check=True, capture_output=True)
    published = layout.current_version(served.root).name
    deadline = time.monotonic() + 1.0
    while http.get("/healthz").json()["version"] != published:
        assert time.monotonic() < deadline, "the server still answers from the old version a second after the publish"
        time.sleep(0.05)
    assert http.get("/api/similar/serve-cli-1").status_code == 200

    _is_one_line_error(http.delete("/api/articles/nope", headers=AUTH), 404)
    for article_id in ("serve-quake-1", "serve-cli-1"):
        assert http.delete(f"/api/articles/{article_id}", headers=AUTH).json()["removed"] == 1
        _is_one_line_error(http.get(f"/api/similar/{article_id}"), 404)
    assert http.get("/healthz").json()["articles"] == before["articles"]


def test_a_writer_holding_the_lock_makes_a_write_wait_its_turn_with_409(http, served):
    with layout.writer_lock(served.root):
        r = http.post("/api/articles", json=[{"id": "locked-1", "body": "text"}], headers=AUTH)
    assert "another akhbar process" in _is_one_line_error(r, 409)


def test_pages_render_the_box_rtl_with_rows_in_several_languages(http):
    page = http.get(f"/article/{SEED_PAGE_ID}")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert '<meta charset="utf-8">' in html and '<html lang="ar" dir="rtl">' in html and 'name="viewport"' in html
    assert "مقالات مشابهة" in html and "نُشرت أيضًا في" in html  # a story's other outlets and languages fold into its row
    assert "تغطية هذا الخبر: 6 مقالات" in html  # the article's own story first
    assert "2024-07-11" in html and "2022-06-29" in html  # rows' dates (Washington 2024, Madrid 2022)
    langs = {chunk.split('"', 1)[0] for chunk in html.split('<li dir="auto" lang="')[1:]}
    assert len(langs) >= 2, langs
    assert "src=" not in html and "<link" not in html and "<script" not in html  # no external assets, no scripts
    assert 'dir="ltr"' in http.get(f"/article/{SEED_PAGE_ID}", params={"ui": "en"}).text
    assert "Articles similaires" in http.get(f"/article/{SEED_PAGE_ID}", params={"ui": "fr"}).text
    box = http.get(f"/box/{SEED_PAGE_ID}").text
    assert box.startswith("<!doctype html>") and 'target="_top"' in box and "<style>" in box and "src=" not in box
    found = http.get("/search", params={"q": "earthquake Morocco", "ui": "en"}).text
    assert 'href="/article/ar-quake-ma-01"' in found or "quake-ma" in found
    coverage = http.get("/coverage/ar-nato-01", params={"ui": "en"}).text
    assert "Coverage of the story" in coverage and 'href="/article/ar-nato-02?ui=en"' in coverage
    arabic = http.get("/coverage/ar-nato-01", headers={"Accept-Language": "en"}).text  # the story's page speaks its language
    assert "تغطية القصة" in arabic and '<html lang="ar" dir="rtl">' in arabic


def test_an_open_version_answers_after_later_writes_delete_its_folder(served, copy_of):
    """What a request holding a version sees when two publishes remove that version's files."""
    from akhbar.search.query import similar_to_id
    from akhbar.serve.live import Version

    root = copy_of(served.root)
    held = Version(root, readers=2)
    with held.snapshot() as idx:
        expected = [h.id for h in similar_to_id(idx, SEED_PAGE_ID, QueryOptions(k=5)).hits]
    writers.remove(["fr-quake-ma-01"], root)
    writers.remove(["en-quake-ma-01"], root)
    assert not (root / held.name).exists()
    with held.snapshot() as a, held.snapshot() as b:
        assert [h.id for h in similar_to_id(a, SEED_PAGE_ID, QueryOptions(k=5)).hits] == expected
        assert [h.id for h in similar_to_id(b, SEED_PAGE_ID, QueryOptions(k=5)).hits] == expected
