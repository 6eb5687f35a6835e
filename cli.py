"""The akhbar command line: parse options, call akhbar.Index (facade.py) for every command, print the result."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Annotated, Optional

import click
import orjson
import typer
from rich.console import Console
from rich.table import Table

from akhbar.index import config
from akhbar.index.errors import AkhbarError
from akhbar.search.options import NAMES, QueryOptions, metadata

app = typer.Typer(
    add_completion=True,
    no_args_is_help=True,
    rich_markup_mode=None,
    help="akhbar: semantic search for news. What else has been written about this?",
)
# markup and emoji off: titles like "[Video] …" or ":100:" are text, not rich syntax
out = Console(soft_wrap=False, width=None if sys.stdout.isatty() else 160, highlight=False, markup=False, emoji=False)
err = Console(stderr=True, highlight=False, markup=False, emoji=False)

IndexOpt = Annotated[Optional[Path], typer.Option("--index", envvar="AKHBAR_INDEX", help="Index directory [default: ./akhbar-index]")]
JsonOpt = Annotated[bool, typer.Option("--json", help="JSON Lines for scripts instead of a table")]


def _query_option(name: str):
    """A typer option from search/options.QueryOptions' field: its flag, help and lower bound (the upper
    bounds are the server's; the command line has none)."""
    _type, _default, bounds, help_ = metadata(name)
    return typer.Option(help_.flag, min=bounds.get("ge"), help=help_.text)


ASKED = QueryOptions()  # the defaults of every query option
KOpt = Annotated[int, _query_option("k")]
ModelOpt = Annotated[Optional[str], typer.Option("--model", help="Model name or folder [default: the bundled multilingual-e5-small]")]
BackendOpt = Annotated[
    str,
    typer.Option(
        "--backend",
        help="auto (the fastest for this CPU whose vectors match the index), "
        "torch-fp32, torch-bf16, onnx-fp32, onnx-int8-vnni, onnx-int8-avx2, openvino-fp32, "
        "openvino-bf16",
    ),
]
LangOpt = Annotated[Optional[str], _query_option("lang")]
SourceOpt = Annotated[Optional[str], _query_option("source")]
SinceOpt = Annotated[Optional[str], _query_option("since")]
ModeOpt = Annotated[str, _query_option("mode")]
RecencyOpt = Annotated[int, _query_option("recency")]
DiverseOpt = Annotated[bool, _query_option("diverse")]
ExplainOpt = Annotated[bool, _query_option("explain")]
WindowOpt = Annotated[int, _query_option("window")]
UntilOpt = Annotated[Optional[str], _query_option("until")]
ReaderOpt = Annotated[Optional[str], _query_option("reader_lang")]


def _asked(given: dict) -> QueryOptions:
    """The query options among a command's parameters (typer passes each option as its own parameter)."""
    return QueryOptions(**{name: given[name] for name in NAMES if name in given})


def fails_cleanly(fn: Callable) -> Callable:
    """Turn domain errors into one line on stderr and exit status 1, in one place."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except AkhbarError as exc:
            typer.echo(f"Error: {exc}", err=True)
            raise typer.Exit(1) from None
        except KeyboardInterrupt:
            typer.echo("Error: interrupted; the index is as it was before", err=True)
            raise typer.Exit(130) from None
        except (typer.Exit, typer.Abort, click.exceptions.ClickException):
            raise
        except Exception as exc:  # a damaged index file, a bug or an environment fault: still one line
            if os.environ.get("AKHBAR_DEBUG"):
                raise
            if "index" in kwargs:
                from akhbar.facade import diagnose

                damaged = diagnose(kwargs["index"])
                if damaged is not None:
                    typer.echo(f"Error: {damaged}", err=True)
                    raise typer.Exit(1) from None
            typer.echo(f"Error: unexpected {type(exc).__name__}: {exc} (AKHBAR_DEBUG=1 shows the traceback)", err=True)
            raise typer.Exit(2) from None

    return wrapper


def emit(rows: Sequence[dict], columns: Sequence[str], as_json: bool, title: str | None = None) -> None:
    """Every command prints through here: a table for people, JSON Lines for scripts."""
    if as_json:
        for row in rows:
            sys.stdout.buffer.write(orjson.dumps(row, option=orjson.OPT_APPEND_NEWLINE))
        sys.stdout.flush()
        return
    table = Table(title=title, title_justify="left", show_lines=False)
    for c in columns:
        table.add_column(c, overflow="fold", justify="right" if c in ("#", "score", "value") else "left")
    for row in rows:
        table.add_row(*(_cell(row.get(c, "")) for c in columns))
    out.print(table)


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.3f}"
    if isinstance(value, list):
        return ", ".join(_cell(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k} {v}" for k, v in value.items())
    return str(value)


HIT_COLUMNS = ("#", "cosine", "day", "source", "lang", "title", "also in")


def _table_rows(rows: list[dict]) -> list[dict]:
    """The table's columns of result objects (which carry none of them: --json prints the objects)."""
    from akhbar.search.present import also_named

    def why(r: dict) -> dict:
        return {"why": f"{r['passage'][:160]}  [{', '.join(r['shared_terms']) or 'no shared terms'}]"} if "passage" in r else {}

    return [{**r, "#": i, "day": r["date"][:10], "also in": also_named(r), **why(r)} for i, r in enumerate(rows, 1)]


