"""Arabic-aware text normalisation for comparing headlines lexically.

Folds what varies between outlets without changing meaning: NFKC, diacritics and tatweel,
alef/hamza forms, alef maqsura, ta marbuta, punctuation and case.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_DIACRITICS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)
_FOLD = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه", "ؤ": "و", "ئ": "ي"})


def normalize(text: str) -> str:
    text = _DIACRITICS.sub("", unicodedata.normalize("NFKC", text)).translate(_FOLD)
    return _NON_WORD.sub(" ", text).strip().lower()


@lru_cache(maxsize=8192)
def trigrams(text: str) -> frozenset[str]:
    """The character trigrams of a normalised text. Cached: a box compares the same few headlines
    with thousands of candidates (copies share them), and normalising was most of its time
    (bench/scale.py)."""
    t = f" {normalize(text)} "
    return frozenset(t[i : i + 3] for i in range(len(t) - 2))


def trigram_jaccard(a: str, b: str) -> float:
    """Character-trigram Jaccard of two normalised texts: 1.0 for the same headline."""
    ga, gb = trigrams(a), trigrams(b)
    union = len(ga | gb)
    return len(ga & gb) / union if union else 0.0
