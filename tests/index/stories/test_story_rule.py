"""The story link rule (index/stories/rule.py) on given cosines: time, mutual rank across languages and
the margin of a clear pair as evidence; undated pairs need more. No model: the candidates' cosines
are given (tests/index/stories/test_stories.py runs the rule on real articles)."""

from __future__ import annotations

from akhbar.index import config
from akhbar.index.stories import rule
from akhbar.index.stories.figures import figures


def _choose(candidates, days=1, rival=lambda b: -1.0, lang="en", shares=lambda b: False):
    return rule.choose(lang, lambda b: days, candidates, rival, shares)


def test_a_mutual_pair_in_two_languages_links_lower_than_any_pair():
    cross = 0.30  # between the mutual same-day cross-language threshold and the plain one
    assert config.STORY_MUTUAL_SAME_DAY_CROSS_COSINE <= cross < config.STORY_SAME_DAY_CROSS_COSINE
    assert _choose([(4, "ar", cross)]) == (4, cross)
    assert _choose([(4, "ar", cross)], rival=lambda b: 0.31) == (-1, -1.0)  # an English article is nearer to B than A
    # B is not A's nearest in B's language: another Arabic article is nearer (and itself too low to link)
    assert _choose([(2, "ar", 0.33), (4, "ar", cross)], rival=lambda b: 0.9 if b == 2 else -1.0) == (-1, -1.0)
    # a nearer article in another language does not matter
    assert _choose([(2, "fr", 0.33), (4, "ar", cross)], rival=lambda b: 0.9 if b == 2 else -1.0) == (4, cross)


def test_in_one_language_rank_is_no_evidence():
    asked = []
    rival = lambda b: asked.append(b) or -1.0  # noqa: E731
    below = rule.threshold(True, 1) - 0.01
    assert _choose([(4, "en", below)], rival=rival) == (-1, -1.0)
    assert _choose([(4, "en", below + 0.01)], rival=rival) == (4, below + 0.01)
    assert _choose([(4, "en", 0.60)], days=None, rival=rival) == (-1, -1.0)  # undated, one language: 0.65
    assert asked == []
    for days in (None, 0, 1, 2, 5):
        assert rule.mutual_threshold(True, days) == rule.threshold(True, days)


def test_the_best_passing_candidate_wins_and_ties_go_to_the_earliest():
    assert _choose([(1, "en", 0.50), (3, "ar", 0.70), (5, "en", 0.60)]) == (3, 0.70)
    assert _choose([(1, "en", 0.60), (5, "en", 0.60)]) == (1, 0.60)


def test_time_raises_the_bar_and_undated_pairs_need_more():
    assert rule.mutual_threshold(False, 1) == config.STORY_MUTUAL_SAME_DAY_CROSS_COSINE
    assert rule.mutual_threshold(False, 2) > rule.mutual_threshold(False, 1)
    assert rule.mutual_threshold(False, None) == config.STORY_MUTUAL_CROSS_COSINE
    for same in (True, False):  # undated: never a lower plain bar than any dated pair's
        assert all(rule.threshold(same, None) >= rule.threshold(same, d) for d in range(config.STORY_WINDOW_DAYS + 1))
    assert rule.threshold(True, None) == config.STORY_UNDATED_SAME_COSINE > config.STORY_LINK_COSINE
    assert _choose([(4, "en", 0.99)], days=config.STORY_WINDOW_DAYS + 1) == (-1, -1.0)  # never beyond the window
    for same in (True, False):
        for days in (None, rule.HALF_DATED, 0, 1, 2, 3, 5, 7, 8):
            assert rule.clear_threshold(same, days) <= rule.mutual_threshold(same, days) <= rule.threshold(same, days)
            assert rule.lowest() <= rule.clear_threshold(same, days)


def test_an_undated_mutual_pair_under_the_mutual_bar_links_only_when_clear():
    c = 0.30
    assert config.STORY_CLEAR_CROSS_COSINE <= c < config.STORY_MUTUAL_CROSS_COSINE
    margin = config.STORY_CLEAR_MARGIN
    assert _choose([(4, "ar", c)], days=None, rival=lambda b: c - margin - 0.01) == (4, c)
    assert _choose([(4, "ar", c)], days=None, rival=lambda b: c - margin + 0.01) == (-1, -1.0)  # B's next best too near
    # A's second best Arabic candidate too near
    assert _choose([(2, "ar", c - margin + 0.01), (4, "ar", c)], days=None, rival=lambda b: -1.0) == (-1, -1.0)
    assert _choose([(2, "ar", c - margin - 0.01), (4, "ar", c)], days=None, rival=lambda b: -1.0) == (4, c)
    assert _choose([(2, "en", c - 0.01), (4, "ar", c)], days=None, rival=lambda b: -1.0) == (4, c)  # another language's: no matter
    # at the mutual bar, no margin is asked
    m = config.STORY_MUTUAL_CROSS_COSINE
    assert _choose([(2, "ar", m - 0.01), (4, "ar", m)], days=None, rival=lambda b: m - 0.005) == (4, m)


def test_a_pair_with_one_dated_side_gets_no_clear_path():
    c = 0.30
    assert _choose([(4, "ar", c)], days=rule.HALF_DATED, rival=lambda b: -1.0) == (-1, -1.0)
    assert _choose([(4, "ar", c)], days=None, rival=lambda b: -1.0) == (4, c)
    assert rule.threshold(True, rule.HALF_DATED) == rule.threshold(True, None)


def test_a_figure_both_headlines_state_is_evidence_across_languages_only():
    c = 0.28  # under the undated mutual bar, not a mutual pair: A has a nearer Arabic candidate
    assert rule.figure_threshold(None) <= c < config.STORY_MUTUAL_CROSS_COSINE
    cands = [(2, "ar", c + 0.01), (4, "ar", c)]
    assert _choose(cands, days=None, rival=lambda b: c + 0.05) == (-1, -1.0)
    assert _choose(cands, days=None, rival=lambda b: c + 0.05, shares=lambda b: b == 4) == (4, c)
    # one language: a shared figure is no evidence (a topic's other event states the same share)
    assert _choose([(4, "en", 0.5)], days=None, shares=lambda b: True) == (-1, -1.0)
    # dated or half dated: time is the evidence, a figure adds nothing
    for days in (rule.HALF_DATED, 0, 1, 3):
        assert _choose(cands, days=days, rival=lambda b: c + 0.05, shares=lambda b: True) == (-1, -1.0)
        assert rule.figure_threshold(days) > rule.threshold(False, days)
    assert rule.lowest() <= rule.figure_threshold(None) <= rule.threshold(False, None)


def test_figures_are_decimal_figures_in_any_script():
    assert figures("Egypt's Sisi wins third term with 89.6% of vote") == {"89.6"}
    assert figures("السيسي يفوز بولاية رئاسية جديدة بنسبة 89.6% من الأصوات") == {"89.6"}
    assert figures("تبون يفوز بنسبة ٩٤٫٦٥٪") == figures("Tebboune réélu avec 94,65 %") == {"94.65"}
    assert figures("1,000 dead as Boeing 777 crashes in 2023; version 2.5.1") == frozenset()
