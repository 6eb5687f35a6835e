"""Shared fixtures: the real converted model (once per run) and a real index over seeds/ (once per run).

`make test` runs the suite in two processes (pytest-xdist, `-n 2 --dist loadfile`: a file's tests stay in one
worker, so a module's fixtures are built once). The workers share one model cache and one seed index, each
made by the first worker to need it while the other waits on a lock (SHARED below), so a second worker costs
no second conversion or build.

Tests in tiers: a test that uses the model, directly or through a fixture below, is marked
`model` here, from the fixtures it asks for; tests that build an index in their own folder
say so with `pytestmark = pytest.mark.model` or `@pytest.mark.model`. `make check` runs the
rest (`pytest -m "not model"`): no model, seconds.
"""

from __future__ import annotations

import os
import shutil
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from tests.helpers import SEEDS

# Property-based tests (tests/index/ingest/test_fuzz_ingest.py): a quick run in the suite, the long one with
# `--hypothesis-profile akhbar-fuzz` (bench/fuzz_ingest.py: 2,500 examples a format, 10,000+ in all).
SLOW = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example]
settings.register_profile("akhbar-quick", max_examples=75, deadline=None, suppress_health_check=SLOW)
settings.register_profile("akhbar-fuzz", max_examples=2_500, deadline=None, suppress_health_check=SLOW)
settings.load_profile("akhbar-quick")

MODEL_FIXTURES = {"model_ref", "st_model", "embedder", "seed_index", "idx", "query_model"}


# The order files are handed to the two workers (`make test` passes --no-loadscope-reorder, so xdist
# keeps it): first one file that makes the model and the seed index (test_cli.py), then every file that
# needs no model, which the other worker runs while the first converts and measures (~1 min it used to
# spend waiting on the lock), then the slowest model files (measured with --durations), so neither worker
# is left with a long file at the end, then the rest.
FIRST = "tests/test_cli.py"
SLOWEST = [
    "tests/index/embedding/test_backends.py",
    "tests/index/embedding/test_ray.py",
    "tests/watch/test_watch.py",
    "tests/index/test_lifecycle.py",
    "tests/serve/test_serve_workers.py",
    "tests/index/embedding/test_train.py",
    "tests/index/embedding/test_model.py",
    "tests/index/test_removal.py",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if MODEL_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.model)
    files: dict[str, list[pytest.Item]] = {}
    for item in items:
        files.setdefault(item.nodeid.split("::")[0], []).append(item)

    def rank(name: str) -> tuple[int, int]:
        if name == FIRST:
            return (0, 0)
        if not any(i.get_closest_marker("model") for i in files[name]):
            return (1, 0)
        return (2, SLOWEST.index(name)) if name in SLOWEST else (3, 0)

    items[:] = [i for name in sorted(files, key=rank) for i in files[name]]  # sorted() is stable: collection order within a rank


def _shared(tmp_path_factory) -> Path:
    """A folder for this run: the session's own, or under pytest-xdist the run's, which every worker shares."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@contextmanager
def _first_makes(folder: Path):
    """Hold the run's lock on `folder` (its sibling .lock file): the first worker makes it, the others wait and find it."""
    from filelock import FileLock

    with FileLock(str(folder) + ".lock"):
        yield


@pytest.fixture(scope="session", autouse=True)
def model_cache(tmp_path_factory) -> Path:
    """A fresh cache per run, so every run converts the bundled model for real (once, for every worker)."""
    cache = _shared(tmp_path_factory) / "akhbar-cache"
    cache.mkdir(exist_ok=True)
    os.environ["AKHBAR_CACHE"] = str(cache)
    os.environ.pop("AKHBAR_INDEX", None)
    return cache


@pytest.fixture(scope="session")
def model_ref(model_cache):
    from akhbar.index.embedding.model import resolve

    with _first_makes(model_cache / "models"):
        return resolve()


@pytest.fixture(scope="session")
def st_model(model_ref):
    from akhbar.index.embedding.model import load

    return load(model_ref)


@pytest.fixture(scope="session")
def embedder(model_ref):
    """What a build uses here: the backend `auto` picks for this CPU (exported once into the session cache)."""
    from akhbar.index.embedding.backends import load_for
    from akhbar.index.embedding.embedder import Embedder

    with _first_makes(Path(model_ref.path)):  # the backend's export, made once
        encoder = load_for(model_ref, "auto")
    return Embedder(encoder, encoder.prompt)


@pytest.fixture(scope="session")
def seed_index(tmp_path_factory, model_ref) -> Path:
    """A real index (SQLite, FAISS, vectors) over the bundled seeds, built once per run; nothing writes it."""
    from akhbar.index.store.layout import CURRENT
    from akhbar.index.writers import build

    root = _shared(tmp_path_factory) / "seed-index" / "idx"
    with _first_makes(root.parent):
        if not (root / CURRENT).exists():
            root.parent.mkdir(exist_ok=True)
            build([SEEDS], root)
    return root


@pytest.fixture(scope="session")
def idx(seed_index):
    """A reader of the seed index, shared: nothing writes it (tests that write use copy_of)."""
    from akhbar.search.snapshot import open_snapshot

    return open_snapshot(seed_index)


@pytest.fixture
def copy_of(tmp_path):
    """A private copy of an index, for tests that change or break one."""

    def _copy(root: Path) -> Path:
        dst = tmp_path / "copy"
        shutil.copytree(root, dst)
        return dst

    return _copy


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A real `akhbar serve` process on 127.0.0.1 and a free port; its output goes to a log file."""

    def __init__(self, root: Path, log: Path, token: str | None) -> None:
        import subprocess
        import sys

        self.root, self.log, self.port = root, log, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if k != "AKHBAR_TOKEN"} | ({"AKHBAR_TOKEN": token} if token else {})
        with open(log, "wb") as out:  # the server keeps its own copy of the descriptor
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "akhbar.cli", "serve", "--index", str(root), "--port", str(self.port)],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
            )

    def wait(self, seconds: float = 120) -> Server:
        import time
        import urllib.request

        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"akhbar serve exited: {self.log.read_text()}")
            try:
                urllib.request.urlopen(self.url + "/healthz", timeout=2).read()
                return self
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"akhbar serve did not answer within {seconds} s: {self.log.read_text()}")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except Exception:
            self.proc.kill()
            self.proc.wait()


SERVE_TOKEN = "test-token-4f1c"


@pytest.fixture(scope="session")
def served(seed_index, tmp_path_factory):
    """`akhbar serve` over a private copy of the seed index, writes on with SERVE_TOKEN."""
    root = tmp_path_factory.mktemp("served") / "idx"
    shutil.copytree(seed_index, root)
    server = Server(root, root.parent / "server.log", SERVE_TOKEN)
    try:
        yield server.wait()
    finally:
        server.stop()
