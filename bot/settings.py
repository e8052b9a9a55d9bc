"""Every tunable of Wenda with its default, in one frozen record; the index manifest stores it."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

from .errors import SettingsError

MODES = ("hybrid", "rrf", "weighted", "bm25", "dense")
SELECTIONS = ("rules", "learned")
BACKENDS = ("embedded", "milvus")  # where the passages and their BM25 and dense vectors live (bot/backends/)
# auto: FLAT up to exact_search_limit, HNSW above (IVF_FLAT where the server refuses HNSW, as Milvus Lite does)
MILVUS_DENSE_INDEXES = ("auto", "FLAT", "IVF_FLAT", "HNSW")
MILVUS_BM25 = ("wenda", "server")  # Wenda's own BM25Okapi weights as sparse vectors, or Milvus's BM25 function
MAX_K = 100  # passages a question can ask for


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
    # the retrieval backend (recorded in the manifest; the milvus ones under its "milvus" record, bot/backends/)
    backend: str = "embedded"
    milvus_uri: str = ""  # a Milvus Lite file (wenda.db), http://127.0.0.1:19530, or a cluster's proxy
    milvus_collection: str = "wenda"  # the name readers use; each build is a new set of collections behind it
    milvus_dense_index: str = "auto"
    milvus_nlist: int = 1024  # IVF_FLAT clusters (Milvus Lite ignores this and nprobe alike: bench/RESULTS.md)
    milvus_bm25: str = "wenda"  # "wenda": same scores as embedded (bench/RESULTS.md says why it is the default)
    # query-time, Milvus
    milvus_nprobe: int = 64  # IVF_FLAT clusters a search visits
    milvus_timeout_s: float = 5.0  # a call to Milvus that takes longer fails as "unavailable"
    # query-time
    hnsw_ef_search: int = 1024  # candidates an HNSW search keeps: recall@10 0.999 at 100k passages (bench/)
    k: int = 5
    mode: str = "hybrid"
    candidates: int = 100
    rrf_k: int = 60
    bm25_weight: float = 0.7
    # the character-bigram BM25 field's weight against the word field's (both scaled by their best score)
    bigram_weight: float = 0.5
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
    # how the answer sentence is chosen and abstention decided: "learned" (bot/selection.py, the models
    # eval/train.py fits out of fold) or "rules" (the hand-set score and the two thresholds below)
    selection: str = "learned"
    max_question_chars: int = 2000
    # abstain below these confidences (calibrated on eval/gold/seed_questions.jsonl, never on benchmarks)
    abstain_threshold: float = 0.35
    abstain_threshold_cross: float = 0.15

    def __post_init__(self) -> None:
        """Refuse a value outside its setting's range (``ALLOWED``), so a bad option fails here, by name,
        and not as a traceback or a puzzling message stages later."""
        for name, allowed in ALLOWED.items():
            allowed.check(name, getattr(self, name))

    def replace(self, **changes: Any) -> "Settings":
        """A copy with ``changes`` applied (ignoring ``None`` values, as CLI options give them)."""
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})

    def index_fields(self) -> dict[str, Any]:
        """The settings an index is built with; a change to any of them makes the index stale."""
        return {name: getattr(self, name) for name in INDEX_FIELDS}


INDEX_FIELDS = ("encoder", "max_passage_chars", "dense_window_chars", "bm25_k1", "bm25_b", "bm25_epsilon",
                "exact_search_limit", "hnsw_m", "hnsw_ef_construction")

@dataclass(frozen=True)
class Number:
    """An int (or any finite number, for ``float``) from ``low`` to ``high`` (None: no upper bound)."""

    kind: type
    low: float
    high: float | None = None

    def check(self, name: str, value: Any) -> None:
        """Raise SettingsError naming the setting, the value and the range unless ``value`` is in it."""
        numeric = isinstance(value, int) if self.kind is int else (isinstance(value, (int, float))
                                                                    and math.isfinite(value))
        if (isinstance(value, bool) or not numeric or value < self.low
                or (self.high is not None and value > self.high)):
            what = "an integer" if self.kind is int else "a number"
            bounds = f"from {self.low} to {self.high}" if self.high is not None else f"of at least {self.low}"
            raise SettingsError(f"setting {name} = {value!r} is out of range: it must be {what} {bounds}")


@dataclass(frozen=True)
class OneOf:
    """One of a few names."""

    names: tuple[str, ...]

    def check(self, name: str, value: Any) -> None:
        """Raise SettingsError naming the setting, the value and the names unless ``value`` is one."""
        if value not in self.names:
            raise SettingsError(f"setting {name} = {value!r} is not allowed: choose one of {', '.join(self.names)}")


@dataclass(frozen=True)
class Text:
    """Any text, or with ``required`` a non-empty one (a model name or folder)."""

    required: bool = False

    def check(self, name: str, value: Any) -> None:
        """Raise SettingsError naming the setting and the value unless it is (non-empty) text."""
        if not isinstance(value, str) or (self.required and not value.strip()):
            raise SettingsError(f"setting {name} = {value!r} is not allowed: it must be "
                                f"{'a non-empty name' if self.required else 'text'}")


# The values each setting allows; every field has an entry (tests/unit/test_settings.py checks).
ALLOWED: dict[str, Number | OneOf | Text] = {
    "encoder": Text(required=True),
    "max_passage_chars": Number(int, 1),
    "dense_window_chars": Number(int, 1),
    "bm25_k1": Number(float, 0),
    "bm25_b": Number(float, 0, 1),
    "bm25_epsilon": Number(float, 0, 1),
    "exact_search_limit": Number(int, 0),  # 0: always an HNSW graph
    "hnsw_m": Number(int, 2),
    "hnsw_ef_construction": Number(int, 1),
    "workers": Number(int, 0),  # 0: one per core
    "backend": OneOf(BACKENDS),
    "milvus_uri": Text(),
    "milvus_collection": Text(required=True),
    "milvus_dense_index": OneOf(MILVUS_DENSE_INDEXES),
    "milvus_nlist": Number(int, 1, 65536),
    "milvus_bm25": OneOf(MILVUS_BM25),
    "milvus_nprobe": Number(int, 1, 65536),
    "milvus_timeout_s": Number(float, 0.1),
    "hnsw_ef_search": Number(int, 1),
    "k": Number(int, 1, MAX_K),
    "mode": OneOf(MODES),
    "candidates": Number(int, 1),
    "rrf_k": Number(int, 0),
    "bm25_weight": Number(float, 0, 1),
    "bigram_weight": Number(float, 0),  # 0: words only
    "evidence_weight": Number(float, 0),  # 0: no re-ranking by sentence evidence
    "evidence_depth": Number(int, 0),
    "reranker": Text(),
    "reranker_depth": Number(int, 1),
    "reader": Text(),
    "answer_passages": Number(int, 1),
    "selection": OneOf(SELECTIONS),
    "max_question_chars": Number(int, 1),
    "abstain_threshold": Number(float, 0, 1),
    "abstain_threshold_cross": Number(float, 0, 1),
}
