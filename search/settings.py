"""Query-time settings: every threshold and weight a query uses, in one frozen object that is
passed in. bench/ scripts compare settings with `dataclasses.replace(DEFAULTS, …)`; nothing
assigns them. Build-time choices (window size, merge policy) live in index/config.py and the
manifest."""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass
from functools import cached_property

from akhbar.index import config
from akhbar.index.stories.same_row import RowRule

# What `similar` and `search` rank by unless told otherwise (a per-query choice: options.Ranking).
# Hybrid beats dense and TF-IDF on recall on ECB+, MEANTIME and ANS (docs/ranking.md, Evaluation).
DEFAULT_MODE = "hybrid"


@dataclass(frozen=True)
class QuerySettings:
    """How queries rank, fold and cut; the defaults are the measured choices."""

    # When two articles are one row (index/stories/same_row.py): stored copy groups use index/config.py's
    # values, which are these defaults (measured there); a query applies the rule to what no stored
    # group joins (a text's copies, rows that joined no group when written).
    duplicate_cosine: float = config.COPY_COSINE
    # A row lists this many of its copies ("also in") by arrival order and counts the rest: a wire
    # story can be republished hundreds of times.
    copies_listed: int = 8
    story_title_jaccard: float = config.COPY_TITLE_JACCARD
    story_cosine: float = config.COPY_STORY_COSINE
    story_days: int = config.COPY_DAYS

    @cached_property
    def row_rule(self) -> RowRule:
        """The four row thresholds above as index/stories/same_row.py takes them, built once: the fold
        asks for every candidate against every kept row."""
        return RowRule(self.duplicate_cosine, self.story_cosine, self.story_title_jaccard, self.story_days)

    # Below this cosine (centered space) an article is not "similar": the box ends early rather than
    # fill up with unrelated news. bench/calibrate.py: the 99th percentile of different-topic pairs
    # on ECB+ and MEANTIME (0.228); 99.7% of same-event pairs and all translations score above it.
    _: KW_ONLY  # the fields below are named at every call
    min_similarity: float = 0.23
    # `similar ID` looks this many days either side of the article's date unless told otherwise:
    # 0, any time. Related stories from other years belong in the box; nearer ones come first by
    # the decay below (search/story_rows.py day_factor), which orders and never cuts.
    similar_window_days: int = 0
    # A box row's score keeps 1 - date_weight * (1 - 0.5 ** (days / date_half_life)) of itself at
    # `days` from the article's date: at most date_weight is lost, half of it at date_half_life.
    date_weight: float = 0.3
    date_half_life: int = 365
    # Search (search/expand.py): up to widen_seeds best matches in the query's language, each with a
    # cosine with the query of at least query_floor, search again with their article vectors; rows
    # need a cosine of min_similarity with the nearest seed.
    widen_seeds: int = 3
    query_floor: float = 0.15
    search_related: float = 0.35
    # Hybrid ranking (search/hybrid.py): how the dense and lexical lists are fused, chosen with
    # bench/eval_all.py --modes/--fusion (docs/ranking.md): "centered" kept MEANTIME recall@3 at 1.0
    # where "rrf" (k = 60) fell to 0.388 and "weighted" to 0.990; weight 0.2 is where recall gains
    # on ECB+, MEANTIME and ANS alike.
    fusion: str = "centered"  # "centered", "weighted" or "rrf"
    rrf_k: int = 60
    lexical_weight: float = 0.2
    # A whole article queries BM25 with its most salient terms (tf-idf).
    article_query_terms: int = 32
    lexical_candidates: int = 100  # BM25 matches fused with the dense list
    # Query terms in more articles than both of these are left out: little idf, and the most cost
    # (at 1M articles, 0.3 s a query with them, 0.06 s without: bench/scale.py).
    common_term_share: float = 0.01
    common_term_min: int = 5000
    mmr_lambda: float = 0.7  # --diverse: relevance against redundancy with the rows already chosen
    # A filtered query filters this many candidates after the search before asking FAISS to filter,
    # which it does only when fewer than `selective` of the articles pass.
    post_filter_max: int = 1024
    selective: float = 0.1


DEFAULTS = QuerySettings()
