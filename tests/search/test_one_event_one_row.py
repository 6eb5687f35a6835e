"""One event, one row in the box (search/story_rows.one_row_per_event), whatever the stored stories are.

A reprint published more than a week after its original is another stored story (the story pass
never links articles STORY_WINDOW_DAYS apart), but to a reader it is the same event: the box must
not show it as a row of its own, neither under the original nor beside the original's row."""

from __future__ import annotations

import pytest

from akhbar.index.writers import build
from akhbar.search import present
from akhbar.search.options import QueryOptions
from akhbar.search.query import similar_to_id
from akhbar.search.snapshot import open_snapshot
from tests.helpers import CORPUS, write_jsonl

pytestmark = pytest.mark.model

ERUPTION = (
    "A volcano erupted on the Reykjanes peninsula on Sunday morning, sending lava into the streets of Grindavik. "
    "Three houses burned and the town's 3,700 residents, evacuated in November, were kept away. "
    "Scientists said the fissure opened just north of the town's defensive walls."
)
SECOND = (
    "A new eruption began on the Reykjanes peninsula on Thursday, the third since December, with lava cutting the "
    "hot water pipe that heats homes across the peninsula. Thousands were left without heating in freezing weather."
)
ARTICLES = [
    {
        "id": "eruption",
        "title": "Lava reaches Grindavik as volcano erupts",
        "body": ERUPTION,
        "lang": "en",
        "date": "2024-01-14",
        "source": "RÚV",
    },
    # the same text printed again 16 days later: another stored story, the same event
    {
        "id": "eruption-reprint",
        "title": "Lava reaches Grindavik as volcano erupts",
        "body": ERUPTION + " (Reprint.)",
        "lang": "en",
        "date": "2024-01-30",
        "source": "Iceland Review",
    },
    {
        "id": "second",
        "title": "New eruption cuts hot water to the Reykjanes peninsula",
        "body": SECOND,
        "lang": "en",
        "date": "2024-02-08",
        "source": "Reuters",
    },
    # a reprint with no source (a page's read-also teaser): named by its title where it is folded
    {
        "id": "second-teaser",
        "title": "New eruption cuts hot water to the Reykjanes peninsula",
        "body": SECOND + " Read more.",
        "lang": "en",
        "date": "2024-02-20",
        "source": "",
    },
    {
        "id": "match",
        "title": "United beat City in the derby",
        "lang": "en",
        "date": "2024-01-14",
        "source": "BBC",
        "body": "Manchester United beat Manchester City 2-1 at Old Trafford on Sunday with two goals in the second half.",
    },
    {
        "id": "budget",
        "title": "Parliament passes the budget",
        "lang": "en",
        "date": "2024-01-20",
        "source": "AP",
        "body": "The parliament passed next year's budget on Saturday after a night of debate over taxes and spending cuts.",
    },
]


def test_a_reprint_in_another_story_is_not_a_row_and_one_event_is_one_row(tmp_path):
    root = tmp_path / "idx"
    news = [a for a in CORPUS if a["lang"] == "en"]  # the seeds' English news around them, for the centering
    build([write_jsonl(tmp_path / "a.jsonl", ARTICLES + news)], root)
    idx = open_snapshot(root)
    story = {idx.rows([p], "pos, id")[p]["id"]: s for p, s in idx.stories_at(idx.positions()).items()}
    assert story["eruption"] != story["eruption-reprint"] and story["second"] != story["second-teaser"]  # the stored stories split

    box = similar_to_id(idx, "eruption", QueryOptions(k=5))
    rows = [h.id for h in box.hits]
    assert "eruption-reprint" not in rows  # the article's own event is not shown again as a row
    assert "eruption-reprint" in [c["id"] for c in box.story.also]  # it is named in the box's own story
    assert len({"second", "second-teaser"} & set(rows)) == 1  # one event, one row
    row = next(h for h in box.hits if h.id in {"second", "second-teaser"})
    assert row.id == "second"  # the nearer date ranks first (story_rows.day_factor)
    assert "second-teaser" in [c["id"] for c in row.also]
    named = present.also_named(row.__dict__)
    assert ARTICLES[3]["title"] in named and "second-teaser" not in named  # named by its title, not its id
