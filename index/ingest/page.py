"""Parse a saved news page like seeds/000_*.txt: body, source, keywords, 'read also', similar list."""

from __future__ import annotations

import re

from akhbar.index.article import Article

SOURCE = "المصدر:"
KEYWORDS = "كلمات دلالية:"
READ_ALSO = re.compile(r"^[إا]قرأ أيضا[ًً]?:?$")
SIMILAR = "مقالات مشابهة"
AD_LABEL = "إعلان"  # an advertisement slot, not article text
BULLET = re.compile(r"^\s*[•·\-\*]\s*")


def is_page(text: str) -> bool:
    """A page has at least one of the site's section markers on a line of its own."""
    lines = {line.strip() for line in text.splitlines()}
    return SIMILAR in lines or any(line.startswith((SOURCE, KEYWORDS)) for line in lines)


def _paragraphs(lines: list[str]) -> str:
    return "\n".join(line for line in (x.strip() for x in lines) if line and line != AD_LABEL)


def parse_page(text: str, page_id: str, origin: str) -> list[tuple[int, Article]]:
    """The page's own article and its 'read also' article, each with its first line number."""
    lines = text.splitlines()
    body_end = len(lines)
    source, keywords, read_also_at, similar_at = "", [], None, None
    for i, raw in enumerate(lines):
        line = raw.strip()
        if line.startswith(SOURCE):
            source = line[len(SOURCE) :].strip()
            body_end = min(body_end, i)
        elif line.startswith(KEYWORDS):
            keywords = line[len(KEYWORDS) :].split()
            body_end = min(body_end, i)
        elif READ_ALSO.match(line):
            read_also_at = i
            body_end = min(body_end, i)
        elif line == SIMILAR:
            similar_at = i
            body_end = min(body_end, i)
    related = [BULLET.sub("", x).strip() for x in lines[similar_at + 1 :]] if similar_at is not None else []
    main = Article(
        id=page_id,
        body=_paragraphs(lines[:body_end]),
        source=source,
        keywords=keywords,
        related=[r for r in related if r],
        origin=f"{origin}:1",
    )
    out = [(1, main)]
    if read_also_at is not None:
        end = similar_at if similar_at is not None and similar_at > read_also_at else len(lines)
        block = [x.strip() for x in lines[read_also_at + 1 : end]]
        first = next((i for i, x in enumerate(block) if x), None)
        if first is not None:
            line_no = read_also_at + 2 + first
            out.append(
                (
                    line_no,
                    Article(
                        id=f"{page_id}/read-also", title=block[first], body=_paragraphs(block[first + 1 :]), origin=f"{origin}:{line_no}"
                    ),
                )
            )
    return out
