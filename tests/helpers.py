"""What several test modules share: the bundled corpus, writing input files, running the CLI."""

from __future__ import annotations

from pathlib import Path

import orjson
from typer.testing import CliRunner

from akhbar.cli import app

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
SEED_PAGE_ID = "000_2274472028061bc0"
CORPUS = [orjson.loads(line) for line in (SEEDS / "sample_corpus.jsonl").read_bytes().splitlines()]
NATO_COPIES = {"ar-nato-01", "ar-nato-02", "ar-nato-03"}  # one wire story, three outlets
runner = CliRunner()


def write_jsonl(path: Path, rows: list) -> Path:
    """Rows as JSON Lines; a bytes row is written as it is (for malformed input)."""
    path.write_bytes(b"".join(r if isinstance(r, bytes) else orjson.dumps(r) + b"\n" for r in rows))
    return path


def cli_json(*args: str) -> dict:
    """Run a command with --json; it must succeed with one JSON object."""
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return orjson.loads(result.stdout)


def topic_of(article_id: str) -> str:
    """The seed corpus's topic of an article: its id's second part, the NATO/peace coverage as one."""
    nato = article_id.startswith(SEED_PAGE_ID) or "-nato-" in article_id or "-peace-" in article_id
    return "nato-ukraine" if nato else article_id.split("-")[1]


def event_of(article_id: str) -> str:
    """The seed corpus's event of an article: its id without the number (ar-quake-ma-01 → ar-quake-ma)."""
    return article_id.rsplit("-", 1)[0]
