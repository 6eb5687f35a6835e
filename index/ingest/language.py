"""A small language guess for articles that do not say theirs: script, then stop words.

Enough to fill `lang` for filtering when the input omits it; input values always win.
"""

from __future__ import annotations

import re

_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_STOP = {
    "en": {"the", "and", "of", "to", "in", "is", "that", "for", "on", "with", "was", "said", "by", "a"},
    "fr": {"le", "la", "les", "des", "et", "est", "une", "du", "dans", "pour", "que", "qui", "sur", "au"},
    "es": {"el", "los", "las", "del", "y", "es", "una", "por", "con", "para", "que", "se", "al", "en"},
    "it": {"il", "di", "che", "della", "per", "non", "una", "sono", "gli", "nel", "alla", "con", "del"},
    "nl": {"de", "het", "een", "van", "en", "is", "dat", "op", "te", "voor", "met", "zijn", "niet"},
    "de": {"der", "die", "und", "das", "ist", "nicht", "mit", "den", "von", "zu", "ein", "auf", "sich"},
}


def guess(text: str) -> str:
    """ISO 639-1 code, or '' when nothing is convincing."""
    sample = text[:2000]
    letters = [c for c in sample if c.isalpha()]
    if not letters:
        return ""
    arabic = sum(1 for c in letters if "\u0600" <= c <= "\u06ff" or "\u0750" <= c <= "\u077f")
    if arabic / len(letters) > 0.5:
        return "ar"
    words = [w.lower() for w in _WORD.findall(sample)]
    scores = {lang: sum(w in stop for w in words) for lang, stop in _STOP.items()}
    best = max(scores, key=scores.__getitem__)
    return best if scores[best] >= 2 else ""
