"""A removal below MERGE_BELOW is a delta write (tombstones, the centering refitted with the base
FAISS rebuilt, the touched stories relinked), and its answers equal a fresh build's without the
removed articles."""

from __future__ import annotations

import shutil

import orjson
import pytest

from akhbar.index import writers
from akhbar.index.store import layout, vectors
from akhbar.search.options import QueryOptions
from akhbar.search.query import similar_to_id
from akhbar.search.snapshot import open_snapshot
from tests.helpers import SEED_ARTICLES, SEEDS, ranking_differences

# the first of the NATO story's wire copies (its copy group and story are named after it), a
# Moroccan quake report, and the Tunisian article that kept an Egyptian pair apart (tests/index/stories/test_stories.py)
GONE = {"ar-nato-01", "ar-quake-ma-02", "ev-tunisia24-ar-1"}


def _seeds_without(folder, gone: set[str]):
    shutil.copytree(SEEDS, folder)
    for name in ("sample_corpus.jsonl", "events.jsonl"):
        lines = (folder / name).read_bytes().splitlines()
        kept = [line for line in lines if orjson.loads(line)["id"] not in gone]
        assert len(kept) < len(lines) or name == "events.jsonl"
        (folder / name).write_bytes(b"\n".join(kept) + b"\n")
    return folder


@pytest.mark.model  # builds a fresh index to compare with
def test_a_removal_is_a_delta_write_whose_answers_equal_a_fresh_build(seed_index, copy_of, tmp_path):
    root = copy_of(seed_index)
    before = layout.current_version(root)
    summary = writers.remove(sorted(GONE), root)
    assert summary.removed == len(GONE) and summary.embedded == 0
    live = open_snapshot(root)
    assert live.manifest.articles == SEED_ARTICLES - len(GONE)
    assert live.delta_size() == len(GONE)  # tombstones: no merge, the base files are the version before's
    assert (live.folder / vectors.VECTORS).samefile(before / vectors.VECTORS)

    fresh_root = tmp_path / "fresh"
    writers.build([_seeds_without(tmp_path / "seeds", GONE)], fresh_root)
    fresh = open_snapshot(fresh_root)
    ids = sorted(r[0] for r in fresh.in_order("id"))
    assert ids == sorted(r[0] for r in live.in_order("id")) and not GONE & set(ids)

    def by_id(idx) -> dict[str, str]:
        return {idx.rows([p], "pos, id")[p]["id"]: story for p, story in idx.story_assignments().items()}

    assert by_id(live) == by_id(fresh)  # every story as a fresh build stores it
    assert live.story_assignments() == {p: story for p, (story, _) in live.fresh_pass().items()}  # and a pass from nothing
    for article_id in ids:
        for mode, within in (("dense", 5e-3), ("hybrid", 1e-2)):
            # hybrid: FTS5 keeps the removed articles in its BM25 statistics until the next merge
            x = similar_to_id(live, article_id, QueryOptions(k=8, window=0, mode=mode))
            y = similar_to_id(fresh, article_id, QueryOptions(k=8, window=0, mode=mode))
            assert not ranking_differences(x.hits, y.hits, within), (article_id, mode, ranking_differences(x.hits, y.hits, within))
            assert not GONE & {a["id"] for h in x.hits for a in h.also}
