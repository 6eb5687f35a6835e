"""`akhbar watch` against a news site on 127.0.0.1 (tests/webfixtures.py), with the real model and a
real `akhbar serve`; build from a WARC equals build from the same pages as files; HTML and feeds
posted to the server.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import orjson
import pytest

from akhbar import Index
from akhbar.index.store import layout, sql
from akhbar.index.store.manifest import Manifest
from akhbar.search.options import QueryOptions
from tests import webfixtures as w
from tests.conftest import SERVE_TOKEN, Server
from tests.index.ingest.test_web_ingest import BASE, web_corpus

pytestmark = pytest.mark.model
# 1 s: ample for loopback on busy cores (the slowest good answer, the 3 MB page made and gzipped, takes 0.1 s),
# and each try of the slow page costs that second
POLITE = ["--delay", "0.05", "--timeout", "1", "--max-mb", "1"]
AUTH = {"Authorization": f"Bearer {SERVE_TOKEN}"}


def watch(site: w.NewsSite, index: Path, *args: str) -> subprocess.CompletedProcess:
    feeds = index.parent / "feeds.txt"
    feeds.write_text("# the site's feeds\n" + "\n".join(site.feed_urls()) + "\n", encoding="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "akhbar.cli", "watch", str(feeds), "--index", str(index), "--every", "0", *POLITE, *args],
        capture_output=True,
        text=True,
        timeout=300,
    )


def rows(index: Path) -> dict[str, dict]:
    with sql.connect_readonly(layout.current_version(index)) as con:
        return {r["id"]: dict(r) for r in con.execute("SELECT id, title, body, lang, date, source, url FROM articles")}


def test_two_rounds_index_exactly_the_good_articles_once_and_serve_answers_from_them(tmp_path, seed_index):
    index = tmp_path / "news"
    shutil.copytree(seed_index, index)  # the index the watcher adds to: the run's seed index (built once), a copy of it
    start = set(rows(index))
    server = Server(index, tmp_path / "server.log", SERVE_TOKEN).wait()
    try:
        with w.NewsSite() as site:
            run = watch(site, index, "--rounds", "2")
            published = layout.current_version(index).name
            deadline = time.monotonic() + 1.0  # the server answers from the watcher's last version within a second
            while httpx.get(server.url + "/healthz").json()["version"] != published:
                assert time.monotonic() < deadline, "the server still answers from an old version a second after the publish"
                time.sleep(0.05)
            good = w.good_ids(site.base)
            for article_id in good:
                assert httpx.get(server.url + f"/api/similar/{article_id}").status_code == 200

            assert run.returncode == 0, run.stderr
            got = rows(index)
            assert set(got) == good | start  # each good article once; no fault became an article
            for s in w.STORIES:
                a = got[site.base + s.path]
                assert (a["title"], a["lang"], a["date"], a["source"], a["url"]) == (s.title, s.lang, s.date, s.site, site.base + s.path)
                assert a["body"] == "\n".join(s.paragraphs)  # Windows-1256 and the wrong charset header decoded right

            # politeness, from the server's side
            assert all(site.requests[s.path] == 1 for s in w.STORIES)  # never fetched twice
            assert site.requests[w.PRIVATE] == 0  # robots.txt
            assert site.requests[w.SLOW] == 2 and site.requests[w.MISSING] == 1  # a timeout is tried again, a 404 is not
            assert site.requests[w.PDF] == 1 and site.requests[w.HUGE] == 1 and site.requests[w.SECTION] == 1
            second = {path: h for _, path, h in site.log if path.startswith("/feeds/") and site.requests[path] >= 2}
            assert second["/feeds/ar.xml"].get("If-None-Match") == '"ar-feed-1"'
            assert second["/feeds/fr.rss"].get("If-Modified-Since")
            assert all(h["User-Agent"].startswith("akhbar/") for _, _, h in site.log)

            # a summary line a round; each failure once in its round
            summaries = re.findall(r"^round (\d): (\d) feeds read \((\d) unchanged\), (\d) new articles, (\d+) failures", run.stderr, re.M)
            assert summaries == [("1", "3", "0", "4", "8"), ("2", "1", "2", "1", "3")], run.stderr
            assert run.stderr.count(f"warning: round 1: {site.url(w.MISSING)}: HTTP 404") == 1
            assert run.stderr.count(f"warning: round 2: {site.url(w.SLOW)}: timed out") == 1
            assert f"warning: round 2: {site.url(w.MISSING)}" not in run.stderr
            assert "warning: round 1: " + site.url("/feeds/broken.xml") + ": not an RSS or Atom feed" in run.stderr

            # a later start fetches no article page again
            before = dict(site.requests)
            again = watch(site, index, "--rounds", "1", "--json")
            assert again.returncode == 0, again.stderr
            summary = orjson.loads(again.stdout)
            assert summary["new_articles"] == 0 and summary["articles"] == len(good | start)
            fetched = {p: n - before.get(p, 0) for p, n in site.requests.items() if n != before.get(p, 0)}
            assert set(fetched) <= {*w.FEEDS, "/robots.txt", w.SLOW} and fetched[w.SLOW] == 1, fetched  # its third and last try

            # a retraction stays out: the watcher remembers the link as done
            retracted = site.url(w.STORIES[2].path)  # listed again by the Atom feed, which has no validators
            subprocess.run(
                [sys.executable, "-m", "akhbar.cli", "remove", retracted, "--index", str(index)], check=True, capture_output=True
            )
            after = watch(site, index, "--rounds", "1")
            assert after.returncode == 0, after.stderr
            assert retracted not in rows(index) and site.requests[w.STORIES[2].path] == 1

        # a CMS pushes an HTML page, and a feed with full content
        page = w.page(w.STORIES[0], "http://cms.example").replace("غزة".encode(), "القطاع".encode())
        r = httpx.post(
            server.url + "/api/articles", content=page, headers={**AUTH, "Content-Type": "text/html; charset=utf-8"}, timeout=120
        )
        assert r.status_code == 200, r.text
        assert r.json()["indexed"] == 1 and rows(index)["http://cms.example" + w.STORIES[0].path]["lang"] == "ar"
        bare = page.replace(b'<link rel="canonical" href="http://cms.example/ar/2026/11/30/gaza-aid.html">', b"")
        r = httpx.post(server.url + "/api/articles", content=bare, headers={**AUTH, "Content-Type": "text/html"})
        assert r.status_code == 422 and "?url=" in r.json()["error"]
        r = httpx.post(
            server.url + "/api/articles",
            params={"url": "http://cms.example/draft-7"},
            content=bare,
            headers={**AUTH, "Content-Type": "text/html"},
            timeout=120,
        )
        assert r.status_code == 200 and "http://cms.example/draft-7" in rows(index)
        feed = w.atom("http://cms.example", [("/fr/1", w.STORIES[3].paragraphs[0]), ("", "sans lien")], "Le Quotidien").replace(
            b'<link href="http://cms.example"/><id>http://cms.example</id>', b""
        )  # the second entry has no address
        r = httpx.post(server.url + "/api/articles", content=feed, headers={**AUTH, "Content-Type": "application/atom+xml"}, timeout=120)
        assert r.status_code == 200, r.text
        assert r.json()["indexed"] == 1 and r.json()["warnings"] == [
            "body:2: field 'link': missing: an entry's id is its article's URL (skipped)"
        ]
        assert httpx.get(server.url + "/api/similar/http://cms.example/fr/1").status_code == 200
    finally:
        server.stop()


def _pending(index: Path) -> int:
    try:
        with sqlite3.connect(f"file:{index / 'watch' / 'state.sqlite'}?mode=ro", uri=True, timeout=0.1) as con:
            return con.execute("SELECT COUNT(*) FROM links WHERE status = 'pending'").fetchone()[0]
    except sqlite3.Error:
        return 0


@pytest.mark.parametrize("moment", ["fetching", "writing"])
def test_a_killed_watch_restarts_where_it_was_and_fetches_nothing_twice(tmp_path, moment):
    """kill -9 while pages are being read (two articles stored), or while the round's write runs."""
    index = tmp_path / "news"
    feeds = tmp_path / "feeds.txt"
    round_file = index / "watch" / "round.jsonl"
    with w.NewsSite() as site:
        feeds.write_text("\n".join(site.feed_urls()), encoding="utf-8")
        args = [
            sys.executable,
            "-m",
            "akhbar.cli",
            "watch",
            str(feeds),
            "--index",
            str(index),
            "--rounds",
            "1",
            "--every",
            "0",
            *POLITE,
        ]
        proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 120

        def ready() -> bool:
            if moment == "fetching":
                return _pending(index) >= 2
            # the round's build has begun (its staging folder): it loads the model, then embeds, in ~1 s here
            return round_file.exists() and any(index.glob(layout.STAGING_PREFIX + "*"))

        while not ready() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        assert proc.poll() is None, "the watcher finished before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        assert round_file.exists() == (moment == "writing")  # killed while fetching: its write had not begun
        assert not (index / layout.CURRENT).exists()  # killed before its first write was published
        fetched_before = {s.path for s in w.STORIES if site.requests[s.path]}
        assert len(fetched_before) >= (2 if moment == "fetching" else 4)

        rerun = subprocess.run(args, capture_output=True, text=True, timeout=300)
        assert rerun.returncode == 0, rerun.stderr
        assert set(rows(index)) == w.good_ids(site.base)  # the English feed's new item too: the rerun is its second poll
        assert all(site.requests[s.path] == 1 for s in w.STORIES), site.requests
    assert re.search(r"^round 1: .* 5 new articles", rerun.stderr, re.M), rerun.stderr
    assert not round_file.exists() and not list(index.glob(".staging-*"))


