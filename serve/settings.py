"""What `akhbar serve` was started with, handed to every worker process.

uvicorn starts its worker processes afresh (spawn) and builds the application in each from an
import string, so the settings travel in one environment variable (JSON) that the parent sets
before it starts them; the write token stays in AKHBAR_TOKEN, where the operator put it.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path

import orjson

ENV = "AKHBAR_SERVE_SETTINGS"
TOKEN_ENV = "AKHBAR_TOKEN"
LOG_FORMATS = ("text", "json")


@dataclass(frozen=True)
class Settings:
    """One server's settings, the same in each of its workers.

    `run_dir` is a private folder of this run (never inside the index): the workers' shared write
    lock and prometheus-client's per-process metric files. Nothing is written under `root` but
    by the writers a write request runs, and nothing at all with `read_only`."""

    root: Path
    run_dir: Path | None = None
    read_only: bool = False
    log_format: str = "text"
    threads: int = 4  # query threads (and open readers of each version) per worker

    def to_env(self) -> str:
        return orjson.dumps({k: str(v) if isinstance(v, Path) else v for k, v in asdict(self).items()}).decode()

    @staticmethod
    def from_env() -> Settings:
        raw = orjson.loads(os.environ[ENV])
        return Settings(
            root=Path(raw["root"]),
            run_dir=Path(raw["run_dir"]) if raw.get("run_dir") else None,
            read_only=bool(raw["read_only"]),
            log_format=raw["log_format"],
            threads=int(raw["threads"]),
        )
