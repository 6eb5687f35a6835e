"""News on the web for tests, written for them: article pages (Arabic, English, French), feeds that
link to them, and a loopback HTTP server with the faults sites have (a 404, a slow page, a page over
the size limit, a link to a PDF, a Windows-1256 page, a UTF-8 page whose header names another
charset, a feed that repeats old items, a malformed feed, robots.txt rules).

Every page names its canonical URL with the address the server gives it, so a page saved as a file,
stored in a WARC and fetched over HTTP is the same article with the same id.
"""

from __future__ import annotations

import gzip
import threading
import time
from collections import Counter
from dataclasses import dataclass
from email.utils import formatdate
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Story:
    path: str  # where the server has it
    lang: str
    site: str
    title: str
    date: str  # YYYY-MM-DD
    paragraphs: tuple[str, ...]
    charset: str = "utf-8"  # how the page is encoded
    header_charset: str = "utf-8"  # what the server's Content-Type says


STORIES = (
    Story(
        "/ar/2026/11/30/gaza-aid.html",
        "ar",
        "الأخبار اليوم",
        "وصول قافلة مساعدات جديدة إلى غزة عبر معبر رفح",
        "2026-11-30",
        (
            "دخلت قافلة مساعدات إنسانية جديدة تضم عشرات الشاحنات إلى قطاع غزة صباح الأحد عبر معبر رفح، محملة بالأغذية والأدوية "
            "والمستلزمات الطبية، وفق ما أعلنه الهلال الأحمر المصري.",
            "وقال مسؤول في المعبر إن الشاحنات خضعت للتفتيش قبل عبورها، وإن الدفعة المقبلة يُنتظر أن تصل خلال الأيام القليلة المقبلة "
            "إذا سمحت الظروف الأمنية بذلك.",
            "وتطالب منظمات الإغاثة الدولية بزيادة عدد الشاحنات التي تدخل يوميا، مؤكدة أن الاحتياجات تفوق بكثير ما يصل حاليا إلى السكان "
            "في شمال القطاع وجنوبه.",
        ),
    ),
    Story(
        "/ar/2026/12/01/oil-prices.html",
        "ar",
        "صحيفة الاقتصاد",
        "أسعار النفط ترتفع بعد قرار أوبك بلس تمديد خفض الإنتاج",
        "2026-12-01",
        (
            "ارتفعت أسعار النفط في تعاملات الاثنين بعد أن قررت مجموعة أوبك بلس تمديد العمل بخفض الإنتاج "
            "حتى نهاية الربع الأول من العام المقبل، في خطوة تهدف إلى دعم استقرار السوق.",
            "وصعد خام برنت بأكثر من اثنين في المئة ليتجاوز ثمانين دولارا للبرميل، فيما سجل خام غرب تكساس الوسيط مكاسب مماثلة.",
            "ويرى محللون أن القرار يعكس حذر المنتجين من تباطؤ الطلب العالمي، خصوصا في الصين وأوروبا، مع استمرار حالة عدم اليقين الاقتصادي.",
        ),
        charset="windows-1256",
        header_charset="utf-8",
    ),
    Story(
        "/en/2026/12/02/flood-warning.html",
        "en",
        "The Daily Ledger",
        "Flood warnings issued as heavy rain hits the northern valleys",
        "2026-12-02",
        (
            "Forecasters issued flood warnings for the northern valleys on Tuesday after a second day of heavy rain swelled rivers and "
            "closed several roads, the national weather service said.",
            "Emergency crews evacuated dozens of homes near the river overnight, and schools in three towns were closed as a precaution. "
            "Officials said more rain was expected before the weekend.",
            "Residents were told to avoid driving through flooded streets and to follow updates from local authorities, who opened two "
            "shelters in community halls for families who had to leave their homes.",
        ),
        header_charset="iso-8859-1",
    ),
    Story(
        "/fr/2026/12/02/greve-transports.html",
        "fr",
        "Le Quotidien",
        "Grève dans les transports : trafic très perturbé mardi à Paris",
        "2026-12-02",
        (
            "Le trafic était très perturbé mardi dans les transports en commun de la région parisienne, au premier jour d'une grève lancée "
            "par plusieurs syndicats pour protester contre la réforme des retraites.",
            "Seule une rame sur trois circulait sur la plupart des lignes de métro, et les usagers se sont rabattus sur le vélo et la "
            "voiture, provoquant des embouteillages importants aux heures de pointe.",
            "Les syndicats ont annoncé une nouvelle journée de mobilisation la semaine prochaine, tandis que le gouvernement appelle au "
            "dialogue et dit rester ouvert à des aménagements du texte.",
        ),
    ),
    Story(
        "/en/2026/12/03/central-bank.html",
        "en",
        "The Daily Ledger",
        "Central bank holds interest rates steady for a third month",
        "2026-12-03",
        (
            "The central bank kept its main interest rate unchanged on Wednesday for the third month in a row, saying inflation was "
            "easing but remained above its target.",
            "The governor told reporters that the bank would watch wage growth and energy prices closely before deciding on any cut, "
            "adding that the economy had proved more resilient than expected.",
            "Markets had widely expected the decision, and the currency was little changed after the announcement, while bond yields "
            "edged lower in afternoon trading.",
        ),
    ),
)
NEW_IN_ROUND_2 = STORIES[4]  # the English feed lists it only from its second request on