def test_a_warc_builds_the_same_index_as_its_pages_given_as_files(tmp_path):
    pages, warc = web_corpus(tmp_path)
    for name, src in (("from-files", pages), ("from-warc", warc)):
        run = subprocess.run(
            [sys.executable, "-m", "akhbar.cli", "build", str(src), "--index", str(tmp_path / name), "--json"],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert run.returncode == 0, run.stderr
    files, archive = rows(tmp_path / "from-files"), rows(tmp_path / "from-warc")
    assert files == archive and set(files) == {BASE + s.path for s in w.STORIES}
    assert run.stderr.count("warning: ") == 3  # the image, the 404 and the section front, each once with its record number

    # the same search in both (in this process, with one model: the two were embedded the same way)
    embedded = [Manifest.load(layout.current_version(tmp_path / name)) for name in ("from-files", "from-warc")]
    assert len({(m.model, m.model_checksum, m.prompt, repr(m.chunking), repr(m.backend)) for m in embedded}) == 1
    with Index(tmp_path / "from-files") as files, Index(tmp_path / "from-warc", embedder=files.embedder()) as warcs:
        results = [
            [(r["id"], round(r["cosine"], 5)) for r in i.search("floods after heavy rain", QueryOptions(k=5)).rows] for i in (files, warcs)
        ]
    assert results[0] == results[1] and results[0][0][0] == BASE + w.STORIES[2].path
