"""News from the web: pages/s extracted, and where a watch round and an archive build spend their time.

Usage: python bench/web_ingest.py [-n 200] [--real ../shared/data/saudinewsnet/articles.jsonl.gz ...] [-m 100] [--json out.json]
       (writes bench/results/web_ingest.md)

On tests/webfixtures.py's pages (Arabic, English, French), in two sizes: as written (~3 KB of
HTML around ~500 characters of article) and site-like (the same article inside ~120 KB of
menus, scripts, related-article lists and footer, what a real news page weighs). N variants
of each story (one sentence differs, so no two texts share a vector) are measured:

1. extraction: pages/s through index/ingest/webpage.py (trafilatura + htmldate + charset + language),
   against the baseline of the same articles read as JSON Lines records (readers.from_record), in
   the same run: the ratio is what HTML costs over ready text.
2. a watch round (watch/rounds.py, in this process) on a loopback site serving the N site-like
   pages from one feed, per-host delay 0: the share of its time spent fetching, extracting and
   writing (embedding + storing), and the embedding part of the write (the same texts embedded
   alone with the same model).
3. an archive build: a WARC of the N site-like pages, `build` from it against `build` from the
   same articles as JSON Lines: what extraction adds to a large build.
4. with --real (repeatable): M articles of each shared data set (SaudiNewsNet in Arabic, MEANTIME
   in English, Spanish, Italian and Dutch, ECB+ in English) as site-like pages: extraction pages/s
   against embedding articles/s of the same texts, which says what bounds an archive of real news
   (the fixture articles are a fifth of a real article's length); and what extraction keeps of
   each article in three layouts (<article> inside a heavy page; <div>s with no semantic tags
   beside a sidebar, share bar and cookie notice; a 'read also' box inside the text and readers'
   comments after it): paragraphs recovered, characters that are not the article's, title, language, id.
"""

from __future__ import annotations

import argparse
import html
import json
import re
import sys
import tempfile
import time
from html import escape
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from akhbar.index import writers  # noqa: E402
from akhbar.index.embedding.cpu import detect  # noqa: E402
from akhbar.index.ingest import readers  # noqa: E402
from akhbar.index.ingest.webpage import NotAnArticle, article_of  # noqa: E402
from tests import webfixtures as w  # noqa: E402

BUREAUS = ("Cairo", "Riyadh", "Paris", "London", "Beirut", "Rabat", "Amman", "Tunis", "Doha", "Dubai")


def variant(story: w.Story, i: int) -> w.Story:
    """The story at its own address with one sentence of its own, so every text is embedded."""
    extra = f"Report {i} from the {BUREAUS[i % len(BUREAUS)]} bureau, update {i // len(BUREAUS)}."
    path = story.path.replace(".html", f"-{i}.html")
    return w.Story(
        path, story.lang, story.site, f"{story.title} ({i})", story.date, (*story.paragraphs, extra), story.charset, story.header_charset
    )


def site_like(html: bytes, charset: str) -> bytes:
    """A page as sites serve it: the article inside ~120 KB of navigation, scripts, lists and footer."""
    nav = "".join(f'<li><a href="/section/{i}">Section {i}</a></li>' for i in range(300))
    script = "<script>var config = {" + ",".join(f'"k{i}": "{"x" * 40}"' for i in range(900)) + "};</script>"
    related = "".join(f'<li><a href="/2026/12/{i}.html">Related headline number {i} about the region</a></li>' for i in range(400))
    head, _, rest = html.decode(charset).partition("<body>")
    return (
        f"{head}<body>{script}<nav><ul>{nav}</ul></nav>{rest.replace('</main>', '</main><aside><ul>' + related + '</ul></aside>')}"
    ).encode(charset)


