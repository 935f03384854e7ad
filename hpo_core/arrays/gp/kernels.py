"""Matern-5/2 ARD kernel matrices and their gradients (compiled).

Inputs are feature rows (see ``features``): real and integer columns as they are, categorical
columns as the integer code of the choice, compared for equality (one-hot distance). Notation
in ``hpo_core.arrays.gp``.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from hpo_core.arrays._numba import JIT

__all__ = ["features", "gram", "cross", "gram_grad", "cross_grad"]

SQRT5 = math.sqrt(5.0)


def features(X: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """Feature rows the kernel sees: categorical columns replaced by their choice code.

    Parameters
    ----------
    X : ndarray of shape (n, d)
        Points on the unit cube.
    levels : ndarray of shape (d,)
        Number of choices of each categorical column, 0 for other columns.

    Returns
    -------
    F : ndarray of shape (n, d)
    """
    F = np.array(X, dtype=np.float64, copy=True, ndmin=2)
    for j in np.flatnonzero(levels > 0):
        k = levels[j]
        F[:, j] = np.minimum(np.floor(np.clip(F[:, j], 0.0, 1.0) * k), k - 1)
    return F


@numba.njit(**JIT)
def _sqdist(A, a, B, b, w, cat):  # pragma: no cover - compiled
    """Scaled squared distance of rows A[a] and B[b] (indices, not slices: no view objects)."""
    r2 = 0.0
    for j in range(A.shape[1]):
        t = A[a, j] - B[b, j]
        if cat[j]:
            if t != 0.0:
                r2 += w[j]
        else:
            r2 += w[j] * t * t
    return r2


@numba.njit(**JIT)
def _k_and_dk(r2, s2):  # pragma: no cover - compiled
    """k(r) and dk/d(r^2) of the Matern-5/2 kernel (both 0 once exp(-sqrt5 r) underflows,
    an infinite r2 included, where the polynomial times 0 would be NaN)."""
    r = math.sqrt(r2)
    e = math.exp(-SQRT5 * r)
    if e == 0.0:
        return 0.0, 0.0
    k = s2 * (1.0 + SQRT5 * r + (5.0 / 3.0) * r2) * e
    dk = -(5.0 / 6.0) * s2 * (1.0 + SQRT5 * r) * e
    return k, dk


@numba.njit(**JIT)
def _gram_dk(X, theta, cat):  # pragma: no cover - compiled
    """K = k(X, X) + noise I (n, n) and D, the lower triangle of dk/d(r^2) (n, n)."""
    n, d = X.shape
    w = np.exp(-2.0 * theta[:d])
    s2 = math.exp(theta[d])
    noise = math.exp(theta[d + 1])
    K = np.empty((n, n))
    D = np.empty((n, n))
    for a in range(n):
        K[a, a] = s2 + noise
        D[a, a] = 0.0
        for b in range(a):
            k, dk = _k_and_dk(_sqdist(X, a, X, b, w, cat), s2)
            K[a, b] = k
            K[b, a] = k
            D[a, b] = dk
    return K, D


@numba.njit(**JIT)
def _gram(X, theta, cat):  # pragma: no cover - compiled
    return _gram_dk(X, theta, cat)[0]


@numba.njit(**JIT)
def _cross(A, X, theta, cat):  # pragma: no cover - compiled
    m, d = A.shape
    n = X.shape[0]
    w = np.exp(-2.0 * theta[:d])
    s2 = math.exp(theta[d])
    K = np.empty((m, n))
    for a in range(m):
        for b in range(n):
            K[a, b], _ = _k_and_dk(_sqdist(A, a, X, b, w, cat), s2)
    return K


@numba.njit(**JIT)
def _gram_grad_kd(X, theta, cat, W, K, D):  # pragma: no cover - compiled
    """g_i = 1/2 sum_ab W_ab dK_ab / dtheta_i from K and D of ``_gram_dk``; W symmetric, only
    its lower triangle (diagonal included) is read."""
    n, d = X.shape
    w = np.exp(-2.0 * theta[:d])
    s2 = math.exp(theta[d])
    noise = math.exp(theta[d + 1])
    g = np.zeros(d + 2)
    trace = 0.0
    acc = np.zeros(d)
    for a in range(n):
        trace += W[a, a]
        for b in range(a):
            wab = 2.0 * W[a, b]
            g[d] += wab * K[a, b]
            c = -2.0 * wab * D[a, b]
            for j in range(d):
                t = X[a, j] - X[b, j]
                if cat[j]:
                    if t != 0.0:
                        acc[j] += c
                else:
                    acc[j] += c * t * t
    for j in range(d):
        g[j] = acc[j] * w[j]
    g[d] += trace * s2
    g[d + 1] = trace * noise
    return 0.5 * g


@numba.njit(**JIT)
def _gram_grad(X, theta, cat, W):  # pragma: no cover - compiled
    """g_i = 1/2 sum_ab W_ab dK_ab / dtheta_i (the marginal-likelihood gradient for W =
    alpha alpha^T - Kinv); W symmetric, only its lower triangle is read."""
    K, D = _gram_dk(X, theta, cat)
    return _gram_grad_kd(X, theta, cat, W, K, D)


@numba.njit(**JIT)
def _cross_grad(A, X, theta, cat):  # pragma: no cover - compiled
    """k(A, X) of shape (m, n) and its gradient wrt the rows of A, shape (m, n, d) (zero in
    categorical columns)."""
    m, d = A.shape
    n = X.shape[0]
    w = np.exp(-2.0 * theta[:d])
    s2 = math.exp(theta[d])
    K = np.empty((m, n))
    G = np.zeros((m, n, d))
    for a in range(m):
        for b in range(n):
            k, dk = _k_and_dk(_sqdist(A, a, X, b, w, cat), s2)
            K[a, b] = k
            for j in range(d):
                if not cat[j]:
                    G[a, b, j] = 2.0 * dk * w[j] * (A[a, j] - X[b, j])
    return K, G


def _check(X: np.ndarray, theta: np.ndarray, cat: np.ndarray) -> tuple:
    X = np.ascontiguousarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"X must have shape (n, d), got {X.shape}")
    d = X.shape[1]
    theta = np.ascontiguousarray(theta, dtype=np.float64)
    if theta.shape != (d + 2,):
        raise ValueError(f"theta must have shape ({d + 2},) for d = {d}, got {theta.shape}")
    cat = np.ascontiguousarray(cat, dtype=np.bool_)
    if cat.shape != (d,):
        raise ValueError(f"cat must have shape ({d},), got {cat.shape}")
    return X, theta, cat


def gram(X: np.ndarray, theta: np.ndarray, cat: np.ndarray) -> np.ndarray:
    """``K = k(X, X) + noise I``, shape (n, n), for feature rows X of shape (n, d)."""
    X, theta, cat = _check(X, theta, cat)
    return _gram(X, theta, cat)


def cross(A: np.ndarray, X: np.ndarray, theta: np.ndarray, cat: np.ndarray) -> np.ndarray:
    """``k(A, X)``, shape (m, n), for feature rows A (m, d) and X (n, d); no noise."""
    X, theta, cat = _check(X, theta, cat)
    A = np.ascontiguousarray(A, dtype=np.float64)
    if A.ndim != 2 or A.shape[1] != X.shape[1]:
        raise ValueError(f"A must have shape (m, {X.shape[1]}), got {A.shape}")
    return _cross(A, X, theta, cat)


def gram_grad(X: np.ndarray, theta: np.ndarray, cat: np.ndarray, W: np.ndarray) -> np.ndarray:
    """``1/2 sum_ab W_ab dK_ab/dtheta``, shape (d + 2,), for symmetric W of shape (n, n)
    (only its lower triangle is read)."""
    X, theta, cat = _check(X, theta, cat)
    W = np.ascontiguousarray(W, dtype=np.float64)
    if W.shape != (len(X), len(X)):
        raise ValueError(f"W must have shape ({len(X)}, {len(X)}), got {W.shape}")
    return _gram_grad(X, theta, cat, W)


def cross_grad(
    A: np.ndarray, X: np.ndarray, theta: np.ndarray, cat: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``k(A, X)`` of shape (m, n) and its gradient wrt A's rows, shape (m, n, d)."""
    X, theta, cat = _check(X, theta, cat)
    A = np.ascontiguousarray(A, dtype=np.float64)
    if A.ndim != 2 or A.shape[1] != X.shape[1]:
        raise ValueError(f"A must have shape (m, {X.shape[1]}), got {A.shape}")
    return _cross_grad(A, X, theta, cat)
