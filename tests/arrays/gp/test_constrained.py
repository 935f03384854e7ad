"""Acquisition times probability of feasibility: values, gradients, and what it prefers."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import norm

from hpo_core.arrays.gp.acq_opt import AcquisitionProblem, maximize
from hpo_core.arrays.gp.constrained import ConstrainedProblem, log_feasibility
from hpo_core.arrays.gp.kernels import features
from hpo_core.arrays.gp.posterior import GP
from hpo_core.space import Space

SPACE = Space({"a": (0.0, 1.0), "b": (0.0, 1.0), "c": ["x", "y", "z"]})
LEVELS = np.where(SPACE.kinds == 2, SPACE.levels, 0)


def _gp(X, z):
    theta = np.concatenate([np.full(3, np.log(0.3)), [0.0, np.log(1e-4)]])
    return GP(features(X, LEVELS), z, theta, SPACE.kinds == 2)


def _setup(seed=0):
    rng = np.random.default_rng(seed)
    X = SPACE.snap(rng.random((14, 3)))
    z = np.sin(4 * X[:, 0]) + X[:, 1]
    c = X[:, 0] - 0.5  # feasible where a <= 0.5
    gp, cgp = _gp(X, (z - z.mean()) / z.std()), _gp(X, c)
    return gp, cgp, X, rng


def test_log_feasibility_is_the_normal_log_cdf():
    gp, cgp, X, rng = _setup()
    F = features(SPACE.snap(rng.random((6, 3))), LEVELS)
    mu, var = cgp.predict(F)
    want = norm.logcdf((0.2 - mu) / np.sqrt(var)) + norm.logcdf((0.0 - mu) / np.sqrt(var))
    got = log_feasibility([(cgp, 0.2), (cgp, 0.0)], F)
    np.testing.assert_allclose(got, want, rtol=1e-9)


@pytest.mark.parametrize("objective", [True, False])
def test_value_grad_agrees_with_score_and_finite_differences(objective):
    gp, cgp, X, rng = _setup(1)
    prob = ConstrainedProblem(
        gp, gp.z.min(), "logei", 2.0, LEVELS, SPACE.snap, [(cgp, 0.0)], objective=objective
    )
    A = SPACE.snap(rng.random((4, 3)))
    a, g = prob.value_grad(A)
    np.testing.assert_allclose(a, prob.score(A), rtol=1e-9)
    base = AcquisitionProblem(gp, gp.z.min(), "logei", 2.0, LEVELS, SPACE.snap).score(A)
    extra = log_feasibility([(cgp, 0.0)], features(A, LEVELS))
    np.testing.assert_allclose(a, (base if objective else 0) + extra, rtol=1e-9)
    h = 1e-6
    for j in (0, 1):  # the real columns
        Ap, Am = A.copy(), A.copy()
        Ap[:, j] += h
        Am[:, j] -= h
        fd = (prob.score(Ap) - prob.score(Am)) / (2 * h)
        np.testing.assert_allclose(g[:, j], fd, rtol=1e-4, atol=1e-6)


def test_maximiser_prefers_the_feasible_side():
    gp, cgp, X, rng = _setup(2)
    prob = ConstrainedProblem(gp, gp.z.min(), "logei", 2.0, LEVELS, SPACE.snap, [(cgp, -0.1)])
    x, _ = maximize(prob, rng.random((256, 3)), X[:3], rng, SPACE.kinds, SPACE.levels, X)
    assert x[0] <= 0.5
