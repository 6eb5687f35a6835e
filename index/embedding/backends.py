"""Embedding backends: which runtime computes the model, in which arithmetic; `auto` is measured on
each CPU (index/embedding/choice.py).

Measured on a 2-core AMD EPYC with AVX-512 BF16 and VNNI, no AMX (bench/embed_throughput.py,
docs/benchmarks.md): OpenVINO in bf16 is the fastest, then ONNX Runtime int8 and OpenVINO fp32,
then torch. The float backends agree with torch fp32 to a per-article cosine ≥ 0.9999, so their
vectors share one index; int8 agrees only to ~0.995, so an int8 index takes vectors of that same
int8 export only (see `check_comparable`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import KW_ONLY, dataclass
from typing import Any

import numpy as np

from akhbar.index.embedding import runtime_files
from akhbar.index.embedding.cpu import Cpu
from akhbar.index.errors import AkhbarError, ModelError

FLOAT = "float"  # the vectors identity every float backend shares


class BackendMismatch(AkhbarError):
    """The chosen backend's vectors would not compare with the index's."""


@dataclass(frozen=True)
class Spec:
    name: str
    runtime: str  # torch | onnxruntime | openvino: the package it needs
    precision: str  # fp32 | bf16 | int8
    artifact: str | None  # the export it runs (index/embedding/runtime_files.py); None: the torch model itself


SPECS = {
    s.name: s
    for s in (
        Spec("torch-fp32", "torch", "fp32", None),
        Spec("torch-bf16", "torch", "bf16", None),
        Spec("onnx-fp32", "onnxruntime", "fp32", "onnx-opt"),
        Spec("onnx-int8-vnni", "onnxruntime", "int8", "onnx-int8-vnni"),
        Spec("onnx-int8-avx2", "onnxruntime", "int8", "onnx-int8-avx2"),
        Spec("openvino-fp32", "openvino", "fp32", "openvino"),
        Spec("openvino-bf16", "openvino", "bf16", "openvino"),
        Spec("openvino-int8", "openvino", "int8", "openvino-int8"),
    )
}
NAMES = ("auto", *SPECS)


def installed() -> set[str]:
    """Runtimes importable here (onnxruntime and openvino come with `akhbar[fast]`)."""
    import importlib.util

    return {r for r in ("torch", "onnxruntime", "openvino") if importlib.util.find_spec(r) is not None}


def candidates(cpu: Cpu, runtimes: set[str], index_backend: dict | None = None) -> list[str]:
    """What `auto` measures here (index/embedding/choice.py): every float backend whose runtime is
    installed and whose arithmetic this CPU has natively (bf16 only with avx512_bf16 or AMX: emulated
    bf16 is ~5x slower than fp32). An int8 index names the one backend whose export made its vectors.

    int8 backends are never `auto`: their vectors differ from float ones by ~0.005 cosine, so an
    index built with one takes only that export's vectors; they are chosen by name (--backend).
    """
    if index_backend and index_backend.get("vectors", FLOAT) != FLOAT:
        return [str(index_backend["name"])]
    names = [n for n, s in SPECS.items() if s.precision != "int8" and s.runtime in runtimes and (s.precision != "bf16" or cpu.bf16)]
    return names or ["torch-fp32"]


def validate(name: str, cpu: Cpu) -> Spec:
    if name not in SPECS:
        raise ModelError(f"backend '{name}' is not one of {', '.join(NAMES)}")
    spec = SPECS[name]
    if spec.precision == "bf16" and not cpu.bf16:
        raise ModelError(
            f"backend {name} needs native bf16 (avx512_bf16 or AMX); this CPU has none "
            f"({cpu.label()}): emulated bf16 is ~5x slower than fp32"
        )
    return spec


@dataclass
class LoadedBackend:
    """A loaded backend: token ids and mask in, unit sentence vectors out."""

    name: str
    precision: str
    vectors: str  # FLOAT, or the int8 export's identity: equal strings compare
    tokenizer: Any  # a Hugging Face tokenizer (untyped): called on texts, has pad_token_id
    max_tokens: int
    _: KW_ONLY  # the fields below are named at every call
    dim: int
    prompt: str
    run: Callable[[np.ndarray, np.ndarray], np.ndarray]
    chosen: str = ""  # why `auto` picked it (index/embedding/choice.py); "" when named

    def describe(self) -> dict[str, str]:
        """The manifest's `backend` entry."""
        from akhbar.index.embedding.cpu import detect

        entry = {"name": self.name, "precision": self.precision, "vectors": self.vectors, "cpu": detect().label()}
        return {**entry, "chosen": self.chosen} if self.chosen else entry


def check_comparable(index_backend: dict | None, name: str, vectors: str | None = None) -> None:
    """Refuse vectors that would not compare with the index's: float backends agree to a per-article
    cosine >= 0.9999 with each other (any may add to or query a float index); int8 only to ~0.995
    with floats, and int8 exports of other weights not at all. `vectors`: the loaded encoder's
    identity; None checks what the name alone decides, before anything is loaded or exported."""
    have = (index_backend or {}).get("vectors", FLOAT)
    spec = SPECS[name]
    if vectors == have or (vectors is None and (spec.precision == "int8") == (have != FLOAT)):
        return
    built = str((index_backend or {}).get("name", "torch-fp32"))
    what = "float" if have == FLOAT else f"int8 ({built})"
    gives = "float" if spec.precision != "int8" else f"int8 ({name}{', another export' if have != FLOAT else ''})"
    raise BackendMismatch(
        f"the index holds {what} vectors; backend {name} gives {gives} vectors, which do not compare "
        f"with them (int8 and float differ by up to ~0.005 cosine per article); use --backend "
        f"{'auto' if have == FLOAT else built}, or rebuild the index with --backend {name}"
    )


