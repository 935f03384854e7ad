"""The exact log EHVI: box decomposition, the compiled kernel against the numpy reference,
gradients against finite differences, and the acquisition problem."""

from __future__ import annotations

import numpy as np
import pytest

from hpo_core.arrays.gp.ehvi import EHVIProblem, box_decomposition, log_ehvi, pareto_min
from hpo_core.arrays.gp.posterior import GP
from hpo_core.metrics import hypervolume
from tests.reference import ehvi as ref_ehvi


def _front(rng, n, k, ties=False):
    P = rng.random((n, k))
    if ties and n > 2:
        P[1] = P[0]  # a duplicate
        P[2, 0] = P[0, 0]  # a tie in one objective
    return P


@pytest.mark.parametrize("k", [2, 3])
@pytest.mark.parametrize("seed", range(6))
def test_boxes_cover_exactly_what_the_front_leaves(k, seed):
    rng = np.random.default_rng(seed)
    P = _front(rng, int(rng.integers(0, 14)), k, ties=seed % 2 == 0)
    ref, floor = np.full(k, 1.1), np.full(k, -0.2)
    lo, up = box_decomposition(P, ref, floor)
    assert np.all(lo <= up)
    vol = np.prod(up - lo, axis=1).sum()
    hv = hypervolume(P, ref) if len(P) else 0.0
    shifted = hypervolume(P - floor, ref - floor) if len(P) else 0.0  # the same volume
    assert shifted == pytest.approx(hv, rel=1e-12)
    assert vol == pytest.approx(np.prod(ref - floor) - hv, rel=1e-12, abs=1e-14)
    # no two boxes overlap: a random point lies in at most one
    Y = rng.uniform(-0.2, 1.1, size=(400, k))
    inside = np.all((Y[:, None, :] > lo) & (Y[:, None, :] < up), axis=2).sum(axis=1)
    assert inside.max() <= 1


def test_pareto_min_drops_dominated_and_duplicates():
    Z = np.array([[1.0, 2.0], [1.0, 2.0], [2.0, 1.0], [2.0, 2.0], [0.5, 3.0], [1.0, 2.5]])
    assert pareto_min(Z).tolist() == [[0.5, 3.0], [1.0, 2.0], [2.0, 1.0]]
    Z3 = np.array([[1.0, 1.0, 1.0], [1.0, 1.0, 1.0], [2.0, 2.0, 2.0], [0.0, 2.0, 2.0]])
    assert pareto_min(Z3).tolist() == [[0.0, 2.0, 2.0], [1.0, 1.0, 1.0]]


def test_too_many_objectives_refused():
    with pytest.raises(ValueError, match="2 or 3 objectives, got 4"):
        box_decomposition(np.zeros((1, 4)), np.ones(4))


@pytest.mark.parametrize("k", [2, 3])
@pytest.mark.parametrize("seed", range(4))
def test_kernel_matches_reference(k, seed):
    rng = np.random.default_rng(10 + seed)
    P = _front(rng, 7, k, ties=seed == 0)
    ref, floor = np.full(k, 1.2), np.full(k, -0.3)
    mu = rng.uniform(-0.2, 1.3, size=(6, k))
    var = rng.uniform(0.001, 0.2, size=(6, k))
    val, _, _ = log_ehvi(mu, var, *box_decomposition(P, ref, floor))
    want = ref_ehvi.ehvi(mu, var, P, ref, floor)
    np.testing.assert_allclose(np.exp(val), want, rtol=1e-9, atol=1e-15)


def test_without_floor_the_region_is_unbounded_below():
    rng = np.random.default_rng(3)
    P = _front(rng, 5, 2)
    mu, var = np.array([[0.2, 0.2]]), np.array([[0.05, 0.05]])
    free = log_ehvi(mu, var, *box_decomposition(P, np.full(2, 1.2)))[0]
    floored = log_ehvi(mu, var, *box_decomposition(P, np.full(2, 1.2), np.zeros(2)))[0]
    deep = ref_ehvi.ehvi(mu, var, P, np.full(2, 1.2), np.full(2, -40.0))
    assert np.exp(free) == pytest.approx(deep, rel=1e-9)
    assert floored < free


