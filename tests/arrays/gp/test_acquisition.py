"""Acquisition functions: agreement with references, high precision deep in the tail, gradients."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest

from hpo_core.arrays.gp import acquisition as acq
from tests.reference import gp as ref

mpmath.mp.dps = 60


def _log_h_mp(u: float) -> float:
    u = mpmath.mpf(u)
    return float(mpmath.log(mpmath.npdf(u) + u * mpmath.ncdf(u)))


def test_log_h_matches_double_precision_reference_where_that_is_accurate():
    u = np.linspace(-15, 8, 200)
    lh, _ = acq.log_h(u)
    np.testing.assert_allclose(lh, ref.log_h(u), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize(
    "u",
    [
        -1e6,
        -3e4,
        -1000.0,
        -100.0,
        -40.0,
        -25.5,
        -25.0,
        -24.9,
        -10.0,
        -2.0,
        -1.0,
        -0.5,
        0.0,
        3.0,
        30.0,
    ],
)
def test_log_h_matches_high_precision_reference_deep_in_the_tail(u):
    lh, _ = acq.log_h(np.array([u]))
    assert np.isfinite(lh[0])
    assert abs(lh[0] - _log_h_mp(u)) <= 1e-11 * max(1.0, abs(_log_h_mp(u)))


def test_log_h_derivative_matches_finite_differences():
    for u in [-500.0, -30.0, -25.0, -20.0, -3.0, -1.0, -0.99, 0.0, 2.0]:
        h = 1e-6 * max(1.0, abs(u))
        fd = (_log_h_mp(u + h) - _log_h_mp(u - h)) / (2 * h)
        _, g = acq.log_h(np.array([u]))
        assert abs(g[0] - fd) < 1e-5 * max(1.0, abs(fd))


@pytest.mark.parametrize("kind", ["logei", "ucb", "pi"])
def test_acquisition_agrees_with_reference_and_its_gradients(kind):
    rng = np.random.default_rng(0)
    mu = rng.normal(0, 1, 50)
    var = rng.uniform(0.01, 2.0, 50)
    a, gmu, gvar = acq.acquisition(mu, var, -0.5, kind, beta=1.5)
    np.testing.assert_allclose(a, ref.acquisition(mu, var, -0.5, kind, 1.5), rtol=1e-9)
    h = 1e-6
    fd_mu = (
        ref.acquisition(mu + h, var, -0.5, kind, 1.5)
        - ref.acquisition(mu - h, var, -0.5, kind, 1.5)
    ) / (2 * h)
    fd_var = (
        ref.acquisition(mu, var + h, -0.5, kind, 1.5)
        - ref.acquisition(mu, var - h, -0.5, kind, 1.5)
    ) / (2 * h)
    np.testing.assert_allclose(gmu, fd_mu, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(gvar, fd_var, rtol=1e-5, atol=1e-7)


def test_logei_is_finite_and_ordered_far_below_the_incumbent():
    mu = np.array([10.0, 100.0, 1e4, 1e6])
    a, gmu, _ = acq.acquisition(mu, np.full(4, 1e-4), 0.0)
    assert np.all(np.isfinite(a)) and np.all(np.diff(a) < 0)
    assert np.all(np.isfinite(gmu)) and np.all(gmu < 0)
    pi, _, _ = acq.acquisition(mu, np.full(4, 1e-4), 0.0, "pi")
    assert np.all(np.isfinite(pi)) and np.all(np.diff(pi) < 0)


def test_variance_floor_and_validation():
    a, _, gvar = acq.acquisition(np.array([0.0]), np.array([-1e-3]), 0.0)
    assert np.isfinite(a[0]) and gvar[0] == 0.0
    with pytest.raises(ValueError, match="kind must be one of"):
        acq.acquisition(np.zeros(1), np.ones(1), 0.0, "ei")
    with pytest.raises(ValueError, match="kind must be one of"):
        acq.acquisition(np.zeros(1), np.ones(1), 0.0, ["pi"])  # unhashable: not a TypeError