def open_encoder(name: str, ref, cpu: Cpu, threads: int = 0) -> LoadedBackend:
    """Load backend `name` for model `ref`, exporting its files into the cache first if needed.

    threads: 0 = every core this process may use (the runtimes' default and the fastest measured here).
    """
    spec = validate(name, cpu)
    runtime_files.require(spec.runtime)
    threads = threads or cpu.cores
    if spec.artifact is None:
        import torch

        torch.set_num_threads(threads)
        return _torch(spec, ref)
    path, meta = runtime_files.artifact(ref, spec.artifact)
    from akhbar.index.embedding.offline import quiet_libraries

    quiet_libraries()
    tok = _tokenizer(ref.path)
    if spec.runtime == "openvino":  # int8: what NNCF left in float runs in bf16 where the CPU has it (1.1x f32 here)
        run = _openvino(path, "bf16" if spec.precision == "bf16" or (spec.precision == "int8" and cpu.bf16) else "f32", threads)
    else:
        run = _onnxruntime(path, threads)
    vectors = FLOAT if spec.precision != "int8" else f"{spec.name}:{meta['sha256'][:16]}"
    return LoadedBackend(
        spec.name, spec.precision, vectors, tok, int(meta["max_tokens"]), dim=int(meta["dimension"]), prompt=str(meta["prompt"]), run=run
    )


def _tokenizer(path: str) -> Any:
    """The model's fast tokenizer. A folder whose tokenizer is the generic fast one (the converted default
    model's) loads it directly: AutoTokenizer imports torch, ~1.8 s of every process that runs an
    exported backend (a Ray actor, `akhbar serve`)."""
    import json
    from pathlib import Path

    config_file = Path(path) / "tokenizer_config.json"
    generic = config_file.is_file() and json.loads(config_file.read_text()).get("tokenizer_class") in (
        "TokenizersBackend",
        "PreTrainedTokenizerFast",
    )
    if generic:
        from transformers import PreTrainedTokenizerFast

        return PreTrainedTokenizerFast.from_pretrained(path, local_files_only=True)
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(path, local_files_only=True)


def _torch(spec: Spec, ref) -> LoadedBackend:
    from akhbar.index.embedding.model import load

    return torch_encoder(load(ref), bf16=spec.precision == "bf16")


def torch_encoder(model, bf16: bool = False) -> LoadedBackend:
    """A loaded SentenceTransformer as a LoadedBackend, in fp32 or under bf16 autocast."""
    import torch

    from akhbar.index.embedding.model import article_prompt

    def run(ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            feats = {"input_ids": torch.from_numpy(ids), "attention_mask": torch.from_numpy(mask)}
            return model.forward(feats)["sentence_embedding"].float().numpy()

    name = "torch-bf16" if bf16 else "torch-fp32"
    return LoadedBackend(
        name,
        SPECS[name].precision,
        FLOAT,
        model.tokenizer,
        model.get_max_seq_length(),
        dim=model.get_embedding_dimension(),
        prompt=article_prompt(model),
        run=run,
    )


def _onnxruntime(path, threads: int) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.log_severity_level = 3
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    return lambda ids, mask: session.run(None, {"input_ids": ids, "attention_mask": mask})[0]


def _openvino(path, precision: str, threads: int) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    import openvino as ov

    compiled = ov.Core().compile_model(
        str(path),
        "CPU",
        {
            "INFERENCE_PRECISION_HINT": "bf16" if precision == "bf16" else "f32",
            "PERFORMANCE_HINT": "LATENCY",
            "INFERENCE_NUM_THREADS": threads,
        },
    )
    request = compiled.create_infer_request()
    return lambda ids, mask: request.infer({"input_ids": ids, "attention_mask": mask})[0].copy()


def loader(ref, cpu: Cpu, threads: int = 0) -> Callable[[str], LoadedBackend]:
    """Loads backends by name for one model; torch-fp32 and torch-bf16 share one loaded model."""
    models: dict[str, object] = {}

    def load(name: str) -> LoadedBackend:
        if SPECS[name].runtime != "torch":
            return open_encoder(name, ref, cpu, threads)
        import torch

        from akhbar.index.embedding.model import load as load_model

        validate(name, cpu)
        torch.set_num_threads(threads or cpu.cores)
        if "model" not in models:
            models["model"] = load_model(ref)
        return torch_encoder(models["model"], bf16=SPECS[name].precision == "bf16")

    return load


def load_for(ref, requested: str, index_backend: dict | None = None, cpu: Cpu | None = None, threads: int = 0) -> LoadedBackend:
    """The encoder to embed with: `requested` ('auto' or a name) for an index built with
    `index_backend` (None for a new build), refused if its vectors would not compare. `auto` is
    the fastest candidate measured on this CPU (index/embedding/choice.py, cached)."""
    from akhbar.index.embedding import choice
    from akhbar.index.embedding.cpu import detect

    cpu = cpu or detect()
    enc: LoadedBackend | None = None
    why = ""
    if requested == "auto":
        picked, found = choice.pick(ref, cpu, candidates(cpu, installed(), index_backend), loader(ref, cpu, threads), threads)
        enc = found if isinstance(found, LoadedBackend) else None
        name, why = picked.name, picked.why
    else:
        name = requested
    validate(name, cpu)
    if index_backend is not None:
        check_comparable(index_backend, name)  # before any export or load
    enc = enc or open_encoder(name, ref, cpu, threads)
    enc.chosen = why
    if index_backend is not None:
        check_comparable(index_backend, name, enc.vectors)
    return enc
