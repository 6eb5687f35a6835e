"""`akhbar.Index`: open an index, ask it, write to it, check it. The only door: every CLI command, every route of
the HTTP server, the feed poller's writes and a library user go through this one object
(tests/test_layering.py), so the open → query → present sequence and every write are written once.

    from akhbar import Index, QueryOptions
    news = Index("news-index")
    box = news.similar("ar-nato-01", QueryOptions(k=5, lang="en"))
    for row in box.rows: print(row["cosine"], row["title"])

Reads need no model unless they embed text (`similar(text=…)`, `search`, `explain=True`); the model is
loaded once, on first need, the way the index was built (search/snapshot.query_embedder).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from akhbar.index import config
from akhbar.index.errors import AkhbarError

if TYPE_CHECKING:
    from akhbar.index.embedding.contract import RemoteEncoder
    from akhbar.index.errors import DamagedIndex
    from akhbar.index.stage import BuildSummary
    from akhbar.index.store.integrity import VersionState
    from akhbar.index.writers import OnProblem, OnProgress, Source
    from akhbar.search.options import QueryOptions
    from akhbar.search.query import Box
    from akhbar.search.snapshot import Snapshot
    from akhbar.watch.rounds import Poll, RoundSummary


@dataclass
class Answer:
    """A box or a search.

    Attributes:
        box: the query's result (search/query.py `Box`): the article asked about, its own story and
            copies, the filters applied, the reader's language, the rows (stories) in order.
        rows: one object per row, what `--json` prints and the HTTP API returns (search/present.py).
    """

    box: Box
    rows: list[dict]

    def head(self) -> dict:
        """What the box is about: the article asked about, its copies, the days looked in (the API's head)."""
        from akhbar.search import present

        return present.box_head(self.box)


class Index:
    """An akhbar index directory, opened on first use.

    Args:
        path: the index directory (None: $AKHBAR_INDEX, else ./akhbar-index).
        model: the model name or folder for text queries (None: the one the index was built with).
        backend: the embedding backend for text queries (auto: the fastest whose vectors match the index's).
        embedder: a model the caller already holds for this index (a server's), used by text queries and writes.
    """

    def __init__(self, path: str | Path | None = None, model: str | None = None, backend: str = "auto", *, embedder=None) -> None:
        self.root = config.index_dir(Path(path) if path is not None else None)
        self.model, self.backend = model, backend
        self._snapshot: Snapshot | None = None
        self._embedder = embedder  # a model the caller already holds for this index (a server's), else loaded on need

    @classmethod
    def over(cls, snapshot: Snapshot, embedder=None) -> Index:
        """An Index over a snapshot opened elsewhere (the server's pool of snapshots, one per thread), with the
        model the caller already holds, if any."""
        index = cls(snapshot.root)
        index._snapshot, index._embedder = snapshot, embedder
        return index

    @property
    def snapshot(self) -> Snapshot:
        """The live version, opened once (search/snapshot.open_snapshot checks it first)."""
        if self._snapshot is None:
            from akhbar.search.snapshot import open_snapshot

            self._snapshot = open_snapshot(self.root)
        return self._snapshot

    def embedder(self):
        """The query model, loaded on first need (search/snapshot.query_embedder: same model, comparable backend)."""
        if self._embedder is None:
            from akhbar.search.snapshot import query_embedder

            self._embedder = query_embedder(self.snapshot.manifest, self.model, self.backend)
        return self._embedder

    def close(self) -> None:
        if self._snapshot is not None:
            self._snapshot.close()
            self._snapshot = None

    def __enter__(self) -> Index:
        return self

    def __exit__(self, *_exc) -> None:
        self.close()

    # reads

    def similar(self, article_id: str | None = None, options: QueryOptions | None = None, text: str | None = None) -> Answer:
        """The similar-articles box: of an indexed article (`article_id`) or of a new article's `text`.

        Raises:
            ArticleNotFound: no article with that id.
            AkhbarError: neither or both of article_id and text; a bad mode or day in the options.
        """
        from akhbar.search import present, query

        if (article_id is None) == (text is None):
            raise AkhbarError("give exactly one of an article id or a text")
        if text is not None and not text.strip():
            raise AkhbarError("the article text is empty")
        o = options or _defaults()
        o.check()  # a bad mode or day before the model loads
        idx = self.snapshot
        embedder = self.embedder() if o.explain or article_id is None else None  # one model load at most
        if article_id is not None:
            box = query.similar_to_id(idx, article_id, o)
        else:
            box = query.similar_to_text(idx, embedder, text or "", o)
        return Answer(box, present.hit_rows(box, idx, embedder if o.explain else None))

    def search(self, text: str, options: QueryOptions | None = None) -> Answer:
        """Search by meaning and words, in any language: one row per story, each language's coverage found."""
        from akhbar.search import present, query

        if not text.strip():
            raise AkhbarError("the search text is empty")
        o = options or _defaults()
        o.check()  # a bad mode or day before the model loads
        idx = self.snapshot
        embedder = self.embedder()
        box = query.search(idx, embedder, text, o)
        return Answer(box, present.hit_rows(box, idx, embedder if o.explain else None))

    def coverage(self, article_id: str, lang: str | None = None) -> dict:
        """The whole story of an article: its articles (`shown`, by day; with `lang`, that language's), outlets, languages."""
        from akhbar.search import present, stories

        return present.coverage_row(self.snapshot, stories.coverage(self.snapshot, article_id, lang))

    def stories(self, min_articles: int = 2, lang: str | None = None) -> list[dict]:
        """The stories of at least `min_articles` articles, largest first, each with its shown articles."""
        from akhbar.search import present, stories

        return [present.story_row(self.snapshot, s) for s in stories.stories(self.snapshot, min_articles, lang)]

    def dups(self) -> list[dict]:
        """Groups of copies of one article (stored when written), each with its articles."""
        from akhbar.search import dups, present

        return present.dup_rows(self.snapshot, dups.duplicate_groups(self.snapshot))

    def stats(self, check_recall: bool = False) -> dict:
        """What the index holds, how it was built, its size on disk (and recall@10 against exact search, if asked)."""
        from akhbar.search import stats

        return stats.stats(self.root, check_recall)

    def evaluate(self, ground_truth: Path, k: int = 10, mode: str | None = None) -> dict[str, object]:
        """Scores against ground truth (search/evaluate.py): recall@k and MRR for clusters and labelled pairs,
        correlation for graded pairs; `mode` is checked as a query's is."""
        from akhbar.search import evaluate
        from akhbar.search.options import QueryOptions

        idx = self.snapshot
        ranking = QueryOptions(mode=mode).ranking() if mode is not None else _defaults().ranking()
        return evaluate.evaluate(idx, ground_truth, k, ranking.mode)

    # the index's files, checked, kept and exported (index/store/integrity.py, index/parquet_export.py)

    def check(self, deep: bool = False) -> list[VersionState]:
        """Every kept version, with what is damaged in each (sizes and row counts; `deep`: checksums, SQLite integrity)."""
        from akhbar.index.store import integrity

        return integrity.check(self.root, deep)

    def rollback(self) -> tuple[str, str]:
        """Make the previous intact version current again: (the version left, the one now current)."""
        from akhbar.index.store import integrity

        return integrity.rollback(self.root)

    def export(self, folder: Path) -> dict[str, object]:
        """The live version as Parquet plus akhbar.json (how it was embedded), for other engines; its description."""
        from akhbar.index import parquet_export

        return parquet_export.export(self.root, folder)

    # writes: each publishes a new version; this object's snapshot stays on the version it opened

    def build(
        self,
        sources: Iterable[Source],
        *,
        strict: bool = False,
        on_problem: OnProblem = None,
        on_progress: OnProgress = None,
        remote: RemoteEncoder | None = None,
    ) -> BuildSummary:
        """A new index from files and folders and records given in memory (index/writers.build); the previous
        version stays live until the new one is complete, and a killed build of the same files resumes."""
        from akhbar.index import writers

        return writers.build(
            sources,
            self.root,
            model_name=self.model,
            strict=strict,
            backend=self.backend,
            on_problem=on_problem,
            on_progress=on_progress,
            remote=remote,
        )

    def add(
        self,
        sources: Iterable[Source],
        *,
        strict: bool = False,
        on_problem: OnProblem = None,
        on_progress: OnProgress = None,
        remote: RemoteEncoder | None = None,
    ) -> BuildSummary:
        """New or changed articles into the index (index/writers.add), from files and folders and from records
        given in memory (an Article, or a dict as one JSON Lines record, checked the same way and reported as
        records:N; or a readers.Records, numbered under its own name), the way sqlite-utils' insert_all and txtai's upsert take them:

            news.add([{"id": "a1", "title": "…", "body": "…", "date": "2024-05-01"}])
        """
        from akhbar.index import writers

        return writers.add(
            sources,
            self.root,
            model_name=self.model,
            strict=strict,
            backend=self.backend,
            on_problem=on_problem,
            on_progress=on_progress,
            remote=remote,
            embedder=self._embedder,
        )

    def remove(
        self, ids: Iterable[str], *, strict: bool = False, on_problem: OnProblem = None, on_progress: OnProgress = None
    ) -> BuildSummary:
        """Take articles out of the index (index/writers.remove); with `strict`, an unknown id fails."""
        from akhbar.index import writers

        return writers.remove(ids, self.root, strict=strict, on_problem=on_problem, on_progress=on_progress)

    def reindex(self, kind: str, *, on_problem: OnProblem = None, on_progress: OnProgress = None) -> BuildSummary:
        """The vector index rebuilt as another FAISS kind from the stored vectors; nothing embedded again."""
        from akhbar.index import writers

        return writers.reindex(self.root, kind, on_problem=on_problem, on_progress=on_progress)

    def watch(self, feeds: list[str], poll: Poll, log: Callable[[str], None], on_round: Callable[[RoundSummary], None]) -> None:
        """Keep the index current from news feeds (watch/rounds.py): rounds of polling, fetching new links'
        pages and one write each (through this object's build or add), as `poll` says, until interrupted."""
        from akhbar.watch.fetch import Fetcher
        from akhbar.watch.rounds import watch

        watch(_Poller(self), feeds, poll, Fetcher(poll.politeness), log=log, on_round=on_round)


class _Poller:
    """The poller's writer (watch/rounds.py Writer): `index`'s build and add, with the model its adds embed with
    loaded once and kept between rounds (as a server keeps its own), loaded again only when the live version's
    model or backend changes (a reindex to another model). A round that reloaded it spent ~3 s of CPU on it."""

    def __init__(self, index: Index) -> None:
        self.index, self.root = index, index.root
        self._kept: tuple[tuple[str, str, str], object] | None = None

    def build(self, sources: Iterable[Source], *, on_problem: OnProblem) -> BuildSummary:
        return self.index.build(sources, on_problem=on_problem)

    def add(self, sources: Iterable[Source], *, on_problem: OnProblem) -> BuildSummary:
        from akhbar.index.store import layout
        from akhbar.index.store.manifest import Manifest
        from akhbar.search.snapshot import query_embedder

        manifest = Manifest.load(layout.current_version(self.root))
        key = (manifest.model, manifest.model_checksum, repr(manifest.backend))
        if self._kept is None or self._kept[0] != key:
            self._kept = (key, query_embedder(manifest, self.index.model, self.index.backend))
        return Index(self.root, self.index.model, self.index.backend, embedder=self._kept[1]).add(sources, on_problem=on_problem)


def ray_encoder(address: str, sources: list[Path]) -> RemoteEncoder:
    """An encoder on a Ray cluster for build and add (`remote=`; index/embedding/ray_cluster.py): 'local' starts
    one here, 'auto' joins the one `ray start` runs here, HOST:PORT joins a head node."""
    from akhbar.index.embedding import ray_cluster

    return ray_cluster.remote(address, sources)


def diagnose(path: str | Path | None) -> DamagedIndex | None:
    """What is damaged in the index at `path`, if anything (index/store/integrity.py): what a front end says
    when a command fails unexpectedly."""
    from akhbar.index.store.integrity import diagnose as damaged

    return damaged(config.index_dir(Path(path) if path is not None else None))


def _defaults() -> QueryOptions:
    from akhbar.search.options import QueryOptions

    return QueryOptions()