def _write_with_progress(run: Callable, as_json: bool, title: str) -> None:
    """Run a writer (any of index/writers.py's: each takes on_problem and on_progress) with a progress bar
    and warnings on stderr, then print its summary."""
    from rich.progress import MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(
        SpinnerColumn(),
        TextColumn("embedding articles"),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as progress:
        task = progress.add_task("write", total=None, rate="")

        def advance(n: int) -> None:
            progress.advance(task, n)
            t = progress.tasks[0]
            progress.update(task, rate=f"{t.completed / max(t.elapsed or 1e-9, 1e-9):.1f}/s")

        summary = run(on_problem=lambda p: progress.console.print(f"warning: {p}", soft_wrap=True), on_progress=advance)
    d = summary.as_dict()
    if as_json:
        emit([d], (), True)
        return
    rows = [{"what": k, "value": v} for k, v in d.items() if k != "problems" and v != 0]
    rows += [{"what": f"problem {k}", "value": v} for k, v in summary.problems.items()]
    emit(rows, ("what", "value"), False, title=title)


StrictOpt = Annotated[bool, typer.Option("--strict", help="Stop at the first bad record (the index stays as it was)")]
SourcesArg = Annotated[
    list[Path], typer.Argument(help="Files (.jsonl, .csv, optionally .gz; .txt, .md, saved pages; .html, feeds, .warc[.gz]) or folders")
]
RayOpt = Annotated[
    Optional[str],
    typer.Option(
        "--ray",
        metavar="ADDRESS",
        help="Embed on a Ray cluster (needs akhbar[ray]): "
        "'local' starts one here, 'auto' joins the one `ray start` runs here, "
        "HOST:PORT joins a head node",
    ),
]


def _remote(address: str | None, sources: list[Path]):
    """None (embed here), or the Ray encoder for build/add; says on stderr that Ray is starting (seconds)."""
    if address is None:
        return None
    from akhbar.facade import ray_encoder

    err.print(f"connecting to Ray ({address})…")
    return ray_encoder(address, sources)


@app.command()
@fails_cleanly
def build(
    sources: SourcesArg,
    index: IndexOpt = None,
    model: ModelOpt = None,
    strict: StrictOpt = False,
    backend: BackendOpt = "auto",
    ray: RayOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Build a new index from files or folders; the old index stays live until the new one is complete.

    A killed build resumes where it stopped when the same command is run again (with or without --ray).
    Example: akhbar build seeds/ --index news-index ; akhbar build seeds/ --index news-index --ray local
    """
    from akhbar.facade import Index

    target = Index(index, model, backend)
    _write_with_progress(
        functools.partial(target.build, sources, strict=strict, remote=_remote(ray, sources)), as_json, f"built {target.root}"
    )


@app.command()
@fails_cleanly
def add(
    sources: SourcesArg,
    index: IndexOpt = None,
    model: ModelOpt = None,
    strict: StrictOpt = False,
    backend: BackendOpt = "auto",
    ray: RayOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Add articles to an index; an id already there is updated when its content changed.

    Unchanged articles are not embedded again. Example: akhbar add today.jsonl --index news-index
    """
    from akhbar.facade import Index

    target = Index(index, model, backend)
    _write_with_progress(
        functools.partial(target.add, sources, strict=strict, remote=_remote(ray, sources)), as_json, f"added to {target.root}"
    )


@app.command()
@fails_cleanly
def watch(
    feeds: Annotated[list[str], typer.Argument(metavar="FEEDS", help="RSS/Atom feed URLs, or files of them (one a line)")],
    index: IndexOpt = None,
    every: Annotated[str, typer.Option("--every", help="Time from one round's start to the next: 90s, 10m, 1h")] = "10m",
    rounds: Annotated[Optional[int], typer.Option("--rounds", min=1, help="Stop after this many rounds [default: never]")] = None,
    delay: Annotated[float, typer.Option("--delay", min=0, help="Seconds between requests to one site (a longer Crawl-delay wins)")] = 1.0,
    timeout: Annotated[float, typer.Option("--timeout", min=0.1, help="Seconds one page or feed may take")] = 20.0,
    max_mb: Annotated[float, typer.Option("--max-mb", min=0.01, help="Largest page or feed read, in MB")] = 5.0,
    as_json: JsonOpt = False,
) -> None:
    """Keep an index current from news feeds: poll them, fetch new articles' pages, add them (one write a round).

    Polite: robots.txt, a per-site delay, conditional GET, a User-Agent naming akhbar. Never fetches an
    article twice; after kill -9 it restarts where it was (its state is in INDEX/watch/).
    Example: akhbar watch feeds.txt --index news-index --every 10m
    """
    from akhbar.facade import Index
    from akhbar.watch.fetch import Politeness
    from akhbar.watch.rounds import Poll, feed_urls, seconds_of

    urls = feed_urls(feeds)
    poll = Poll(seconds_of(every), rounds, Politeness(delay=delay, timeout=timeout, max_bytes=int(max_mb * 1_000_000)))
    target = Index(index)

    def on_round(summary) -> None:
        err.print(summary.line(), soft_wrap=True)
        if as_json:
            emit([summary.__dict__], (), True)

    err.print(f"watching {len(urls)} feed(s) for {target.root}, every {every}" + (f", {rounds} round(s)" if rounds else ""))
    target.watch(urls, poll, lambda line: err.print(line, soft_wrap=True), on_round)


@app.command()
@fails_cleanly
def remove(
    ids: Annotated[Optional[list[str]], typer.Argument(metavar="ID...", help="Ids of articles to take out")] = None,
    file: Annotated[Optional[Path], typer.Option("--file", help="A file of ids, one per line")] = None,
    index: IndexOpt = None,
    strict: Annotated[bool, typer.Option("--strict", help="Fail if an id is not in the index")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Take articles out of an index (retractions). Needs no model.

    Example: akhbar remove ar-nato-02 --index news-index ; akhbar remove --file retracted.txt
    """
    from akhbar.facade import Index

    wanted = list(ids or [])
    if file is not None:
        try:
            wanted += [line.strip() for line in file.read_text(encoding="utf-8").splitlines() if line.strip()]
        except (OSError, UnicodeDecodeError) as exc:
            raise AkhbarError(f"{file}: cannot read ids ({exc})") from None
    if not wanted:
        raise AkhbarError("give ids to remove, or --file")
    target = Index(index)
    _write_with_progress(functools.partial(target.remove, wanted, strict=strict), as_json, f"removed from {target.root}")


@app.command()
@fails_cleanly
def similar(
    article_id: Annotated[Optional[str], typer.Argument(metavar="ID", help="An indexed article's id")] = None,
    file: Annotated[Optional[Path], typer.Option("--file", help="A new article's text, from a file")] = None,
    text: Annotated[Optional[str], typer.Option("--text", help="A new article's text")] = None,
    index: IndexOpt = None,
    k: KOpt = ASKED.k,
    lang: LangOpt = ASKED.lang,
    source: SourceOpt = ASKED.source,
    since: SinceOpt = ASKED.since,
    until: UntilOpt = ASKED.until,
    window: WindowOpt = ASKED.window,
    mode: ModeOpt = ASKED.mode,
    recency: RecencyOpt = ASKED.recency,
    diverse: DiverseOpt = ASKED.diverse,
    explain: ExplainOpt = ASKED.explain,
    reader_lang: ReaderOpt = ASKED.reader_lang,
    model: ModelOpt = None,
    backend: BackendOpt = "auto",
    as_json: JsonOpt = False,
) -> None:
    """The similar-articles box: the article's own story, then other stories on its subject from
    any time, one row each, in the reader's language where the story has it.

    Examples: akhbar similar 000_2274472028061bc0 ; akhbar similar --file draft.txt --lang en
    """
    from akhbar.facade import Index
    from akhbar.search import present

    if sum(x is not None for x in (article_id, file, text)) != 1:
        raise AkhbarError("give exactly one of ID, --file or --text")
    if file is not None:
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise AkhbarError(f"{file}: cannot read as UTF-8 text ({exc})") from None
    asked = _asked(locals())
    answer = Index(index, model, backend).similar(article_id, asked, text=text)
    box, rows = answer.box, answer.rows
    if as_json:
        emit(rows, (), True)
        return
    a = box.article
    head = f"Similar to: {a['title']}" + (f"  ({a['source'] or '-'}, {a['date'][:10] or 'undated'})" if a["id"] else "")
    out.print(head)
    if box.story is not None:
        own = box.story.as_dict()
        also = f" (also {present.also_named(own)})" if own["also"] else ""
        langs = ", ".join(box.story.languages)
        out.print(f"Its story: {own['articles']} articles in {langs}{also}; akhbar coverage {a['id']}")
    if box.filters.since or box.filters.until:
        out.print(f"Published {box.filters.since or '…'} to {box.filters.until or '…'}")
    emit(_table_rows(rows), HIT_COLUMNS + (("why",) if explain else ()), False)


@app.command()
@fails_cleanly
def search(
    text: Annotated[str, typer.Argument(help="What to look for, in any language")],
    index: IndexOpt = None,
    k: KOpt = ASKED.k,
    lang: LangOpt = ASKED.lang,
    source: SourceOpt = ASKED.source,
    since: SinceOpt = ASKED.since,
    until: UntilOpt = ASKED.until,
    mode: ModeOpt = ASKED.mode,
    recency: RecencyOpt = ASKED.recency,
    diverse: DiverseOpt = ASKED.diverse,
    explain: ExplainOpt = ASKED.explain,
    reader_lang: ReaderOpt = ASKED.reader_lang,
    model: ModelOpt = None,
    backend: BackendOpt = "auto",
    as_json: JsonOpt = False,
) -> None:
    """Search by meaning and words, in any language: one row per story, each language's coverage
    found, rows under a calibrated floor left out.

    Example: akhbar search "NATO support for Ukraine" --lang ar
    """
    from akhbar.facade import Index

    asked = _asked(locals())
    rows = Index(index, model, backend).search(text, asked).rows
    emit(rows if as_json else _table_rows(rows), HIT_COLUMNS + (("why",) if explain and not as_json else ()), as_json)


@app.command()
@fails_cleanly
def dups(index: IndexOpt = None, as_json: JsonOpt = False) -> None:
    """Groups of near-duplicate articles: one wire copy republished by several outlets.

    Example: akhbar dups --index news-index
    """
    from akhbar.facade import Index

    groups = Index(index).dups()
    if as_json:
        emit(groups, (), True)
        return
    rows = [{"group": g["group"], **a} for g in groups for a in g["articles"]]
    emit(rows, ("group", "day", "source", "lang", "id", "title"), False, title=f"{len(groups)} groups of copies")


LangShownOpt = Annotated[Optional[str], typer.Option("--lang", help="Show only articles in this language (stories are joined across all)")]


@app.command()
@fails_cleanly
def stories(
    index: IndexOpt = None,
    min_articles: Annotated[int, typer.Option("--min-articles", min=1, help="Only stories with at least this many articles")] = 2,
    lang: LangShownOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The corpus grouped into stories (events), largest first: articles, days, languages, outlets.

    Stories are stored when articles are written, so this reads them without a pass over the corpus.
    Example: akhbar stories --index news-index --min-articles 3
    """
    from akhbar.facade import Index

    rows = Index(index).stories(min_articles, lang)
    if as_json:
        emit(rows, (), True)
        return
    emit(
        [{**r, "story": i} for i, r in enumerate(rows, 1)],
        ("story", "articles", "first", "last", "languages", "sources", "title"),
        False,
        title=f"{len(rows)} stories",
    )


@app.command()
@fails_cleanly
def coverage(
    article_id: Annotated[str, typer.Argument(metavar="ID", help="An indexed article's id")],
    index: IndexOpt = None,
    lang: LangShownOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The whole story of an article: its articles in every language, with their outlets.

    Example: akhbar coverage ar-nato-01
    """
    from akhbar.facade import Index

    row = Index(index).coverage(article_id, lang)
    if as_json:
        emit([row], (), True)
        return
    out.print(
        f"story {row['story']}: {row['articles']} articles, {len(row['sources'])} outlets "
        f"({', '.join(row['sources'])}), languages: {', '.join(row['languages'])}" + (f"; showing {lang}" if lang else "")
    )
    emit(row["shown"], ("day", "source", "lang", "id", "title"), False)


@app.command()
@fails_cleanly
def reindex(
    kind: Annotated[str, typer.Option("--kind", help="flat, ivf-flat, ivf-sq8, ivf-pq or hnsw")],
    index: IndexOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Rebuild the vector index as another kind from the stored vectors; nothing is embedded again.

    Example: akhbar reindex --kind ivf-sq8 --index news-index
    """
    from akhbar.facade import Index

    target = Index(index)
    _write_with_progress(functools.partial(target.reindex, kind), as_json, f"reindexed {target.root}")


@app.command()
@fails_cleanly
def export(
    folder: Annotated[Path, typer.Argument(metavar="DIR", help="A new folder for the Parquet files and akhbar.json")],
    index: IndexOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Export the index for another engine: Parquet (ids, metadata, vectors) plus the model and centering (akhbar.json).

    Example: akhbar export news-export --index news-index  (docs/scale.md: loading it into Qdrant)
    """
    from akhbar.facade import Index

    meta = Index(index).export(folder)
    summary = {
        "folder": str(folder),
        "articles": meta["articles"],
        "files": meta["files"],
        "model": meta["model"],
        "dimension": meta["dimension"],
    }
    emit(
        [summary] if as_json else [{"what": k, "value": v} for k, v in summary.items()],
        ("what", "value"),
        as_json,
        title=f"exported {meta['version']}",
    )


@app.command()
@fails_cleanly
def stats(
    index: IndexOpt = None,
    check_recall: Annotated[bool, typer.Option("--check-recall", help="Measure recall@10 against exact search on 200 articles")] = False,
    as_json: JsonOpt = False,
) -> None:
    """What an index holds, how it was built, and its size on disk."""
    from akhbar.facade import Index

    d = Index(index).stats(check_recall)
    emit([d] if as_json else [{"what": k, "value": v} for k, v in d.items()], ("what", "value"), as_json)


@app.command()
@fails_cleanly
def check(
    index: IndexOpt = None,
    deep: Annotated[bool, typer.Option("--deep", help="Also compare every file's checksum and run SQLite's integrity_check")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Verify every version of an index: sizes and row counts (--deep: checksums, SQLite integrity).

    Names each damaged file and exits 1 when the current version is damaged; says whether the
    previous version is intact. Example: akhbar check --index news-index --deep
    """
    from akhbar.facade import Index

    target = Index(index)
    root, states = target.root, target.check(deep)
    if as_json:
        emit(
            [
                {
                    "version": v.name,
                    "current": v.current,
                    "intact": not v.damage,
                    "deep": deep,
                    "damage": [{"file": d.file, "reason": d.reason} for d in v.damage],
                }
                for v in states
            ],
            (),
            True,
        )
    else:
        rows = [
            {
                "version": v.name,
                "role": "current" if v.current else "kept",
                "state": "damaged" if v.damage else "intact",
                "file": d.file,
                "problem": d.reason,
            }
            for v in states
            for d in v.damage
        ]
        rows += [{"version": v.name, "role": "current" if v.current else "kept", "state": "intact"} for v in states if not v.damage]
        emit(rows, ("version", "role", "state", "file", "problem"), False, title=f"{root}{' (deep)' if deep else ''}")
    live = next((v for v in states if v.current), None)
    older = [v for v in states if live is None or v.name < live.name]
    fallback = next((v for v in older if not v.damage), None)
    if live is None or live.damage:
        hint = (
            f"the previous version {fallback.name} is intact: 'akhbar rollback --index {root}' makes it current"
            if fallback
            else "no intact previous version: rebuild with 'akhbar build'"
        )
        typer.echo(f"Error: the current version is {'damaged' if live else 'unreadable (CURRENT)'}; {hint}", err=True)
        raise typer.Exit(1)
    if not as_json:
        typer.echo(
            f"the current version is intact{' (checksums and SQLite integrity included)' if deep else ''}; "
            + (f"the previous version {fallback.name} is intact too" if fallback else "no intact previous version is kept"),
            err=True,
        )


@app.command()
@fails_cleanly
def rollback(index: IndexOpt = None, as_json: JsonOpt = False) -> None:
    """Make the previous intact version current again (after damage, or to undo the last write).

    Uses the same atomic swap as every write. Example: akhbar rollback --index news-index
    """
    from akhbar.facade import Index

    left, current = Index(index).rollback()
    emit(
        [{"from": left, "to": current}]
        if as_json
        else [{"what": "left", "value": left or "(unreadable)"}, {"what": "current", "value": current}],
        ("what", "value"),
        as_json,
        title="rolled back",
    )


@app.command(name="eval")
@fails_cleanly
def evaluate(
    ground_truth: Annotated[Path, typer.Argument(help="JSON Lines: clusters ({members}) or pairs ({id1, id2, score|stance})")],
    index: IndexOpt = None,
    k: Annotated[int, typer.Option("-k", min=1, help="Cut-off for recall@k")] = 10,
    mode: ModeOpt = ASKED.mode,
    as_json: JsonOpt = False,
) -> None:
    """Score an index against ground truth: recall@k and MRR, or correlation for graded pairs.

    Example: akhbar eval ../shared/data/ecbplus/clusters.jsonl.gz --index ecb-index
    """
    from akhbar.facade import Index

    result = Index(index).evaluate(ground_truth, k, mode)
    emit([result] if as_json else [{"what": m, "value": v} for m, v in result.items()], ("what", "value"), as_json)


@app.command()
@fails_cleanly
def serve(
    index: IndexOpt = None,
    host: Annotated[str, typer.Option("--host", help="Address to listen on; loopback unless told otherwise")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="Port to listen on")] = 8000,
    token: Annotated[
        Optional[str],
        typer.Option(
            "--token",
            envvar="AKHBAR_TOKEN",
            show_default=False,
            help="The write token; writes are off without one. Set AKHBAR_TOKEN rather than the flag (a flag shows in ps)",
        ),
    ] = None,
    workers: Annotated[int, typer.Option("--workers", min=1, max=64, help="Server processes on this port and index (one per core)")] = 1,
    read_only: Annotated[
        bool, typer.Option("--read-only", help="Serve an index another process writes: follow its versions, never write, refuse writes")
    ] = False,
    log_format: Annotated[
        str, typer.Option("--log-format", help="Access and error logs on stderr: text, or json (one object a line)")
    ] = "text",
) -> None:
    """Serve the JSON API and the pages (article with its box, search, coverage, /box/ID for an iframe).

    Answers follow the index as writers publish new versions. Writes over HTTP
    (POST /api/articles, DELETE /api/articles/ID) need AKHBAR_TOKEN set when the server starts,
    sent as 'Authorization: Bearer TOKEN'. /metrics for Prometheus, /docs and /redoc for the API.
    Example: AKHBAR_TOKEN=s3cret akhbar serve --index news-index --workers 2
    """
    from akhbar.serve import run as server
    from akhbar.serve.settings import LOG_FORMATS

    if log_format not in LOG_FORMATS:
        raise AkhbarError(f"--log-format '{log_format}' is not one of {', '.join(LOG_FORMATS)}")
    server.run(
        config.index_dir(index),
        host,
        port,
        None if read_only else (token or None),
        workers=workers,
        read_only=read_only,
        log_format=log_format,
    )


def _version(asked: bool) -> None:
    if asked:
        from akhbar import __version__

        typer.echo(f"akhbar {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="Print akhbar's version and exit")] = False,
) -> None:
    """akhbar: semantic search for news. What else has been written about this?"""


def main() -> None:
    app()


if __name__ == "__main__":
    main()