@pytest.mark.parametrize("k", [2, 3])
def test_tiny_variance_gives_the_hypervolume_improvement(k):
    rng = np.random.default_rng(k)
    P, ref = _front(rng, 9, k), np.full(k, 1.1)
    hv = hypervolume(P, ref)
    Y = rng.random((20, k))
    val = log_ehvi(Y, np.full_like(Y, 1e-16), *box_decomposition(P, ref))[0]
    want = np.array([hypervolume(np.vstack([P, y]), ref) - hv for y in Y])
    gain = want > 1e-9
    np.testing.assert_allclose(np.exp(val[gain]), want[gain], rtol=1e-6)
    assert np.all(val[~gain] < np.log(1e-6))


def test_far_points_keep_a_finite_log_and_their_order():
    rng = np.random.default_rng(0)
    P, ref = _front(rng, 6, 3), np.full(3, 1.1)
    boxes = box_decomposition(P, ref)
    mu = np.array([[5.0, 5.0, 5.0], [20.0, 20.0, 20.0], [60.0, 60.0, 60.0]])
    val, gmu, _ = log_ehvi(mu, np.full_like(mu, 0.01), *boxes)
    assert np.all(np.isfinite(val)) and val[0] > val[1] > val[2]
    assert np.all(gmu < 0)  # lower means improve more


@pytest.mark.parametrize("k", [2, 3])
def test_gradients_match_finite_differences(k):
    rng = np.random.default_rng(7)
    boxes = box_decomposition(_front(rng, 8, k), np.full(k, 1.1), np.full(k, -0.1))
    mu = rng.uniform(0.0, 1.2, size=(5, k))
    var = rng.uniform(0.01, 0.1, size=(5, k))
    _, gmu, gvar = log_ehvi(mu, var, *boxes)
    e = 1e-6
    for j in range(k):
        d = np.zeros_like(mu)
        d[:, j] = e
        num_mu = (log_ehvi(mu + d, var, *boxes)[0] - log_ehvi(mu - d, var, *boxes)[0]) / (2 * e)
        num_var = (log_ehvi(mu, var + d, *boxes)[0] - log_ehvi(mu, var - d, *boxes)[0]) / (2 * e)
        np.testing.assert_allclose(gmu[:, j], num_mu, rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(gvar[:, j], num_var, rtol=1e-5, atol=1e-7)


def test_bad_shapes_are_refused():
    lo, up = box_decomposition(np.array([[0.5, 0.5]]), np.ones(2))
    with pytest.raises(ValueError, match="mu and var"):
        log_ehvi(np.zeros((2, 2)), np.zeros((2, 3)), lo, up)
    with pytest.raises(ValueError, match=r"shape \(b, 3\)"):
        log_ehvi(np.zeros((2, 3)), np.ones((2, 3)), lo, up)


def _gp(rng, X, y):
    theta = np.array([np.log(0.3), np.log(0.3), 0.0, np.log(1e-4)])
    return GP(X, y, theta, np.zeros(2, dtype=bool))


def test_problem_value_and_gradient_agree():
    rng = np.random.default_rng(1)
    X = rng.random((12, 2))
    Y = np.column_stack([X[:, 0], 1 - X[:, 0] ** 0.5 + X[:, 1]])
    gps = [_gp(rng, X, Y[:, j]) for j in range(2)]
    cons = [(_gp(rng, X, X[:, 1] - 0.6), 0.0)]
    prob = EHVIProblem(
        gps, pareto_min(Y), Y.max(axis=0) + 0.1, np.zeros(2, dtype=np.int64), lambda x: x, cons
    )
    Xq = rng.uniform(0.05, 0.95, size=(4, 2))
    val, grad = prob.value_grad(Xq)
    np.testing.assert_allclose(prob.score(Xq), val, rtol=1e-10)
    e = 1e-6
    for j in range(2):
        d = np.zeros_like(Xq)
        d[:, j] = e
        num = (prob.score(Xq + d) - prob.score(Xq - d)) / (2 * e)
        np.testing.assert_allclose(grad[:, j], num, rtol=1e-4, atol=1e-6)
    # without a feasible point the value is the log probability of feasibility alone
    alone = EHVIProblem(
        gps,
        np.empty((0, 2)),
        Y.max(axis=0) + 0.1,
        np.zeros(2, dtype=np.int64),
        lambda x: x,
        cons,
        objective=False,
    )
    assert np.all(alone.score(Xq) <= 0.0)
