"""Learned answer selection: the features of a candidate answer sentence and the shipped models that
choose the sentence and decide whether to answer at all.

Trained out of fold on the public sets and our own questions by ``python -m eval train``
(eval/train.py; numbers in eval/RESULTS.md): a LightGBM LambdaRank model orders the sentences of the
top passages (which one holds the answer?), a logistic regression judges the best one (will it be
right, or do the articles not answer?). The hand-set rules they replace are features here. Neither
needs the sentences encoded at question time: the encoder's view is the stored vector of the window
that starts at each sentence. The model file is JSON (LightGBM's own text format inside), read
without pickles.
"""

from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from .errors import EncoderError
from .retrieve import Hit
from .text import cjk_ratio

MODEL = Path(__file__).resolve().parent / "models" / "selection.json"
PASSAGE_KINDS = ("caption", "byline", "item", "note", "bullet")  # "body" is all zeros

SENTENCE_FEATURES = (
    "coverage", "sentence_coverage", "context_coverage", "coverage_gap", "pair_share", "pair_gap",
    "window_similarity", "window_gap", "dense_score", "fused", "rank_2", "rank_3", "bm25_first", "dense_first",
    "holds_kind", "lacks_kind", "kind_spans", "free_question", "cross_lingual", "english_question",
    "cross_coverage", "cross_window", "first_sentence", "position", "length",
    *PASSAGE_KINDS, "question_like",
)
ANSWER_FEATURES = (
    "score", "second", "margin", "coverage", "sentence_coverage", "window_similarity",
    "pair_share", "dense_score", "top_dense", "top_coverage", "cross_lingual", "english_question", "free_question",
    "holds_kind", "lacks_kind", "candidates",
)


@dataclass(frozen=True)
class Candidate:
    """One sentence of a retrieved passage, scored as an answer, with what its score is made of."""

    hit: Hit
    start: int  # offsets into hit.passage.text
    end: int
    coverage: float  # of the question's weight: 0.7 × the sentence's + 0.3 × its passage's and heading's
    similarity: float  # the encoder's cosine between the question and the sentence
    score: float  # the hand-set rule's score
    holds_kind: bool  # it holds a span of the kind the question asks for (``answer.candidate_spans``)
    sentence_coverage: float = 0.0
    context_coverage: float = 0.0
    window_similarity: float = 0.0  # cosine with the stored vector of the window that starts at the sentence
    pair_share: float = 0.0  # share of the question's Chinese character pairs the sentence holds
    kind_spans: int = 0  # spans of the asked kind in the sentence
    position: int = 0  # the sentence's number in its passage

    @property
    def text(self) -> str:
        return self.hit.passage.text[self.start : self.end]


def is_chinese(text: str) -> bool:
    """Whether a text is written in Chinese (a third of its letters or more are CJK)."""
    return cjk_ratio(text) >= 0.3


def sentence_features(candidates: Sequence[Candidate], language: str, kind: str | None) -> np.ndarray:
    """One row of ``SENTENCE_FEATURES`` per candidate; the gaps compare it with the question's best."""
    if not candidates:
        return np.zeros((0, len(SENTENCE_FEATURES)))
    best = {name: max(getattr(c, name) for c in candidates) for name in ("coverage", "pair_share", "window_similarity")}
    top = max(c.hit.score for c in candidates) or 1.0
    english = float(language == "en")
    rows = []
    for c in candidates:
        cross = float(language.startswith("zh") != is_chinese(c.text))
        text = c.text
        rows.append([
            c.coverage, c.sentence_coverage, c.context_coverage, c.coverage - best["coverage"], c.pair_share,
            c.pair_share - best["pair_share"], c.window_similarity, c.window_similarity - best["window_similarity"],
            c.hit.dense_score or 0.0, c.hit.score / top, float(c.hit.rank == 2),
            float(c.hit.rank >= 3), float(c.hit.bm25_rank == 1), float(c.hit.dense_rank == 1),
            float(kind is not None and c.holds_kind), float(kind is not None and not c.holds_kind),
            math.log1p(c.kind_spans), float(kind is None), cross, english, cross * c.coverage, cross * c.window_similarity,
            float(c.position == 0), math.log1p(c.position), math.log(len(text) + 1),
            *(float(c.hit.passage.kind == k) for k in PASSAGE_KINDS),
            float(text.rstrip().endswith(("？", "?"))),
        ])
    return np.array(rows, dtype=np.float64)


