"""The story link rule: which earlier article a new one links to, and at what cosine (centered space).

Used by index/stories/links.py, which finds the candidates and stores the links. Chosen with
bench/stories.py (bench/results/stories.md); constants in index/config.py (STORY_*). A story is
what a reader sees as one row, so the rule keeps apart what people call different events first:
- Two articles published more than STORY_WINDOW_DAYS apart never link.
- Time is evidence. Two dated articles at most a day apart link at a lower cosine,
  rising by STORY_COSINE_PER_DAY for each further day up to the undated value.
- Without dates on both sides there is no time evidence, so the bar is higher, not lower: one
  language needs STORY_UNDATED_SAME_COSINE (a topic's other event is often as near as 0.6).
- Rank is evidence across languages only. A *mutual* pair in two languages — B is A's most
  similar earlier article in B's language, and A is B's most similar article in A's language
  among the articles up to A — links at lower thresholds: cross-language cosines are low after
  centering (same-day write-ups of one event averaged 0.41 on the dev split), and a mutual nearest
  neighbour in another language is rarely a chance one. In one language a topic's other event is as
  often the mutual nearest, so one-language pairs pass the plain thresholds only. Undated, a mutual
  pair under the mutual threshold links only when it is clear: both sides' next best at least
  STORY_CLEAR_MARGIN below it. Both sides look only at articles up to A, so a later arrival never
  changes A's link, and a removal changes links only across languages (index/stories/links.py).
- A figure is evidence across languages where dates are missing: two undated headlines in two
  languages that state the same decimal figure (index/stories/figures.py) link at the clear bar,
  mutual or not.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from akhbar.index import config

HALF_DATED = -1  # `days` of a pair with one dated side: no time evidence, and no clear-pair path


def _dated(same_day: float, ceiling: float, days: int | None) -> float:
    if days is None or days == HALF_DATED:
        return ceiling
    if days > config.STORY_WINDOW_DAYS:
        return float("inf")
    return min(ceiling, same_day + config.STORY_COSINE_PER_DAY * max(0, days - 1))


def threshold(same_language: bool, days: int | None) -> float:
    """The cosine at which any two articles `days` apart link; None: both undated; HALF_DATED: one."""
    if same_language:
        if days is None or days == HALF_DATED:
            return config.STORY_UNDATED_SAME_COSINE
        return _dated(config.STORY_SAME_DAY_COSINE, config.STORY_LINK_COSINE, days)
    return _dated(config.STORY_SAME_DAY_CROSS_COSINE, config.STORY_LINK_COSINE, days)


def mutual_threshold(same_language: bool, days: int | None) -> float:
    """The cosine at which a mutual pair `days` apart links (never above `threshold`; one language:
    no lower than `threshold`)."""
    if same_language:
        return threshold(True, days)
    return min(_dated(config.STORY_MUTUAL_SAME_DAY_CROSS_COSINE, config.STORY_MUTUAL_CROSS_COSINE, days), threshold(False, days))


def clear_threshold(same_language: bool, days: int | None) -> float:
    """The cosine at which a clear mutual pair links: both undated and in two languages only (an
    undated page in a dated corpus, like the seed page, has dated neighbours of every event of its
    topic: Vilnius 2023 reached it at 0.33)."""
    if same_language or days is not None:
        return mutual_threshold(same_language, days)
    return min(config.STORY_CLEAR_CROSS_COSINE, mutual_threshold(False, None))


def figure_threshold(days: int | None) -> float:
    """The cosine at which two languages' headlines stating the same figure link: the clear bar when
    both are undated (the figure stands in for the dates they lack); dated pairs have time as
    evidence and do without it (inf)."""
    return clear_threshold(False, None) if days is None else float("inf")


def lowest() -> float:
    """No pair links below this cosine: the end of every candidate list."""
    return min(min(clear_threshold(same, days), threshold(same, days)) for same in (True, False) for days in (None, HALF_DATED, 0, 1))


def choose(
    lang: str,
    day_of: Callable[[int], int | None],
    candidates: Sequence[tuple[int, str, float]],
    rival_of: Callable[[int], float],
    shares_figure: Callable[[int], bool] = lambda b: False,
) -> tuple[int, float]:
    """A's link and its cosine: the most similar candidate that passes its threshold, or (-1, -1.0).

    `candidates`: (position, language, cosine) of every earlier live article that may pass (at
    least `lowest()`), in position order; `day_of(b)`: days between A and b, None when both are
    undated, HALF_DATED when one is; `rival_of(b)`: the cosine of b's most similar live article in
    A's language among the articles up to A, A and b left out (-1.0: none), asked only where a
    mutual threshold decides. A's own next best in b's language is its second best candidate there;
    with none (nothing else near enough to be a candidate) only the rival counts. `shares_figure(b)`:
    whether A's and b's headlines state the same figure, asked only of b in another language at or
    above `figure_threshold`.
    """
    top: dict[str, list[float]] = {}  # A's two best cosines per language
    for _, b_lang, c in candidates:
        best2 = top.setdefault(b_lang, [-1.0, -1.0])
        if c > best2[0]:
            best2[:] = [c, max(best2[0], best2[1])]
        elif c > best2[1]:
            best2[1] = c
    bars: dict[tuple[bool, int | None], tuple[float, float, float, float]] = {}  # plain, mutual, clear, figure
    best, best_cos = -1, -1.0
    for b, b_lang, c in candidates:
        if c <= best_cos:
            continue
        key = (b_lang == lang, day_of(b))
        if key not in bars:
            figure = float("inf") if key[0] else figure_threshold(key[1])
            bars[key] = (threshold(*key), mutual_threshold(*key), clear_threshold(*key), figure)
        plain, mutual, clear, figure = bars[key]
        if c >= plain or (c >= figure and shares_figure(b)):
            best, best_cos = b, c
        elif c >= clear and c >= top[b_lang][0]:
            rival = rival_of(b)
            if c >= rival and (c >= mutual or c - max(rival, top[b_lang][1]) >= config.STORY_CLEAR_MARGIN):
                best, best_cos = b, c
    return best, best_cos
