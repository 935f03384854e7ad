"""Box L-BFGS: the same minima as scipy's L-BFGS-B (the reference), independent batched runs,
held variables, non-finite values and bad input."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import minimize, rosen, rosen_der

from hpo_core.arrays.lbfgs import minimize_box


def _rosen_rows(X):
    return np.array([rosen(x) for x in X]), np.array([rosen_der(x) for x in X])


def _scipy(x0, lo, hi):
    bounds = list(zip(np.broadcast_to(lo, x0.shape), np.broadcast_to(hi, x0.shape), strict=True))
    res = minimize(lambda x: (rosen(x), rosen_der(x)), x0, jac=True, method="L-BFGS-B",
                   bounds=bounds, options={"maxiter": 1000})  # fmt: skip
    return res.x, res.fun


@pytest.mark.parametrize(("d", "lo", "hi"), [(3, -5.0, 5.0), (2, -2.0, 0.7), (5, 0.0, 0.5)])
def test_reaches_scipys_minimum_inside_and_on_the_bounds(d, lo, hi):
    # Rosenbrock has one minimum for d <= 3, inside the box; in [0, 0.5]^5 the minimum sits
    # on the upper bound of the first variable
    X0 = np.random.default_rng(0).uniform(lo, hi, (4, d))
    X, f, n_eval = minimize_box(_rosen_rows, X0, lo, hi, maxiter=1000)
    assert n_eval > 1
    for i, x0 in enumerate(X0):
        xs, fs = _scipy(x0, lo, hi)
        np.testing.assert_allclose(X[i], xs, atol=2e-3)
        assert f[i] <= fs + 1e-6 * (1 + abs(fs))
        assert np.all((X[i] >= lo) & (X[i] <= hi))


def test_batched_runs_are_independent():
    X0 = np.random.default_rng(1).uniform(-2, 2, (3, 4))
    X, f, _ = minimize_box(_rosen_rows, X0, -3.0, 3.0)
    for i in range(3):
        Xi, fi, _ = minimize_box(_rosen_rows, X0[i : i + 1], -3.0, 3.0)
        np.testing.assert_array_equal(X[i], Xi[0])
        assert f[i] == fi[0]


def test_rows_ask_only_for_running_problems():
    seen = []

    def fun(X):
        seen.append(len(X))
        return np.sum((X - 0.3) ** 2, axis=1), 2 * (X - 0.3)

    X0 = np.array([[0.3, 0.3], [0.9, 0.0]])  # the first starts at its minimum
    X, f, n_eval = minimize_box(fun, X0, 0.0, 1.0)
    assert seen[0] == 2 and set(seen[1:]) == {1}
    assert n_eval == len(seen)
    np.testing.assert_allclose(X, 0.3, atol=1e-6)


def test_held_variables_stay_and_bounds_per_row():
    def fun(X):
        return np.sum((X - 2.0) ** 2, axis=1), 2 * (X - 2.0)

    X0 = np.array([[0.5, 0.25], [0.1, 0.9]])
    lo = np.array([[0.0, 0.25], [0.0, 0.0]])
    hi = np.array([[1.0, 0.25], [3.0, 1.0]])
    X, f, _ = minimize_box(fun, X0, lo, hi)
    np.testing.assert_allclose(X, [[1.0, 0.25], [2.0, 1.0]], atol=1e-8)
    np.testing.assert_allclose(f, [1.0 + 1.75**2, 1.0], atol=1e-8)


def test_non_finite_values_shorten_the_step_and_a_bad_start_ends_its_run():
    def fun(X):
        v = np.sum((X - 1.0) ** 2, axis=1)
        v[X[:, 0] > 1.5] = np.nan  # a hole beyond x0 = 1.5
        return v, 2 * (X - 1.0)

    X, f, _ = minimize_box(fun, np.array([[-4.0, -4.0], [2.0, 0.0]]), -5.0, 5.0)
    np.testing.assert_allclose(X[0], [1.0, 1.0], atol=1e-6)
    assert f[1] == np.inf and np.array_equal(X[1], [2.0, 0.0])


def test_maxiter_limits_the_accepted_steps():
    calls = []

    def fun(X):
        calls.append(1)
        return _rosen_rows(X)

    X, f, n_eval = minimize_box(fun, np.zeros((1, 6)), -5.0, 5.0, maxiter=3)
    assert f[0] > 1e-3  # far from the minimum after 3 steps
    assert n_eval == len(calls) < 3 + 3 * 31


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"lo": 1.0, "hi": 0.0}, "lo must not exceed hi"),
        ({"maxiter": 0}, "maxiter must be an integer >= 1"),
        ({"memory": 0}, "memory must be an integer >= 1"),
        ({"maxiter": True}, "maxiter must be an integer >= 1"),
        ({"memory": 2.0}, "memory must be an integer >= 1"),
    ],
)
def test_bad_input(kwargs, match):
    args = {"lo": 0.0, "hi": 1.0, **kwargs}
    with pytest.raises(ValueError, match=match):
        minimize_box(_rosen_rows, np.zeros((1, 2)), **args)


def test_numpy_integers_are_integers():
    X, f, _ = minimize_box(_rosen_rows, np.zeros((1, 2)), -2.0, 2.0, maxiter=np.int64(200))
    Xr, fr, _ = minimize_box(_rosen_rows, np.zeros((1, 2)), -2.0, 2.0, maxiter=200)
    np.testing.assert_array_equal(X, Xr)


def test_a_full_memory_keeps_only_pairs_of_positive_curvature():
    # a non-convex function (negative curvature along the way) with a memory of 2: rejected
    # pairs must not displace the kept ones
    def fun(X):
        v = np.sum(np.cos(3 * X) + 0.5 * X**2, axis=1)
        return v, -3 * np.sin(3 * X) + X

    X0 = np.random.default_rng(3).uniform(-3, 3, (6, 4))
    X, f, _ = minimize_box(fun, X0, -3.0, 3.0, memory=2)
    for i, x0 in enumerate(X0):
        # each coordinate ends in a local minimum: stationary inside, or at a bound its
        # gradient pushes against
        g = fun(X[i : i + 1])[1][0]
        inside = (X[i] > -3) & (X[i] < 3)
        assert np.all(np.abs(g[inside]) < 1e-4)
        assert np.all(g[X[i] <= -3] >= 0) and np.all(g[X[i] >= 3] <= 0)
        assert f[i] <= fun(x0[None])[0][0]