def answer_features(candidates: Sequence[Candidate], scores: np.ndarray, language: str,
                    kind: str | None) -> np.ndarray:
    """The row of ``ANSWER_FEATURES`` for a question whose candidates, best first, have these ranking scores."""
    best = candidates[0]
    second = float(scores[1]) if len(scores) > 1 else float(scores[0]) - 1.0
    cross = float(language.startswith("zh") != is_chinese(best.text))
    return np.array([
        float(scores[0]), second, float(scores[0]) - second, best.coverage, best.sentence_coverage,
        best.window_similarity, best.pair_share, best.hit.dense_score or 0.0,
        max(c.hit.dense_score or 0.0 for c in candidates), max(c.coverage for c in candidates), cross,
        float(language == "en"), float(kind is None),
        float(kind is not None and best.holds_kind), float(kind is not None and not best.holds_kind),
        math.log(len(candidates)),
    ], dtype=np.float64)


@dataclass(frozen=True)
class Logistic:
    """A logistic regression over standardised features: P = σ(((x − mean) / scale) · coef + intercept)."""

    names: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float

    def probability(self, rows: np.ndarray) -> np.ndarray:
        z = ((rows - self.mean) / self.scale) @ self.coef + self.intercept
        return 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))

    def record(self) -> dict:
        return {"features": list(self.names), "mean": self.mean.tolist(), "scale": self.scale.tolist(),
                "coef": self.coef.tolist(), "intercept": self.intercept}

    @classmethod
    def from_record(cls, record: dict, names: tuple[str, ...]) -> "Logistic":
        if tuple(record["features"]) != names:
            raise ValueError(f"the model's features {record['features']} are not this Wenda's {list(names)}")
        arrays = [np.array(record[k], dtype=np.float64) for k in ("mean", "scale", "coef")]
        if any(a.shape != (len(names),) for a in arrays) or not all(np.all(np.isfinite(a)) for a in arrays):
            raise ValueError("the model's arrays do not match its features")
        return cls(names, *arrays, float(record["intercept"]))


class Ranker:
    """A LightGBM ranking model over ``SENTENCE_FEATURES``: a higher score, a likelier answer sentence."""

    def __init__(self, text: str) -> None:
        import lightgbm

        self.text = text
        try:
            self.booster = lightgbm.Booster(model_str=text)
        except lightgbm.basic.LightGBMError as error:
            raise ValueError(f"the ranking model is damaged ({error})") from None
        if self.booster.num_feature() != len(SENTENCE_FEATURES):
            raise ValueError(f"the ranking model has {self.booster.num_feature()} features, this Wenda "
                             f"{len(SENTENCE_FEATURES)}")

    def scores(self, rows: np.ndarray) -> np.ndarray:
        return self.booster.predict(rows, num_threads=1)


@dataclass(frozen=True)
class Selection:
    """The sentence ranker, the answer model and the probabilities below which Wenda abstains: ``same``
    for a question in its answer's language, ``cross`` across languages."""

    sentence: Ranker
    answer: Logistic
    thresholds: dict[str, float]
    meta: dict

    def rank(self, candidates: Sequence[Candidate], language: str, kind: str | None
             ) -> tuple[list[Candidate], np.ndarray]:
        """The candidates best first by the ranker, with their scores."""
        scores = self.sentence.scores(sentence_features(candidates, language, kind))
        order = np.argsort(-scores, kind="stable")
        return [candidates[i] for i in order], scores[order]

    def threshold(self, best: Candidate, language: str) -> float:
        """The probability the best sentence must reach to be given as the answer."""
        return self.thresholds["cross" if language.startswith("zh") != is_chinese(best.text) else "same"]

    def answer_probability(self, ranked: Sequence[Candidate], scores: np.ndarray, language: str,
                           kind: str | None) -> float:
        """How likely the best sentence answers the question (fitted on questions asked with and without
        their paragraph in the articles)."""
        return float(self.answer.probability(answer_features(ranked, scores, language, kind)[None, :])[0])

    def save(self, path: Path) -> None:
        record = {"sentence": {"features": list(SENTENCE_FEATURES), "lightgbm": self.sentence.text},
                  "answer": self.answer.record(), "thresholds": self.thresholds, "meta": self.meta}
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(record, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


@functools.lru_cache(maxsize=4)
def load_selection(path: Path = MODEL) -> Selection:
    """The shipped selection model; a missing or damaged file says how to rebuild it."""
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        if tuple(record["sentence"]["features"]) != SENTENCE_FEATURES:
            raise ValueError(f"the ranking model's features {record['sentence']['features']} are not this Wenda's")
        return Selection(Ranker(record["sentence"]["lightgbm"]),
                         Logistic.from_record(record["answer"], ANSWER_FEATURES),
                         {k: float(record["thresholds"][k]) for k in ("same", "cross")},
                         dict(record.get("meta", {})))
    except (OSError, ValueError, KeyError, TypeError, ImportError) as error:
        raise EncoderError(f"the answer selection model {path} cannot be used ({type(error).__name__}: {error}); "
                           f"rebuild it with: python -m eval train, or ask with --set selection=rules") from None
