"""When two articles are one row of a result list: copies of one article, or two write-ups of one
event whose headlines read alike. Checked when articles are written, to store copy groups
(index/stories/links.py); the search before story rows folded candidates by it too (bench/search_before_story_rows.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from akhbar.index import config
from akhbar.index.ingest.textnorm import trigram_jaccard


@dataclass(frozen=True)
class RowRule:
    """The thresholds (index/config.py says where each was measured)."""

    copy_cosine: float = config.COPY_COSINE
    story_cosine: float = config.COPY_STORY_COSINE
    title_jaccard: float = config.COPY_TITLE_JACCARD
    days: int = config.COPY_DAYS


def same_row(cosine: float, a: dict, b: dict, rule: RowRule = RowRule()) -> bool:
    """Copies (cosine alone), or headlines alike (character-trigram Jaccard of normalised titles)
    with texts that agree, published within `rule.days` of each other when both are dated.
    `a` and `b` hold at least title and day."""
    if cosine >= rule.copy_cosine:
        return True
    if cosine < rule.story_cosine or not (a["title"] and b["title"]):
        return False
    if a["day"] and b["day"] and abs((date.fromisoformat(a["day"]) - date.fromisoformat(b["day"])).days) > rule.days:
        return False
    return trigram_jaccard(a["title"], b["title"]) >= rule.title_jaccard
