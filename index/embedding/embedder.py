"""Articles → one unit vector each, covering the whole text in model-sized windows.

Over half of real Arabic articles exceed e5's 512 tokens; truncation would embed only
their lead. We tokenise once, split the token ids into balanced windows (each with the
prompt and <s> … </s>), run the windows shortest-first in token-budgeted batches, and
combine each article's window vectors (see `combine`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np

from akhbar.index import config
from akhbar.index.embedding.backends import LoadedBackend

Method = Literal["first", "mean", "lead"]


def prompt_token_ids(tokenizer, prompt: str) -> list[int]:
    """The prompt's ids as they start `prompt + text`: without its trailing space.

    "query: " alone ends in a lone "▁" that "query: word" never holds; tokenising the prompt with it
    and the text after it gave most texts the prompt twice (issue 22). Without the space, the
    prompt's ids followed by the text's own ids equal the ids of `prompt + text` (all 1,938 SemEval
    training texts checked).
    """
    return tokenizer(prompt.rstrip(), add_special_tokens=False)["input_ids"] if prompt.strip() else []


def windows(body: list[int], prompt_ids: list[int], content: int, first_only: bool = False) -> list[list[int]]:
    """Split a text's ids (no prompt) into ceil(n/content) windows of near-equal size, each prompt-prefixed.

    first_only: just the first `content` tokens, which is what truncation embeds.
    """
    room = content - len(prompt_ids)
    if not body or first_only:
        return [list(prompt_ids) + body[:room]]
    k = -(-len(body) // room)
    size = -(-len(body) // k)
    return [list(prompt_ids) + body[i : i + size] for i in range(0, len(body), size)]


def combine(vectors: np.ndarray, lengths: np.ndarray, method: Method) -> np.ndarray:
    """One article's window vectors → one unit vector.

    first: the first window only (what truncation gives); mean: token-weighted mean, i.e.
    mean pooling over the whole article; lead: the first window (title and lead) weighs as
    much as all later windows together.
    """
    if method == "first" or len(vectors) == 1:
        v = vectors[0]
    elif method == "mean":
        v = (vectors * lengths[:, None]).sum(0)
    elif method == "lead":
        rest = (vectors[1:] * lengths[1:, None]).sum(0) / lengths[1:].sum()
        v = vectors[0] + rest
    else:
        raise ValueError(f"unknown chunk method '{method}'")
    return v / max(float(np.linalg.norm(v)), 1e-12)


class Embedder:
    """A loaded backend plus how articles are prompted, windowed and combined."""

    def __init__(
        self, encoder: LoadedBackend, prompt: str, method: Method = config.CHUNK_METHOD, window_tokens: int = config.WINDOW_TOKENS
    ) -> None:
        self.encoder, self.prompt, self.method = encoder, prompt, method
        self.backend, self.precision = encoder.name, encoder.precision
        self.tokenizer = encoder.tokenizer
        self.window_tokens = min(window_tokens, encoder.max_tokens or window_tokens)
        self.prompt_ids = prompt_token_ids(self.tokenizer, prompt)
        special = self.tokenizer("", add_special_tokens=True)["input_ids"]
        self.bos, self.eos = special[:1], special[1:]
        self.dim = encoder.dim

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embed texts (the prompt's ids added here); returns float32 rows of unit length."""
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        content = self.window_tokens - len(self.bos) - len(self.eos)
        ids = self.tokenizer(list(texts), add_special_tokens=False, verbose=False)["input_ids"]
        owner, wins = [], []
        for i, seq in enumerate(ids):
            for w in windows(seq, self.prompt_ids, content, first_only=self.method == "first"):
                owner.append(i)
                wins.append(self.bos + w + self.eos)
        order = np.argsort([len(w) for w in wins], kind="stable")
        out = np.zeros((len(wins), self.dim), np.float32)
        pad = self.tokenizer.pad_token_id
        start = 0
        while start < len(order):
            longest = len(wins[order[start]])
            stop = start + 1
            while stop < len(order) and len(wins[order[stop]]) * (stop - start + 1) <= max(config.EMBED_BATCH_TOKENS, longest):
                stop += 1
            batch = [wins[j] for j in order[start:stop]]
            width = len(batch[-1])
            input_ids = np.full((len(batch), width), pad, dtype=np.int64)
            mask = np.zeros((len(batch), width), dtype=np.int64)
            for r, w in enumerate(batch):
                input_ids[r, : len(w)] = w
                mask[r, : len(w)] = 1
            out[order[start:stop]] = self.encoder.run(input_ids, mask)
            start = stop
        owner_arr = np.asarray(owner)
        lengths = np.asarray([len(w) for w in wins], np.float32)
        result = np.zeros((len(texts), self.dim), np.float32)
        bounds = np.searchsorted(owner_arr, np.arange(len(texts) + 1))
        for i in range(len(texts)):
            a, b = bounds[i], bounds[i + 1]
            result[i] = combine(out[a:b], lengths[a:b], self.method)
        return result
