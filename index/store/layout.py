"""An index directory holds complete versions; the file CURRENT names the live one.

A writer (build, add, remove) holds LOCK, fills a staging folder named after its job, then
renames it into place and swaps CURRENT with os.replace, which is atomic: readers see the
old version or the new, never half of one, and a failed or killed writer leaves the old
version untouched. A killed writer's staging folder is its checkpoint: the same job run
again resumes from it.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from akhbar.index.errors import AkhbarError, IndexLocked, IndexNotFound

CURRENT = "CURRENT"
VERSION_PREFIX = "v-"
STAGING_PREFIX = ".staging-"


def current_version(root: Path) -> Path:
    """The live version folder of an index, or IndexNotFound."""
    try:
        name = (root / CURRENT).read_text(errors="replace").strip()
    except FileNotFoundError:
        raise IndexNotFound(f"{root}: no akhbar index here (build one with 'akhbar build')") from None
    if not name.startswith(VERSION_PREFIX) or "/" in name or "\0" in name:
        raise IndexNotFound(
            f"{root}/{CURRENT} is damaged (it does not name a version); "
            f"'akhbar rollback --index {root}' makes the newest intact version current"
        )
    folder = root / name
    if not folder.is_dir():
        raise IndexNotFound(
            f"{root}: CURRENT names '{name[:80]}', which is missing; "
            f"'akhbar rollback --index {root}' makes the newest intact version current"
        )
    return folder


LOCK = "LOCK"


@contextmanager
def writer_lock(root: Path) -> Iterator[None]:
    """One writer at a time per index; a second one gets a clear error, not a corrupt index."""
    if (
        root.exists()
        and not (root / CURRENT).exists()
        and any(p.name != LOCK and not p.name.startswith((STAGING_PREFIX, VERSION_PREFIX)) for p in root.iterdir())
    ):
        raise AkhbarError(f"{root}: exists and is not an akhbar index; refusing to write into it")
    created = not root.exists()
    root.mkdir(parents=True, exist_ok=True)
    with open(root / LOCK, "a+") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.seek(0)
            raise IndexLocked(
                f"{root}: another akhbar process (pid {f.read().strip() or '?'}) is writing this index; try again when it has finished"
            ) from None
        f.seek(0)
        f.truncate()
        f.write(str(os.getpid()))
        f.flush()
        try:
            yield
        finally:
            if created and [p.name for p in root.iterdir()] == [LOCK]:  # a failed first build leaves no folder
                (root / LOCK).unlink()
                root.rmdir()
            fcntl.flock(f, fcntl.LOCK_UN)


def staging(root: Path, job: str) -> Path:
    """The staging folder of this job: a killed run of the same job left its checkpoint there.

    Called under the writer lock, so any other staging folder is a dead run's: it is removed.
    """
    path = root / f"{STAGING_PREFIX}{job}"
    for other in root.glob(f"{STAGING_PREFIX}*"):
        if other != path:
            shutil.rmtree(other, ignore_errors=True)
    path.mkdir(exist_ok=True)
    return path


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def publish(root: Path, stage: Path) -> Path:
    """Make a finished staging folder the live version; keep the one it replaces, drop older ones."""
    for f in stage.iterdir():
        with open(f, "rb") as fh:
            os.fsync(fh.fileno())
    now = time.time()  # names sort in publication order (microseconds: two writes can share a second)
    version = root / f"{VERSION_PREFIX}{time.strftime('%Y%m%dT%H%M%S', time.gmtime(now))}.{int(now % 1 * 1e6):06d}-{os.urandom(4).hex()}"
    try:
        previous = (root / CURRENT).read_text(errors="replace").strip()
    except FileNotFoundError:
        previous = ""
    os.rename(stage, version)
    make_current(root, version)
    _drop_old_versions(root, keep={version.name, previous})
    return version


def make_current(root: Path, version: Path) -> None:
    """Swap CURRENT to name `version`, atomically (os.replace) and durably: publish and rollback both."""
    tmp = root / f"{CURRENT}.tmp-{os.getpid()}"
    tmp.write_text(version.name + "\n")
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, root / CURRENT)
    _fsync_dir(root)


def versions(root: Path) -> list[Path]:
    """Every complete version folder, oldest first (names sort in publication order)."""
    return sorted(p for p in root.iterdir() if p.is_dir() and p.name.startswith(VERSION_PREFIX))


def _drop_old_versions(root: Path, keep: set[str]) -> None:
    """Versions older than the one just replaced: a reader that opened the previous one a
    moment ago still finds it whole; anything older has had a whole publish to finish.

    Two versions, not more: the previous one is also what `akhbar rollback` restores. An older
    one would rarely add a second chance: versions written as a delta share the base files
    (hard links), so damage to a base file is in all of them, and a merged version is a
    whole copy of the index (1.9 GB at 1M articles, README) to keep for each.
    """
    for old in root.iterdir():
        if old.is_dir() and old.name.startswith(VERSION_PREFIX) and old.name not in keep:
            shutil.rmtree(old, ignore_errors=True)


def discard(stage: Path) -> None:
    shutil.rmtree(stage, ignore_errors=True)
