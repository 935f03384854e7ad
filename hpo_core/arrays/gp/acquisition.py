"""Acquisition functions (to maximise) of a posterior mean and variance, with gradients.

All work on values to *minimise*: the improvement is ``best - mu``.

- ``"logei"``: log expected improvement, ``log sigma + log h(u)`` with ``h(u) = phi(u) + u
  Phi(u)`` and ``u = (best - mu) / sigma``. ``log h`` is evaluated without underflow however
  far below the incumbent a point is (the ``log_h`` of Ament et al. 2023, "Unexpected
  improvements to expected improvement"): directly for ``u > -1``; as ``log phi(u) + log(1 + u
  m(u))`` with the Mills ratio ``m = Phi / phi`` from a scaled complementary error function for
  ``-25 <= u <= -1``; and from the asymptotic series of ``1 + u m`` below ``-25``.
- ``"ucb"``: the lower confidence bound, negated: ``-mu + beta sigma``.
- ``"pi"``: log probability of improvement, ``log Phi(u)``, stable in the same way
  (``hpo_core.arrays.logphi``).
"""

from __future__ import annotations

import math

import numba
import numpy as np

from hpo_core.arrays._numba import JIT
from hpo_core.arrays.logphi import (
    HALF_LOG_2PI,
    INV_SQRT2,
    SQRT_HALF_PI,
    TAIL,
    erfcx,
    log_cdf,
    tail_series,
)

__all__ = ["ACQUISITIONS", "VAR_MIN", "acquisition", "log_h"]

#: name -> code passed to the compiled kernels
ACQUISITIONS: dict[str, int] = {"logei": 0, "ucb": 1, "pi": 2}
#: variances are floored here (a point on top of an observation still has a finite log EI)
VAR_MIN = 1e-12


@numba.njit(**JIT)
def _log_h(u):  # pragma: no cover - compiled
    """log h(u) and d log h / du, for h(u) = phi(u) + u Phi(u)."""
    if u > -1.0:
        cdf = 0.5 * math.erfc(-u * INV_SQRT2)
        h = math.exp(-0.5 * u * u - HALF_LOG_2PI) + u * cdf
        return math.log(h), cdf / h
    if u >= TAIL:
        m = SQRT_HALF_PI * erfcx(-u * INV_SQRT2)
        q = 1.0 + u * m
        return -0.5 * u * u - HALF_LOG_2PI + math.log(q), m / q
    m, logq = tail_series(u)
    return -0.5 * u * u - HALF_LOG_2PI + logq, m / math.exp(logq)


@numba.njit(**JIT)
def _acquisition(mu, var, best, kind, beta):  # pragma: no cover - compiled
    """Values a (m,) and their partial derivatives wrt mu and var, each of shape (m,)."""
    m = mu.shape[0]
    val = np.empty(m)
    gmu = np.empty(m)
    gvar = np.empty(m)
    for i in range(m):
        v = var[i]
        floored = v < VAR_MIN
        if floored:
            v = VAR_MIN
        s = math.sqrt(v)
        if kind == 1:
            val[i] = -mu[i] + beta * s
            gmu[i] = -1.0
            gvar[i] = 0.5 * beta / s
        else:
            u = (best - mu[i]) / s
            if kind == 0:
                lh, dlh = _log_h(u)
                val[i] = 0.5 * math.log(v) + lh
                gvar[i] = 0.5 / v - dlh * 0.5 * u / v
            else:
                lh, dlh = log_cdf(u)
                val[i] = lh
                gvar[i] = -dlh * 0.5 * u / v
            gmu[i] = -dlh / s
        if floored:
            gvar[i] = 0.0
    return val, gmu, gvar


def acquisition(
    mu: np.ndarray, var: np.ndarray, best: float, kind: str = "logei", beta: float = 2.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Acquisition values (to maximise) and their derivatives wrt mean and variance.

    Parameters
    ----------
    mu, var : ndarray of shape (m,)
        Posterior mean and variance of the latent function (values to minimise).
    best : float
        The incumbent.
    kind : {"logei", "ucb", "pi"}
    beta : float
        UCB's multiple of sigma.

    Returns
    -------
    a, da_dmu, da_dvar : ndarray of shape (m,)
    """
    if not isinstance(kind, str) or kind not in ACQUISITIONS:
        raise ValueError(f"kind must be one of {sorted(ACQUISITIONS)}, got {kind!r}")
    mu = np.ascontiguousarray(mu, dtype=np.float64).reshape(-1)
    var = np.ascontiguousarray(var, dtype=np.float64).reshape(-1)
    if mu.shape != var.shape:
        raise ValueError(f"mu and var must have the same shape, got {mu.shape} and {var.shape}")
    return _acquisition(mu, var, float(best), ACQUISITIONS[kind], float(beta))


def log_h(u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``log h(u)`` and its derivative, elementwise, for ``h(u) = phi(u) + u Phi(u)``."""
    u = np.asarray(u, dtype=np.float64)
    out = np.array([_log_h(float(x)) for x in u.reshape(-1)]).reshape(*u.shape, 2)
    return out[..., 0], out[..., 1]
