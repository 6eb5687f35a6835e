"""Terms for lexical (BM25) matching, Arabic first.

The text is normalised first (index/textnorm: NFKC, diacritics and tatweel, alef/hamza
forms, alef maqsura, ta marbuta, case), then split into runs of letters and digits of any
script: a tokeniser that keeps only Latin words (like `[A-Za-z]+` or an English analyser)
silently drops Arabic. Arabic words are then light-stemmed the way Larkey et al.'s light10
does for Arabic retrieval: the clitics outlets attach or not (conjunction و/ف, prepositions
ب/ك/ل, the article ال) and common suffixes (ها ان ات ون ين يه ه ي) go, so والحكومه,
بالحكومه, الحكومه and حكومه are one term. Stop words of Arabic, English and French are dropped. The terms are
stored in SQLite FTS5 (index/store/sql.py), which ranks by BM25.
"""

from __future__ import annotations

import math
import re
from collections import Counter

from akhbar.index.ingest.textnorm import normalize

_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)
_ARABIC = re.compile("[\u0600-\u06ff]")
# longest first; a prefix is stripped only if at least two letters remain
_PREFIXES = ("وبال", "وكال", "فبال", "وال", "فال", "بال", "كال", "لل", "ال")
STOP = set(
    """
في من على الى عن ان او ما لا لم لن مع هذا هذه ذلك تلك التي الذي الذين كان كانت يكون قد ثم حيث كما بين بعد قبل عند كل
اي وقد وهو وهي هو هي هم انه انها اليوم الي غير منذ خلال ضمن لدي نحو عبر اما وان فقد ولا حتي
the a an and or of to in on for with by from at as is are was were be been it its this that these those
said says has have had not but will would also which who than their they he she his her we our after over about into
le la les un une des du de et ou en au aux dans sur pour par avec est sont a ce cette ces qui que il elle ils
""".split()
)


_SUFFIXES = ("ها", "ان", "ات", "ون", "ين", "يه", "ه", "ي")  # after ة→ه and ى→ي (textnorm)


def _strip(word: str) -> str:
    if word[0] == "و" and len(word) >= 4:  # light10 drops و before the article and prefixes
        word = word[1:]
    for p in _PREFIXES:
        if word.startswith(p) and len(word) - len(p) >= 2:
            word = word[len(p) :]
            break
    for s in _SUFFIXES:
        if word.endswith(s) and len(word) - len(s) >= 2:
            word = word[: -len(s)]
    return word


def tokens(text: str) -> list[str]:
    """The text's terms in order, stop words dropped."""
    out = []
    for w in _TOKEN.findall(normalize(text)):
        if w in STOP:
            continue
        if _ARABIC.match(w):
            w = _strip(w)
        if len(w) > 1 or w.isdigit():
            out.append(w)
    return out


def document(title: str, body: str) -> str:
    """What FTS5 stores for an article: its terms joined by spaces (the headline counts twice)."""
    return " ".join(tokens(f"{title}\n{title}\n{body}" if title else body))


def salient(text: str, document_frequency, documents: int, n: int = 32) -> list[str]:
    """The n terms of a text that say most about it (tf·idf), to query with a whole article."""
    tf = Counter(tokens(text))
    weight = {t: c * math.log(1 + documents / (1 + document_frequency(t))) for t, c in tf.items()}
    return sorted(weight, key=lambda t: -weight[t])[:n]
