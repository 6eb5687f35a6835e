"""The index a server answers from, following CURRENT as writers publish new versions.

A request takes the version that is live when it starts and keeps it to the end: a version is
complete before CURRENT names it (index/store/layout.py), so no request sees half of one. Each version
is opened with every file it needs already open (open_snapshot: SQLite connections, memory maps,
FAISS), one reader per worker thread, because a SQLite connection serves one thread at a time.
A writer's publish deletes versions older than the one it replaces; on Linux an unlinked file
stays readable through the handles already open, so a request still holding such a version
finishes on it (tests/serve/test_serve.py holds a version across two publishes that delete it).
"""

from __future__ import annotations

import logging
import os
import queue
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from akhbar.index.errors import AkhbarError, IndexNotFound
from akhbar.index.store import layout
from akhbar.search.snapshot import Snapshot, open_snapshot, query_embedder

OPEN_ATTEMPTS = 5  # a version deleted between reading CURRENT and opening it: read CURRENT again
RETRY_SECONDS = 1.0  # a version that could not be opened is tried again after this long
log = logging.getLogger("akhbar.serve")


class Version:
    """One published version, opened once, with a pool of readers (one SQLite connection each)."""

    def __init__(self, root: Path, readers: int) -> None:
        first = open_snapshot(root)
        self.name = first.folder.name
        self.manifest = first.manifest
        self._pool: queue.LifoQueue[Snapshot] = queue.LifoQueue()
        self._pool.put(first)
        for _ in range(readers - 1):
            self._pool.put(first.clone())

    @contextmanager
    def snapshot(self) -> Iterator[Snapshot]:
        """A reader of this version for the calling thread, returned to the pool afterwards."""
        idx = self._pool.get()
        try:
            yield idx
        finally:
            self._pool.put(idx)


def _stamp(root: Path) -> tuple[int, int]:
    """CURRENT's inode and mtime: a publish replaces the file (os.replace), so both change."""
    try:
        st = os.stat(root / layout.CURRENT)
    except FileNotFoundError:
        raise IndexNotFound(f"{root}: no akhbar index here (build one with 'akhbar build')") from None
    return st.st_ino, st.st_mtime_ns


class LiveVersion:
    """The live version of an index directory, re-opened when CURRENT changes.

    Every request stats CURRENT (microseconds), so a new version answers from the first request
    after its publish. One thread opens it while the others go on answering from the old one.
    When CURRENT is missing or names a version that cannot be opened (a replica's copy half made,
    a damaged file), the server goes on answering from the version it has, says so in its log,
    and tries again a second later.
    """

    def __init__(self, root: Path, readers: int) -> None:
        self.root, self.readers = root, readers
        self._opening = threading.Lock()
        self._stamp = _stamp(root)
        self._version = self._open()
        self._retry_at = 0.0

    def _open(self) -> Version:
        for attempt in range(OPEN_ATTEMPTS):
            try:
                return Version(self.root, self.readers)
            except (FileNotFoundError, IndexNotFound, sqlite3.OperationalError):
                if attempt == OPEN_ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")

    def current(self) -> Version:
        try:
            stamp = _stamp(self.root)
        except IndexNotFound:
            stamp = None
        if stamp != self._stamp and time.monotonic() >= self._retry_at and self._opening.acquire(blocking=False):
            try:
                if stamp is None:
                    raise IndexNotFound(f"{self.root}: CURRENT is missing")
                if stamp != self._stamp:
                    self._version, self._stamp = self._open(), stamp
            except (AkhbarError, OSError, sqlite3.Error) as exc:
                self._retry_at = time.monotonic() + RETRY_SECONDS
                log.warning("cannot open the version CURRENT names (%s); answering from %s", exc, self._version.name)
            finally:
                self._opening.release()
        return self._version


class SharedEmbedder:
    """The query model, loaded once per process on first need (a text query, --explain, a write).

    Lazily, because the box under an indexed article (`similar ID`, the common request) never
    needs it: the server starts in about a second and stays small until text arrives. One encode
    at a time: the tokenizer is not safe to share between threads, and two encodes on two cores
    would only slow each other.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loaded: dict[tuple[str, str], object] = {}

    def for_index(self, manifest) -> _Serialized:
        key = (manifest.model, manifest.model_checksum)
        with self._lock:
            if key not in self._loaded:
                self._loaded[key] = _Serialized(query_embedder(manifest))
            return self._loaded[key]  # type: ignore[return-value]  # held beside its key: the embedder loaded for it


class _Serialized:
    """An Embedder whose encode runs one call at a time."""

    def __init__(self, embedder) -> None:
        self._embedder, self._lock = embedder, threading.Lock()

    def encode(self, texts):
        with self._lock:
            return self._embedder.encode(texts)

    def __getattr__(self, name: str):
        return getattr(self._embedder, name)
