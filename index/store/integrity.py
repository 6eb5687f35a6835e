"""Whether a version's files hold what its manifest says, which file is damaged, and rollback.

At publish the writer records each file's size and sha256 in the manifest (`describe`). Base
files that a delta write shares through hard links are never written again, so they keep the
records of the version they came from: a delta write hashes only its small delta files.

Opening an index checks cheaply (`opened`): every file has its recorded size, files up to
HASH_ON_OPEN bytes also their checksum, larger ones the checksum of SAMPLE_BLOCKS blocks spread
over the file (a file replaced by another of the same size is found; one flipped byte needs
--deep), the row counts of the vectors, FAISS and SQLite agree, and the articles have their story
rows (`check_stories`). `akhbar check --deep` hashes
every file and runs SQLite's integrity_check. An error that
a damaged file raises anywhere (SQLite, FAISS, numpy) is traced back to the file (`diagnose`).
"""

from __future__ import annotations

import hashlib
import sqlite3
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from akhbar.index.checksum import sha256_file
from akhbar.index.errors import AkhbarError, DamagedIndex, IndexNotFound
from akhbar.index.store import centering, faiss_index, layout, sql, vectors
from akhbar.index.store.manifest import MANIFEST, Manifest

BASE_FILES = (vectors.VECTORS, faiss_index.FAISS, centering.CENTERS, sql.DB)  # shared by later versions (hard links)
DELTA_FILES = (sql.DELTA_DB, vectors.DELTA_VECTORS, faiss_index.DELTA_FAISS)  # each version's own
# Files up to this size are hashed on every open: sha256 ran at 680 MB/s on this machine (2 cores,
# shared), so at most ~1.5 ms a file. That covers every file of the seed index (the largest,
# articles.sqlite, is 287 kB) and of any index up to ~300 articles; larger files are hashed by
# `akhbar check --deep` only, so `akhbar similar ID` stays a cheap cold start at any size.
HASH_ON_OPEN = 1 << 20
# Larger files: 16 blocks of 4 KiB at fixed, evenly spread offsets (the first and the last
# included): 64 KiB read per file, 16 page reads even with a cold cache.
SAMPLE_BLOCKS, SAMPLE_BYTES = 16, 4096
# What reading a damaged file raises: SQLite, FAISS (RuntimeError), numpy and zipfile (centers).
READ_ERRORS = (
    sqlite3.Error,
    RuntimeError,
    ValueError,
    OSError,
    EOFError,
    zipfile.BadZipFile,
    IndexError,
    KeyError,
    MemoryError,
    OverflowError,
)
T = TypeVar("T")


@dataclass(frozen=True)
class Damage:
    """One damaged file of a version: its name in the version folder and what is wrong."""

    file: str
    reason: str


