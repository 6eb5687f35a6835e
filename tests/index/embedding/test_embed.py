"""Whole-article embedding: windows cover every token once; the tail of a long article counts."""

from __future__ import annotations

import numpy as np
import pytest

from akhbar.index.embedding.embedder import combine, windows
from akhbar.index.store import centering

FILLER = (
    "The league match ended in a draw after a goalless first half, and the coach praised "
    "the defence while fans filled the stadium despite the heat. "
) * 40
TAIL = (
    "A volcano erupted on the Reykjanes peninsula in Iceland, sending lava towards the town of "
    "Grindavik, which was evacuated as scientists warned of further eruptions. "
) * 3


@pytest.mark.parametrize("n", [0, 1, 505, 506, 1200, 5000])
def test_windows_cover_every_token_once(n):
    prompt = [41, 1294, 12]
    body = list(range(100, 100 + n))
    ws = windows(body, prompt, 510)
    assert all(w[:3] == prompt and len(w) <= 510 for w in ws)
    assert [t for w in ws for t in w[3:]] == body
    assert len(ws) == max(1, -(-n // 507))
    sizes = [len(w) for w in ws]
    assert max(sizes) - min(sizes) <= 1  # balanced: no tiny last window
    assert windows(body, prompt, 510, first_only=True) == [(prompt + body)[:510]]


def test_combine_methods():
    v = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0]], np.float32)
    lengths = np.array([100, 100, 50], np.float32)
    assert np.allclose(combine(v, lengths, "first"), [1, 0])
    assert np.allclose(combine(v, lengths, "mean"), np.array([100, 150]) / np.hypot(100, 150))
    assert np.allclose(combine(v, lengths, "lead"), np.array([1, 1]) / np.sqrt(2))
    with pytest.raises(ValueError):
        combine(v, lengths, "median")


def test_the_end_of_a_long_article_is_embedded(embedder):
    """A story told only after 1,000 tokens of sport still finds its article; truncation would lose it.
    With the backend a build uses (the session's), not torch fp32: the same windows, ~4x faster here."""
    from akhbar.index.embedding.embedder import Embedder

    article = "Weekend sport round-up\n" + FILLER + TAIL
    sport_only = ["Weekend sport round-up\n" + FILLER[: 400 * (i + 1)] for i in range(4)]
    assert len(embedder.tokenizer(article)["input_ids"]) > 1000
    whole = Embedder(embedder.encoder, "query: ", method="lead")
    truncated = Embedder(embedder.encoder, "query: ", method="first")
    query = whole.encode(["volcanic eruption in Iceland, Grindavik evacuated"])[0]
    docs = whole.encode([article] + sport_only)
    assert int(np.argmax(docs @ query)) == 0
    assert float(query @ docs[0]) > float(query @ truncated.encode([article])[0]) + 0.01


def test_batching_does_not_change_vectors(embedder):
    texts = ["قصير", "A somewhat longer English sentence about markets and prices.", FILLER[:3000]]
    together = embedder.encode(texts)
    alone = np.stack([embedder.encode([t])[0] for t in texts])
    assert np.allclose(together, alone, atol=2e-2) and (together * alone).sum(1).min() > 0.999


def test_centering_removes_each_language_mean():
    rng = np.random.default_rng(0)
    ar = rng.normal(size=(30, 8)) + 5
    en = rng.normal(size=(30, 8)) - 5
    rare = rng.normal(size=(3, 8))
    vecs = np.vstack([ar, en, rare]).astype(np.float32)
    langs = ["ar"] * 30 + ["en"] * 30 + ["sw"] * 3
    centers = centering.fit([(vecs[:40], langs[:40]), (vecs[40:], langs[40:])], min_articles=20)
    assert set(centers) == {"ar", "en", centering.ALL}  # 'sw' has too few articles: uses the overall mean
    assert np.allclose(centers["ar"], ar.mean(0), atol=1e-5) and np.allclose(centers[centering.ALL], vecs.mean(0), atol=1e-5)
    out = centering.apply(vecs, langs, centers)
    assert np.allclose(np.linalg.norm(out, axis=1), 1, atol=1e-5)
    assert abs(float(out[:30].mean(0) @ out[30:60].mean(0))) < 0.5  # the language offset is gone


def test_the_prompt_is_given_once(st_model):
    """Issue 22's bug: "query: " tokenised alone ends in a lone "▁", so the prompt was not found at the
    start of "query: text" and went in twice. A text's window is now exactly what the model's own
    tokenizer makes of prompt + text, and its vector is SentenceTransformer's."""
    from akhbar.index.embedding.backends import torch_encoder
    from akhbar.index.embedding.embedder import Embedder

    texts = ["NATO ministers met in Brussels.", "اجتمع وزراء خارجية الناتو في بروكسل", "Séisme au Maroc"]
    e = Embedder(torch_encoder(st_model), "query: ", method="first")
    for t in texts:
        body = e.tokenizer(t, add_special_tokens=False)["input_ids"]
        assert e.bos + e.prompt_ids + body + e.eos == st_model.tokenizer("query: " + t)["input_ids"]
    ours = e.encode(texts)
    theirs = st_model.encode(texts, prompt="query: ", normalize_embeddings=True)
    assert (ours * theirs).sum(1).min() > 0.999
