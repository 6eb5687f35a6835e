"""Shared fixtures: the real converted model (once per session) and a real index over seeds/."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
SEED_PAGE_ID = "000_2274472028061bc0"


@pytest.fixture(scope="session", autouse=True)
def model_cache(tmp_path_factory) -> Path:
    """A fresh cache per session, so every run converts the bundled model for real."""
    cache = tmp_path_factory.mktemp("akhbar-cache")
    os.environ["AKHBAR_CACHE"] = str(cache)
    os.environ.pop("AKHBAR_INDEX", None)
    return cache


@pytest.fixture(scope="session")
def model_ref(model_cache):
    from akhbar.index.model import resolve

    return resolve()


@pytest.fixture(scope="session")
def st_model(model_ref):
    from akhbar.index.model import load

    return load(model_ref)


@pytest.fixture(scope="session")
def embedder(model_ref):
    """What a build uses here: the backend `auto` picks for this CPU (exported once into the session cache)."""
    from akhbar.index.backends import load_for
    from akhbar.index.embed import Embedder

    encoder = load_for(model_ref, "auto")
    return Embedder(encoder, encoder.prompt)


@pytest.fixture(scope="session")
def seed_index(tmp_path_factory, model_ref) -> Path:
    """A real index (SQLite, FAISS, vectors) over the bundled seeds."""
    from akhbar.index.build import build

    root = tmp_path_factory.mktemp("seed-index") / "idx"
    build([SEEDS], root)
    return root


@pytest.fixture
def copy_of(tmp_path):
    """A private copy of an index, for tests that change or break one."""

    def _copy(root: Path) -> Path:
        dst = tmp_path / "copy"
        shutil.copytree(root, dst)
        return dst

    return _copy
