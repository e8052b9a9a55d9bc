"""Rank fusion of the BM25 and dense result lists: pure functions from rankings to one fused ranking.

``rrf`` is reciprocal rank fusion (Cormack, Clarke and Büttcher 2009); ``convex`` is a convex
combination of scores scaled by the best score of each list, with 0 as the floor (TM2C2 in Bruch,
Gai and Ingber 2023, "An Analysis of Fusion Functions for Hybrid Retrieval"), which keeps how far
ahead the top BM25 hit is, where RRF keeps only the order.
"""

from __future__ import annotations

from typing import Mapping, Sequence

Ranking = Sequence[tuple[int, float]]  # (passage row, score), best first


def rrf(rankings: Sequence[Ranking], k: int = 60, weights: Sequence[float] | None = None) -> dict[int, float]:
    """Reciprocal rank fusion: ``sum_r w_r / (k + rank_r(d))`` with 1-based ranks."""
    weights = weights or [1.0] * len(rankings)
    fused: dict[int, float] = {}
    for ranking, weight in zip(rankings, weights):
        for rank, (row, _) in enumerate(ranking, 1):
            fused[row] = fused.get(row, 0.0) + weight / (k + rank)
    return fused


def convex(sparse: Ranking, dense: Ranking, alpha: float) -> dict[int, float]:
    """``alpha * bm25 / max(bm25) + (1 - alpha) * max(cos, 0) / max(cos)``; a passage missing from a list
    scores 0 there."""
    fused: dict[int, float] = {}
    for ranking, weight in ((sparse, alpha), (dense, 1 - alpha)):
        if not ranking or weight == 0:
            continue
        top = max(score for _, score in ranking)
        if top <= 0:
            continue
        for row, score in ranking:
            fused[row] = fused.get(row, 0.0) + weight * max(score, 0.0) / top
    return fused


def above(ranking: Ranking) -> list[tuple[int, float]]:
    """Scores less the list's lowest, so ``convex``'s division by the best is min-max scaling: e5's cosines sit
    in a narrow band (an unrelated passage scores about 0.77), and scaled by the best alone every dense score
    would be about 1 and the dense list would not count. USE-m3 ranks the same either way (eval/RESULTS.md)."""
    floor = min((score for _, score in ranking), default=0.0)
    return [(row, score - floor) for row, score in ranking]


def order(fused: Mapping[int, float]) -> list[tuple[int, float]]:
    """Fused scores best first, ties broken by row for a stable order."""
    return sorted(fused.items(), key=lambda item: (-item[1], item[0]))
