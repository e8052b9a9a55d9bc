"""Rank fusion of the BM25 and dense result lists: pure functions from rankings to one fused ranking.

Chosen by name through ``fuse``: ``rrf`` (Cormack, Clarke and Büttcher 2009) or ``weighted``
(convex combination of min-max normalised scores).
"""

from __future__ import annotations

from typing import Callable, Mapping, Sequence

Ranking = Sequence[tuple[int, float]]  # (passage row, score), best first


def rrf(rankings: Sequence[Ranking], k: int = 60, weights: Sequence[float] | None = None) -> dict[int, float]:
    """Reciprocal rank fusion: ``sum_r w_r / (k + rank_r(d))`` with 1-based ranks."""
    weights = weights or [1.0] * len(rankings)
    fused: dict[int, float] = {}
    for ranking, weight in zip(rankings, weights):
        for rank, (row, _) in enumerate(ranking, 1):
            fused[row] = fused.get(row, 0.0) + weight / (k + rank)
    return fused


def min_max(ranking: Ranking) -> dict[int, float]:
    """Scores scaled to [0, 1] within one ranking; all equal scores map to 1."""
    if not ranking:
        return {}
    scores = [s for _, s in ranking]
    low, high = min(scores), max(scores)
    if high == low:
        return {row: 1.0 for row, _ in ranking}
    return {row: (s - low) / (high - low) for row, s in ranking}


def weighted(rankings: Sequence[Ranking], weights: Sequence[float]) -> dict[int, float]:
    """Convex combination ``sum_r w_r * minmax_r(d)``; a passage missing from a ranking scores 0 there."""
    fused: dict[int, float] = {}
    for ranking, weight in zip(rankings, weights):
        for row, score in min_max(ranking).items():
            fused[row] = fused.get(row, 0.0) + weight * score
    return fused


def order(fused: Mapping[int, float]) -> list[tuple[int, float]]:
    """Fused scores best first, ties broken by row for a stable order."""
    return sorted(fused.items(), key=lambda item: (-item[1], item[0]))


FUSERS: dict[str, Callable[..., dict[int, float]]] = {"rrf": rrf, "weighted": weighted}
