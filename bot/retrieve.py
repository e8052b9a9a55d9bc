"""Retrieval: BM25 and dense candidate lists over the loaded index, fused by the chosen mode."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .encoders import Encoder
from .errors import QueryError
from .fusion import order, rrf, weighted
from .index import Index
from .passages import Passage
from .settings import MODES, Settings
from .text import detect_language, tokens


@dataclass
class Query:
    """A question with what retrieval and answering derive from it, each computed once."""

    text: str
    encoder: Encoder

    @cached_property
    def language(self) -> str:
        return detect_language(self.text)

    @cached_property
    def tokens(self) -> list[str]:
        return tokens(self.text)

    @cached_property
    def vector(self) -> np.ndarray:
        return self.encoder.encode_queries([self.text])[0]


@dataclass(frozen=True)
class Hit:
    """A retrieved passage with its fused rank and score and, for the curious, each retriever's view."""

    rank: int
    row: int
    passage: Passage
    score: float
    bm25_rank: int | None
    bm25_score: float | None
    dense_rank: int | None
    dense_score: float | None


class Retriever:
    """BM25 + FAISS search over one index (the embedded backend: files under ``index/``)."""

    def __init__(self, index: Index, encoder: Encoder, settings: Settings) -> None:
        self.index, self.encoder, self.settings = index, encoder, settings

    def bm25(self, query: Query, n: int) -> list[tuple[int, float]]:
        rows, scores = self.index.bm25.top(query.tokens, n)
        return [(int(r), float(s)) for r, s in zip(rows, scores)]

    def dense(self, query: Query, n: int) -> list[tuple[int, float]]:
        n = min(n, self.index.vectors.ntotal)
        scores, rows = self.index.vectors.search(query.vector[None, :], n)
        return [(int(r), float(s)) for r, s in zip(rows[0], scores[0]) if r >= 0]

    def search(self, query: Query, k: int, mode: str) -> list[Hit]:
        """The ``k`` best passages for ``query`` under ``mode`` (hybrid = RRF of BM25 and dense)."""
        if mode not in MODES:
            raise QueryError(f"unknown mode {mode!r}; choose one of {', '.join(MODES)}")
        n = max(k, self.settings.candidates)
        sparse = self.bm25(query, n) if mode != "dense" else []
        dense = self.dense(query, n) if mode != "bm25" else []
        if mode == "bm25":
            fused = sparse
        elif mode == "dense":
            fused = dense
        elif mode == "weighted":
            w = self.settings.dense_weight
            fused = order(weighted([sparse, dense], [1 - w, w]))
        else:
            fused = order(rrf([sparse, dense], k=self.settings.rrf_k))
        sparse_at = {row: (rank, score) for rank, (row, score) in enumerate(sparse, 1)}
        dense_at = {row: (rank, score) for rank, (row, score) in enumerate(dense, 1)}
        hits = []
        for rank, (row, score) in enumerate(fused[:k], 1):
            b, d = sparse_at.get(row, (None, None)), dense_at.get(row, (None, None))
            hits.append(Hit(rank, row, self.index.passages[row], score, b[0], b[1], d[0], d[1]))
        return hits
