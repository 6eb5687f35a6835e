"""Shared fixtures: the real converted model (once per session) and a real index over seeds/.

Tests in tiers: a test that uses the model, directly or through a fixture below, is marked
`model` here, from the fixtures it asks for; tests that build an index in their own folder
say so with `pytestmark = pytest.mark.model` or `@pytest.mark.model`. `make check` runs the
rest (`pytest -m "not model"`): no model, seconds.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from tests.helpers import SEEDS

# Property-based tests (tests/test_fuzz_ingest.py): a quick run in the suite, the long one with
# `--hypothesis-profile akhbar-fuzz` (bench/fuzz_ingest.py: 2,500 examples a format, 10,000+ in all).
SLOW = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example]
settings.register_profile("akhbar-quick", max_examples=75, deadline=None, suppress_health_check=SLOW)
settings.register_profile("akhbar-fuzz", max_examples=2_500, deadline=None, suppress_health_check=SLOW)
settings.load_profile("akhbar-quick")

MODEL_FIXTURES = {"model_ref", "st_model", "embedder", "seed_index", "idx", "query_model"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if MODEL_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.model)


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


@pytest.fixture(scope="session")
def idx(seed_index):
    """A reader of the seed index, shared: nothing writes it (tests that write use copy_of)."""
    from akhbar.search.reader import open_index

    return open_index(seed_index)


@pytest.fixture
def copy_of(tmp_path):
    """A private copy of an index, for tests that change or break one."""

    def _copy(root: Path) -> Path:
        dst = tmp_path / "copy"
        shutil.copytree(root, dst)
        return dst

    return _copy