TEMPLATE = """<!DOCTYPE html>
<html lang="{lang}" dir="{dir}"><head><meta charset="{charset}">
<title>{title} | {site}</title>
<link rel="canonical" href="{url}">
<meta property="og:site_name" content="{site}">
<meta property="og:title" content="{title}">
<meta property="article:published_time" content="{date}T08:30:00+00:00">
</head><body>
<header><nav><a href="/">{site}</a> | <a href="/world">World</a> | <a href="/economy">Economy</a></nav></header>
<main><article><h1>{title}</h1><p class="byline">{date}</p>
{paragraphs}
</article></main>
<aside><h2>Most read</h2><ul><li><a href="/a">Another story</a></li><li><a href="/b">A third story</a></li></ul></aside>
<footer><p>© {site}. All rights reserved.</p></footer>
</body></html>
"""


def page(story: Story, base: str) -> bytes:
    """The story's page as the site serves it (in the story's charset)."""
    html = TEMPLATE.format(
        lang=story.lang,
        dir="rtl" if story.lang == "ar" else "ltr",
        charset=story.charset,
        title=escape(story.title),
        site=escape(story.site),
        url=base + story.path,
        date=story.date,
        paragraphs="\n".join(f"<p>{escape(p)}</p>" for p in story.paragraphs),
    )
    return html.encode(story.charset)


def not_an_article(base: str) -> bytes:
    """A section front: links and a line of text, no article."""
    return (
        f'<html><head><title>World</title><link rel="canonical" href="{base}/world"></head><body><ul>'
        + "".join(f'<li><a href="/x{i}">Headline {i}</a></li>' for i in range(5))
        + "</ul></body></html>"
    ).encode()


def rss(base: str, items: list[tuple[str, str]], title: str) -> bytes:
    rows = "".join(
        f"<item><title>{escape(t)}</title><link>{base}{p}</link><guid>{base}{p}</guid>"
        f"<pubDate>Mon, 01 Dec 2026 08:00:00 GMT</pubDate><description>{escape(t)}</description></item>"
        for p, t in items
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{escape(title)}</title>'
        f"<link>{base}/</link><language>ar</language>{rows}</channel></rss>"
    ).encode()


def atom(base: str, items: list[tuple[str, str]], title: str) -> bytes:
    rows = "".join(
        f'<entry><title>{escape(t)}</title><link href="{base}{p}"/><id>{base}{p}</id>'
        f"<updated>2026-12-02T09:00:00Z</updated><summary>{escape(t)}</summary></entry>"
        for p, t in items
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>{escape(title)}</title>'
        f"<id>{base}/en</id><updated>2026-12-02T09:00:00Z</updated>{rows}</feed>"
    ).encode()


# the faults, each at its own path
MISSING = "/ar/2026/12/01/removed.html"  # 404
SLOW = "/en/2026/12/02/slow.html"  # answers after SLOW_SECONDS, past the poller's timeout (1 s in the tests)
HUGE = "/fr/2026/12/02/huge.html"  # over the size limit
PDF = "/en/2026/12/02/report.pdf"  # not HTML
SECTION = "/world"  # HTML with no article
PRIVATE = "/private/2026/12/02/draft.html"  # robots.txt disallows it
SLOW_SECONDS = 4.0
HUGE_BYTES = 3_000_000
FEEDS = ("/feeds/ar.xml", "/feeds/en.atom", "/feeds/fr.rss", "/feeds/broken.xml", "/feeds/gone.xml")


