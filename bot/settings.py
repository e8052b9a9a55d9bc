"""Every tunable of Wenda with its default, in one frozen record; the index manifest stores it."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

MODES = ("hybrid", "rrf", "weighted", "bm25", "dense")


@dataclass(frozen=True)
class Settings:
    """Settings that shape the index (``INDEX_FIELDS``) and those that only shape a query."""

    # index-time: passages, tokens, vectors
    encoder: str = "use-m3"
    max_passage_chars: int = 400
    dense_window_chars: int = 150
    bm25_k1: float = 1.5
    bm25_b: float = 0.75
    bm25_epsilon: float = 0.25
    # dense search: exact (FAISS flat) up to this many window vectors, an HNSW graph above it
    exact_search_limit: int = 50_000
    hnsw_m: int = 32  # graph neighbours per vector
    hnsw_ef_construction: int = 80  # candidates kept while linking a vector in
    # build-time only
    workers: int = 0  # processes for tokenising and encoding; 0 means one per core
    # query-time
    hnsw_ef_search: int = 1024  # candidates an HNSW search keeps: recall@10 0.999 at 100k passages (bench/)
    k: int = 5
    mode: str = "hybrid"
    candidates: int = 100
    rrf_k: int = 60
    bm25_weight: float = 0.7
    # hybrid re-ranking: how much a passage's best sentence's evidence adds to its fused score (relative
    # to the best), over its first this many candidates (chosen on DRCD dev; eval/RESULTS.md)
    evidence_weight: float = 0.75
    evidence_depth: int = 20
    # optional cross-encoder (sentence-transformers model name or folder) re-scoring the first candidates
    reranker: str = ""
    reranker_depth: int = 20
    # optional extractive reader (Hugging Face question-answering model name or folder) choosing the span
    reader: str = ""
    answer_passages: int = 3
    max_question_chars: int = 2000
    # abstain below these confidences (calibrated on eval/gold/seed_questions.jsonl, never on benchmarks)
    abstain_threshold: float = 0.35
    abstain_threshold_cross: float = 0.15

    def replace(self, **changes: Any) -> "Settings":
        """A copy with ``changes`` applied (ignoring ``None`` values, as CLI options give them)."""
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})

    def index_fields(self) -> dict[str, Any]:
        """The settings an index is built with; a change to any of them makes the index stale."""
        return {name: getattr(self, name) for name in INDEX_FIELDS}


INDEX_FIELDS = ("encoder", "max_passage_chars", "dense_window_chars", "bm25_k1", "bm25_b", "bm25_epsilon",
                "exact_search_limit", "hnsw_m", "hnsw_ef_construction")
