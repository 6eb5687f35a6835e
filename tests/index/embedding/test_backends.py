"""Embedding backends: the choice per CPU, the export cache, and which vectors may share an index."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import CORPUS, SEED_PAGE_ID

TEXTS = [
    "مجلس الوزراء يوافق على ميزانية العام المقبل ويقر زيادة الإنفاق على التعليم والصحة",
    "The central bank raised interest rates by a quarter point to curb inflation.",
    "La Banque centrale a relevé ses taux d'un quart de point.",
    "زلزال بقوة 6 درجات يضرب جنوب تركيا",
]


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "akhbar.cli", *args], capture_output=True, text=True, timeout=600)


def test_auto_measures_the_float_backends_this_cpu_runs_natively(tmp_path):
    from akhbar.index.embedding.backends import candidates
    from akhbar.index.embedding.cpu import capped, detect, from_flags

    everything = {"torch", "onnxruntime", "openvino"}
    bf16 = from_flags("EPYC 9R14", 2, {"avx2", "avx512f", "avx512_vnni", "avx512_bf16"})
    amx = from_flags("Xeon 8488C", 2, {"avx2", "avx512f", "avx512_vnni", "amx_bf16", "amx_tile"})
    vnni = from_flags("Xeon 8375C", 2, {"avx2", "avx512f", "avx512_vnni"})
    avx2 = from_flags("EPYC 7R13", 2, {"avx2", "fma"})
    old = from_flags("Atom", 2, {"sse4_2"})
    assert amx.bf16 and amx.amx and not avx2.vnni and not old.avx2
    assert len({c.flags_digest for c in (bf16, amx, vnni, avx2, old)}) == 5  # any flag change measures again
    floats = ["torch-fp32", "onnx-fp32", "openvino-fp32"]
    assert (
        candidates(bf16, everything)
        == candidates(amx, everything)
        == ["torch-fp32", "torch-bf16", "onnx-fp32", "openvino-fp32", "openvino-bf16"]
    )
    assert candidates(vnni, everything) == candidates(avx2, everything) == candidates(old, everything) == floats  # no emulated bf16
    assert candidates(bf16, {"torch"}) == ["torch-fp32", "torch-bf16"] and candidates(old, {"torch"}) == ["torch-fp32"]
    # an index decides what its vectors compare with: a float index gets floats, an int8 one its own export
    assert candidates(avx2, everything, {}) == floats
    assert candidates(bf16, everything, {"name": "onnx-int8-avx2", "vectors": "onnx-int8-avx2:ab12"}) == ["onnx-int8-avx2"]
    # a process capped at AVX2 (bench/embed_throughput.py --emulate-avx2) sees the AVX2 class
    flags = {"avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16", "amx_tile", "avx_vnni"}
    assert capped(flags, "") == capped(flags, "AVX512_CORE_AMX") == flags
    assert capped(flags, "AVX2") == {"avx2", "fma"} and capped(flags, "avx2_vnni") == {"avx2", "fma", "avx_vnni"}
    assert candidates(from_flags("EPYC 9R14", 2, capped(flags, "AVX2")), everything) == floats
    info = tmp_path / "cpuinfo"
    info.write_text(
        "processor\t: 0\nmodel name\t: AMD EPYC 9R14\nflags\t\t: fpu avx2 avx512f avx512_vnni avx512_bf16\n"
        "processor\t: 1\nmodel name\t: AMD EPYC 9R14\nflags\t\t: fpu avx2 avx512f avx512_vnni avx512_bf16\n"
    )
    read = detect.__wrapped__(info)
    assert (read.model, read.bf16, read.vnni, read.avx512, read.amx) == ("AMD EPYC 9R14", True, True, True, False)


def test_bf16_is_refused_without_native_bf16(model_ref):
    from akhbar.index.embedding.backends import load_for
    from akhbar.index.embedding.cpu import from_flags
    from akhbar.index.errors import ModelError

    with pytest.raises(ModelError, match="needs native bf16"):
        load_for(model_ref, "openvino-bf16", cpu=from_flags("EPYC 7R13", 2, {"avx2"}))
    with pytest.raises(ModelError, match="not one of"):
        load_for(model_ref, "tensorrt", cpu=from_flags("EPYC 7R13", 2, {"avx2"}))


def test_export_is_cached_checksummed_and_redone_when_damaged(embedder, model_ref, model_cache, tmp_path, monkeypatch):
    """On a private copy of the run's exports: the other test worker loads from the shared cache,
    and a damaged file there is set aside under it (CI once failed that way)."""
    import shutil

    from akhbar.index.embedding import runtime_files
    from akhbar.index.embedding.backends import SPECS

    artifact = SPECS[embedder.encoder.name].artifact or "onnx"  # torch here: check onnx's export instead
    shared = runtime_files.export_root(model_ref)
    runtime_files.artifact(model_ref, artifact)  # made in the shared cache once, as a build would
    private = tmp_path / "cache"
    shutil.copytree(shared, private / "exports" / shared.name, ignore=shutil.ignore_patterns(".*", "*.lock"))
    monkeypatch.setenv("AKHBAR_CACHE", str(private))
    path, meta = runtime_files.artifact(model_ref, artifact)
    assert path.is_relative_to(private / "exports")
    assert meta["sha256"] == runtime_files._checksum(path.parent, artifact) and meta["model_checksum"] == model_ref.checksum
    assert not [p for p in path.parent.parent.iterdir() if p.name.startswith(".")]  # no temporary or set-aside folder left
    stamp = path.stat().st_mtime_ns
    assert runtime_files.artifact(model_ref, artifact)[0].stat().st_mtime_ns == stamp  # reused, not exported again
    weights = path.with_suffix(".bin") if path.suffix == ".xml" else path
    with open(weights, "r+b") as f:  # damage one byte in the middle
        f.seek(weights.stat().st_size // 2)
        byte = f.read(1)
        f.seek(-1, os.SEEK_CUR)
        f.write(bytes([byte[0] ^ 0xFF]))
    path2, meta2 = runtime_files.artifact(model_ref, artifact)
    assert path2 == path and meta2["sha256"] == runtime_files._checksum(path2.parent, artifact)  # exported again, whole
    assert path2.stat().st_mtime_ns != stamp


def test_a_failed_export_leaves_nothing_under_its_name(tmp_path, monkeypatch, model_ref):
    from akhbar.index.embedding import runtime_files

    monkeypatch.setenv("AKHBAR_CACHE", str(tmp_path))

    def dies_half_way(_ref, _source, out: Path) -> dict:
        out.write_bytes(b"\x08\x01" * 1000)  # half a file, then the process is interrupted
        raise KeyboardInterrupt

    monkeypatch.setitem(runtime_files._EXPORTERS, "onnx", dies_half_way)
    with pytest.raises(KeyboardInterrupt):
        runtime_files.artifact(model_ref, "onnx")
    root = runtime_files.export_root(model_ref)
    assert root.exists() and list(root.iterdir()) == []


def test_float_backends_agree_within_the_stated_tolerance(embedder, model_ref, st_model):
    """Every float backend this CPU runs gives the vectors torch fp32 gives, to cosine >= 0.999
    (measured >= 0.99998 for openvino-bf16 on an AVX-512 BF16 EPYC)."""
    from akhbar.index.embedding.backends import installed, load_for, torch_encoder
    from akhbar.index.embedding.embedder import Embedder

    reference = Embedder(torch_encoder(st_model), "query: ").encode(TEXTS)
    others = [embedder.encoder] if embedder.encoder.vectors == "float" else []
    if "openvino" in installed():
        others.append(load_for(model_ref, "openvino-fp32"))
    assert others
    for enc in others:
        assert enc.vectors == "float"
        assert (reference * Embedder(enc, "query: ").encode(TEXTS)).sum(1).min() >= 0.999, enc.name


def test_an_index_refuses_vectors_that_would_not_compare(seed_index, copy_of, tmp_path, model_ref):
    """A float index refuses an int8 backend for add and for text queries, before exporting
    anything; an int8 index refuses a float backend."""
    from dataclasses import replace

    from akhbar.index.store import layout
    from akhbar.index.store.manifest import Manifest

    idx = copy_of(seed_index)
    folder = layout.current_version(idx)
    m = Manifest.load(folder)
    assert m.backend["name"] and m.backend["cpu"]
    replace(m, backend={"name": "openvino-bf16", "precision": "bf16", "vectors": "float"}).save(folder)  # as on a bf16 CPU
    from akhbar.index.embedding import runtime_files

    def int8_exports() -> set[str]:  # of this model only: the other test worker may export another model's meanwhile
        return {p.name for p in runtime_files.export_root(model_ref).glob("onnx-int8-*")}

    exported = int8_exports()
    new = tmp_path / "new.jsonl"
    new.write_text(json.dumps({"id": "n1", "title": "خبر جديد", "body": "نص خبر جديد عن الاقتصاد"}, ensure_ascii=False) + "\n")
    r = cli("add", str(new), "--index", str(idx), "--backend", "onnx-int8-avx2")
    assert r.returncode == 1 and "the index holds float vectors; backend onnx-int8-avx2 gives int8" in r.stderr, r.stderr
    assert "Traceback" not in r.stderr
    r = cli("similar", "--text", "أسعار النفط", "--index", str(idx), "--backend", "onnx-int8-vnni")
    assert r.returncode == 1 and "do not compare" in r.stderr
    assert int8_exports() == exported  # refused before exporting
    replace(m, backend={"name": "onnx-int8-vnni", "precision": "int8", "vectors": "onnx-int8-vnni:0123456789abcdef"}).save(folder)
    r = cli("search", "oil prices", "--index", str(idx), "--backend", "torch-fp32")
    assert r.returncode == 1 and "the index holds int8 (onnx-int8-vnni) vectors" in r.stderr, r.stderr
    r = cli("similar", SEED_PAGE_ID, "--index", str(idx))  # by id: no embedding, still works
    assert r.returncode == 0, r.stderr


def test_add_with_another_float_backend_is_accepted(seed_index, copy_of, tmp_path):
    """Float vectors of another backend join a float index: the text finds its own article at cosine >= 0.99."""
    from akhbar.search.snapshot import open_snapshot

    if open_snapshot(seed_index).manifest.backend["vectors"] != "float":
        pytest.skip("auto chose int8 on this CPU: the seed index takes only its own export's vectors")
    idx = copy_of(seed_index)
    new = tmp_path / "new.jsonl"
    new.write_text(json.dumps({"id": "n2", "title": "Oil prices", "body": "Oil prices rose on Monday."}) + "\n")
    r = cli("add", str(new), "--index", str(idx), "--backend", "torch-fp32", "--json")
    assert r.returncode == 0, r.stderr
    from akhbar.search.snapshot import query_embedder

    opened = open_snapshot(idx)
    assert opened.manifest.backend == open_snapshot(seed_index).manifest.backend  # the build's entry stays
    q = opened.query_vector(query_embedder(opened.manifest), "Oil prices\nOil prices rose on Monday.")  # auto: the build's kind
    scores, found = opened.search(q[None, :], 1)
    assert found[0][0] == opened.position("n2") and scores[0][0] >= 0.99


def test_int8_is_close_to_fp32_but_its_own_kind(model_ref, st_model):
    """The int8 export (ONNX Runtime, dynamic quantisation): per-text cosine to torch fp32 >= 0.99
    (the issue's quality bar), and its vectors are named by the export's checksum."""
    from akhbar.index.embedding import runtime_files
    from akhbar.index.embedding.backends import check_comparable, load_for, torch_encoder
    from akhbar.index.embedding.embedder import Embedder

    enc = load_for(model_ref, "onnx-int8-vnni")
    assert enc.vectors.startswith("onnx-int8-vnni:")
    fused = runtime_files.read_meta(runtime_files.export_root(model_ref) / "onnx-opt")["fused"]
    assert fused.get("Attention") == fused.get("BiasGelu") == 12, fused  # ONNX Runtime fused every layer
    cos = (Embedder(enc, "query: ").encode(TEXTS) * Embedder(torch_encoder(st_model), "query: ").encode(TEXTS)).sum(1)
    assert cos.min() >= 0.99, cos
    check_comparable({"name": "onnx-int8-vnni", "vectors": enc.vectors}, enc.name, enc.vectors)  # its own index: accepted


def test_auto_is_measured_once_cached_and_measured_again_when_the_machine_changes(model_ref, monkeypatch):
    """Whichever backend wins here, `auto` is the fastest one measured, every candidate has its
    figure, and the choice is reused until the CPU flags or a runtime's version change."""
    import functools

    from akhbar.index.embedding import choice, runtime_files
    from akhbar.index.embedding.backends import installed, loader
    from akhbar.index.embedding.cpu import detect, from_flags

    cpu = detect()
    names = ["torch-fp32"] + (["openvino-fp32"] if "openvino" in installed() else ["onnx-fp32"])
    loaded: list[str] = []
    load = loader(model_ref, cpu)

    kept: dict[str, object] = {}

    def counted(name: str):
        """Counts what `pick` asks to load; each backend is really loaded once (compiling it 10 times took most of a minute)."""
        loaded.append(name)
        if name not in kept:
            kept[name] = load(name)
        return kept[name]

    # the caching is under test, not the figures: one short window per timed run is enough
    monkeypatch.setattr(choice, "sample_batch", functools.partial(choice.sample_batch, windows=1, tokens=64))

    # a file of this test's own: the suite's other process may cache its own `auto` choice (other candidates) meanwhile
    monkeypatch.setattr(choice, "choice_file", lambda cpu, named=choice.choice_file: f"test-{named(cpu)}")
    path = runtime_files.export_root(model_ref) / choice.choice_file(cpu)
    path.unlink(missing_ok=True)
    first, enc = choice.pick(model_ref, cpu, names, counted)
    assert loaded[: len(names)] == names and set(loaded) == set(names) and set(first.tokens_per_second) == set(names)
    assert first.name == max(first.tokens_per_second, key=first.tokens_per_second.get) == enc.name
    assert first.why.startswith(f"{first.name}: fastest measured on {cpu.label()}") and path.exists()
    measured = len(loaded)
    again, enc = choice.pick(model_ref, cpu, names, counted)
    assert (again, enc, len(loaded)) == (first, None, measured)  # cached: nothing loaded or measured
    other = from_flags(cpu.model, cpu.cores, {"avx2", "fma"})
    choice.pick(model_ref, other, names, counted)
    assert len(loaded) > measured  # other CPU flags: measured again
    measured = len(loaded)
    assert choice.pick(model_ref, cpu, names, counted)[0] == first and len(loaded) == measured  # each flag set keeps its own
    monkeypatch.setattr(choice, "_version", lambda package: "0.0-other")
    choice.pick(model_ref, cpu, names, counted)
    assert len(loaded) > measured  # another runtime version: measured again
    measured = len(loaded)
    path.write_bytes(b"\x00 not json")
    choice.pick(model_ref, cpu, names, counted)
    assert len(loaded) > measured  # a damaged cache is measured over, not an error


def test_a_build_records_why_auto_picked_its_backend(seed_index):
    from akhbar.index.store import layout
    from akhbar.index.store.manifest import Manifest

    backend = Manifest.load(layout.current_version(seed_index)).backend
    assert backend["chosen"].startswith(f"{backend['name']}: fastest measured on ")
    out = cli("stats", "--index", str(seed_index), "--json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["backend_chosen"] == backend["chosen"]


def test_the_file_tokenizer_gives_the_ids_autotokenizer_gives(model_ref):
    """ONNX Runtime and OpenVINO tokenize with `tokenizers` alone (backends.FileTokenizer: no torch
    import); on every seed text, prompted or not, one at a time and batched, its ids are AutoTokenizer's."""
    from transformers import AutoTokenizer

    from akhbar.index.embedding.backends import FileTokenizer, _tokenizer

    assert isinstance(_tokenizer(model_ref), FileTokenizer)  # the converted default model takes the fast path
    ours, theirs = FileTokenizer(Path(model_ref.path)), AutoTokenizer.from_pretrained(model_ref.path, local_files_only=True)
    texts = [r[k] for r in CORPUS for k in ("title", "body") if r.get(k)]
    texts += ["passage: " + t for t in texts[:40]] + ["", "   ", "\u200f\u200e", "<s></s><pad> 😀 " * 3, "ا" * 5000]
    for special in (True, False):
        assert ours(texts, add_special_tokens=special) == {"input_ids": theirs(texts, add_special_tokens=special)["input_ids"]}
        assert all(
            ours(t, add_special_tokens=special)["input_ids"] == theirs(t, add_special_tokens=special)["input_ids"] for t in texts[::25]
        )
    assert ours.pad_token_id == theirs.pad_token_id
