"""Marginal likelihood and the hyperparameter fit: references, finite differences, scipy."""

from __future__ import annotations

import numpy as np
import pytest

from hpo_core.arrays.gp.likelihood import _nlp, _nlp_rows, fit_theta, neg_log_posterior
from hpo_core.arrays.gp.prior import Prior
from tests.reference import gp as ref


def _data(n=20, d=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.random((n, d))
    z = np.sin(6 * X[:, 0]) + X[:, 1] ** 2 + 0.01 * rng.standard_normal(n)
    theta = np.concatenate([rng.normal(-1, 0.3, d), [0.2, -5.0]])
    return X, z, theta, np.zeros(d, dtype=bool)


def test_neg_log_posterior_agrees_with_reference_and_finite_differences():
    X, z, theta, cat = _data()
    theta[-1] = -7.0  # below the noise prior's centre: its wider side
    prior = Prior(X.shape[1])
    v, g = neg_log_posterior(theta, X, z, cat, prior)
    assert v == pytest.approx(
        ref.neg_log_posterior(theta, X, z, cat, prior.mean, prior.sd, prior.sd_low), rel=1e-10
    )
    h = 1e-6
    for i in range(len(theta)):
        e = np.zeros_like(theta)
        e[i] = h
        fd = (
            neg_log_posterior(theta + e, X, z, cat, prior)[0]
            - neg_log_posterior(theta - e, X, z, cat, prior)[0]
        ) / (2 * h)
        assert abs(fd - g[i]) < 1e-5 * (1 + abs(g[i]))


@pytest.mark.parametrize("n", [1, 7, 40])
def test_compiled_likelihood_agrees_with_reference(n):
    X, z, theta, cat = _data(n=n, d=4, seed=n)
    X[:, 3] = np.floor(X[:, 3] * 3)  # a categorical column (choice codes)
    cat[3] = True
    prior = Prior(4)
    for t in (theta, prior.mode(), prior.bounds[:, 0]):
        v, g = _nlp(t, X, z, cat, prior.mean, prior.sd, prior.sd_low)
        v_ref, g_ref = neg_log_posterior(t, X, z, cat, prior)
        assert v == pytest.approx(v_ref, rel=1e-9, abs=1e-9)
        np.testing.assert_allclose(g, g_ref, rtol=1e-7, atol=1e-9)
        assert v == pytest.approx(
            ref.neg_log_posterior(t, X, z, cat, prior.mean, prior.sd, prior.sd_low), rel=1e-8
        )


def test_compiled_likelihood_hands_a_singular_kernel_to_the_jittered_path():
    X = np.repeat(np.random.default_rng(0).random((5, 2)), 2, axis=0)  # every row twice
    z = np.random.default_rng(1).standard_normal(10)
    prior = Prior(2)
    theta = np.concatenate([prior.mode()[:-1], [np.log(1e-14)]])  # noise far below the signal
    cat = np.zeros(2, dtype=bool)
    v, _ = _nlp(theta, X, z, cat, prior.mean, prior.sd, prior.sd_low)
    assert np.isnan(v)
    vals, grads = _nlp_rows(theta[None, :], X, z, cat, prior)
    v_ref, g_ref = neg_log_posterior(theta, X, z, cat, prior)
    assert vals[0] == v_ref and np.array_equal(grads[0], g_ref)


def test_fit_theta_finds_scipys_optimum():
    from scipy.optimize import minimize

    X, z, _, cat = _data(n=25, d=3, seed=3)
    prior = Prior(3)
    starts = [prior.mode(), prior.sample(np.random.default_rng(0))]
    theta = fit_theta(X, z, cat, prior, starts)
    best = min(
        minimize(neg_log_posterior, s, args=(X, z, cat, prior), jac=True, method="L-BFGS-B",
                 bounds=prior.bounds).fun
        for s in starts
    )  # fmt: skip
    assert neg_log_posterior(theta, X, z, cat, prior)[0] <= best + 1e-6 * (1 + abs(best))


def test_fit_recovers_a_short_and_a_long_lengthscale():
    rng = np.random.default_rng(0)
    X = rng.random((60, 2))
    z = np.sin(8 * X[:, 0])  # depends on column 0 only
    z = (z - z.mean()) / z.std()
    prior = Prior(2)
    theta = fit_theta(X, z, np.zeros(2, dtype=bool), prior, [prior.mode()])
    assert theta[0] < theta[1] - 1.0
    assert np.all(theta >= prior.bounds[:, 0]) and np.all(theta <= prior.bounds[:, 1])
