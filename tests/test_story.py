"""One row per story: copies by cosine, rewrites by headline + text + day; Arabic-aware headline matching."""

from __future__ import annotations

import pytest

from akhbar.index.textnorm import normalize, trigram_jaccard
from akhbar.search.query import same_story, similar_to_id
from akhbar.search.reader import open_index
from tests.conftest import SEED_PAGE_ID


def test_normalize_folds_arabic_spelling_variants():
    assert normalize("إِنَّ الأُمَّةَ") == normalize("ان الامه")  # diacritics, hamza forms, ta marbuta
    assert normalize("مـــصـــر") == "مصر"  # tatweel
    assert normalize("مستشفى") == normalize("مستشفي")  # alef maqsura
    assert normalize("«الناتو»: بيان!") == "الناتو بيان"
    assert normalize("Le Monde, l'OTAN") == "le monde l otan"


def test_trigram_jaccard():
    a = "ترامب: أيام مقبلة مهمة للغاية لمحادثات السلام بين روسيا وأوكرانيا"
    b = "ترامب: الأيام المقبلة مهمة لمحادثات السلام بين روسيا وأوكرانيا"
    assert trigram_jaccard(a, a) == 1.0 and trigram_jaccard(a, b) > 0.7
    assert trigram_jaccard(a, "زلزال يضرب المغرب") < 0.1 and trigram_jaccard("", "") == 0.0


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
    assert same_story(cosine, ROW, other) is expected


def test_seed_box_folds_the_rewritten_story(seed_index):
    box = similar_to_id(open_index(seed_index), SEED_PAGE_ID, k=10)
    trump = [h for h in box.hits if h.id in (f"{SEED_PAGE_ID}/read-also", "ar-peace-01")]
    assert len(trump) == 1 and len(trump[0].also) == 1
