"""bot.fusion: RRF (Cormack, Clarke and Büttcher 2009) and convex fusion (Bruch et al. 2023), worked out by hand."""

from __future__ import annotations

import math

import pytest

from bot.fusion import above, convex, order, rrf

# (passage row, score), best first: a BM25 list and a dense list sharing rows 1 and 3.
SPARSE = [(1, 12.0), (2, 7.5), (3, 1.0)]
DENSE = [(3, 0.91), (4, 0.80), (1, 0.42)]


def test_rrf_by_hand():
    fused = rrf([SPARSE, DENSE], k=60)
    assert set(fused) == {1, 2, 3, 4}
    assert fused[1] == pytest.approx(1 / (60 + 1) + 1 / (60 + 3))
    assert fused[2] == pytest.approx(1 / (60 + 2))
    assert fused[3] == pytest.approx(1 / (60 + 3) + 1 / (60 + 1))
    assert fused[4] == pytest.approx(1 / (60 + 2))


def test_rrf_ignores_scores_and_uses_ranks_only():
    rescored = [[(row, score * 1000) for row, score in SPARSE], [(row, -score) for row, score in DENSE]]
    assert rrf(rescored) == rrf([SPARSE, DENSE])


def test_rrf_with_other_k_and_weights():
    assert rrf([SPARSE], k=0) == {1: 1.0, 2: 0.5, 3: pytest.approx(1 / 3)}
    fused = rrf([SPARSE, DENSE], k=10, weights=[2.0, 0.5])
    assert fused[1] == pytest.approx(2 / 11 + 0.5 / 13)
    assert fused[3] == pytest.approx(2 / 13 + 0.5 / 11)
    assert fused[4] == pytest.approx(0.5 / 12)


def test_rrf_of_nothing():
    assert rrf([]) == {}
    assert rrf([[], []]) == {}
    assert rrf([[], DENSE]) == {3: pytest.approx(1 / 61), 4: pytest.approx(1 / 62), 1: pytest.approx(1 / 63)}


def test_order_sorts_best_first_and_breaks_ties_by_row():
    # rows 1 and 3 tie (1/61 + 1/63 each), as do rows 2 and 4 (1/62 each): the lower row comes first
    assert [row for row, _ in order(rrf([SPARSE, DENSE]))] == [1, 3, 2, 4]
    assert [row for row, _ in order(rrf([DENSE, SPARSE]))] == [1, 3, 2, 4]  # the same, whichever list comes first
    assert order({7: 0.5, 2: 0.5, 9: 0.9, 1: 0.1}) == [(9, 0.9), (2, 0.5), (7, 0.5), (1, 0.1)]
    assert order({}) == []


def test_convex_by_hand():
    # each list scaled by its best score: SPARSE by 12.0, DENSE by 0.91; alpha weighs BM25, 1 - alpha dense
    fused = convex(SPARSE, DENSE, alpha=0.3)
    assert fused[1] == pytest.approx(0.3 * 12.0 / 12.0 + 0.7 * 0.42 / 0.91)
    assert fused[2] == pytest.approx(0.3 * 7.5 / 12.0)  # missing from the dense list: 0 there
    assert fused[3] == pytest.approx(0.3 * 1.0 / 12.0 + 0.7 * 0.91 / 0.91)
    assert fused[4] == pytest.approx(0.7 * 0.80 / 0.91)
    assert [row for row, _ in order(fused)] == [3, 1, 4, 2]


def test_convex_keeps_how_far_ahead_the_top_hit_is():
    close = convex([(1, 10.0), (2, 9.9)], [], alpha=1.0)
    far = convex([(1, 10.0), (2, 1.0)], [], alpha=1.0)
    assert close == {1: 1.0, 2: pytest.approx(0.99)}
    assert far == {1: 1.0, 2: pytest.approx(0.1)}
    assert rrf([[(1, 10.0), (2, 9.9)]]) == rrf([[(1, 10.0), (2, 1.0)]])  # where RRF sees only the order


def test_convex_alpha_at_the_ends_uses_one_list_only():
    assert convex(SPARSE, DENSE, alpha=1.0) == {1: 1.0, 2: pytest.approx(7.5 / 12), 3: pytest.approx(1 / 12)}
    assert convex(SPARSE, DENSE, alpha=0.0) == {3: 1.0, 4: pytest.approx(0.80 / 0.91), 1: pytest.approx(0.42 / 0.91)}


def test_convex_guards_against_zero_and_negative_scores():
    # a negative cosine counts as 0, never as a penalty larger than absence
    assert convex([], [(5, 0.5), (6, -0.2)], alpha=0.5) == {5: pytest.approx(0.5), 6: 0.0}
    # a list whose best score is not positive adds nothing (no division by zero, no sign flip)
    for dense in ([(7, 0.0), (8, 0.0)], [(7, -0.1), (8, -0.3)]):
        fused = convex([(1, 2.0)], dense, alpha=0.5)
        assert fused == {1: pytest.approx(0.5)}
        assert all(not math.isnan(v) for v in fused.values())
    assert convex([], [], alpha=0.5) == {}
    assert convex([(3, 4.0), (4, 4.0)], [], alpha=0.5) == {3: 0.5, 4: 0.5}  # equal scores stay equal


def test_above_makes_convex_min_max_scaling():
    # e5-like cosines in a narrow band: scaled by the best alone they all read about 1
    dense = [(1, 0.86), (2, 0.80), (3, 0.78)]
    shifted = above(dense)
    assert [row for row, _ in shifted] == [1, 2, 3]
    assert convex([], shifted, 0.0) == pytest.approx({1: 1.0, 2: 0.25, 3: 0.0})
    assert above([]) == []
