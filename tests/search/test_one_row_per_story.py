"""One row per story: the row rule (index/stories/same_row.py: copies by cosine, rewrites by headline + text +
day, with search/settings.py's thresholds) and the box that folds a story into one row."""

from __future__ import annotations

import orjson
import pytest

from akhbar.index.stories.same_row import same_row
from akhbar.search.options import QueryOptions
from akhbar.search.query import similar_to_id
from akhbar.search.settings import DEFAULTS
from akhbar.search.snapshot import open_snapshot
from tests.helpers import SEED_PAGE_ID, SEEDS

ROW = {"title": "ترامب: أيام مقبلة مهمة للغاية لمحادثات السلام", "day": "2025-04-25"}


@pytest.mark.parametrize(
    ("cosine", "other", "expected"),
    [
        (0.95, {"title": "عنوان مختلف تماما", "day": "2020-01-01"}, True),  # a copy, whatever its headline
        (0.65, {"title": "ترامب: الأيام المقبلة مهمة لمحادثات السلام", "day": "2025-04-26"}, True),
        (0.65, {"title": "ترامب: الأيام المقبلة مهمة لمحادثات السلام", "day": "2025-05-10"}, False),  # weeks apart
        (0.65, {"title": "ترامب: الأيام المقبلة مهمة لمحادثات السلام", "day": ""}, True),  # undated: headline and text decide
        (0.50, {"title": "ترامب: الأيام المقبلة مهمة لمحادثات السلام", "day": "2025-04-25"}, False),  # texts differ
        (0.80, {"title": "لافروف: موسكو مستعدة لاتفاق سلام", "day": "2025-04-25"}, False),  # another headline
        (0.80, {"title": "", "day": "2025-04-25"}, False),
    ],
)
def test_same_story_rule(cosine, other, expected):
    assert same_row(cosine, ROW, other, DEFAULTS.row_rule) is expected


def test_seed_box_folds_the_rewritten_story(seed_index):
    # any time (the Trump story is from 2025, the seed page's own story from 2023); k=15:
    # seeds/events.jsonl's NATO events (Vilnius, Finland, Sweden) rank above the Trump story
    box = similar_to_id(open_snapshot(seed_index), SEED_PAGE_ID, QueryOptions(k=15, window=0))
    trump = {f"{SEED_PAGE_ID}/read-also", "ar-peace-01"}  # the page's teaser and Sky News Arabia's article
    rows = [{h.id, *(a["id"] for a in h.also)} for h in box.hits]
    assert [trump <= named for named in rows].count(True) == 1  # one row names both: the story, once
    assert not any(trump & named and not trump <= named for named in rows)  # and no other row names either


def test_a_rewrite_of_the_article_itself_is_named_above_the_box(seed_index, copy_of, tmp_path):
    """Same outlet or another, same day, a headline that reads alike, a text that agrees but was
    rewritten (cosine under the copy threshold): the seed page lists such a story twice; we name it above."""
    from akhbar.index.writers import add

    root = copy_of(seed_index)
    original = next(r for r in map(orjson.loads, (SEEDS / "sample_corpus.jsonl").read_bytes().splitlines()) if r["id"] == "ar-nato-01")
    first = "،".join(original["body"].split("،")[:3])  # its first three clauses, then new text
    row = {
        "id": "ar-nato-01-update",
        "lang": "ar",
        "date": "2023-11-28",
        "source": "الجزيرة نت",
        "title": "ستولتنبرغ: من المهام الرئيسية للناتو منع تحول الصراع في أوكرانيا إلى حرب واسعة مع روسيا",
        "body": first + "\nوناقش اجتماع وزراء الخارجية في بروكسل إمدادات الذخيرة والدفاع الجوي قبل الشتاء، "
        "وقال دبلوماسيون إن الحلفاء يبحثون تمويل مصانع الذخيرة.",
    }
    (tmp_path / "update.jsonl").write_bytes(orjson.dumps(row) + b"\n")
    add([tmp_path / "update.jsonl"], root)
    idx = open_snapshot(root)
    a, b = (idx.position(i) for i in ("ar-nato-01", "ar-nato-01-update"))
    cos = float(idx.vector(a) @ idx.vector(b))
    assert DEFAULTS.story_cosine <= cos < DEFAULTS.duplicate_cosine, cos  # a rewrite, not a copy
    box = similar_to_id(idx, "ar-nato-01", QueryOptions(k=8, window=0))
    assert "ar-nato-01-update" in {c["id"] for c in box.copies}
    assert "ar-nato-01-update" not in {h.id for h in box.hits} | {c["id"] for h in box.hits for c in h.also}
