"""The manifest: how an index was built, so queries can check they are compatible."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from akhbar.index import config
from akhbar.index.errors import IndexNotFound

MANIFEST = "manifest.json"


@dataclass(frozen=True)
class Manifest:
    """Everything needed to embed a query the same way the articles were embedded."""

    model: str
    model_checksum: str
    dimension: int
    prompt: str
    chunking: dict[str, object]
    centering: dict[str, object]
    precision: str
    faiss: dict[str, object]  # kind, factory string, search parameters
    articles: int
    counts: dict[str, int] = field(default_factory=dict)
    created: str = ""
    # which backend embedded the articles and what its vectors compare with (index/backends.py);
    # empty in indexes built before backends existed: torch, float vectors
    backend: dict[str, object] = field(default_factory=dict)
    format_version: int = config.FORMAT_VERSION

    def save(self, folder: Path) -> None:
        (folder / MANIFEST).write_bytes(orjson.dumps(dataclasses.asdict(self), option=orjson.OPT_INDENT_2))

    @classmethod
    def load(cls, folder: Path) -> Manifest:
        path = folder / MANIFEST
        try:
            raw = orjson.loads(path.read_bytes())
        except (OSError, orjson.JSONDecodeError) as exc:
            raise IndexNotFound(f"{path}: unreadable manifest ({exc})") from exc
        if raw.get("format_version") != config.FORMAT_VERSION:
            raise IndexNotFound(f"{path}: index format {raw.get('format_version')} is not {config.FORMAT_VERSION}; rebuild it")
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in raw.items() if k in names})
