"""Cholesky factors of K: jitter when K is singular, the compiled factor and inverse."""

from __future__ import annotations

import numpy as np
import pytest

from hpo_core.arrays.gp.cholesky import _cholesky_inverse, cholesky, triangular_inverse


def test_cholesky_adds_jitter_to_a_singular_matrix():
    L, jitter = cholesky(np.ones((4, 4)))
    assert jitter > 0 and np.all(np.isfinite(L))
    np.testing.assert_allclose(L @ L.T, np.ones((4, 4)) + jitter * np.eye(4), atol=1e-12)
    with pytest.raises(np.linalg.LinAlgError, match="non-positive or non-finite diagonal"):
        cholesky(-np.eye(3))


def test_compiled_factor_and_inverse_agree_with_lapack():
    A = np.random.default_rng(0).standard_normal((6, 6))
    K = A @ A.T + 6 * np.eye(6)
    L, Kinv = _cholesky_inverse(K)
    Lr, jitter = cholesky(K)
    assert jitter == 0.0
    np.testing.assert_allclose(L, Lr, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(Kinv, np.linalg.inv(K), rtol=1e-10, atol=1e-12)
    Li = triangular_inverse(Lr)
    np.testing.assert_allclose(Li.T @ Li, Kinv, rtol=1e-10, atol=1e-12)
    L0, K0 = _cholesky_inverse(np.ones((3, 3)))  # singular: reported by empty arrays
    assert L0.shape == (0, 0) and K0.shape == (0, 0)
