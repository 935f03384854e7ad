"""The GP posterior: sklearn and numpy references, gradients, growth by rows, precision."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.gaussian_process.kernels import ConstantKernel, Matern

from hpo_core.arrays.gp.posterior import GP
from tests.reference import gp as ref


def _data(n=20, d=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.random((n, d))
    z = np.sin(6 * X[:, 0]) + X[:, 1] ** 2 + 0.01 * rng.standard_normal(n)
    theta = np.concatenate([rng.normal(-1, 0.3, d), [0.2, -5.0]])
    return X, z, theta, np.zeros(d, dtype=bool)


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


def test_variance_keeps_its_precision_on_an_ill_conditioned_kernel():
    # a smooth kernel on 40 close points with noise 1e-6: K's condition number is about 1e8,
    # and the variance between points (~1e-7) is what an explicit inverse gets wrong
    import math

    import mpmath

    from hpo_core.arrays.gp.kernels import _cross, _gram

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
