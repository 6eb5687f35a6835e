"""One row per stored story, shown in the reader's language.

A result list (the box, search) ranks candidate articles; a reader wants events. Each candidate
belongs to a stored story (index/stories/links.py): the row is the story, its score the best of
its candidates', and the article it shows is the story's article in the reader's language that
is nearest the query (else its best candidate). The story's other articles are folded into the
row (`also`: the shown article's own copies first, then the rest by cosine with the query, the first
settings.copies_listed of them, then a count), so an
Arabic reader sees the Arabic article of a story covered in English and French, not the English
and French articles as two rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import KW_ONLY, dataclass, field
from datetime import date

import numpy as np

from akhbar.index.stories import rule
from akhbar.index.stories.same_row import same_row
from akhbar.search.hybrid import ROW_COLUMNS, Candidate
from akhbar.search.settings import QuerySettings
from akhbar.search.snapshot import Snapshot

# a story's articles read to choose its shown one and list its coverage: the first by arrival
MEMBERS_READ = 64


@dataclass
class StoryRow:
    """A story as one row: the article shown, the story's score and size, its other articles."""

    story: str
    pos: int  # the article shown
    score: float  # what ordered the row (the mode's score, decayed by date distance in a box)
    cosine: float  # the shown article's cosine with the query
    articles: int  # the story's live articles
    _: KW_ONLY  # the fields below are named at every call
    languages: list[str]
    also: list[dict] = field(default_factory=list)  # its other articles: the shown one's copies, then nearest the query
    also_more: int = 0


def stories_of(idx: Snapshot, positions: list[int]) -> dict[int, str]:
    """The stored story of each live position."""
    out: dict[int, str] = {}
    for i in range(0, len(positions), 500):
        out.update(idx.stories_at(positions[i : i + 500]))
    return out


def day_factor(day: str, anchor: str, settings: QuerySettings) -> float:
    """How much a row's score keeps at its distance in days from the box's article: 1 the same day,
    falling towards 1 - settings.date_weight with half-life settings.date_half_life days. A decay,
    never a cut: an undated row or article keeps the middle of the range."""
    if not settings.date_weight:
        return 1.0
    if not day or not anchor:
        return 1.0 - settings.date_weight / 2
    days = abs((date.fromisoformat(day) - date.fromisoformat(anchor)).days)
    return 1.0 - settings.date_weight * (1.0 - 0.5 ** (days / settings.date_half_life))


def decayed_by_age(cands: list[Candidate], rows: dict[int, dict], half_life: int) -> list[Candidate]:
    """Scores decayed by age relative to the newest candidate (the ordering does not depend on
    that reference); undated candidates count as old as the oldest dated one."""
    days = [date.fromisoformat(rows[p]["day"]) for p, _, _ in cands if rows[p]["day"]]
    if not days:
        return cands
    newest, oldest = max(days), min(days)

    def factor(day: str) -> float:
        return 0.5 ** ((newest - (date.fromisoformat(day) if day else oldest)).days / half_life)

    return sorted((Candidate(p, max(s, 0.0) * factor(rows[p]["day"]), c) for p, s, c in cands), key=lambda x: -x[1])


def rank_stories(
    cands: list[Candidate],
    story: dict[int, str],
    rows: dict[int, dict],
    passes: Callable[[int, dict], bool],
    floor: float,
    *,
    skip: set[str],
    anchor: str,
    settings: QuerySettings,
) -> list[tuple[str, float, int]]:
    """Stories by their best candidate: (story, score, that candidate), best first. A candidate
    counts when it passes the filters and its cosine reaches `floor`; stories in `skip` (the box's
    own) are left out. With an `anchor` day, scores decay with the days between (day_factor)."""
    best: dict[str, tuple[float, int]] = {}
    for pos, score, cos in cands:
        s = story.get(pos)
        if s is None or s in skip or cos < floor or not passes(pos, rows[pos]):
            continue
        if anchor:
            score = score * day_factor(rows[pos]["day"], anchor, settings)
        if s not in best or score > best[s][0]:
            best[s] = (score, pos)
    return sorted(((s, sc, p) for s, (sc, p) in best.items()), key=lambda x: -x[1])


def listed(row: dict, cosine: float) -> dict:
    """A folded article: its title names it where it has no source (a saved page's read-also teaser)."""
    return {
        "id": row["id"],
        "title": row["title"],
        "source": row["source"],
        "date": row["date"],
        "lang": row["lang"],
        "score": round(cosine, 4),
    }


