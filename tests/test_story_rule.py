"""The story link rule (index/stories/rule.py) on given cosines: time and mutual rank as evidence.
No model: the candidates' cosines are given (tests/test_stories.py runs the rule on real articles)."""

from __future__ import annotations

from akhbar.index import config
from akhbar.index.stories import rule


def _choose(candidates, days=1, nearest=lambda b, c: True, lang="en"):
    return rule.choose(lang, lambda b: days, candidates, nearest)


def test_a_mutual_pair_links_lower_than_any_pair():
    cross = 0.30  # between the mutual same-day cross-language threshold and the plain one
    assert config.STORY_MUTUAL_SAME_DAY_CROSS_COSINE <= cross < config.STORY_SAME_DAY_CROSS_COSINE
    assert _choose([(4, "ar", cross)]) == (4, cross)
    assert _choose([(4, "ar", cross)], nearest=lambda b, c: False) == (-1, -1.0)  # A is not B's nearest in A's language
    # B is not A's nearest in B's language: another Arabic article is nearer (and itself too low to link)
    assert _choose([(2, "ar", 0.33), (4, "ar", cross)], nearest=lambda b, c: b == 4) == (-1, -1.0)
    # a nearer article in another language does not matter
    assert _choose([(2, "fr", 0.33), (4, "ar", cross)], nearest=lambda b, c: b == 4) == (4, cross)


def test_the_best_passing_candidate_wins_and_ties_go_to_the_earliest():
    assert _choose([(1, "en", 0.50), (3, "ar", 0.70), (5, "en", 0.60)]) == (3, 0.70)
    assert _choose([(1, "en", 0.60), (5, "en", 0.60)]) == (1, 0.60)


def test_time_raises_the_bar_and_undated_pairs_need_more():
    assert rule.mutual_threshold(False, 1) == config.STORY_MUTUAL_SAME_DAY_CROSS_COSINE
    assert rule.mutual_threshold(False, 2) > rule.mutual_threshold(False, 1)
    assert rule.mutual_threshold(False, None) == config.STORY_MUTUAL_CROSS_COSINE
    assert rule.mutual_threshold(True, None) == config.STORY_MUTUAL_COSINE < config.STORY_LINK_COSINE
    assert _choose([(4, "ar", 0.30)], days=None) == (-1, -1.0)  # undated: 0.35 even when mutual
    assert _choose([(4, "ar", 0.40)], days=None) == (4, 0.40)
    assert _choose([(4, "en", 0.99)], days=config.STORY_WINDOW_DAYS + 1) == (-1, -1.0)  # never beyond the window
    for same in (True, False):
        for days in (None, 0, 1, 2, 3, 5, 7, 8):
            assert rule.mutual_threshold(same, days) <= rule.threshold(same, days)
            assert rule.lowest() <= rule.mutual_threshold(same, days)
