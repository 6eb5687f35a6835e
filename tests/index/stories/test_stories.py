"""Stories (index/stories/links.py, search/stories.py): stored when written, joined across languages,
different events apart, equal to a fresh pass after add and remove, --lang shows without joining."""

from __future__ import annotations

import orjson
import pytest

from akhbar.cli import app
from akhbar.index import config, writers
from akhbar.search.snapshot import open_snapshot
from akhbar.search.stories import coverage
from tests.helpers import SEEDS, cli_json, runner, write_jsonl


def _ids(idx, positions) -> set[str]:
    rows = idx.rows(positions, "pos, id")
    return {rows[p]["id"] for p in positions}


def _truth() -> dict[str, tuple[str, str]]:
    out = {}
    for line in (SEEDS / "events-truth.tsv").read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            i, event, _topic, split = line.split("\t")
            out[i] = (event, split)
    return out


def test_an_event_is_one_story_across_languages(idx):
    nato = coverage(idx, "ar-nato-01")
    assert {"en-nato-01", "fr-nato-01", "ar-nato-02", "ar-nato-03"} <= _ids(idx, nato.positions)  # Reuters, Le Monde
    assert _ids(idx, nato.positions) <= {"ar-nato-01", "ar-nato-02", "ar-nato-03", "en-nato-01", "fr-nato-01", "000_2274472028061bc0"}
    # independent write-ups of the dev events: most same-event pairs in two languages share a story
    truth, story = _truth(), idx.story_assignments()
    pos = {i: idx.position(i) for i in truth}
    rows = idx.rows(list(pos.values()), "pos, lang")
    pairs = [
        (a, b)
        for a in truth
        for b in truth
        if a < b and truth[a] == truth[b] and truth[a][1] == "dev" and rows[pos[a]]["lang"] != rows[pos[b]]["lang"]
    ]
    by_pair: dict[str, list[bool]] = {}
    for a, b in pairs:
        by_pair.setdefault("–".join(sorted((rows[pos[a]]["lang"], rows[pos[b]]["lang"]))), []).append(story[pos[a]] == story[pos[b]])
    shares = {lp: sum(j) / len(j) for lp, j in by_pair.items()}
    # 0.55 for every pair joined 0/15, 0/14, 2/11; 0.35 across languages 10/15, 9/14, 9/11; mutual links 13/15, 12/14, 11/11
    assert set(shares) == {"ar–en", "ar–fr", "en–fr"} and min(shares.values()) >= 0.85, shares


def test_two_earthquakes_stay_apart(idx):
    morocco = _ids(idx, coverage(idx, "fr-quake-ma-01").positions)
    turkey = _ids(idx, coverage(idx, "en-quake-tr-01").positions)
    assert {"ar-quake-ma-01", "fr-quake-ma-02", "en-quake-ma-01"} <= morocco  # one event, three languages
    assert {"ar-quake-tr-01", "fr-quake-tr-01"} <= turkey
    assert not morocco & turkey


def _stored_equals_fresh(root):
    idx = open_snapshot(root)
    fresh = idx.fresh_pass()
    assert idx.story_assignments() == {p: story for p, (story, _) in fresh.items()}
    assert idx.copy_groups() == {p: group for p, (_, group) in fresh.items()}
    return idx


