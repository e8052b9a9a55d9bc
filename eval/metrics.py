"""Metrics as pure functions: retrieval through ranx (Bassani, ECIR 2022), answers and latency by hand.

Retrieval: Recall@k, MRR@k and nDCG@k of ranked id lists against graded relevance.
Answers: the extracted sentence contains a gold answer; exact match and F1 of the short span
(SQuAD's normalisation, on characters for Chinese as in CMRC 2018 and on words for English);
abstention precision and recall on unanswerable questions.
"""

from __future__ import annotations

import re
import warnings
from collections import Counter
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

import numpy as np

from bot.text import CJK, normalize

from . import EvalError

HEADLINE = ("recall@1", "recall@5", "recall@10", "recall@20", "mrr@10", "ndcg@10")
CURVE = tuple(f"recall@{k}" for k in range(1, 21))
_METRIC = re.compile(r"(recall|mrr|ndcg|precision|hit_rate|map)@[1-9]\d*")

Qrels = Mapping[str, Mapping[str, int]]  # qid → {id: grade}
Run = Mapping[str, Sequence[str]]  # qid → ids, best first


def retrieval_scores(qrels: Qrels, run: Run, metrics: Sequence[str] = HEADLINE) -> dict[str, float]:
    """Mean of each metric over the judged queries of ``qrels`` (a query missing from ``run`` scores 0)."""
    return {m: float(np.mean(list(scores.values()))) for m, scores in per_query_scores(qrels, run, metrics).items()}


def per_query_scores(qrels: Qrels, run: Run, metrics: Sequence[str] = HEADLINE) -> dict[str, dict[str, float]]:
    """``{metric: {qid: score}}`` over the queries of ``qrels`` with at least one relevant id.

    The run is given as ranked lists, not scores: ranx sorts by score, and fused scores can tie, so
    each id gets ``1 / rank`` to keep exactly the order the retriever returned.
    """
    from ranx import Qrels as RanxQrels, Run as RanxRun, evaluate  # slow to import (numba)

    for metric in metrics:
        if not _METRIC.fullmatch(metric):
            raise EvalError(f"unknown metric {metric!r}; use e.g. recall@5, mrr@10, ndcg@10, precision@1, map@10")
    judged = {qid: {d: int(g) for d, g in rel.items() if g > 0} for qid, rel in qrels.items()}
    judged = {qid: rel for qid, rel in judged.items() if rel}
    if not judged:
        raise EvalError("no question has a relevant document, so retrieval cannot be scored")
    ranked = {qid: _rank_scores(run.get(qid, ())) for qid in judged}
    ranx_run = RanxRun(ranked)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # numba's "unsafe cast from uint64 to int64" inside ranx
        evaluate(RanxQrels(judged), ranx_run, list(metrics), save_results_in_run=True)
    return {m: {qid: float(s) for qid, s in ranx_run.scores[m].items()} for m in metrics}


def compare(qrels: Qrels, runs: Mapping[str, Run], metrics: Sequence[str] = ("recall@1", "recall@5", "mrr@10"),
            max_p: float = 0.05, permutations: int = 2000) -> dict:
    """``runs`` of the same questions side by side through ranx's ``compare`` with Fisher's paired randomisation
    test (seeded): each run's mean of each metric, and for each pair the p-value and whether the first is
    better beyond noise (p < ``max_p``). Ids keep their rank order, as in ``per_query_scores``."""
    from ranx import Qrels as RanxQrels, Run as RanxRun, compare as ranx_compare

    if len(runs) < 2:
        raise EvalError("compare needs at least two runs")
    judged = {qid: {d: int(g) for d, g in rel.items() if g > 0} for qid, rel in qrels.items()}
    judged = {qid: rel for qid, rel in judged.items() if rel}
    if not judged:
        raise EvalError("no question has a relevant document, so retrieval cannot be scored")
    ranx_runs = []
    for name, run in runs.items():
        ranx_run = RanxRun({qid: _rank_scores(run.get(qid, ())) or {"": 0.0} for qid in judged}, name=name)
        ranx_runs.append(ranx_run)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # numba's casts inside ranx
        report = ranx_compare(RanxQrels(judged), ranx_runs, list(metrics), n_permutations=permutations,
                              max_p=max_p, stat_test="fisher", random_seed=42, rounding_digits=4)
    names = list(runs)
    scores = {name: {m: float(report.results[name][m]) for m in metrics} for name in names}
    pairs = [{"a": a, "b": b, "metric": m, "p": float(report.comparisons[a, b][m]["p_value"]),
              "a_better": bool(report.comparisons[a, b][m]["significant"]) and scores[a][m] > scores[b][m],
              "b_better": bool(report.comparisons[a, b][m]["significant"]) and scores[b][m] > scores[a][m]}
             for i, a in enumerate(names) for b in names[i + 1:] for m in metrics]
    return {"questions": len(judged), "test": f"Fisher's paired randomisation test, {permutations} permutations, "
            f"p < {max_p}", "scores": scores, "pairs": pairs}