def build_rows(
    idx: Snapshot,
    ranked: list[tuple[str, float, int]],
    qvec: np.ndarray,
    reader_lang: str,
    passes: Callable[[int, dict], bool],
    *,
    limit: int,
) -> list[StoryRow]:
    """Each ranked (story, score, best candidate) as a row: the article shown is the story's nearest
    to the query in the reader's language among those the filters pass (a dated one first), else
    `best`; the rest are its coverage. A story's first MEMBERS_READ articles are read (a wire story
    can have thousands) and all are counted; rows, vectors and counts are read once for every row."""
    members = {}
    for story, _, best in ranked:
        first = idx.story_members(story, MEMBERS_READ)
        members[story] = first if best in first else first[: MEMBERS_READ - 1] + [best]
    full = [story for story, _, _ in ranked if len(members[story]) >= MEMBERS_READ]
    sizes = idx.story_sizes(full) if full else {}
    every = list(dict.fromkeys(p for ps in members.values() for p in ps))
    rows = idx.rows(every, ROW_COLUMNS)
    every = [p for p in every if p in rows]
    cos = dict(zip(every, (idx.vectors_at(every, [rows[p]["lang"] for p in every]) @ qvec).tolist())) if every else {}
    chosen = []
    for story, score, best in ranked:
        read = [p for p in members[story] if p in rows]
        in_reader = [p for p in read if rows[p]["lang"] == reader_lang and passes(p, rows[p])]
        # nearest the query, a dated article before an undated one (a saved page's teaser, a fragment)
        shown = max(in_reader, key=lambda p: (bool(rows[p]["day"]), cos[p])) if reader_lang and in_reader else best
        chosen.append((story, score, shown, read))
    # the shown article's own copies lead its "also" (the same text elsewhere), in arrival order,
    # read even when they lie past the story's first MEMBERS_READ articles
    copies = idx.copy_group_members(list({shown for _, _, shown, _ in chosen}), limit + 1) if chosen else {}
    unread = list(dict.fromkeys(p for group, _ in copies.values() for p in group if p not in rows))
    if unread:
        rows.update(idx.rows(unread, ROW_COLUMNS))
        unread = [p for p in unread if p in rows]
        cos.update(zip(unread, (idx.vectors_at(unread, [rows[p]["lang"] for p in unread]) @ qvec).tolist()))
    out = []
    for story, score, shown, read in chosen:
        total = sizes.get(story, len(read))
        own = [p for p in copies[shown][0] if p != shown and p in rows]
        rest = sorted((p for p in read if p != shown and p not in own), key=lambda p: -cos[p])
        langs = sorted({rows[p]["lang"] for p in read + own if rows[p]["lang"]})
        folded = [listed(rows[p], cos[p]) for p in (own + rest)[:limit]]
        out.append(
            StoryRow(
                story, shown, score, cos.get(shown, 0.0), total, languages=langs, also=folded, also_more=max(0, total - 1 - len(folded))
            )
        )
    return out


def own_story(idx: Snapshot, pos: int, qvec: np.ndarray, limit: int) -> StoryRow:
    """The box's first row: the article's own story (its coverage in every language), the article
    itself shown."""
    return build_rows(idx, [(idx.story_of(pos), 1.0, pos)], qvec, "", lambda p, r: True, limit=limit)[0]


def _days(a: str, b: str) -> int | None:
    """Days between two rows' days as the story rule counts them (rule.HALF_DATED: one side undated)."""
    if a and b:
        return abs((date.fromisoformat(a) - date.fromisoformat(b)).days)
    return rule.HALF_DATED if a or b else None


def same_event(cosine: float, a: dict, b: dict) -> bool:
    """Whether two articles are one event to the reader: the story rule would link them as a pair
    (its plain threshold for their languages and days, index/stories/rule.py), or they are one row
    (copies, or headlines alike: index/stories/same_row.py). The story pass links each article to
    its single best earlier match, so two articles that pass may still end in two stories."""
    return cosine >= rule.threshold(a["lang"] == b["lang"], _days(a["day"], b["day"])) or same_row(cosine, a, b)


def one_row_per_event(idx: Snapshot, article: dict, own: StoryRow, rows: list[StoryRow], limit: int) -> tuple[StoryRow, list[StoryRow]]:
    """The box's rows with no event twice: a row whose shown article is one event with the box's
    article (`same_event`; its cosine with the query is the cosine with that article) folds into the
    box's own story row; a row one event with an earlier row folds into that row. A folded row's
    shown article joins the other's `also` (up to `limit` listed), its other articles count in `also_more`."""
    if not rows:
        return own, rows
    shown = idx.rows([r.pos for r in rows], ROW_COLUMNS)
    vecs = idx.vectors_at([r.pos for r in rows], [shown[r.pos]["lang"] for r in rows])
    kept: list[int] = []
    for i, r in enumerate(rows):
        me = shown[r.pos]
        into = own if same_event(r.cosine, article, me) else None
        if into is None:
            into = next((rows[j] for j in kept if same_event(float(vecs[i] @ vecs[j]), shown[rows[j].pos], me)), None)
        if into is None:
            kept.append(i)
            continue
        if len(into.also) < limit:
            into.also = into.also + [listed(me, r.cosine)]
            into.also_more += r.articles - 1
        else:
            into.also_more += r.articles
        into.articles += r.articles
        into.languages = sorted(set(into.languages) | set(r.languages))
    return own, [rows[i] for i in kept]
