"""An index directory holds complete versions; the file CURRENT names the live one.

A build writes a staging folder, then renames it into place and swaps CURRENT with
os.replace, which is atomic: readers see the old version or the new, never half of one,
and a failed or interrupted build leaves the old version untouched.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

from index.errors import AkhbarError, IndexNotFound

CURRENT = "CURRENT"
VERSION_PREFIX = "v-"
STAGING_PREFIX = ".staging-"


def current_version(root: Path) -> Path:
    """The live version folder of an index, or IndexNotFound."""
    try:
        name = (root / CURRENT).read_text().strip()
    except FileNotFoundError:
        raise IndexNotFound(f"{root}: no akhbar index here (build one with 'akhbar build')") from None
    folder = root / name
    if not folder.is_dir():
        raise IndexNotFound(f"{root}: CURRENT names '{name}', which is missing")
    return folder


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def staging(root: Path) -> Path:
    """A fresh folder inside the index root, on the same filesystem so the final rename is atomic.

    Staging folders left by killed builds (their pid is gone) are removed first.
    """
    if root.exists() and not (root / CURRENT).exists() and any(p for p in root.iterdir() if not p.name.startswith(STAGING_PREFIX)):
        raise AkhbarError(f"{root}: exists and is not an akhbar index; refusing to write into it")
    root.mkdir(parents=True, exist_ok=True)
    for old in root.glob(f"{STAGING_PREFIX}*"):
        pid = old.name[len(STAGING_PREFIX):].split("-")[0]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(old, ignore_errors=True)
    return Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{os.getpid()}-", dir=root))


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def publish(root: Path, stage: Path) -> Path:
    """Make a finished staging folder the live version, then drop the versions before it."""
    for f in stage.iterdir():
        with open(f, "rb") as fh:
            os.fsync(fh.fileno())
    version = root / f"{VERSION_PREFIX}{time.strftime('%Y%m%dT%H%M%S')}-{stage.name[-8:]}"
    os.rename(stage, version)
    tmp = root / f"{CURRENT}.tmp-{os.getpid()}"
    tmp.write_text(version.name + "\n")
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, root / CURRENT)
    _fsync_dir(root)
    for old in root.iterdir():
        if old.is_dir() and old.name.startswith(VERSION_PREFIX) and old != version:
            shutil.rmtree(old, ignore_errors=True)
    return version


def discard(stage: Path) -> None:
    shutil.rmtree(stage, ignore_errors=True)
