"""Acquisition maximisation over real, integer and categorical columns."""

from __future__ import annotations

import numpy as np
import pytest

from hpo_core.arrays.gp.acq_opt import AcquisitionProblem, maximize
from hpo_core.arrays.gp.kernels import features
from hpo_core.arrays.gp.posterior import GP
from hpo_core.space import Space


def _problem(space, f, n=15, seed=0):
    rng = np.random.default_rng(seed)
    X = space.sample(n, rng)
    levels = np.where(space.kinds == 2, space.levels, 0)
    z = np.array([f(x) for x in X])
    z = (z - z.mean()) / z.std()
    theta = np.concatenate([np.full(space.d, np.log(0.3)), [0.0, np.log(1e-4)]])
    gp = GP(features(X, levels), z, theta, space.kinds == 2)
    return AcquisitionProblem(gp, z.min(), "logei", 2.0, levels, space.snap), X, z, rng


def test_maximize_beats_every_candidate_and_stays_in_the_cube():
    space = Space({"a": (0.0, 1.0), "b": (0.0, 1.0)})
    prob, X, z, rng = _problem(space, lambda x: (x[0] - 0.3) ** 2 + (x[1] - 0.7) ** 2)
    cands = rng.random((256, 2))
    x, a = maximize(prob, cands, X[np.argsort(z)[:3]], rng, space.kinds, space.levels, X)
    assert np.all((0 <= x) & (x <= 1))
    assert a >= np.max(prob.score(cands)) - 1e-12
    assert a == pytest.approx(prob.score(x[None, :])[0], rel=1e-9)


def test_mixed_space_returns_snapped_new_points():
    space = Space({"r": (0.0, 1.0), "i": (1, 6), "c": ["a", "b", "c", "d"], "j": (1, 200)})

    def f(x):
        return (x[0] - 0.5) ** 2 + (x[1] - 0.4) ** 2 + (0.0 if x[2] < 0.25 else 1.0)

    prob, X, z, rng = _problem(space, f, n=20)
    res = maximize(prob, rng.random((128, 4)), X[:3], rng, space.kinds, space.levels, X)
    x = res[0]
    np.testing.assert_array_equal(x, space.snap(x[None, :])[0])
    assert np.min(np.max(np.abs(X - x), axis=1)) > 1e-9


def test_returns_none_when_every_point_is_excluded():
    space = Space({"c": ["a", "b"], "i": (0, 1)})
    prob, X, z, rng = _problem(space, lambda x: x[0] + x[1], n=6)
    every = space.snap(np.array([[0.1, 0.1], [0.1, 0.9], [0.9, 0.1], [0.9, 0.9]]))
    assert maximize(prob, every, every[:1], rng, space.kinds, space.levels, every) is None


def test_compiled_value_grad_agrees_with_reference_and_finite_differences():
    from tests.reference import gp as ref

    space = Space({"a": (0.0, 1.0), "b": (0.0, 1.0), "c": ["x", "y", "z"]})
    prob, X, z, rng = _problem(space, lambda x: x[0] + np.sin(5 * x[1]) + x[2], n=12)
    A = space.snap(rng.random((4, 3)))
    a, g = prob.value_grad(A)
    F = features(X, prob.levels)
    mu, var = ref.posterior(features(A, prob.levels), F, z, prob.gp.theta, prob.gp.cat)
    np.testing.assert_allclose(a, ref.acquisition(mu, var, prob.best, "logei"), rtol=1e-8)
    np.testing.assert_allclose(a, prob.score(A), rtol=1e-9)
    h = 1e-6
    for j in range(2):
        e = np.zeros(3)
        e[j] = h
        fd = (prob.score(A + e) - prob.score(A - e)) / (2 * h)
        np.testing.assert_allclose(g[:, j], fd, rtol=1e-4, atol=1e-6)
    assert np.all(g[:, 2] == 0)


def test_gradient_search_holds_the_inactive_columns_of_a_conditional_space():
    from hpo_core import Categorical, Real

    space = Space(
        {
            "m": Categorical(["a", "b"]),
            "x": Real(0.0, 1.0, when={"m": "a"}),
            "y": Real(0.0, 1.0, when={"m": "b"}),
        }
    )

    def f(x):
        return (x[1] - 0.3) ** 2 if x[0] < 0.5 else 0.5 + (x[2] - 0.8) ** 2

    prob, X, z, rng = _problem(space, f, n=12)
    seen = []
    value_grad = prob.value_grad

    def recording(A):
        seen.append(np.array(A))
        return value_grad(A)

    prob.value_grad = recording
    x, a = maximize(prob, space.sample(64, rng), X[:3], rng, space.kinds, space.levels, X)
    A = np.vstack(seen)
    assert len(A) > 3 * len(seen[0])  # the search took steps
    # every point the search evaluates decodes to itself: the kernel never sees an inactive
    # column anywhere but at its imputed value, which is all the returned point can hold
    np.testing.assert_array_equal(space.impute(A), A)
    assert a == pytest.approx(prob.score(x[None, :])[0], rel=1e-9)