@pytest.mark.parametrize("mode", ["merge", "delta", "merge-kept"])
def test_stored_stories_equal_a_fresh_pass_after_add_and_remove(seed_index, copy_of, tmp_path, monkeypatch, mode):
    delta = mode == "delta"
    if mode != "merge":  # as above MERGE_BELOW articles: only what changed is linked again, in the delta
        monkeypatch.setattr(config, "MERGE_BELOW", 1)  # ... or (merge-kept) in a merge that keeps the stored stories
        monkeypatch.setattr(config, "DELTA_SHARE", 1.0 if delta else 0.0)
    root = copy_of(seed_index)
    before = open_snapshot(root)
    nato = coverage(before, "ar-nato-01")
    first, rest = nato.members[0], nato.members[1:]
    first_id = before.rows([first], "pos, id")[first]["id"]
    egypt = ("ev-egypt23-en-1", "ev-egypt23-ar-1")  # apart: an Arabic article on Tunisia is nearer to the English one
    assert before.story_of(before.position(egypt[0])) != before.story_of(before.position(egypt[1]))
    # the story's first article goes (the others linked to it), and so does the first of the three
    # wire copies (their copy group is named after it); a Moroccan report is rewritten; and the
    # Tunisian article goes: the Egyptian pair becomes mutual and links, though neither linked to it
    writers.remove([first_id, "ar-nato-01", "ar-quake-ma-02", "ev-tunisia24-ar-1"], root)
    after = _stored_equals_fresh(root)
    assert len({after.story_of(after.position(i)) for i in _ids(before, rest) - {"ar-nato-01"}}) == 1  # the story keeps the rest
    groups = after.copy_groups()
    assert groups[after.position("ar-nato-02")] == groups[after.position("ar-nato-03")] == "ar-nato-02"  # regrouped
    assert after.story_of(after.position(egypt[0])) == after.story_of(after.position(egypt[1]))
    new = write_jsonl(
        tmp_path / "new.jsonl",
        [
            {
                "id": "en-nato-late",
                "title": "NATO foreign ministers meet in Brussels as Stoltenberg warns of wider war",
                "body": "NATO foreign ministers met in Brussels on Tuesday. Secretary General Jens Stoltenberg said the alliance "
                "must prevent the war in Ukraine from escalating into a full-scale conflict with Russia, and pledged "
                "support for Kyiv for as long as it takes.",
                "lang": "en",
                "date": "2023-11-28",
                "source": "AP",
            },
            {
                "id": "en-nato-late-wire",
                "title": "NATO foreign ministers meet in Brussels as Stoltenberg warns of wider war",
                "body": "NATO foreign ministers met in Brussels on Tuesday. Secretary General Jens Stoltenberg said the alliance "
                "must prevent the war in Ukraine from escalating into a full-scale conflict with Russia, and pledged "
                "support for Kyiv for as long as it takes.",
                "lang": "en",
                "date": "2023-11-29",
                "source": "Yahoo News",
            },
            {
                "id": "ar-quake-ma-01",
                "title": "زلزال المغرب: ارتفاع عدد الضحايا إلى أكثر من 2000 قتيل",
                "body": "ارتفعت حصيلة الزلزال الذي ضرب منطقة الحوز في المغرب إلى أكثر من ألفي قتيل، وفق وزارة الداخلية، "
                "فيما تواصل فرق الإنقاذ البحث عن ناجين في القرى الجبلية المعزولة.",
                "lang": "ar",
                "date": "2023-09-09",
                "source": "الجزيرة نت",
            },
        ],
    )
    writers.add([new], root)
    after = _stored_equals_fresh(root)
    assert after.story_of(after.position("en-nato-late")) == after.story_of(after.position("en-nato-01"))
    assert after.copy_groups()[after.position("en-nato-late-wire")] == "en-nato-late"  # a wire copy joins its group
    assert after.delta_size() > 0 if delta else after.delta_size() == 0


def test_lang_limits_what_is_shown_not_what_is_joined(seed_index):
    everything = cli_json("coverage", "ar-nato-01", "--index", str(seed_index))
    french = cli_json("coverage", "ar-nato-01", "--index", str(seed_index), "--lang", "fr")
    assert [a["id"] for a in french["shown"]] == ["fr-nato-01"]
    assert french["story"] == everything["story"] and french["articles"] == everything["articles"] >= 5
    assert french["languages"] == ["ar", "en", "fr"] and "Reuters" in french["sources"] and "Le Monde" in french["sources"]
    result = runner.invoke(app, ["stories", "--index", str(seed_index), "--lang", "en", "--json"])
    assert result.exit_code == 0, result.output
    listed = [orjson.loads(line) for line in result.stdout.splitlines()]
    story = next(s for s in listed if s["story"] == everything["story"])
    assert [a["id"] for a in story["shown"]] == ["en-nato-01"] and story["languages"] == ["ar", "en", "fr"]
    assert all(a["lang"] == "en" for s in listed for a in s["shown"])


def test_a_write_to_an_index_stored_under_another_story_rule_relinks_it(seed_index, copy_of, monkeypatch):
    """Stored stories follow the rule of the write that stored them (config.STORY_RULE, in the manifest):
    a write to an index stored under another rule merges and runs the story pass again."""
    monkeypatch.setattr(config, "MERGE_BELOW", 1)  # as above MERGE_BELOW, where a merge keeps the stored stories
    root = copy_of(seed_index)
    monkeypatch.setattr(config, "STORY_SAME_DAY_CROSS_COSINE", 0.20)  # another rule: it links more
    stale = open_snapshot(root)
    assert stale.story_assignments() != {p: story for p, (story, _) in stale.fresh_pass().items()}
    monkeypatch.setattr(config, "STORY_RULE", config.STORY_RULE + 1)
    writers.reindex(root, str(stale.manifest.faiss["kind"]))
    _stored_equals_fresh(root)
