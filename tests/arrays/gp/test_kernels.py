"""Kernel matrices and gradients: compiled versus numpy reference, and finite differences."""

from __future__ import annotations

import numpy as np
import pytest

from hpo_core.arrays.gp import kernels
from tests.reference import gp as ref


def _data(n=12, d=4, seed=0, with_cat=True):
    rng = np.random.default_rng(seed)
    X = rng.random((n, d))
    cat = np.zeros(d, dtype=bool)
    levels = np.zeros(d, dtype=np.int64)
    if with_cat:
        cat[-1], levels[-1] = True, 3
    F = kernels.features(X, levels)
    theta = np.concatenate([rng.normal(-0.5, 0.5, d), [0.3, -4.0]])
    return F, theta, cat


@pytest.mark.parametrize("with_cat", [False, True])
def test_gram_and_cross_agree_with_reference(with_cat):
    F, theta, cat = _data(with_cat=with_cat)
    np.testing.assert_allclose(kernels.gram(F, theta, cat), ref.gram(F, theta, cat), rtol=1e-12)
    A = _data(5, seed=1, with_cat=with_cat)[0]
    np.testing.assert_allclose(
        kernels.cross(A, F, theta, cat), ref.cross(A, F, theta, cat), rtol=1e-12
    )


def test_features_codes_categorical_columns():
    X = np.array([[0.1, 0.1], [0.5, 0.99], [0.7, 1.0]])
    F = kernels.features(X, np.array([0, 3]))
    np.testing.assert_array_equal(F[:, 0], X[:, 0])
    np.testing.assert_array_equal(F[:, 1], [0.0, 2.0, 2.0])


@pytest.mark.parametrize("with_cat", [False, True])
def test_gram_grad_agrees_with_reference_and_finite_differences(with_cat):
    F, theta, cat = _data(with_cat=with_cat)
    rng = np.random.default_rng(3)
    W = rng.standard_normal((len(F), len(F)))
    W = W + W.T
    g = kernels.gram_grad(F, theta, cat, W)
    np.testing.assert_allclose(g, ref.gram_grad(F, theta, cat, W), rtol=1e-10, atol=1e-12)
    # finite differences of 1/2 sum W * K
    h = 1e-6
    for i in range(len(theta)):
        e = np.zeros_like(theta)
        e[i] = h
        fd = 0.25 * np.sum(W * (ref.gram(F, theta + e, cat) - ref.gram(F, theta - e, cat))) / h
        assert abs(fd - g[i]) < 1e-6 * (1 + abs(g[i]))


def test_cross_grad_agrees_with_reference_and_finite_differences():
    F, theta, cat = _data()
    A = _data(3, seed=2)[0]
    K, G = kernels.cross_grad(A, F, theta, cat)
    Kr, Gr = ref.cross_grad(A, F, theta, cat)
    np.testing.assert_allclose(K, Kr, rtol=1e-12)
    np.testing.assert_allclose(G, Gr, rtol=1e-10, atol=1e-14)
    h = 1e-6
    for j in range(A.shape[1] - 1):  # the last column is categorical: no gradient
        e = np.zeros(A.shape[1])
        e[j] = h
        fd = (ref.cross(A + e, F, theta, cat) - ref.cross(A - e, F, theta, cat)) / (2 * h)
        np.testing.assert_allclose(G[:, :, j], fd, atol=1e-7)
    assert np.all(G[:, :, -1] == 0)


def test_points_beyond_any_correlation_give_zero_not_nan():
    F, theta, cat = _data(with_cat=False)
    A = np.array([[1e3, 0.5, 0.5, 0.5], [1e160, 0.5, 0.5, 0.5], [-1e200, 0.5, 0.5, 0.5]])
    K, G = kernels.cross_grad(A, F, theta, cat)  # r^2 huge, then infinite (t * t overflows)
    np.testing.assert_array_equal(K, 0.0)
    np.testing.assert_array_equal(G, 0.0)
    with np.errstate(over="ignore"):  # the reference squares the distance in numpy
        np.testing.assert_array_equal(kernels.cross(A, F, theta, cat), ref.cross(A, F, theta, cat))


def test_wrappers_validate_shapes():
    F, theta, cat = _data()
    with pytest.raises(ValueError, match="theta"):
        kernels.gram(F, theta[:-1], cat)
    with pytest.raises(ValueError, match="cat"):
        kernels.gram(F, theta, cat[:-1])
    with pytest.raises(ValueError, match="A must"):
        kernels.cross(F[:, :2], F, theta, cat)
    with pytest.raises(ValueError, match="W must"):
        kernels.gram_grad(F, theta, cat, np.eye(3))
