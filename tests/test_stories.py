"""Stories and coverage (search/stories.py)."""

from __future__ import annotations

from akhbar.search.stories import assign, coverage


def test_stories_keep_two_earthquakes_apart(idx):
    story = assign(idx)
    pos = {i: idx.position(i) for i in ("fr-quake-ma-01", "fr-quake-ma-02", "fr-quake-tr-01", "en-quake-tr-01")}
    assert story[pos["fr-quake-ma-01"]] == story[pos["fr-quake-ma-02"]]  # one event, two outlets
    assert story[pos["en-quake-tr-01"]] == story[pos["fr-quake-tr-01"]]  # one event across languages
    assert story[pos["fr-quake-tr-01"]] != story[pos["fr-quake-ma-01"]]  # another country, months apart
    whole = coverage(idx, "ar-nato-01").positions  # traced within settings.coverage_days: the same story as the whole pass
    mine = story[idx.position("ar-nato-01")]
    assert set(whole) == {p for p, s in story.items() if s == mine}
    ids = [idx.rows([p])[p]["id"] for p in whole]
    assert {"ar-nato-01", "ar-nato-02", "ar-nato-03"} <= set(ids) and all("nato" in i or i[0].isdigit() for i in ids), ids
    days = [idx.rows([p])[p]["day"] for p in whole]
    assert [d for d in days if d] == sorted(d for d in days if d)  # by date
