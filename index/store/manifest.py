"""The manifest: how an index was built, so queries can check they are compatible, and what
each of its files holds (size, sha256: index/store/integrity.py). It carries a checksum of itself, so
a changed byte in it is found too."""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import KW_ONLY, dataclass, field
from pathlib import Path
from typing import Any

import orjson

from akhbar.index import config
from akhbar.index.errors import DamagedIndex, IndexNotFound

MANIFEST = "manifest.json"


@dataclass(frozen=True)
class Manifest:
    """Everything needed to embed a query the same way the articles were embedded."""

    model: str
    model_checksum: str
    dimension: int
    prompt: str
    chunking: dict[str, Any]  # the JSON objects below are read back as written: Any, not object
    _: KW_ONLY  # the fields below are named at every call
    centering: dict[str, Any]
    precision: str
    faiss: dict[str, Any]  # kind, factory string, search parameters
    articles: int
    counts: dict[str, int] = field(default_factory=dict)
    created: str = ""
    # which backend embedded the articles and what its vectors compare with (index/embedding/backends.py);
    # empty in indexes built before backends existed: torch, float vectors
    backend: dict[str, Any] = field(default_factory=dict)
    format_version: int = config.FORMAT_VERSION
    story_rule: int = 0  # the story rule its stored stories follow (config.STORY_RULE); 0: not recorded
    files: dict[str, dict[str, Any]] = field(default_factory=dict)  # name → {size, sha256}; empty before they were recorded

    def save(self, folder: Path) -> None:
        d = dataclasses.asdict(self)
        d["checksum"] = _checksum(d)
        (folder / MANIFEST).write_bytes(orjson.dumps(d, option=orjson.OPT_INDENT_2))

    @classmethod
    def load(cls, folder: Path) -> Manifest:
        path = folder / MANIFEST
        try:
            raw = orjson.loads(path.read_bytes())
        except FileNotFoundError as exc:
            raise DamagedIndex(folder.parent, path, "missing") from exc
        except (OSError, orjson.JSONDecodeError) as exc:
            raise DamagedIndex(folder.parent, path, f"unreadable ({exc})") from exc
        if not isinstance(raw, dict):
            raise DamagedIndex(folder.parent, path, "not a JSON object")
        stored = raw.pop("checksum", None)
        if stored is not None and stored != _checksum(raw):
            raise DamagedIndex(folder.parent, path, "its checksum does not match its content (changed since it was written)")
        if raw.get("format_version") != config.FORMAT_VERSION:
            raise IndexNotFound(f"{path}: index format {raw.get('format_version')} is not {config.FORMAT_VERSION}; rebuild it")
        names = {f.name for f in dataclasses.fields(cls)}
        try:
            return cls(**{k: v for k, v in raw.items() if k in names})
        except TypeError as exc:
            raise DamagedIndex(folder.parent, path, f"incomplete ({exc})") from exc


def _checksum(fields: dict) -> str:
    return hashlib.sha256(orjson.dumps(fields, option=orjson.OPT_SORT_KEYS)).hexdigest()
