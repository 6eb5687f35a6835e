"""News from the web: pages/s extracted, and where a watch round and an archive build spend their time.

Usage: python bench/web_ingest.py [-n 200] [--real ../shared/data/saudinewsnet/articles.jsonl.gz -m 100] [--json out.json]
       (writes bench/results/web_ingest.md)

On tests/webfixtures.py's pages (Arabic, English, French), in two sizes: as written (~3 KB of
HTML around ~500 characters of article) and site-like (the same article inside ~120 KB of
menus, scripts, related-article lists and footer, what a real news page weighs). N variants
of each story (one sentence differs, so no two texts share a vector) are measured:

1. extraction: pages/s through index/webpage.py (trafilatura + htmldate + charset + language),
   against the baseline of the same articles read as JSON Lines records (ingest.from_record), in
   the same run: the ratio is what HTML costs over ready text.
2. a watch round (watch/rounds.py, in this process) on a loopback site serving the N site-like
   pages from one feed, per-host delay 0: the share of its time spent fetching, extracting and
   writing (embedding + storing), and the embedding part of the write (the same texts embedded
   alone with the same model).
3. an archive build: a WARC of the N site-like pages, `build` from it against `build` from the
   same articles as JSON Lines: what extraction adds to a large build.
4. with --real: M news articles of real length (SaudiNewsNet) as site-like pages: extraction
   pages/s against embedding articles/s of the same texts, which says what bounds an archive of
   real news (the fixture articles are a tenth of a real article's length).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from akhbar.index import build, ingest  # noqa: E402
from akhbar.index.cpu import detect  # noqa: E402
from akhbar.index.webpage import article_of  # noqa: E402
from tests import webfixtures as w  # noqa: E402

BUREAUS = ("Cairo", "Riyadh", "Paris", "London", "Beirut", "Rabat", "Amman", "Tunis", "Doha", "Dubai")


def variant(story: w.Story, i: int) -> w.Story:
    """The story at its own address with one sentence of its own, so every text is embedded."""
    extra = f"Report {i} from the {BUREAUS[i % len(BUREAUS)]} bureau, update {i // len(BUREAUS)}."
    path = story.path.replace(".html", f"-{i}.html")
    return w.Story(path, story.lang, story.site, f"{story.title} ({i})", story.date, (*story.paragraphs, extra), story.charset,
                   story.header_charset)


def site_like(html: bytes, charset: str) -> bytes:
    """A page as sites serve it: the article inside ~120 KB of navigation, scripts, lists and footer."""
    nav = "".join(f'<li><a href="/section/{i}">Section {i}</a></li>' for i in range(300))
    script = "<script>var config = {" + ",".join(f'"k{i}": "{"x" * 40}"' for i in range(900)) + "};</script>"
    related = "".join(f'<li><a href="/2026/12/{i}.html">Related headline number {i} about the region</a></li>' for i in range(400))
    head, _, rest = html.decode(charset).partition("<body>")
    return (f"{head}<body>{script}<nav><ul>{nav}</ul></nav>{rest.replace('</main>', '</main><aside><ul>' + related + '</ul></aside>')}"
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
    return {"page_kb_plain": round(sum(map(len, plain)) / len(plain) / 1024, 1),
            "page_kb_site_like": round(sum(map(len, heavy)) / len(heavy) / 1024, 1),
            "pages_per_s_plain": best_rate(lambda p: article_of(p, base), plain),
            "pages_per_s_site_like": best_rate(lambda p: article_of(p, base), heavy),
            "jsonl_records_per_s": best_rate(lambda r: ingest.from_record(r, "bench", 1), records)}


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
    from akhbar.watch.fetch import Fetcher, Politeness
    from akhbar.watch.rounds import run_round
    from akhbar.watch.state import State

    index = work / "watched"
    with BenchSite(stories) as site:
        state = State(index)
        try:
            s = run_round(1, index, [site.url("/feeds/all.xml")], Fetcher(Politeness(delay=0.0)), state, lambda line: None)
        finally:
            state.close()
    texts = [r["title"] + "\n" + r["body"] for r in map(orjson.loads, _stored(index))]
    embed = _embed_seconds(index, texts)
    total = s.fetching + s.extracting + s.writing
    return {"pages": s.fetched, "new_articles": s.new_articles, "fetching_s": s.fetching, "extracting_s": s.extracting,
            "writing_s": s.writing, "embedding_s": embed, "share_fetching": s.fetching / total, "share_extracting": s.extracting / total,
            "share_writing": s.writing / total, "share_embedding": embed / total}


def _stored(index: Path) -> list[bytes]:
    from akhbar.index import layout, store

    with store.connect_readonly(layout.current_version(index)) as con:
        return [orjson.dumps({"title": t, "body": b}) for t, b in con.execute("SELECT title, body FROM articles")]


def _embed_seconds(index: Path, texts: list[str]) -> float:
    """The same texts embedded alone, as the index embeds them (model loaded first, not timed)."""
    from akhbar.index import layout
    from akhbar.index.backends import load_for
    from akhbar.index.embed import Embedder
    from akhbar.index.manifest import Manifest
    from akhbar.index.model import resolve

    m = Manifest.load(layout.current_version(index))
    e = Embedder(load_for(resolve(m.model), "auto", m.backend), m.prompt, method=str(m.chunking["method"]),
                 window_tokens=int(m.chunking["window_tokens"]))
    e.encode(texts[:4])
    started = time.perf_counter()
    for i in range(0, len(texts), 32):
        e.encode(texts[i:i + 32])
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
    arts = [a for a in ingest.read([warc]) if not isinstance(a, ingest.Problem)]
    read_s = time.perf_counter() - read_started
    jsonl.write_bytes(b"".join(orjson.dumps(a.record()) + b"\n" for a in arts))
    out = {"warc_mb": round(warc.stat().st_size / 1e6, 2), "warc_read_pages_per_s": len(arts) / read_s}
    for name, src in (("jsonl", jsonl), ("warc", warc)):
        summary = build.build([src], work / f"index-{name}")
        out[f"build_{name}_s"] = summary.seconds
        out[f"build_{name}_articles_per_s"] = summary.indexed / summary.seconds
    out["warc_over_jsonl_build"] = out["build_warc_s"] / out["build_jsonl_s"]
    return out


def real_articles(path: Path, m: int) -> dict:
    """Extraction and embedding rates on M real articles made into site-like pages."""
    import gzip

    from akhbar.index.backends import load_for
    from akhbar.index.embed import Embedder
    from akhbar.index.model import resolve

    stories = []
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            a = json.loads(line)
            paragraphs = tuple(p.strip() for p in a.get("body", "").split("\n") if p.strip())
            if a.get("title") and len(paragraphs) >= 2:
                stories.append(w.Story(f"/real/{len(stories)}.html", "ar", a.get("source") or "SaudiNewsNet", a["title"],
                                       (a.get("date") or "2015-07-21")[:10], paragraphs))
            if len(stories) >= m:
                break
    base = "http://news.example"
    pages = [site_like(w.page(s, base), s.charset) for s in stories]
    texts = [article_of(p, base + s.path).text for p, s in zip(pages, stories)]
    kept = sum(len(t) for t in texts) / sum(len(s.title) + 1 + len("\n".join(s.paragraphs)) for s in stories)
    extract = best_rate(lambda p: article_of(p, base), pages, rounds=2)
    from akhbar.index import config

    encoder = load_for(resolve(None), "auto")  # as a new build embeds (index/stage.py)
    e = Embedder(encoder, encoder.prompt, method=config.CHUNK_METHOD, window_tokens=config.WINDOW_TOKENS)
    e.encode(texts[:2])
    started = time.perf_counter()
    for i in range(0, len(texts), 16):
        e.encode(texts[i:i + 16])
    embed = len(texts) / (time.perf_counter() - started)
    return {"articles": len(stories), "chars_per_article": round(sum(map(len, texts)) / len(texts)), "text_kept": kept,
            "page_kb": round(sum(map(len, pages)) / len(pages) / 1024, 1), "extract_pages_per_s": extract,
            "embed_articles_per_s": embed, "backend": e.backend}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", type=int, default=200, help="pages (variants of the fixture stories)")
    parser.add_argument("--real", type=Path, help="JSON Lines (.gz) of real articles, e.g. ../shared/data/saudinewsnet/articles.jsonl.gz")
    parser.add_argument("-m", type=int, default=100, help="real articles to use with --real")
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
    result = {"cpu": cpu.model, "cores": cpu.cores, "flags": {k: getattr(cpu, k) for k in ("avx2", "avx512", "vnni", "bf16", "amx")},
              "pages": args.n, "extraction": ex, "watch_round": rnd, "archive": arc, "real": real}
    bound = "embedding" if arc["warc_read_pages_per_s"] > arc["build_jsonl_articles_per_s"] else "extraction"
    real_bound = None if real is None else "embedding" if real["extract_pages_per_s"] > real["embed_articles_per_s"] else "extraction"
    result["bound_fixture"], result["bound_real"] = bound, real_bound
    lines = [
        "# News from the web: extraction, a watch round, an archive build",
        "",
        f"`python bench/{' '.join([Path(sys.argv[0]).name, *sys.argv[1:]])}` on {cpu.model}, {cpu.cores} cores "
        f"({', '.join(k for k, v in result['flags'].items() if v)}); other work may share the cores.",
        "",
        "| extraction (index/webpage.py) | value |",
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
    if real is not None:
        lines += [
            "",
            f"| {real['articles']} real articles ({args.real.name}, {real['chars_per_article']:,} characters each) as site-like pages "
            f"({real['page_kb']} KB) | value |",
            "|---|---|",
            f"| extraction | {real['extract_pages_per_s']:.0f} pages/s (kept {real['text_kept']:.1%} of the article text) |",
            f"| embedding the extracted texts ({real['backend']}) | {real['embed_articles_per_s']:.1f} articles/s |",
            f"| extraction / embedding | {real['extract_pages_per_s'] / real['embed_articles_per_s']:.1f}× |",
            "",
            f"What bounds a large archive build of real news: **{real_bound}**.",
        ]
    out = ROOT / "bench" / "results" / "web_ingest.md"
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