def sample_sha256(path: Path) -> str:
    """sha256 of SAMPLE_BLOCKS blocks spread evenly over the file (all of it when it is small)."""
    size = path.stat().st_size
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for i in range(SAMPLE_BLOCKS):
            f.seek(i * max(0, size - SAMPLE_BYTES) // (SAMPLE_BLOCKS - 1))
            h.update(f.read(SAMPLE_BYTES))
    return h.hexdigest()


def describe(folder: Path, carried: Mapping[str, Mapping[str, object]] | None = None) -> dict[str, dict[str, object]]:
    """{name: {size, sha256}} of every file a version reads. Records in `carried` (the base
    version's manifest) are kept for base files of the same size instead of hashing them again."""
    out: dict[str, dict[str, object]] = {}
    for name in BASE_FILES + DELTA_FILES:
        path = folder / name
        if not path.exists():
            continue
        size = path.stat().st_size
        known = (carried or {}).get(name)
        if name in BASE_FILES and known and known.get("size") == size:
            out[name] = dict(known)
        else:
            out[name] = {"size": size, "sha256": sha256_file(path), "sample_sha256": sample_sha256(path)}
    return out


def check_files(folder: Path, manifest: Manifest, deep: bool = False) -> list[Damage]:
    """Each recorded file is there with its recorded size; its checksum is compared when `deep`
    or when the file is small. A file a reader would open that the manifest does not list is damage too."""
    damage = []
    for name, record in manifest.files.items():
        path = folder / name
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            damage.append(Damage(name, "missing"))
            continue
        if size != record["size"]:
            damage.append(Damage(name, f"{size:,} bytes where the manifest recorded {record['size']:,} (truncated or replaced)"))
        elif (deep or size <= HASH_ON_OPEN) and sha256_file(path) != record["sha256"]:
            damage.append(Damage(name, "its checksum differs from the manifest's (changed since it was written)"))
        elif not deep and size > HASH_ON_OPEN and record.get("sample_sha256", "") not in ("", sample_sha256(path)):
            damage.append(Damage(name, "the checksum of its sampled blocks differs from the manifest's (replaced or overwritten)"))
    if manifest.files:
        damage += [
            Damage(n, "not listed in the manifest (left by another program?)")
            for n in BASE_FILES + DELTA_FILES
            if n not in manifest.files and (folder / n).exists()
        ]
    return damage


def check_sqlite(folder: Path, pragma: str | None = None) -> list[Damage]:
    """Each database opens on its own (so the damaged one is named); with `pragma`
    ('quick_check' or 'integrity_check') SQLite also checks every page."""
    damage = []
    for name, tables in ((sql.DB, {"articles", "terms", "stories"}), (sql.DELTA_DB, {"articles", "terms", "stories", "removed"})):
        try:
            present, found = sql.health(folder / name, pragma, tables)
            missing = tables - present
        except sqlite3.Error as exc:
            damage.append(Damage(name, f"not a readable SQLite database ({exc})"))
            continue
        if missing:
            damage.append(Damage(name, f"has no table {', '.join(sorted(missing))}"))
        elif found != ["ok"]:
            damage.append(Damage(name, f"SQLite {pragma}: {'; '.join(map(str, found[:3]))}"))
    return damage


def check_counts(
    folder: Path, manifest: Manifest, con: sqlite3.Connection, faiss: tuple[Any, Any | None], whole: bool = False
) -> list[Damage]:
    """The row counts of vectors, FAISS and SQLite agree, for the base and for the delta, and the
    articles have their story rows (`check_stories`; every one of them when `whole`)."""
    damage = []
    row = 2 * manifest.dimension
    sizes = {n: (folder / n).stat().st_size if (folder / n).exists() else 0 for n in (vectors.VECTORS, vectors.DELTA_VECTORS)}
    for name, size in sizes.items():
        if size % row:
            damage.append(Damage(name, f"{size:,} bytes is not a whole number of {manifest.dimension}-dimension rows"))
    base_rows, delta_vectors = sizes[vectors.VECTORS] // row, sizes[vectors.DELTA_VECTORS] // row
    base, delta = faiss
    if base.ntotal != base_rows:
        damage.append(Damage(faiss_index.FAISS, f"holds {base.ntotal:,} vectors, {vectors.VECTORS} {base_rows:,}"))
    try:
        in_base = sql.base_rows(con)
    except sqlite3.Error as exc:
        return damage + [Damage(sql.DB, f"unreadable ({exc})")]
    if in_base != base_rows:
        damage.append(Damage(sql.DB, f"holds {in_base:,} rows, {vectors.VECTORS} {base_rows:,}"))
    try:
        live, hidden = sql.delta_counts(con, base_rows)
        written = sql.next_position(con, base_rows) - base_rows
    except sqlite3.Error as exc:
        return damage + [Damage(sql.DELTA_DB, f"unreadable ({exc})")]
    if written != delta_vectors:
        damage.append(Damage(vectors.DELTA_VECTORS, f"holds {delta_vectors:,} rows, {sql.DELTA_DB} {written:,}"))
    if (delta.ntotal if delta is not None else 0) != live:
        damage.append(
            Damage(faiss_index.DELTA_FAISS, f"holds {delta.ntotal if delta is not None else 0:,} vectors, {sql.DELTA_DB} {live:,} articles")
        )
    if base_rows - hidden + live != manifest.articles:
        damage.append(Damage(MANIFEST, f"says {manifest.articles:,} articles, the databases hold {base_rows - hidden + live:,}"))
    return damage + check_stories(con, base_rows, whole)


def check_stories(con: sqlite3.Connection, base_rows: int, whole: bool) -> list[Damage]:
    """Every live article has its row in the stories table (its story, link and copy group): the
    box, coverage and stories read it, and a writer never publishes a version without it.

    On open, at the cost of two index lookups and the delta's size: the base's rows reach its last
    position, and each article the delta adds has its row. `whole` (`akhbar check`) counts every
    article without a row: ~20 ms at 1M articles warm, 0.6 s cold, too slow for each open.
    """
    try:
        last = con.execute("SELECT IFNULL(MAX(pos), -1) FROM base.stories").fetchone()[0]
        added, linked = con.execute(
            "SELECT (SELECT COUNT(*) FROM main.articles), (SELECT COUNT(*) FROM main.stories WHERE pos IN (SELECT pos FROM main.articles))"
        ).fetchone()
        missing, first = (
            con.execute("SELECT COUNT(*), MIN(pos) FROM articles WHERE pos NOT IN (SELECT pos FROM story_of)").fetchone()
            if whole
            else (0, None)
        )
    except sqlite3.Error as exc:
        return [Damage(sql.DB, f"its stories table is unreadable ({exc})")]
    if last != base_rows - 1:
        return [Damage(sql.DB, f"its stories end at position {last:,}, its articles at {base_rows - 1:,}")]
    if linked != added:
        return [Damage(sql.DELTA_DB, f"{added - linked:,} of the {added:,} articles it adds have no story row")]
    if missing:
        return [
            Damage(
                sql.DB if first is not None and first < base_rows else sql.DELTA_DB,
                f"{missing:,} articles have no story row (the first at position {first:,})",
            )
        ]
    return []


def check_version(folder: Path, deep: bool = False, pragma: str | None = None) -> list[Damage]:
    """Every damaged file of a version, without raising: `akhbar check` and `diagnose`.

    Sizes, small files' checksums and row counts; `deep` hashes every file and runs SQLite's
    integrity_check; `pragma` runs that SQLite check alone (quick_check: finding a file to blame).
    """
    try:
        manifest = Manifest.load(folder)
    except IndexNotFound as exc:
        return [Damage(MANIFEST, getattr(exc, "reason", str(exc)))]
    damage = check_files(folder, manifest, deep)
    damage += [d for d in check_sqlite(folder, "integrity_check" if deep else pragma) if d.file not in {x.file for x in damage}]
    if damage:
        return damage
    try:
        centering.load(folder)
    except READ_ERRORS as exc:
        return [Damage(centering.CENTERS, f"unreadable ({type(exc).__name__}: {exc})")]
    try:
        faiss = _load_faiss(folder)
    except _Unreadable as exc:
        return [Damage(exc.file, exc.reason)]
    try:
        con = sql.connect_readonly(folder)
    except sqlite3.Error as exc:
        return [Damage(sql.DELTA_DB, f"cannot be read with {sql.DB} ({exc})")]
    try:
        return check_counts(folder, manifest, con, faiss, whole=True)
    finally:
        con.close()


class _Unreadable(Exception):
    def __init__(self, file: str, reason: str) -> None:
        self.file, self.reason = file, reason


def _load_faiss(folder: Path) -> tuple[Any, Any | None]:
    """vectors.load_faiss, naming the file FAISS could not read."""
    import faiss

    try:
        base = faiss.read_index(str(folder / faiss_index.FAISS), faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY)
    except READ_ERRORS as exc:
        raise _Unreadable(faiss_index.FAISS, f"FAISS cannot read it ({str(exc).splitlines()[0][:160]})") from exc
    try:
        delta = faiss.read_index(str(folder / faiss_index.DELTA_FAISS)) if (folder / faiss_index.DELTA_FAISS).exists() else None
    except READ_ERRORS as exc:
        raise _Unreadable(faiss_index.DELTA_FAISS, f"FAISS cannot read it ({str(exc).splitlines()[0][:160]})") from exc
    return base, delta


def raise_first(root: Path, folder: Path, damage: list[Damage]) -> None:
    """DamagedIndex naming the first damaged file, if any."""
    if damage:
        raise DamagedIndex(root, folder / damage[0].file, damage[0].reason)


def opened(root: Path, folder: Path, manifest: Manifest, load: Callable[[], T]) -> T:
    """`load()` (which opens the version's files), checked: sizes and small files' checksums
    before, and any error a damaged file raises while loading becomes DamagedIndex naming it."""
    raise_first(root, folder, check_files(folder, manifest))
    try:
        return load()
    except READ_ERRORS as exc:
        damage = check_version(folder, pragma="quick_check")
        if not damage:
            raise
        raise DamagedIndex(root, folder / damage[0].file, damage[0].reason) from exc


def diagnose(root: Path) -> DamagedIndex | None:
    """After an error nobody expected: the damaged file of the live version behind it, if any.

    Runs on the error path only (SQLite's quick_check reads every page); never raises.
    """
    try:
        folder = layout.current_version(root)
        damage = check_version(folder, pragma="quick_check")
    except DamagedIndex as exc:
        return exc
    except Exception:  # noqa: BLE001 - a diagnosis must not hide the error it was asked about
        return None
    return DamagedIndex(root, folder / damage[0].file, damage[0].reason) if damage else None


@dataclass(frozen=True)
class VersionState:
    """One version of an index as `akhbar check` reports it."""

    name: str
    current: bool
    damage: list[Damage]


def check(root: Path, deep: bool = False) -> list[VersionState]:
    """Every version of the index, newest first, with its damage (none = intact)."""
    if not root.is_dir():
        raise IndexNotFound(f"{root}: no akhbar index here (build one with 'akhbar build')")
    try:
        current = layout.current_version(root).name
    except IndexNotFound:
        current = ""
    found = [VersionState(v.name, v.name == current, check_version(v, deep)) for v in reversed(layout.versions(root))]
    if not found:
        raise IndexNotFound(f"{root}: no akhbar index here (build one with 'akhbar build')")
    return found


def rollback(root: Path) -> tuple[str, str]:
    """Make the newest intact version older than the current one current (the newest intact one
    of all when CURRENT is unreadable), through the writers' atomic swap of CURRENT.

    The version left stays on disk until the next write replaces it, like any previous version.
    Returns:
        (the version left or '', the version made current)
    """
    if not root.is_dir():
        raise IndexNotFound(f"{root}: no akhbar index here")
    with layout.writer_lock(root):
        try:
            current = layout.current_version(root).name
        except IndexNotFound:
            current = ""
        older = [v for v in reversed(layout.versions(root)) if not current or v.name < current]
        for version in older:
            if not check_version(version, deep=True):
                layout.make_current(root, version)
                return current, version.name
    kept = ", ".join(v.name for v in older) or "none"
    raise AkhbarError(f"{root}: no intact version to roll back to (older versions kept: {kept}); rebuild the index with 'akhbar build'")
