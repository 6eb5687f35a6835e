"""Pages, feeds and WARC files read by build/add, and the poller's polite client, without the model.

The pages are tests/webfixtures.py's (Arabic, English, French, written for these tests); the
WARC is written here with warcio. Network tests use a server on 127.0.0.1 only.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from akhbar.index.article import Article
from akhbar.index.ingest import feed, readers
from akhbar.index.ingest.webpage import NotAnArticle, article_of, decode
from akhbar.watch.fetch import USER_AGENT, Fetcher, FetchFailed, Politeness
from tests import webfixtures as w

BASE = "http://news.example"


def expected(s: w.Story) -> dict:
    return {"id": BASE + s.path, "url": BASE + s.path, "title": s.title, "lang": s.lang, "date": s.date, "source": s.site}


@pytest.mark.parametrize("story", w.STORIES, ids=lambda s: s.path.rsplit("/", 1)[1])
def test_each_page_gives_its_article_whatever_its_charset_header_says(story):
    art = article_of(w.page(story, BASE), BASE + story.path, f"text/html; charset={story.header_charset}")
    assert {k: getattr(art, k) for k in expected(story)} == expected(story)
    assert art.body.split("\n") == list(story.paragraphs)  # the text, not the menu, aside or footer; the headline is the title


def test_a_windows_1256_page_decodes_by_its_meta_charset_and_utf8_wins_over_a_wrong_header():
    ar = w.STORIES[1]
    assert ar.charset == "windows-1256"
    data = w.page(ar, BASE)
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    assert ar.title in decode(data, "text/html; charset=utf-8")
    en = w.STORIES[2]
    assert en.header_charset == "iso-8859-1"
    utf8 = w.page(w.STORIES[3], BASE)  # French: accents that Latin-1 would garble
    assert "Grève" in decode(utf8, "text/html; charset=iso-8859-1")
    no_meta = w.page(ar, BASE).replace(b'<meta charset="windows-1256">', b"")
    assert ar.title in decode(no_meta, "text/html")  # no declaration at all: charset_normalizer's guess


def test_pages_without_an_article_say_why():
    with pytest.raises(NotAnArticle, match="no article text"):
        article_of(w.not_an_article(BASE), BASE + "/world")
    with pytest.raises(NotAnArticle, match=r"not HTML \(application/pdf\)"):
        article_of(b"%PDF-1.4", BASE + "/r.pdf", "application/pdf")
    page = w.page(w.STORIES[0], BASE).replace(f'<link rel="canonical" href="{BASE}{w.STORIES[0].path}">'.encode(), b"")
    with pytest.raises(NotAnArticle, match="no URL"):
        article_of(page)
    assert article_of(page, fallback_id="saved/page").id == "saved/page"


def test_feeds_rss_and_atom_and_a_malformed_one():
    items = [(s.path, s.title) for s in w.STORIES[:2]]
    rss = feed.parse(w.rss(BASE, items, "الأخبار اليوم"))
    assert [e.link for e in rss.entries] == [BASE + p for p, _ in items] and rss.title == "الأخبار اليوم"
    assert rss.entries[0].date == "2026-12-01T08:00:00"
    atom = feed.parse(w.atom(BASE, items, "Ledger"))
    assert [(e.link, e.title) for e in atom.entries] == [(BASE + p, t) for p, t in items]
    with pytest.raises(feed.NotAFeed):
        feed.parse(b"<html><body><h1>Service Unavailable</h1><p>Try again later")


def _write_warc(path: Path, records: list[tuple[str, str, bytes, int]], gzip: bool = True) -> None:
    """(url, content type, payload, HTTP status) as request+response pairs, after a warcinfo record."""
    with open(path, "wb") as f:
        writer = WARCWriter(f, gzip=gzip)
        writer.write_record(writer.create_warcinfo_record("test.warc.gz", {"software": "warcio (akhbar tests)"}))
        for url, ctype, payload, status in records:
            req = StatusAndHeaders("GET / HTTP/1.1", [("Host", "news.example")], is_http_request=True)
            writer.write_record(writer.create_warc_record(url, "request", payload=io.BytesIO(b""), http_headers=req))
            http = StatusAndHeaders(
                f"{status} {'OK' if status == 200 else 'Not Found'}",
                [("Content-Type", ctype), ("Content-Length", str(len(payload)))],
                protocol="HTTP/1.1",
            )
            writer.write_record(writer.create_warc_record(url, "response", payload=io.BytesIO(payload), http_headers=http))


def web_corpus(folder: Path) -> tuple[Path, Path]:
    """The stories as .html files in one folder, and as one WARC with bad records among them."""
    pages = folder / "pages"
    pages.mkdir()
    for s in w.STORIES:
        (pages / s.path.strip("/").replace("/", "_")).write_bytes(w.page(s, BASE))
    records = [(BASE + s.path, f"text/html; charset={s.header_charset}", w.page(s, BASE), 200) for s in w.STORIES[:2]]
    records += [
        (BASE + "/logo.png", "image/png", b"\x89PNG\r\n\x1a\n" + bytes(100), 200),  # record 7
        (BASE + "/gone.html", "text/html", b"<html><body>Not found</body></html>", 404),  # record 9
        (BASE + "/world", "text/html", w.not_an_article(BASE), 200),
    ]  # record 11
    records += [(BASE + s.path, f"text/html; charset={s.header_charset}", w.page(s, BASE), 200) for s in w.STORIES[2:]]
    warc = folder / "crawl.warc.gz"
    _write_warc(warc, records)
    return pages, warc


def _read(paths: list[Path]) -> tuple[list[Article], list[str]]:
    out = list(readers.read(paths))
    return [a for a in out if isinstance(a, Article)], [str(p) for p in out if isinstance(p, readers.Problem)]


def test_a_warc_gives_the_same_articles_as_its_pages_as_files_and_names_each_bad_record(tmp_path):
    pages, warc = web_corpus(tmp_path)
    from_files, file_problems = _read([pages])
    from_warc, warc_problems = _read([warc])
    assert file_problems == []
    assert sorted(a.id for a in from_warc) == sorted(BASE + s.path for s in w.STORIES)
    assert sorted((a.record() for a in from_warc), key=str) == sorted((a.record() for a in from_files), key=str)
    assert warc_problems == [
        f"{warc}:7: field 'record': not HTML (image/png) ({BASE}/logo.png) (skipped)",
        f"{warc}:9: field 'record': HTTP status 404 ({BASE}/gone.html), not a page (skipped)",
        f"{warc}:11: field 'record': no article text found (only 54 characters) ({BASE}/world) (skipped)",
    ]


def test_a_truncated_warc_is_read_up_to_where_it_breaks_off(tmp_path):
    _, warc = web_corpus(tmp_path)
    cut = tmp_path / "cut.warc.gz"
    data = warc.read_bytes()
    cut.write_bytes(data[: len(data) * 2 // 3])
    arts, problems = _read([cut])
    assert 2 <= len(arts) < len(w.STORIES)
    assert len(problems) == 4 and "cut short in this record" in problems[-1]


def test_an_altered_record_fails_its_digest_and_costs_only_itself(tmp_path):
    warc = tmp_path / "plain.warc"
    _write_warc(warc, [(BASE + s.path, "text/html", w.page(s, BASE), 200) for s in w.STORIES[2:4]], gzip=False)
    data = warc.read_bytes()
    assert data.count(b"Forecasters") == 1
    warc.write_bytes(data.replace(b"Forecasters", b"Forecastrrs"))  # same length: only the digest can tell
    arts, problems = _read([warc])
    assert [a.id for a in arts] == [BASE + w.STORIES[3].path]
    assert problems == [f"{warc}:3: field 'record': damaged: its digest does not match ({BASE}{w.STORIES[2].path}) (skipped)"]


def test_a_feed_file_is_indexed_from_its_entries_each_problem_at_its_entry_number(tmp_path):
    f = tmp_path / "news.rss"
    f.write_bytes(
        w.rss(BASE, [(s.path, s.paragraphs[0]) for s in w.STORIES[:2]] + [("", "no link")], "Site").replace(
            f"<link>{BASE}</link><guid>{BASE}</guid>".encode(), b""
        )
    )
    arts, problems = _read([f])
    assert [(a.id, a.lang, a.source) for a in arts] == [(BASE + s.path, "ar", "Site") for s in w.STORIES[:2]]
    assert problems == [f"{f}:3: field 'link': missing: an entry's id is its article's URL (skipped)"]
    broken = tmp_path / "broken.xml"
    broken.write_bytes(b"<html><body>not a feed")
    [problem] = _read([broken])[1]
    assert problem.startswith(f"{broken}:1: field 'file': not an RSS or Atom feed (") and problem.endswith("skipped as a whole (skipped)")


# --- the poller's client, against a site on 127.0.0.1 -------------------------------------------------


def test_fetcher_is_polite_and_gives_up_where_it_should():
    with w.NewsSite() as site:
        f = Fetcher(Politeness(delay=0.2, timeout=2.0, max_bytes=1_000_000))
        first = f.get(site.url("/feeds/ar.xml"))
        assert first.status == 200 and first.etag
        assert f.get(site.url("/feeds/ar.xml"), etag=first.etag).status == 304
        fr = f.get(site.url("/feeds/fr.rss"))
        assert f.get(site.url("/feeds/fr.rss"), last_modified=fr.last_modified).status == 304
        for path, reason, retry in [
            (w.MISSING, "HTTP 404", False),
            (w.SLOW, "timed out after 2 s", True),
            (w.HUGE, "over the size limit", False),
            (w.PRIVATE, "robots.txt disallows it", False),
        ]:
            with pytest.raises(FetchFailed, match=reason) as failed:
                f.get(site.url(path))
            assert failed.value.retry is retry
        with pytest.raises(FetchFailed, match=r"not text/html \(application/pdf\)"):
            f.get(site.url(w.PDF), accept=("text/html",))
        page = f.get(site.url(w.STORIES[1].path), accept=("text/html",))  # sent gzipped, unpacked
        assert page.data == w.page(w.STORIES[1], site.base) and site.log[-1][2]["Accept-Encoding"] == "gzip"
        assert site.log[-1][2]["Accept"].startswith("text/html")
        assert site.requests[w.PRIVATE] == 0 and site.requests["/robots.txt"] == 1
        times = [t for t, _, _ in site.log]
        # one host: a request every `delay` (0.2 s) at most. Arrivals jitter by how long each connection took to
        # reach the server (up to 50 ms seen on a loaded machine), so the gaps are held to the delay on average,
        # and each to half of it (a fetcher that did not wait would send them milliseconds apart)
        gaps = [b - a for a, b in zip(times, times[1:])]
        assert min(gaps) >= 0.1 and sum(gaps) / len(gaps) >= 0.19, gaps
        assert {h.get("User-Agent") for _, _, h in site.log} == {USER_AGENT} and USER_AGENT.startswith("akhbar/")


def test_a_site_whose_robots_txt_fails_is_left_alone_this_round():
    with w.NewsSite() as site:
        site.answer_before = site.answer
        site.answer = lambda path, seen, headers: (
            (503, "text/plain", b"down", {}) if path == "/robots.txt" else site.answer_before(path, seen, headers)
        )
        f = Fetcher(Politeness(delay=0, timeout=2.0))
        with pytest.raises(FetchFailed, match="robots.txt could not be read") as failed:
            f.get(site.url(w.STORIES[0].path))
        assert failed.value.retry and site.requests[w.STORIES[0].path] == 0


@pytest.mark.parametrize("suffix", [".html", ".htm", ".xml", ".rss", ".atom", ".warc", ".warc.gz"])
def test_random_bytes_under_a_web_name_are_one_problem_never_a_crash(tmp_path, suffix):
    import random

    rng = random.Random(suffix)
    for i, data in enumerate(
        [
            bytes(rng.randrange(256) for _ in range(5000)),
            b"",
            b"\x1f\x8b" + bytes(100),
            "نص عربي بترميز آخر".encode("cp1256") * 50,
            b"WARC/1.0\r\nWARC-Type: response\r\n\r\n",
        ]
    ):
        f = tmp_path / f"junk{i}{suffix}"
        f.write_bytes(data)
        arts, problems = _read([f])
        if not data and "warc" in suffix:  # an empty WARC holds no records, as an empty JSON Lines file holds no lines
            assert arts == problems == []
            continue
        assert arts == [] and len(problems) == 1 and problems[0].startswith(f"{f}:"), (data[:40], problems)


def test_watch_refuses_bad_arguments_in_one_line(tmp_path):
    from typer.testing import CliRunner

    from akhbar.cli import app

    runner = CliRunner()
    feeds = tmp_path / "feeds.txt"
    feeds.write_text("https://news.example/rss\n# a comment\nnews.example/atom\n", encoding="utf-8")
    r = runner.invoke(app, ["watch", str(feeds), "--index", str(tmp_path / "idx")])
    assert r.exit_code == 1 and r.output.strip() == f"Error: {feeds}:3: field 'url': 'news.example/atom' is not an http(s) URL"
    r = runner.invoke(app, ["watch", "https://news.example/rss", "--every", "soon", "--index", str(tmp_path / "idx")])
    assert r.exit_code == 1 and "--every: 'soon' is not a duration" in r.output
    other = tmp_path / "papers"
    other.mkdir()
    (other / "notes.txt").write_text("mine", encoding="utf-8")
    r = runner.invoke(app, ["watch", "https://news.example/rss", "--index", str(other), "--rounds", "1"])
    assert r.exit_code == 1 and "is not an akhbar index" in r.output and not (other / "watch").exists()


def test_a_page_naming_its_front_page_as_canonical_keeps_its_own_address():
    s = w.STORIES[2]
    page = w.page(s, BASE).replace(f'href="{BASE}{s.path}"'.encode(), f'href="{BASE}/"'.encode())
    assert article_of(page, BASE + s.path).id == BASE + s.path
    relative = w.page(s, BASE).replace(f'href="{BASE}{s.path}"'.encode(), b'href="/en/flood.html?utm_source=rss#top"')
    assert article_of(relative, BASE + s.path).id == BASE + "/en/flood.html"  # resolved, tracking and fragment dropped


def test_an_unreadable_web_file_is_one_problem(tmp_path):
    page = tmp_path / "story.html"
    page.write_bytes(w.page(w.STORIES[3], BASE))
    for name in ("broken.html", "broken.rss", "broken.warc"):
        (tmp_path / name).symlink_to("/proc/self/mem")  # opens, and reading from its start fails (EIO), even for root
    arts, problems = _read([tmp_path / "broken.html", tmp_path / "broken.rss", page, tmp_path / "broken.warc"])
    assert [a.id for a in arts] == [BASE + w.STORIES[3].path]
    assert [p.split(": field")[0] for p in problems] == [f"{tmp_path / n}:1" for n in ("broken.html", "broken.rss", "broken.warc")]
    assert all("unreadable" in p for p in problems), problems
