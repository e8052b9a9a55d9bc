"""Optional cross-encoder re-ranking: a sentence-transformers ``CrossEncoder`` the user names (hub name or
local folder, e.g. ``BAAI/bge-reranker-base``) reads each (question, passage) pair whole and scores how
well the passage answers. Off by default: no such model ships with Wenda and none downloads here.
"""

from __future__ import annotations

import functools
from typing import Sequence

import numpy as np

from .errors import EncoderError, model_load_error


class CrossEncoderReranker:
    """A sentence-transformers cross-encoder on the CPU."""

    def __init__(self, model: str) -> None:
        try:
            from sentence_transformers import CrossEncoder
        except ImportError as error:
            raise EncoderError("a reranker needs the package sentence-transformers: pip install sentence-transformers") from error
        try:
            self._model = CrossEncoder(model, device="cpu")
        except Exception as error:  # the library raises OSError, ValueError, HTTP errors…
            raise model_load_error("cross-encoder", model, error) from None

    def scores(self, question: str, passages: Sequence[str]) -> np.ndarray:
        """One relevance score per passage for ``question``, higher is better."""
        if not passages:
            return np.zeros(0, dtype=np.float32)
        pairs = [(question, passage) for passage in passages]
        return np.asarray(self._model.predict(pairs, batch_size=16, show_progress_bar=False), dtype=np.float32).reshape(-1)


@functools.lru_cache(maxsize=2)
def load_reranker(model: str) -> CrossEncoderReranker:
    """The cross-encoder ``model`` (cached: loading weights is slow)."""
    return CrossEncoderReranker(model)