def _rank_scores(ids: Sequence[str]) -> dict[str, float]:
    scores: dict[str, float] = {}
    for rank, doc in enumerate(ids, 1):
        scores.setdefault(doc, 1.0 / rank)
    return scores


# ---------------------------------------------------------------- answers


@dataclass(frozen=True)
class Prediction:
    """What the bot answered to one question, beside that question's gold."""

    found: bool
    text: str
    sentence: str
    answers: tuple[str, ...]
    answerable: bool = True


_ARTICLES = frozenset({"a", "an", "the"})
_ANSWER_TOKEN = re.compile(rf"[{CJK}]|(?:(?![{CJK}])[^\W_])+")


def answer_tokens(text: str) -> list[str]:
    """Characters for Chinese, words for English: lower case, Simplified script, half width,
    punctuation and English articles dropped (SQuAD's normalisation; CMRC 2018's character split)."""
    return [t for t in _ANSWER_TOKEN.findall(normalize(text)) if t not in _ARTICLES]


def exact_match(prediction: str, answers: Iterable[str]) -> float:
    """1 when the normalised prediction equals some normalised gold answer."""
    predicted = answer_tokens(prediction)
    return float(any(predicted == answer_tokens(a) for a in answers))


def f1(prediction: str, answers: Iterable[str]) -> float:
    """The best token-overlap F1 of the prediction against any gold answer."""
    predicted = answer_tokens(prediction)
    best = 0.0
    for answer in answers:
        gold = answer_tokens(answer)
        common = sum((Counter(predicted) & Counter(gold)).values())
        if not predicted or not gold:
            best = max(best, float(predicted == gold))
        elif common:
            precision, recall = common / len(predicted), common / len(gold)
            best = max(best, 2 * precision * recall / (precision + recall))
    return best


def contains_answer(sentence: str, answers: Iterable[str]) -> float:
    """1 when the sentence contains some gold answer (same script, width, case and spacing)."""
    folded = _fold(sentence)
    return float(any(_fold(a) and _fold(a) in folded for a in answers))


def _fold(text: str) -> str:
    return " ".join(normalize(text).split())


def abstention(found: Sequence[bool], answerable: Sequence[bool]) -> dict[str, float | None]:
    """Precision and recall of abstaining, with the unanswerable questions as the positives
    (``None`` where a denominator is zero)."""
    abstained = [not f for f in found]
    hits = sum(1 for a, ok in zip(abstained, answerable) if a and not ok)
    n_abstained, n_unanswerable = sum(abstained), sum(1 for ok in answerable if not ok)
    return {
        "abstention_precision": hits / n_abstained if n_abstained else None,
        "abstention_recall": hits / n_unanswerable if n_unanswerable else None,
    }


def answer_scores(predictions: Sequence[Prediction]) -> dict[str, float | int | None]:
    """Answer metrics averaged over the answerable questions that have a gold answer (an abstention
    scores 0 there), plus abstention precision and recall over all questions."""
    gold = [p for p in predictions if p.answerable and p.answers]
    mean = lambda values: float(np.mean(values)) if values else None  # noqa: E731
    out: dict[str, float | int | None] = {
        "questions": len(predictions),
        "scored": len(gold),
        "unanswerable": sum(1 for p in predictions if not p.answerable),
        "answered": mean([float(p.found) for p in gold]),
        "sentence_has_answer": mean([contains_answer(p.sentence, p.answers) if p.found else 0.0 for p in gold]),
        "exact_match": mean([exact_match(p.text, p.answers) if p.found else 0.0 for p in gold]),
        "f1": mean([f1(p.text, p.answers) if p.found else 0.0 for p in gold]),
    }
    if out["unanswerable"]:
        out.update(abstention([p.found for p in predictions], [p.answerable for p in predictions]))
    else:
        out.update(abstention_precision=None, abstention_recall=None)
    return out


def latency(milliseconds: Sequence[float]) -> dict[str, float | None]:
    """Median, 95th percentile and mean of per-query latencies, in milliseconds."""
    if not len(milliseconds):
        return {"p50": None, "p95": None, "mean": None}
    values = np.asarray(milliseconds, dtype=np.float64)
    return {"p50": float(np.percentile(values, 50)), "p95": float(np.percentile(values, 95)),
            "mean": float(values.mean())}
