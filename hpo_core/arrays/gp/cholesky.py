"""Cholesky factors of the kernel matrix K and their inverses.

``cholesky`` factorises with LAPACK, adding jitter when K is not numerically positive
definite; ``_cholesky_inverse`` factorises and inverts small matrices in compiled code (no
jitter: it reports failure instead); ``_append_row`` grows a factor and its inverse by one row
in O(n^2). Notation in ``hpo_core.arrays.gp``.
"""

from __future__ import annotations

import math

import numba
import numpy as np
from scipy.linalg import lapack

from hpo_core.arrays._numba import JIT

__all__ = ["cholesky", "triangular_inverse"]


def cholesky(K: np.ndarray) -> tuple[np.ndarray, float]:
    """Lower Cholesky factor of K (n, n), adding jitter to the diagonal when it fails.

    Returns ``L`` and the jitter added (0.0 when none). Raises ``np.linalg.LinAlgError`` when
    the factorisation fails and the mean diagonal is not positive and finite, or when even a
    jitter of 1e-2 times the mean diagonal fails. NaN entries need not make LAPACK fail: the
    factor then holds NaN.
    """
    L, info = lapack.dpotrf(K, lower=1, clean=1, overwrite_a=0)
    if info == 0:
        return L, 0.0
    scale = float(np.mean(np.diag(K))) if len(K) else 1.0
    if not np.isfinite(scale) or scale <= 0:
        raise np.linalg.LinAlgError("kernel matrix has a non-positive or non-finite diagonal")
    for e in range(-10, -1):
        jitter = scale * 10.0**e
        L, info = lapack.dpotrf(K + jitter * np.eye(len(K)), lower=1, clean=1)
        if info == 0:
            return L, jitter
    raise np.linalg.LinAlgError("kernel matrix is not positive definite even with jitter")


def triangular_inverse(L: np.ndarray) -> np.ndarray:
    """The inverse of a lower triangular L (n, n), lower triangular."""
    Li, info = lapack.dtrtri(L, lower=1)
    if info != 0:
        raise np.linalg.LinAlgError("dtrtri failed")
    return np.tril(Li)


@numba.njit(**JIT)
def _cholesky_inverse(K):  # pragma: no cover - compiled
    """Lower Cholesky factor L of K (n, n) and K^-1, or (None-like) empty arrays when K is not
    safely positive definite."""
    n = K.shape[0]
    L = np.zeros((n, n))
    for j in range(n):
        s = K[j, j]
        for k in range(j):
            s -= L[j, k] * L[j, k]
        if not s > 1e-12 * K[j, j]:
            return np.empty((0, 0)), np.empty((0, 0))
        L[j, j] = math.sqrt(s)
        for i in range(j + 1, n):
            s = K[i, j]
            for k in range(j):
                s -= L[i, k] * L[j, k]
            L[i, j] = s / L[j, j]
    Li = np.zeros((n, n))  # L^-1, lower triangular, column by column
    for j in range(n):
        Li[j, j] = 1.0 / L[j, j]
        for i in range(j + 1, n):
            s = 0.0
            for k in range(j, i):
                s -= L[i, k] * Li[k, j]
            Li[i, j] = s / L[i, i]
    Kinv = np.empty((n, n))  # Li^T Li
    for a in range(n):
        for b in range(a + 1):
            s = 0.0
            for k in range(a, n):
                s += Li[k, a] * Li[k, b]
            Kinv[a, b] = s
            Kinv[b, a] = s
    return L, Kinv


@numba.njit(**JIT)
def _append_row(Lb, Lib, n, k, diag):  # pragma: no cover - compiled
    """Grow the factor ``Lb[:n, :n]`` and its inverse ``Lib[:n, :n]`` in place by the row of
    kernel values k (n,) with diagonal entry diag. False (nothing changed) when the new pivot
    is not safely positive.

    With ``l = L^-1 k`` and ``p = sqrt(diag - l'l)``, the new factor is ``[[L, 0], [l', p]]``
    and its inverse ``[[Linv, 0], [-l' Linv / p, 1 / p]]``."""
    lv = np.empty(n)
    piv = diag
    for i in range(n):
        s = k[i]
        for j in range(i):
            s -= Lb[i, j] * lv[j]
        lv[i] = s / Lb[i, i]
        piv -= lv[i] * lv[i]
    if not piv > 1e-10 * diag:
        return False
    p = math.sqrt(piv)
    row = np.zeros(n)  # l' Linv, row by row of Linv (row-major)
    for i in range(n):
        li = lv[i]
        for j in range(i + 1):
            row[j] += li * Lib[i, j]
    for j in range(n):
        Lib[n, j] = -row[j] / p
        Lib[j, n] = 0.0
        Lb[n, j] = lv[j]
        Lb[j, n] = 0.0
    Lb[n, n] = p
    Lib[n, n] = 1.0 / p
    return True