class NewsSite:
    """A news site on 127.0.0.1 (a thread of the test process): its pages, feeds and faults.

    `requests` counts GETs by path; `headers` keeps each request's headers, in order.
    """

    def __init__(self) -> None:
        self.requests: Counter[str] = Counter()
        self.log: list[tuple[float, str, dict[str, str]]] = []
        self._lock = threading.Lock()
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # quiet
                pass

            def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
                with site._lock:
                    site.requests[self.path] += 1
                    site.log.append((time.monotonic(), self.path, dict(self.headers)))
                    seen = site.requests[self.path]
                status, ctype, body, extra = site.answer(self.path, seen, self.headers)
                if status == 200 and ctype.startswith("text/html") and "gzip" in self.headers.get("Accept-Encoding", ""):
                    body, extra = gzip.compress(body), {**extra, "Content-Encoding": "gzip"}  # the huge page unpacks past the limit
                if self.path == SLOW:
                    time.sleep(SLOW_SECONDS)
                try:
                    self.send_response(status)
                    if ctype:
                        self.send_header("Content-Type", ctype)
                    for k, v in extra.items():
                        self.send_header(k, v)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> NewsSite:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def url(self, path: str) -> str:
        return self.base + path

    def feed_urls(self) -> list[str]:
        return [self.url(p) for p in FEEDS]

    def answer(self, path: str, seen: int, headers) -> tuple[int, str, bytes, dict[str, str]]:
        b = self.base
        stories = {s.path: s for s in STORIES}
        if path in stories:
            s = stories[path]
            return 200, f"text/html; charset={s.header_charset}", page(s, b), {}
        if path == "/robots.txt":
            return 200, "text/plain", b"User-agent: *\nDisallow: /private/\n", {}
        if path == "/feeds/ar.xml":  # supports ETag: the second poll gets 304
            etag = '"ar-feed-1"'
            if headers.get("If-None-Match") == etag:
                return 304, "", b"", {"ETag": etag}
            body = rss(
                b,
                [(STORIES[0].path, STORIES[0].title), (STORIES[1].path, STORIES[1].title), (MISSING, "removed"), (SECTION, "World")],
                "الأخبار اليوم",
            )
            return 200, "application/rss+xml; charset=utf-8", body, {"ETag": etag}
        if path == "/feeds/en.atom":  # no validators: repeats its old items, plus a new one from the second poll on
            items = [(STORIES[2].path, STORIES[2].title), (SLOW, "slow"), (PDF, "report"), (PRIVATE, "draft")]
            if seen >= 2:
                items.insert(0, (NEW_IN_ROUND_2.path, NEW_IN_ROUND_2.title))
            return 200, "application/atom+xml", atom(b, items, "The Daily Ledger"), {}
        if path == "/feeds/fr.rss":  # Last-Modified: the second poll gets 304
            stamp = formatdate(1764662400, usegmt=True)
            if headers.get("If-Modified-Since") == stamp:
                return 304, "", b"", {"Last-Modified": stamp}
            body = rss(b, [(STORIES[3].path, STORIES[3].title), (HUGE, "huge"), (STORIES[2].path, STORIES[2].title)], "Le Quotidien")
            return 200, "application/rss+xml", body, {"Last-Modified": stamp}
        if path == "/feeds/broken.xml":
            return 200, "application/rss+xml", b"<html><body><h1>Service Unavailable</h1><p>Try again later", {}
        if path == PDF:
            return 200, "application/pdf", b"%PDF-1.4\n" + b"0" * 2000, {}
        if path == HUGE:
            filler = "".join(f"<p>Paragraphe {i} d'une page bien trop longue pour un article de presse.</p>" for i in range(60_000))
            return 200, "text/html; charset=utf-8", f"<html><body><article>{filler}</article></body></html>".encode()[:HUGE_BYTES], {}
        if path == SECTION:
            return 200, "text/html", not_an_article(b), {}
        return 404, "text/html", b"<html><body>Not found</body></html>", {}


GOOD = tuple(STORIES)  # every story is one good article, each indexed once


def good_ids(base: str) -> set[str]:
    return {base + s.path for s in GOOD}
