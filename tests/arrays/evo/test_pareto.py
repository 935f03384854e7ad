"""Pareto kernels: agreement with the numpy references, and hand-computed fronts."""

from __future__ import annotations

import numpy as np
import pytest

from hpo_core import metrics
from hpo_core.arrays.evo import pareto
from tests.reference import pareto as ref


def _cloud(rng, n, m, ties=True):
    F = rng.random((n, m))
    if ties:
        F[: n // 5] = np.round(F[: n // 5], 1)  # equal coordinates and duplicate points
        F[n // 5 : n // 5 + 3] = F[0]
    return F


@pytest.mark.parametrize("m", [1, 2, 3, 4])
def test_ranks_agree_with_reference(m):
    rng = np.random.default_rng(m)
    F = _cloud(rng, 60, m)
    np.testing.assert_array_equal(pareto.nondominated_ranks(F), ref.ranks(F))


def test_constrained_ranks_agree_with_reference():
    rng = np.random.default_rng(0)
    F = _cloud(rng, 50, 2)
    v = np.where(rng.random(50) < 0.5, 0.0, np.round(rng.random(50), 1))
    got = pareto.nondominated_ranks(F, v)
    np.testing.assert_array_equal(got, ref.ranks(F, v))
    # every feasible point ranks ahead of every infeasible one
    assert got[v == 0].max() < got[v > 0].min()


def test_ranks_of_a_hand_made_set():
    F = np.array([[1, 4], [2, 2], [4, 1], [3, 3], [5, 5], [2, 2]], dtype=float)
    np.testing.assert_array_equal(pareto.nondominated_ranks(F), [0, 0, 0, 1, 2, 0])
    np.testing.assert_array_equal(pareto.non_dominated(F), [1, 1, 1, 0, 0, 1])


@pytest.mark.parametrize("m", [2, 3])
def test_non_dominated_is_rank_zero(m):
    F = _cloud(np.random.default_rng(5), 80, m)
    np.testing.assert_array_equal(pareto.non_dominated(F), ref.ranks(F) == 0)


@pytest.mark.parametrize("m", [2, 3])
def test_crowding_agrees_with_reference(m):
    rng = np.random.default_rng(10 + m)
    F = _cloud(rng, 70, m)
    r = ref.ranks(F)
    np.testing.assert_allclose(pareto.crowding_distance(F, r), ref.crowding(F, r))


def test_crowding_of_a_hand_made_front():
    F = np.array([[0.0, 4.0], [1.0, 2.0], [2.0, 1.0], [4.0, 0.0]])
    cd = pareto.crowding_distance(F, np.zeros(4, dtype=int))
    # inner points: (2 - 0)/4 + (4 - 1)/4 and (4 - 1)/4 + (2 - 0)/4
    np.testing.assert_allclose(cd, [np.inf, 1.25, 1.25, np.inf])


def test_hypervolume_hand_computed_2d():
    P = np.array([[1.0, 3.0], [2.0, 2.0], [3.0, 1.0]])
    # staircase under (4, 4): 3*1 + 2*1 + 1*1 = 6
    assert metrics.hypervolume(P, [4.0, 4.0]) == pytest.approx(6.0)
    # dominated and out-of-reference points add nothing
    Q = np.vstack([P, [[3.0, 3.0], [5.0, 0.0], [0.5, 4.0]]])
    assert metrics.hypervolume(Q, [4.0, 4.0]) == pytest.approx(6.0)
    assert metrics.hypervolume(np.empty((0, 2)), [1.0, 1.0]) == 0.0


def test_hypervolume_hand_computed_3d():
    # a unit cube corner and a slab: (0,0,0) alone gives 1 under (1,1,1)
    assert metrics.hypervolume([[0.0, 0.0, 0.0]], [1.0, 1.0, 1.0]) == pytest.approx(1.0)
    P = np.array([[0.0, 0.5, 0.5], [0.5, 0.0, 0.5], [0.5, 0.5, 0.0]])
    # three boxes of 1 * 0.5 * 0.5 overlapping pairwise in 0.5^3, all three in 0.5^3:
    # 3 * 0.25 - 3 * 0.125 + 0.125 = 0.5
    assert metrics.hypervolume(P, [1.0, 1.0, 1.0]) == pytest.approx(0.5)


@pytest.mark.parametrize(("m", "n"), [(2, 18), (3, 18), (4, 10), (5, 7)])
def test_hypervolume_agrees_with_reference(m, n):
    rng = np.random.default_rng(20 + m)
    for _ in range(5):
        P = _cloud(rng, n, m)
        refpt = np.full(m, 0.9)
        expected = ref.hypervolume(P, refpt)
        assert expected > 0
        assert metrics.hypervolume(P, refpt) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("m", [4, 5])
def test_hypervolume_of_a_front_on_a_simplex_and_with_ties(m):
    rng = np.random.default_rng(m)
    P = rng.dirichlet(np.ones(m), size=8)  # mutually non-dominated
    P = np.vstack([P, P[:2], P[3] + 0.01])  # duplicates and a dominated point add nothing
    refpt = np.full(m, 1.1)
    expected = ref.hypervolume(P[:8], refpt)
    assert metrics.hypervolume(P, refpt) == pytest.approx(expected, rel=1e-12)
    # one point: a box
    assert metrics.hypervolume(P[:1], refpt) == pytest.approx(np.prod(refpt - P[0]), rel=1e-14)


def test_hypervolume_errors():
    with pytest.raises(ValueError, match=r"shape \(n, m\) with m >= 2 objectives"):
        metrics.hypervolume(np.zeros((3, 1)), np.ones(1))
    with pytest.raises(ValueError, match="reference must be 2 finite numbers"):
        metrics.hypervolume(np.zeros((3, 2)), [1.0])
    with pytest.raises(ValueError, match="NaN"):
        metrics.hypervolume([[np.nan, 0.0]], [1.0, 1.0])


def test_bad_inputs_are_named():
    with pytest.raises(ValueError, match="finite"):
        pareto.nondominated_ranks([[np.inf, 0.0]])
    with pytest.raises(ValueError, match="violation"):
        pareto.nondominated_ranks(np.zeros((2, 2)), [-1.0, 0.0])
    with pytest.raises(ValueError, match="ranks"):
        pareto.crowding_distance(np.zeros((2, 2)), [0])
