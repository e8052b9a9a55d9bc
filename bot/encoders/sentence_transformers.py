"""Any sentence-transformers model by hub name or local path (``st:MODEL_OR_PATH``)."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from ..errors import EncoderError, model_load_error
from . import normalised

# Models trained with instruction prefixes; matched on the lower-cased model name.
_PREFIXES = {"e5": ("query: ", "passage: ")}


class SentenceTransformerEncoder:
    """Any sentence-transformers model by hub name or local path, with the prefixes it was trained with."""

    def __init__(self, model: str) -> None:
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as error:
            raise EncoderError(
                "st: encoders need the package sentence-transformers: pip install sentence-transformers"
            ) from error
        try:
            self._model = SentenceTransformer(model, device="cpu")
        except Exception as error:  # the library raises OSError, ValueError, HTTP errors…
            raise model_load_error("sentence-transformers model", model, error) from None
        self.name = f"st:{model}"
        # newer sentence-transformers renamed get_sentence_embedding_dimension (the old name warns)
        dimension = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        self.dim = int(dimension() or 0)
        # recent sentence-transformers give every model empty "query"/"document" prompts: empty means none
        prompts = getattr(self._model, "prompts", {}) or {}
        query, passage = next((p for key, p in _PREFIXES.items() if key in model.lower()), ("", ""))
        self._query_prefix = prompts.get("query") or query
        self._passage_prefix = prompts.get("passage") or prompts.get("document") or passage

    def _encode(self, texts: Sequence[str], prefix: str) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self._model.encode([prefix + t for t in texts], batch_size=32, normalize_embeddings=True)
        return normalised(vectors)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self._query_prefix)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self._passage_prefix)
