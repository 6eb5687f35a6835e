"""What several test modules share: the bundled corpus, writing input files, running the CLI."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import orjson
from typer.testing import CliRunner

from akhbar.cli import app
from akhbar.index.store import sql

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
SEED_PAGE_ID = "000_2274472028061bc0"
CORPUS = [orjson.loads(line) for line in (SEEDS / "sample_corpus.jsonl").read_bytes().splitlines()]
EVENTS = [orjson.loads(line) for line in (SEEDS / "events.jsonl").read_bytes().splitlines()]
# the seed index: both record files, plus the saved page's article and its read-also teaser (Arabic)
SEED_LANGS = dict(Counter(a["lang"] for a in CORPUS + EVENTS) + Counter({"ar": 2}))
SEED_ARTICLES = sum(SEED_LANGS.values())
NATO_COPIES = {"ar-nato-01", "ar-nato-02", "ar-nato-03"}  # one wire story, three outlets
runner = CliRunner()


def write_jsonl(path: Path, rows: list) -> Path:
    """Rows as JSON Lines; a bytes row is written as it is (for malformed input)."""
    path.write_bytes(b"".join(r if isinstance(r, bytes) else orjson.dumps(r) + b"\n" for r in rows))
    return path


def checkpoint_consumed(index: Path) -> int:
    """Input articles a running (or killed) writer of `index` has committed: 0 before its first checkpoint."""
    for db in index.glob(".staging-*/delta.sqlite"):
        try:
            with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=0.1) as con:
                found = sql.progress(con)  # None between the job table's creation and its first row
                return found[0] if found else 0
        except sqlite3.Error:
            return 0
    return 0


def kill_after_checkpoint(args: list[str], index: Path, at_least: int) -> int:
    """Run `akhbar ARGS` in another process, SIGKILL it once it has committed `at_least` input
    articles, and return how many it had committed (the point a resumed run must start from)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "akhbar.cli", *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=os.environ.copy()
    )
    deadline = time.time() + 240
    while checkpoint_consumed(index) < at_least and time.time() < deadline and proc.poll() is None:
        time.sleep(0.1)
    assert proc.poll() is None, "the writer finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    return checkpoint_consumed(index)


def story_members(idx) -> dict[str, frozenset[str]]:
    """Each stored story of an opened index, by its name: the ids of its members. Two builds that took
    the same articles in another order name a story after different members; its members are the same."""
    assigned = idx.story_assignments()
    ids = {p: row["id"] for p, row in idx.rows(list(assigned), "pos, id").items()}
    members: dict[str, set[str]] = {}
    for pos, story in assigned.items():
        members.setdefault(story, set()).add(ids[pos])
    return {story: frozenset(m) for story, m in members.items()}


def ranking_differences(x: list, y: list, within: float, stories: tuple[dict, dict] | None = None) -> list[str]:
    """Where two rankings of one query (hits with .id and .score, over two builds of the same articles)
    differ by more than embedding noise: the scores rank by rank must agree within `within`, and two
    hits may swap places only when they are a near tie (the seeds hold ties 1e-4 apart, and a build whose
    batches are cut elsewhere, or another backend the CPU measured faster, orders them either way).
    A box's hit stands for its story, shown by its best member, and two members a near tie apart are
    shown either way: hits with a story are compared by story, by name, or by members when `stories`
    gives each build's (story_members), for builds that took the articles in another order.
    An empty list: the same answer."""
    if len(x) != len(y):
        return [f"{len(x)} hits against {len(y)}"]

    def key(hit, members: dict | None) -> object:
        story = getattr(hit, "story", None)
        return hit.id if story is None else story if members is None else members[story]

    mx, my = stories or (None, None)
    xs, ys = {key(h, mx): h.score for h in x}, {key(h, my): h.score for h in y}
    problems = []
    for rank, (a, b) in enumerate(zip(x, y)):
        if abs(a.score - b.score) >= within:
            problems.append(f"rank {rank}: {a.id} {a.score:.4f} against {b.id} {b.score:.4f}")
        if key(a, mx) == key(b, my):
            continue
        for hit, members, other, last in ((a, mx, ys, y[-1].score), (b, my, xs, x[-1].score)):
            # a hit in one list only must be at the cut: within `within` of the other's last score
            elsewhere = other.get(key(hit, members), last)
            if abs(elsewhere - hit.score) >= within:
                problems.append(f"rank {rank}: {hit.id} {hit.score:.4f} is {elsewhere:.4f} in the other ranking")
    return problems


def cli_json(*args: str) -> dict:
    """Run a command with --json; it must succeed with one JSON object."""
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return orjson.loads(result.stdout)


TRUTH = {
    line.split("\t")[0]: line.split("\t")[1:3]
    for line in (SEEDS / "events-truth.tsv").read_text(encoding="utf-8").splitlines()
    if not line.startswith("#")
}  # id → [event, topic]


def topic_of(article_id: str) -> str:
    """The seed corpus's topic of an article: its id's second part (seeds/events-truth.tsv's topic
    for seeds/events.jsonl), the NATO/peace coverage as one."""
    if article_id.startswith("ev-"):
        topic = TRUTH[article_id][1]
        return "nato-ukraine" if topic == "nato" else topic
    nato = article_id.startswith(SEED_PAGE_ID) or "-nato-" in article_id or "-peace-" in article_id
    return "nato-ukraine" if nato else article_id.split("-")[1]


def event_of(article_id: str) -> str:
    """The seed corpus's event of an article: its id without the number (ar-quake-ma-01 → ar-quake-ma)."""
    return article_id.rsplit("-", 1)[0]
