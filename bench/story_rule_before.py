"""The story link rule before issue 19 (commit af9df76), kept for bench/stories.py to measure beside the
current one in the same run: which earlier article a new one links to, and at what cosine (centered space).

Used by index/stories/links.py, which finds the candidates and stores the links. Chosen with
bench/stories.py (bench/results/stories.md); constants in index/config.py (STORY_*):
- Two articles published more than STORY_WINDOW_DAYS apart never link.
- Time is evidence. Two dated articles at most a day apart link at a lower cosine,
  rising by STORY_COSINE_PER_DAY for each further day up to the undated value.
- Rank is evidence. A *mutual* pair — B is A's most similar earlier article in B's language,
  and A is B's most similar article in A's language among the articles up to A — links at
  lower thresholds than any pair. Cross-language cosines are low after centering (independent
  same-day write-ups of one event averaged 0.41 on the dev split, 0.83 within a language), and
  a lower threshold for every pair lets the best of many same-day candidates in a dense corpus
  pass by chance; a mutual nearest neighbour is rarely a chance one. Both sides of the test look
  only at articles up to A, so a later arrival never changes A's link.
- Without dates on both sides there is no time evidence: the undated thresholds.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from akhbar.index import config

# Its constants (index/config.py before issue 19); the window and the plain ones are unchanged there.
STORY_LINK_COSINE = 0.55
STORY_MUTUAL_SAME_DAY_COSINE = 0.40
STORY_MUTUAL_SAME_DAY_CROSS_COSINE = 0.25
STORY_MUTUAL_COSINE = 0.45
STORY_MUTUAL_CROSS_COSINE = 0.35
HALF_DATED = -1


def _dated(same_day: float, ceiling: float, days: int | None) -> float:
    if days is None or days == HALF_DATED:
        return ceiling
    if days > config.STORY_WINDOW_DAYS:
        return float("inf")
    return min(ceiling, same_day + config.STORY_COSINE_PER_DAY * max(0, days - 1))


def threshold(same_language: bool, days: int | None) -> float:
    """The cosine at which any two articles `days` apart link; None: not dated both."""
    same_day = config.STORY_SAME_DAY_COSINE if same_language else config.STORY_SAME_DAY_CROSS_COSINE
    return _dated(same_day, STORY_LINK_COSINE, days)


def mutual_threshold(same_language: bool, days: int | None) -> float:
    """The cosine at which a mutual pair `days` apart links (never above `threshold`)."""
    if same_language:
        same_day, ceiling = STORY_MUTUAL_SAME_DAY_COSINE, STORY_MUTUAL_COSINE
    else:
        same_day, ceiling = STORY_MUTUAL_SAME_DAY_CROSS_COSINE, STORY_MUTUAL_CROSS_COSINE
    return min(_dated(same_day, ceiling, days), threshold(same_language, days))


def lowest() -> float:
    """No pair links below this cosine: the end of every candidate list."""
    return min(
        config.STORY_SAME_DAY_COSINE,
        config.STORY_SAME_DAY_CROSS_COSINE,
        STORY_LINK_COSINE,
        STORY_MUTUAL_SAME_DAY_COSINE,
        STORY_MUTUAL_SAME_DAY_CROSS_COSINE,
        STORY_MUTUAL_COSINE,
        STORY_MUTUAL_CROSS_COSINE,
    )


def choose(
    lang: str,
    day_of: Callable[[int], int | None],
    candidates: Sequence[tuple[int, str, float]],
    rival_of: Callable[[int], float],
    shares_figure: Callable[[int], bool] | None = None,
) -> tuple[int, float]:
    """A's link and its cosine: the most similar candidate that passes its threshold, or (-1, -1.0).
    (`shares_figure` is the current rule's; the rule before had no such evidence.)

    `candidates`: (position, language, cosine) of every earlier live article that may pass, in
    position order; `day_of(b)`: days between A and b, None when either is undated;
    `rival_of(b)`: the cosine of b's most similar other article in A's language among the articles
    up to A (A is b's nearest when it is at most A's cosine).
    """
    top: dict[str, float] = {}  # A's best cosine per language
    for _, b_lang, c in candidates:
        top[b_lang] = max(top.get(b_lang, -1.0), c)
    bars: dict[tuple[bool, int | None], tuple[float, float]] = {}  # (plain, mutual) by (same language, days)
    best, best_cos = -1, -1.0
    for b, b_lang, c in candidates:
        if c <= best_cos:
            continue
        key = (b_lang == lang, day_of(b))
        if key not in bars:
            bars[key] = (threshold(*key), mutual_threshold(*key))
        plain, mutual = bars[key]
        if c >= plain or (c >= mutual and c >= top[b_lang] and rival_of(b) <= c):
            best, best_cos = b, c
    return best, best_cos
