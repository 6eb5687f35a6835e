"""`akhbar stories` and `akhbar coverage ID`: the corpus grouped into stories (events), as stored.

Stories are assigned when articles are written (index/stories/links.py): an article joins the
story of its most similar earlier article, with a threshold that depends on the language pair
and the days between them, so an event's coverage in every language lands in one story while
another event (two earthquakes in two countries) stays apart. Reading them is a lookup: no
pass over the corpus. A language filter limits what is shown, never what was joined.
"""

from __future__ import annotations

from dataclasses import dataclass

from akhbar.search.snapshot import Snapshot


@dataclass
class Story:
    """A story: its id (the id of its first article), its articles' positions in arrival order
    (`members`), and those shown (`positions`: all of them, or those in the language asked for)."""

    story: str
    members: list[int]
    positions: list[int]


def _shown(idx: Snapshot, positions: list[int], lang: str | None) -> list[int]:
    if not lang:
        return positions
    rows = idx.rows(positions, "pos, lang")
    return [p for p in positions if rows[p]["lang"] == lang]


def stories(idx: Snapshot, min_articles: int = 2, lang: str | None = None) -> list[Story]:
    """Stories with at least `min_articles` articles, largest first; with `lang`, only the stories
    that have articles in it, showing those."""
    out = []
    for story in idx.stories(min_articles):
        members = idx.story_members(story)
        shown = _shown(idx, members, lang)
        if shown:
            out.append(Story(story, members, shown))
    return out


def coverage(idx: Snapshot, article_id: str, lang: str | None = None) -> Story:
    """The story of an article, in arrival order (with `lang`, its articles in that language)."""
    pos = idx.require(article_id)["pos"]
    story = idx.story_of(pos)
    members = idx.story_members(story)
    return Story(story, members, _shown(idx, members, lang))