def corpus(n: int) -> list[w.Story]:
    return [variant(s, i) for i in range(n // len(w.STORIES) + 1) for s in w.STORIES][:n]


def best_rate(fn, items: list, rounds: int = 3) -> float:
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        for x in items:
            fn(x)
        best = min(best, time.perf_counter() - started)
    return len(items) / best


def extraction(stories: list[w.Story], base: str) -> dict:
    plain = [w.page(s, base) for s in stories]
    heavy = [site_like(p, s.charset) for p, s in zip(plain, stories)]
    records = [article_of(p, base + s.path).record() for p, s in zip(plain, stories)]
    return {
        "page_kb_plain": round(sum(map(len, plain)) / len(plain) / 1024, 1),
        "page_kb_site_like": round(sum(map(len, heavy)) / len(heavy) / 1024, 1),
        "pages_per_s_plain": best_rate(lambda p: article_of(p, base), plain),
        "pages_per_s_site_like": best_rate(lambda p: article_of(p, base), heavy),
        "jsonl_records_per_s": best_rate(lambda r: readers.from_record(r, "bench", 1), records),
    }


class BenchSite(w.NewsSite):
    """The fixture site serving N site-like story variants, all listed in /feeds/all.xml."""

    def __init__(self, stories: list[w.Story]) -> None:
        super().__init__()
        self.stories = {s.path: s for s in stories}

    def answer(self, path, seen, headers):
        if path in self.stories:
            s = self.stories[path]
            return 200, f"text/html; charset={s.header_charset}", site_like(w.page(s, self.base), s.charset), {}
        if path == "/feeds/all.xml":
            return 200, "application/rss+xml", w.rss(self.base, [(s.path, s.title) for s in self.stories.values()], "bench"), {}
        return super().answer(path, seen, headers)


def watch_round(stories: list[w.Story], work: Path) -> dict:
    from akhbar import Index
    from akhbar.watch.fetch import Fetcher, Politeness
    from akhbar.watch.rounds import run_round
    from akhbar.watch.state import State

    index = work / "watched"
    with BenchSite(stories) as site:
        state = State(index)
        try:
            s = run_round(1, Index(index), [site.url("/feeds/all.xml")], Fetcher(Politeness(delay=0.0)), state=state, log=lambda line: None)
        finally:
            state.close()
    texts = [r["title"] + "\n" + r["body"] for r in map(orjson.loads, _stored(index))]
    embed = _embed_seconds(index, texts)
    total = s.fetching + s.extracting + s.writing
    return {
        "pages": s.fetched,
        "new_articles": s.new_articles,
        "fetching_s": s.fetching,
        "extracting_s": s.extracting,
        "writing_s": s.writing,
        "embedding_s": embed,
        "share_fetching": s.fetching / total,
        "share_extracting": s.extracting / total,
        "share_writing": s.writing / total,
        "share_embedding": embed / total,
    }


def _stored(index: Path) -> list[bytes]:
    from akhbar.index.store import layout, sql

    with sql.connect_readonly(layout.current_version(index)) as con:
        return [orjson.dumps({"title": t, "body": b}) for t, b in con.execute("SELECT title, body FROM articles")]


def _embed_seconds(index: Path, texts: list[str]) -> float:
    """The same texts embedded alone, as the index embeds them (model loaded first, not timed)."""
    from akhbar.index.embedding.backends import load_for
    from akhbar.index.embedding.embedder import Embedder
    from akhbar.index.embedding.model import resolve
    from akhbar.index.store import layout
    from akhbar.index.store.manifest import Manifest

    m = Manifest.load(layout.current_version(index))
    e = Embedder(
        load_for(resolve(m.model), "auto", m.backend),
        m.prompt,
        method=str(m.chunking["method"]),
        window_tokens=int(m.chunking["window_tokens"]),
    )
    e.encode(texts[:4])
    started = time.perf_counter()
    for i in range(0, len(texts), 32):
        e.encode(texts[i : i + 32])
    return time.perf_counter() - started


def archive_build(stories: list[w.Story], work: Path, base: str) -> dict:
    import io

    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    warc, jsonl = work / "crawl.warc.gz", work / "same.jsonl"
    with open(warc, "wb") as f:
        writer = WARCWriter(f, gzip=True)
        for s in stories:
            page = site_like(w.page(s, base), s.charset)
            http = StatusAndHeaders("200 OK", [("Content-Type", f"text/html; charset={s.header_charset}")], protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(base + s.path, "response", payload=io.BytesIO(page), http_headers=http))
    read_started = time.perf_counter()
    arts = [a for a in readers.read([warc]) if not isinstance(a, readers.Problem)]
    read_s = time.perf_counter() - read_started
    jsonl.write_bytes(b"".join(orjson.dumps(a.record()) + b"\n" for a in arts))
    out = {"warc_mb": round(warc.stat().st_size / 1e6, 2), "warc_read_pages_per_s": len(arts) / read_s}
    for name, src in (("jsonl", jsonl), ("warc", warc)):
        summary = writers.build([src], work / f"index-{name}")
        out[f"build_{name}_s"] = summary.seconds
        out[f"build_{name}_articles_per_s"] = summary.indexed / summary.seconds
    out["warc_over_jsonl_build"] = out["build_warc_s"] / out["build_jsonl_s"]
    return out


def div_soup(story: w.Story, base: str) -> bytes:
    """A page with no <article> or <main>: the text in classed <div>s beside a link sidebar, a share bar and a cookie notice."""
    side = "".join(f'<div class="item"><a href="/n/{i}">Most read story {i} of the day</a></div>' for i in range(60))
    text = "".join(f'<div class="para">{escape(p)}</div>' for p in story.paragraphs)
    return (
        f'<html lang="{story.lang}"><head><meta charset="utf-8"><title>{escape(story.title)} - {escape(story.site)}</title>'
        f'<link rel="canonical" href="{base}{story.path}"><meta name="date" content="{story.date}"></head><body>'
        f'<div id="cookie">We use cookies to improve your experience. Accept all cookies or manage your settings.</div>'
        f'<div class="wrap"><div class="col-8"><div class="headline"><h1>{escape(story.title)}</h1></div>'
        f'<div class="share">Share on Facebook | Share on Twitter | Send by email | Print</div>'
        f'<div class="story-body">{text}</div></div><div class="col-4 sidebar">{side}</div></div>'
        f'<div class="footer">Copyright {escape(story.site)}. Terms of use. Privacy policy. Contact us.</div></body></html>'
    ).encode()


def with_comments(story: w.Story, base: str) -> bytes:
    """The article with a 'read also' box inside it and a readers' comments section after it."""
    html = w.page(story, base).decode(story.charset)
    also = '<div class="read-also"><b>Read also:</b> <a href="/x/1">Another headline on the same subject</a></div>'
    comments = "".join(
        f'<div class="comment"><span class="user">reader{i}</span><p>Comment number {i}: I do not agree with '
        f"this article at all, the government should act now.</p></div>"
        for i in range(6)
    )
    html = html.replace("</p>\n", f"</p>\n{also}\n", 1).replace("</article>", f'</article><section id="comments">{comments}</section>')
    return site_like(html.encode(story.charset), story.charset)


LAYOUTS = {
    "site-like, <article>": lambda s, base: site_like(w.page(s, base), s.charset),
    "div soup, no <article>": div_soup,
    "read-also box and comments": with_comments,
}


def _paragraphs(body: str) -> tuple[str, ...]:
    """A body's paragraphs; a body that is one block is cut every three sentences."""
    lines = tuple(" ".join(p.split()) for p in body.split("\n") if p.strip())
    if len(lines) > 1:
        return lines
    sentences = re.split(r"(?<=[.!?])\s+", " ".join(body.split()))
    return tuple(" ".join(sentences[i : i + 3]) for i in range(0, len(sentences), 3) if sentences[i : i + 3])


def real_stories(path: Path, m: int) -> list[w.Story]:
    """M articles with a title and two paragraphs or more, evenly spaced through a shared data set
    (so every language of a set sorted by language is in), as fixture stories."""
    import gzip

    stories = []
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            a = json.loads(line)
            paragraphs = _paragraphs(a.get("body", ""))
            if a.get("title") and len(paragraphs) >= 2 and sum(map(len, paragraphs)) >= 400:
                stories.append(
                    w.Story(
                        f"/{path.parent.name}/{len(stories)}.html",
                        a.get("lang") or "",
                        a.get("source") or path.parent.name,
                        " ".join(a["title"].split()),
                        (a.get("date") or "2015-07-21")[:10],
                        paragraphs,
                    )
                )
    return stories[:: max(1, len(stories) // m)][:m]


_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff"))


def _norm(text: str) -> str:
    """Text as compared: entities decoded and zero-width or direction marks dropped (the data sets hold some;
    extraction drops them), whitespace collapsed."""
    return " ".join(html.unescape(text).translate(_INVISIBLE).split())


def fidelity(stories: list[w.Story], layout, base: str) -> dict:
    """How much of each article extraction recovers and what it adds, on one layout."""
    found = total = leaked = extracted = titles = langs = ids = failed = 0
    for s in stories:
        try:
            a = article_of(layout(s, base), base + s.path)
        except NotAnArticle:
            failed += 1
            total += len(s.paragraphs)
            continue
        body = _norm(a.body)
        found += sum(_norm(p) in body for p in s.paragraphs)
        total += len(s.paragraphs)
        source = _norm(s.title + " " + " ".join(s.paragraphs))
        for line in a.body.split("\n"):
            line = _norm(line)
            extracted += len(line)
            leaked += 0 if line in source else len(line)
        titles += _norm(a.title) == _norm(s.title)
        langs += a.lang == s.lang
        ids += a.id == base + s.path
    n = len(stories)
    return {
        "paragraphs_recovered": found / total,
        "chars_leaked": leaked / max(extracted, 1),
        "title_exact": titles / n,
        "lang_right": langs / n,
        "id_right": ids / n,
        "not_an_article": failed,
    }


def real_articles(paths: list[Path], m: int) -> dict:
    """Extraction fidelity (each layout) and speed, and embedding speed, on M real articles of each data set."""
    from akhbar.index import config
    from akhbar.index.embedding.backends import load_for
    from akhbar.index.embedding.embedder import Embedder
    from akhbar.index.embedding.model import resolve

    encoder = load_for(resolve(None), "auto")  # as a new build embeds (index/stage.py)
    e = Embedder(encoder, encoder.prompt, method=config.CHUNK_METHOD, window_tokens=config.WINDOW_TOKENS)
    e.encode(["warm up"])
    base = "http://news.example"
    out = {}
    for path in paths:
        stories = real_stories(path, m)
        pages = [site_like(w.page(s, base), s.charset) for s in stories]
        texts = [article_of(p, base + s.path).text for p, s in zip(pages, stories)]
        extract = best_rate(lambda p: article_of(p, base), pages, rounds=2)
        started = time.perf_counter()
        for i in range(0, len(texts), 16):
            e.encode(texts[i : i + 16])
        embed = len(texts) / (time.perf_counter() - started)
        out[path.parent.name] = {
            "articles": len(stories),
            "languages": sorted({s.lang for s in stories}),
            "chars_per_article": round(sum(map(len, texts)) / len(texts)),
            "page_kb": round(sum(map(len, pages)) / len(pages) / 1024, 1),
            "extract_pages_per_s": extract,
            "embed_articles_per_s": embed,
            "backend": e.backend,
            "layouts": {name: fidelity(stories, layout, base) for name, layout in LAYOUTS.items()},
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", type=int, default=200, help="pages (variants of the fixture stories)")
    parser.add_argument(
        "--real",
        type=Path,
        action="append",
        default=[],
        help="JSON Lines (.gz) of real articles, e.g. ../shared/data/saudinewsnet/articles.jsonl.gz (repeatable)",
    )
    parser.add_argument("-m", type=int, default=100, help="real articles of each --real set")
    parser.add_argument("--json", type=Path, help="also write the numbers here")
    args = parser.parse_args()
    cpu = detect()
    stories = corpus(args.n)
    base = "http://news.example"
    with tempfile.TemporaryDirectory(prefix="akhbar-web-bench-") as tmp:
        work = Path(tmp)
        print("extraction…", file=sys.stderr)
        ex = extraction(stories, base)
        print("a watch round…", file=sys.stderr)
        rnd = watch_round(stories, work)
        print("archive builds…", file=sys.stderr)
        arc = archive_build(stories, work, base)
        if args.real:
            print("real articles…", file=sys.stderr)
        real = real_articles(args.real, args.m) if args.real else None
    result = {
        "cpu": cpu.model,
        "cores": cpu.cores,
        "flags": {k: getattr(cpu, k) for k in ("avx2", "avx512", "vnni", "bf16", "amx")},
        "pages": args.n,
        "extraction": ex,
        "watch_round": rnd,
        "archive": arc,
        "real": real,
    }
    bound = "embedding" if arc["warc_read_pages_per_s"] > arc["build_jsonl_articles_per_s"] else "extraction"
    result["bound_fixture"] = bound
    lines = [
        "# News from the web: extraction, a watch round, an archive build",
        "",
        f"`python bench/{' '.join([Path(sys.argv[0]).name, *sys.argv[1:]])}` on {cpu.model}, {cpu.cores} cores "
        f"({', '.join(k for k, v in result['flags'].items() if v)}); other work may share the cores.",
        "",
        "| extraction (index/ingest/webpage.py) | value |",
        "|---|---|",
        f"| pages as written ({ex['page_kb_plain']} KB) | {ex['pages_per_s_plain']:.0f} pages/s |",
        f"| site-like pages ({ex['page_kb_site_like']} KB) | {ex['pages_per_s_site_like']:.0f} pages/s |",
        f"| baseline: the same articles as JSON Lines records | {ex['jsonl_records_per_s']:.0f} records/s |",
        f"| ratio site-like pages / records | {ex['pages_per_s_site_like'] / ex['jsonl_records_per_s']:.4f} |",
        "",
        f"| a watch round: {rnd['pages']} site-like pages from one feed, delay 0 | seconds | share |",
        "|---|---|---|",
        f"| fetching (loopback) | {rnd['fetching_s']:.2f} | {rnd['share_fetching']:.0%} |",
        f"| extracting | {rnd['extracting_s']:.2f} | {rnd['share_extracting']:.0%} |",
        f"| writing (model load, embedding, SQLite, FAISS) | {rnd['writing_s']:.2f} | {rnd['share_writing']:.0%} |",
        f"| of which embedding the texts alone | {rnd['embedding_s']:.2f} | {rnd['share_embedding']:.0%} |",
        "",
        f"| archive build: {args.n} site-like pages ({arc['warc_mb']} MB WARC) | value |",
        "|---|---|",
        f"| reading + extracting the WARC | {arc['warc_read_pages_per_s']:.0f} pages/s |",
        f"| `build` from the same articles as JSON Lines (baseline) | {arc['build_jsonl_s']:.1f} s, "
        f"{arc['build_jsonl_articles_per_s']:.1f} articles/s |",
        f"| `build` from the WARC | {arc['build_warc_s']:.1f} s, {arc['build_warc_articles_per_s']:.1f} articles/s |",
        f"| WARC build / JSON Lines build | {arc['warc_over_jsonl_build']:.2f}× the time |",
        "",
        f"On the fixture's short articles, **{bound}** bounds the build (extraction reads {arc['warc_read_pages_per_s']:.0f} pages/s, "
        f"a build embeds {arc['build_jsonl_articles_per_s']:.1f} articles/s).",
    ]
    if real:
        lines += [
            "",
            "Real articles (the shared data sets' text, in our page layouts): speed, and what extraction keeps",
            "",
            "| data set | languages | characters | page | extraction | embedding | extraction / embedding |",
            "|---|---|---|---|---|---|---|",
        ]
        for name, r in real.items():
            lines.append(
                f"| {name} ({r['articles']}) | {', '.join(r['languages'])} | {r['chars_per_article']:,} | {r['page_kb']} KB | "
                f"{r['extract_pages_per_s']:.0f} pages/s | {r['embed_articles_per_s']:.1f} articles/s ({r['backend']}) | "
                f"{r['extract_pages_per_s'] / r['embed_articles_per_s']:.1f}× |"
            )
        lines += [
            "",
            "| data set | layout | paragraphs recovered | characters leaked | title exact | language right | id right | no article |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for name, r in real.items():
            for layout, f in r["layouts"].items():
                lines.append(
                    f"| {name} | {layout} | {f['paragraphs_recovered']:.1%} | {f['chars_leaked']:.1%} | {f['title_exact']:.0%} | "
                    f"{f['lang_right']:.0%} | {f['id_right']:.0%} | {f['not_an_article']} |"
                )
        slowest = min(r["extract_pages_per_s"] / r["embed_articles_per_s"] for r in real.values())
        result["bound_real"] = "embedding" if slowest > 1 else "extraction"
        lines += [
            "",
            f"What bounds a large archive build of real news: **{result['bound_real']}** (extraction is at least "
            f"{slowest:.1f}× as fast as embedding on every set).",
        ]
    out = ROOT / "bench" / "results" / "web_ingest.md"
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
