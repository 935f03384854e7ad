"""Marginal likelihood, hyperparameter fit, posterior and incremental Cholesky."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.gaussian_process.kernels import ConstantKernel, Matern

from hpo_core.gp.fit import (
    GP,
    OutputTransform,
    Prior,
    _nlp,
    _nlp_rows,
    cholesky,
    fit_theta,
    neg_log_posterior,
)
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


def test_posterior_agrees_with_sklearn_with_the_same_fixed_hyperparameters():
    X, z, theta, cat = _data()
    d = X.shape[1]
    kernel = ConstantKernel(np.exp(theta[d]), "fixed") * Matern(np.exp(theta[:d]), "fixed", nu=2.5)
    skl = GaussianProcessRegressor(kernel, alpha=np.exp(theta[d + 1]), optimizer=None)
    skl.fit(X, z)
    A = np.random.default_rng(5).random((30, d))
    mu_s, sd_s = skl.predict(A, return_std=True)
    mu, var = GP(X, z, theta, cat).predict(A)
    np.testing.assert_allclose(mu, mu_s, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(np.sqrt(var), sd_s, rtol=1e-6, atol=1e-8)
    mu_r, var_r = ref.posterior(A, X, z, theta, cat)
    np.testing.assert_allclose(var, var_r, rtol=1e-7, atol=1e-10)


def test_predict_grad_matches_finite_differences():
    X, z, theta, cat = _data()
    gp = GP(X, z, theta, cat)
    A = np.random.default_rng(1).random((4, X.shape[1]))
    mu, var, dmu, dvar = gp.predict_grad(A)
    h = 1e-6
    for j in range(A.shape[1]):
        e = np.zeros(A.shape[1])
        e[j] = h
        mp, vp = gp.predict(A + e)
        mm, vm = gp.predict(A - e)
        np.testing.assert_allclose(dmu[:, j], (mp - mm) / (2 * h), atol=1e-6)
        np.testing.assert_allclose(dvar[:, j], (vp - vm) / (2 * h), atol=1e-6)


def test_incremental_cholesky_equals_factorising_from_scratch():
    X, z, theta, cat = _data(40)
    full = GP(X, z, theta, cat)
    grown = GP(X[:25], z[:25], theta, cat, capacity=27)
    copy = grown.append(X[25:], z[25:])  # reallocates: beyond the reserved rows
    assert grown.n == 25 and copy.n == 40
    grown.append(X[25:30], z[25:30], inplace=True)
    grown.append(X[30:], z[30:], inplace=True)
    for gp in (copy, grown):
        np.testing.assert_allclose(gp.L, full.L, atol=1e-12)
        np.testing.assert_allclose(gp.Kinv, full.Kinv, rtol=1e-8, atol=1e-8)
        np.testing.assert_allclose(gp.alpha, full.alpha, rtol=1e-8, atol=1e-8)


def test_duplicate_points_are_absorbed_by_jitter_or_refactorisation():
    X, z, theta, cat = _data(10)
    theta[-1] = np.log(1e-12)  # noise below any sensible floor
    X = np.vstack([X, X[:3], X[:3]])
    gp = GP(X[:10], z, theta, cat)
    gp2 = gp.append(X[10:], np.concatenate([z[:3], z[:3] + 1.0]))
    mu, var = gp2.predict(X[:5])
    assert np.all(np.isfinite(mu)) and np.all(np.isfinite(var))
    L, jitter = cholesky(np.ones((4, 4)))
    assert jitter > 0 and np.all(np.isfinite(L))


def test_fit_recovers_a_short_and_a_long_lengthscale():
    rng = np.random.default_rng(0)
    X = rng.random((60, 2))
    z = np.sin(8 * X[:, 0])  # depends on column 0 only
    z = (z - z.mean()) / z.std()
    prior = Prior(2)
    theta = fit_theta(X, z, np.zeros(2, dtype=bool), prior, [prior.mode()])
    assert theta[0] < theta[1] - 1.0
    assert np.all(theta >= prior.bounds[:, 0]) and np.all(theta <= prior.bounds[:, 1])


@pytest.mark.parametrize(
    "y",
    [
        np.full(7, 3.0),
        np.array([0.0, 1e-200, 1e-100, 1.0, 1e100, 1e200, -1e200]),
        np.array([1e-300, 2e-300, 5e-300, 1e-299]),
        np.array([1.0, 1.0, 1.0, 2.0]),
        np.array([-5.0, 1e308, 1.7e308]),
    ],
)
def test_output_transform_is_finite_and_keeps_order(y):
    z = OutputTransform(y)(y)
    assert np.all(np.isfinite(z)) and np.max(np.abs(z)) < 1e3
    order = np.argsort(y, kind="stable")
    assert np.all(np.diff(z[order]) >= 0)
    if np.ptp(y) == 0:
        assert np.all(z == 0)


def test_variance_keeps_its_precision_on_an_ill_conditioned_kernel():
    # a smooth kernel on 40 close points with noise 1e-6: K's condition number is about 1e8,
    # and the variance between points (~1e-7) is what an explicit inverse gets wrong
    import math

    import mpmath

    from hpo_core.gp.kernels import _cross, _gram

    X = np.linspace(0, 1, 40)[:, None]
    theta = np.array([0.0, 0.0, math.log(1e-6)])
    cat = np.zeros(1, dtype=bool)
    gp = GP(X, np.sin(3 * X[:, 0]), theta, cat)
    A = (X[:2] + X[1:3]) / 2
    _, var = gp.predict(A)
    mpmath.mp.dps = 40
    K = mpmath.matrix(_gram(X, theta, cat).tolist())
    for i, k in enumerate(_cross(A, X, theta, cat)):
        kv = mpmath.matrix(k.tolist())
        exact = float(1 - (kv.T * mpmath.lu_solve(K, kv))[0])
        assert 0 < exact < 1e-5
        assert var[i] == pytest.approx(exact, rel=1e-6)
    _, var_g, _, _ = gp.predict_grad(A)
    np.testing.assert_allclose(var_g, var, rtol=1e-12)
