"""Results as plain objects: what `--json` prints and what the HTTP API returns, built in one place
so the two stay equal (the CLI's tables and the web pages show the same rows)."""

from __future__ import annotations

from akhbar.search.query import Box, display_title
from akhbar.search.snapshot import Snapshot
from akhbar.search.stories import Story


def _name(copy: dict) -> str:
    """A folded copy's name: its outlet, else its title (a saved page's read-also teaser), else its id."""
    return copy["source"] or copy.get("title") or copy["id"]


def outlet(copy: dict) -> str:
    """'source (day)' for a folded copy, the way the box names other outlets."""
    return f"{_name(copy)} ({copy['date'][:10]})" if copy["date"] else _name(copy)


def also_named(row: dict) -> str:
    """'Le Monde · fr, Reuters · en, +3': a row's folded coverage, the way the table shows it."""
    named = [f"{_name(c)} · {c['lang']}" for c in row["also"]]
    return ", ".join(named + ([f"+{row['also_more']}"] if row["also_more"] else []))


def hit_rows(box: Box, idx: Snapshot, explain_with=None) -> list[dict]:
    """One object per row of a box or a search (the schema serve/schema.py documents); with an
    embedder, each row's best passage and shared terms."""
    rows = [h.as_dict() for h in box.hits]
    if explain_with is not None:
        from akhbar.search import explain

        for d, e in zip(rows, explain.explain(idx, box, explain_with)):
            d.update(e)
    return rows


def box_head(box: Box) -> dict:
    """What a box is about: the article (or text) asked about, its own story (its coverage) and
    copies, the reader's language, the days looked in."""
    return {
        "article": box.article,
        "story": box.story.as_dict() if box.story else None,
        "copies": box.copies,
        "copies_more": box.copies_more,
        "reader_lang": box.reader_lang,
        "since": box.filters.since or "",
        "until": box.filters.until or "",
    }


def article_rows(idx: Snapshot, positions: list[int]) -> list[dict]:
    """id, day, source, language and title of articles, in the order given."""
    rows = idx.rows(positions, "pos, id, title, body, source, date, lang")
    return [
        {
            "id": rows[p]["id"],
            "day": rows[p]["date"][:10],
            "source": rows[p]["source"],
            "lang": rows[p]["lang"],
            "title": display_title(rows[p]),
        }
        for p in positions
    ]


def dup_rows(idx: Snapshot, groups: list[list[int]]) -> list[dict]:
    return [{"group": i, "articles": article_rows(idx, g)} for i, g in enumerate(groups, 1)]


def story_row(idx: Snapshot, story: Story) -> dict:
    """A story's languages and outlets (all its articles) and its shown articles."""
    every = article_rows(idx, story.members)
    by_position = dict(zip(story.members, every))
    shown = [by_position[p] for p in story.positions]
    days = sorted(a["day"] for a in every if a["day"])
    return {
        "story": story.story,
        "articles": len(every),
        "first": days[0] if days else "",
        "last": days[-1] if days else "",
        "languages": sorted({a["lang"] for a in every}),
        "sources": sorted({a["source"] for a in every if a["source"]}),
        "title": (shown or every)[0]["title"],  # a --lang with none of the story's articles shows none
        "shown": shown,
    }


def coverage_row(idx: Snapshot, story: Story) -> dict:
    """`akhbar coverage`: the story's row with its shown articles by date, undated last."""
    row = story_row(idx, story)
    row["shown"] = sorted(row["shown"], key=lambda a: (a["day"] == "", a["day"]))
    return row
