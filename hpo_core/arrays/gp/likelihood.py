"""The marginal likelihood of the GP's hyperparameters and their fit.

``neg_log_posterior`` is the negative log marginal likelihood minus the log prior, with its
gradient, through LAPACK (jitter when K needs it); ``_nlp`` is the same in one compiled pass for
small n. ``fit_theta`` minimises it from several starts at once with the box L-BFGS. Notation in
``hpo_core.arrays.gp``.
"""

from __future__ import annotations

import math

import numba
import numpy as np
from scipy.linalg import lapack

from hpo_core.arrays._numba import JIT
from hpo_core.arrays.gp.cholesky import _cholesky_inverse, cholesky
from hpo_core.arrays.gp.kernels import _gram_dk, _gram_grad_kd
from hpo_core.arrays.gp.prior import Prior
from hpo_core.arrays.lbfgs import minimize_box

__all__ = ["NLP_COMPILED_MAX", "fit_theta", "neg_log_posterior"]

_LOG_2PI = math.log(2.0 * math.pi)


def neg_log_posterior(
    theta: np.ndarray, F: np.ndarray, z: np.ndarray, cat: np.ndarray, prior: Prior
) -> tuple[float, np.ndarray]:
    """Negative log marginal likelihood minus log prior, and its gradient wrt theta.

    Parameters
    ----------
    theta : ndarray of shape (d + 2,)
    F : ndarray of shape (n, d)
        Feature rows (``kernels.features``).
    z : ndarray of shape (n,)
    cat : ndarray of shape (d,), bool
    prior : Prior

    Returns
    -------
    value : float
    grad : ndarray of shape (d + 2,)
    """
    K, D = _gram_dk(F, theta, cat)
    L, _ = cholesky(K)
    alpha, _ = lapack.dpotrs(L, z, lower=1)
    Kinv, info = lapack.dpotri(L, lower=1)  # lower triangle only: all _gram_grad_kd reads
    if info != 0:
        raise np.linalg.LinAlgError("dpotri failed")
    W = np.outer(alpha, alpha)
    W -= Kinv
    g = _gram_grad_kd(F, theta, cat, W, K, D)
    lp, glp = prior.logpdf(theta)
    nll = 0.5 * float(z @ alpha) + float(np.sum(np.log(np.diag(L)))) + 0.5 * len(z) * _LOG_2PI
    return nll - lp, -g - glp


#: up to this many rows the compiled likelihood (``_nlp``) is faster than LAPACK from Python
NLP_COMPILED_MAX = 64


@numba.njit(**JIT)
def _nlp(theta, F, z, cat, mean, sd, sd_low):  # pragma: no cover - compiled
    """``neg_log_posterior`` in one compiled pass for small n, without jitter: the value is
    NaN when K is not safely positive definite (the caller then takes the jittered path)."""
    n = len(z)
    K, D = _gram_dk(F, theta, cat)
    L, Kinv = _cholesky_inverse(K)
    if L.shape[0] != n:
        return math.nan, np.zeros(len(theta))
    alpha = np.zeros(n)  # Kinv z, by loops: a matrix product would compile BLAS bindings
    for a in range(n):
        for b in range(n):
            alpha[a] += Kinv[a, b] * z[b]
    W = np.empty((n, n))
    quad = 0.0
    logdet = 0.0
    for a in range(n):
        quad += z[a] * alpha[a]
        logdet += math.log(L[a, a])
        for b in range(a + 1):
            W[a, b] = alpha[a] * alpha[b] - Kinv[a, b]
    g = _gram_grad_kd(F, theta, cat, W, K, D)
    value = 0.5 * quad + logdet + 0.5 * n * _LOG_2PI
    grad = np.empty(len(theta))
    for i in range(len(theta)):
        s = sd_low[i] if theta[i] < mean[i] else sd[i]
        r = (theta[i] - mean[i]) / s
        value += 0.5 * r * r
        grad[i] = -g[i] + r / s
    return value, grad


def _nlp_rows(
    T: np.ndarray, F: np.ndarray, z: np.ndarray, cat: np.ndarray, prior: Prior
) -> tuple[np.ndarray, np.ndarray]:
    """Values (k,) and gradients (k, d + 2) of ``neg_log_posterior`` at the rows of T; inf
    where even jitter cannot factorise K."""
    vals, grads = np.full(len(T), np.inf), np.zeros(T.shape)
    small = len(z) <= NLP_COMPILED_MAX
    for i, theta in enumerate(T):
        if small:
            vals[i], grads[i] = _nlp(theta, F, z, cat, prior.mean, prior.sd, prior.sd_low)
            if np.isfinite(vals[i]):
                continue
            vals[i] = np.inf
        try:  # LAPACK from Python, with jitter when K is not positive definite
            vals[i], grads[i] = neg_log_posterior(theta, F, z, cat, prior)
        except (np.linalg.LinAlgError, ValueError, FloatingPointError):
            pass
    return vals, grads


def fit_theta(
    F: np.ndarray,
    z: np.ndarray,
    cat: np.ndarray,
    prior: Prior,
    starts: list[np.ndarray],
    maxiter: int = 200,
) -> np.ndarray:
    """Hyperparameters maximising the log posterior: box L-BFGS from each start, best kept.

    All starts run together (``hpo_core.arrays.lbfgs``). Returns the best theta of shape
    (d + 2,); the first start when every run failed.
    """
    lo, hi = prior.bounds[:, 0], prior.bounds[:, 1]
    T0 = np.clip(np.array(starts, dtype=np.float64).reshape(len(starts), -1), lo, hi)

    F = np.ascontiguousarray(F, dtype=np.float64)
    z = np.ascontiguousarray(z, dtype=np.float64)
    cat = np.ascontiguousarray(cat, dtype=np.bool_)

    def fun(T: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return _nlp_rows(T, F, z, cat, prior)

    T, vals, _ = minimize_box(fun, T0, lo, hi, maxiter=maxiter)
    ok = np.isfinite(vals) & np.all(np.isfinite(T), axis=1)
    if not ok.any():
        return T0[0]
    return T[np.flatnonzero(ok)[np.argmin(vals[ok])]]
