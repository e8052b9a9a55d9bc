"""The optional extractive reader, with a tiny random question-answering model the test builds itself (no
model ships and none downloads here): its span is the arg-max of start + end logits over the context's
tokens, mapped back to characters of the cited passage, and a model that cannot be loaded is one clear
error."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from bot import Bot, EncoderError
from bot.reader import MAX_ANSWER_TOKENS, load_reader

from conftest import ask_cli, write_tiny_bert

QUESTION = "香港科學園深圳分園進駐了多少家企業？"


@pytest.fixture(scope="module")
def tiny_reader(tmp_path_factory, seed_text: str) -> Path:
    pytest.importorskip("transformers")
    return write_tiny_bert(tmp_path_factory.mktemp("tiny-qa") / "model", seed_text + QUESTION, head="qa")


def _brute_force(reader_path: Path, question: str, context: str) -> tuple[int, int]:
    """The best span of a short context worked out token pair by token pair, without the reader's code."""
    import torch
    from transformers import AutoModelForQuestionAnswering, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(reader_path))
    model = AutoModelForQuestionAnswering.from_pretrained(str(reader_path)).eval()
    encoded = tokenizer(question, context, return_offsets_mapping=True, return_tensors="pt")
    offsets = encoded.pop("offset_mapping")[0].tolist()
    with torch.inference_mode():
        out = model(**encoded)
    start, end = out.start_logits[0].tolist(), out.end_logits[0].tolist()
    ids = encoded.sequence_ids(0)
    pairs = [(start[i] + end[j], i, j) for i in range(len(ids)) for j in range(i, min(i + MAX_ANSWER_TOKENS, len(ids)))
             if ids[i] == 1 and ids[j] == 1]
    _, i, j = max(pairs)
    return offsets[i][0], offsets[j][1]


def test_best_span_is_the_arg_max_over_the_context_tokens(tiny_reader: Path) -> None:
    reader = load_reader(str(tiny_reader))
    contexts = ["香港科學園深圳分園2023年9月開園，已進駐40家香港企業和機構。", "河套合作區深圳園區"]
    span = reader.best(QUESTION, contexts)
    assert span is not None and 0 <= span.context < 2 and np.isfinite(span.score)
    assert (span.start, span.end) == _brute_force(tiny_reader, QUESTION, contexts[span.context])
    assert reader.best(QUESTION, []) is None and reader.best(QUESTION, ["  "]) is None
    assert load_reader(str(tiny_reader)) is reader  # loaded once


def test_a_context_longer_than_one_window_is_read_in_overlapping_windows(tiny_reader: Path, seed_text: str) -> None:
    reader = load_reader(str(tiny_reader))
    long = seed_text[:3000]  # far over 384 tokens
    span = reader.best(QUESTION, [long])
    assert span is not None and 0 <= span.start < span.end <= len(long)
    assert long[span.start : span.end].strip()


def test_answer_span_comes_from_the_reader_and_slices_the_source(seed_bot: Bot, tiny_reader: Path, seed_text: str) -> None:
    settings = dataclasses.replace(seed_bot.settings, reader=str(tiny_reader))
    bot = Bot(seed_bot.index, settings, seed_bot.encoder)
    answer = bot.ask(QUESTION)
    plain = seed_bot.ask(QUESTION)
    assert answer.found == plain.found is True  # whether the articles answer is not the reader's call
    assert (answer.sentence, answer.citation) == (plain.sentence, plain.citation)  # nor which sentence
    passage = answer.hits[answer.citation - 1].passage
    start = passage.text.index(answer.sentence)
    span = bot.reader.best(QUESTION, [passage.text], within=[(start, start + len(answer.sentence))])
    assert answer.text == passage.text[span.start : span.end] and answer.text in answer.sentence
    assert "".join(seed_text[s:e] for s, e in answer.text_spans).replace("\n", "") == answer.text.replace("\n", "")


def test_a_missing_reader_is_an_encoder_error(tmp_path: Path) -> None:
    with pytest.raises(EncoderError, match="could not load reader"):
        load_reader(str(tmp_path / "no-such-model"))


def test_cli_ask_with_a_reader(seed_index: Path, tiny_reader: Path, tmp_path: Path) -> None:
    done = ask_cli(seed_index, QUESTION, "--reader", str(tiny_reader))
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["found"] and out["answer"]["text"] in out["answer"]["sentence"]
    failed = ask_cli(seed_index, QUESTION, "--reader", str(tmp_path / "missing"))
    assert failed.returncode == 2
    assert "could not load reader" in failed.stderr and "Traceback" not in failed.stderr
