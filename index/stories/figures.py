"""The figures a headline states (89.6, 94,65, ٨٩٫٦): the same decimal figure in two languages'
headlines is evidence of one event that a cosine across languages does not give (an election's
share of the vote: Sisi's third term at 89.6% in Arabic and English, 0.29 apart after centering).
Whole numbers are not figures here: 100 dead or a Boeing 777 are shared by chance (bench/stories.py)."""

from __future__ import annotations

import re

_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹٫", "01234567890123456789.")
# a decimal point, or a decimal comma followed by one or two digits (1,000 is a thousand)
_FIGURE = re.compile(r"(?<![\d.,])(\d+)(?:\.(\d+)|,(\d{1,2}))(?![\d])(?![.,]\d)")


def figures(title: str) -> frozenset[str]:
    """The decimal figures of a headline, written with a point."""
    return frozenset(f"{m[0]}.{m[1] or m[2]}" for m in _FIGURE.findall(title.translate(_DIGITS)))
