"""Acquisition functions (to maximise) of a posterior mean and variance, with gradients.

All work on values to *minimise*: the improvement is ``best - mu``.

- ``"logei"``: log expected improvement, ``log sigma + log h(u)`` with ``h(u) = phi(u) + u
  Phi(u)`` and ``u = (best - mu) / sigma``. ``log h`` is evaluated without underflow however
  far below the incumbent a point is (the ``log_h`` of Ament et al. 2023, "Unexpected
  improvements to expected improvement"): directly for ``u > -1``; as ``log phi(u) + log(1 + u
  m(u))`` with the Mills ratio ``m = Phi / phi`` from a scaled complementary error function for
  ``-25 <= u <= -1``; and from the asymptotic series of ``1 + u m`` below ``-25``.
- ``"ucb"``: the lower confidence bound, negated: ``-mu + beta sigma``.
- ``"pi"``: log probability of improvement, ``log Phi(u)``, stable in the same way.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from hpo_core.arrays._numba import JIT

__all__ = ["ACQUISITIONS", "VAR_MIN", "acquisition", "log_h"]

#: name -> code passed to the compiled kernels
ACQUISITIONS: dict[str, int] = {"logei": 0, "ucb": 1, "pi": 2}
#: variances are floored here (a point on top of an observation still has a finite log EI)
VAR_MIN = 1e-12

_C1 = 0.5 * math.log(2.0 * math.pi)  # log sqrt(2 pi)
_SQRT_HALF_PI = math.sqrt(0.5 * math.pi)
_INV_SQRT2 = 1.0 / math.sqrt(2.0)
_TAIL = -25.0


@numba.njit(**JIT)
def _erfcx(x):  # pragma: no cover - compiled
    """exp(x^2) erfc(x), accurate for every x with x^2 < 700 and for all x > 0."""
    if x < 26.0:
        return math.exp(x * x) * math.erfc(x)
    t = 1.0 / (2.0 * x * x)
    s = 1.0 - t * (1.0 - 3.0 * t * (1.0 - 5.0 * t * (1.0 - 7.0 * t * (1.0 - 9.0 * t))))
    return s / (x * math.sqrt(math.pi))


@numba.njit(**JIT)
def _tail_series(u):  # pragma: no cover - compiled
    """For u < -25: m(u) = Phi(u)/phi(u) and q(u) = 1 + u m(u) from their asymptotic series
    (q returned as log q)."""
    t = 1.0 / (u * u)
    m = (
        1.0
        - t
        * (1.0 - 3.0 * t * (1.0 - 5.0 * t * (1.0 - 7.0 * t * (1.0 - 9.0 * t * (1.0 - 11.0 * t)))))
    ) / (-u)
    # q = t (1 - 3t + 15t^2 - 105t^3 + 945t^4 - 10395t^5)
    s = -3.0 * t * (1.0 - 5.0 * t * (1.0 - 7.0 * t * (1.0 - 9.0 * t * (1.0 - 11.0 * t))))
    logq = math.log(t) + math.log1p(s)
    return m, logq


@numba.njit(**JIT)
def _log_h(u):  # pragma: no cover - compiled
    """log h(u) and d log h / du, for h(u) = phi(u) + u Phi(u)."""
    if u > -1.0:
        cdf = 0.5 * math.erfc(-u * _INV_SQRT2)
        h = math.exp(-0.5 * u * u - _C1) + u * cdf
        return math.log(h), cdf / h
    if u >= _TAIL:
        m = _SQRT_HALF_PI * _erfcx(-u * _INV_SQRT2)
        q = 1.0 + u * m
        return -0.5 * u * u - _C1 + math.log(q), m / q
    m, logq = _tail_series(u)
    return -0.5 * u * u - _C1 + logq, m / math.exp(logq)


@numba.njit(**JIT)
def _log_cdf(u):  # pragma: no cover - compiled
    """log Phi(u) and its derivative phi(u)/Phi(u)."""
    if u > -1.0:
        cdf = 0.5 * math.erfc(-u * _INV_SQRT2)
        pdf = math.exp(-0.5 * u * u - _C1)
        if u > 3.0:
            return math.log1p(-0.5 * math.erfc(u * _INV_SQRT2)), pdf / cdf
        return math.log(cdf), pdf / cdf
    if u >= _TAIL:
        m = _SQRT_HALF_PI * _erfcx(-u * _INV_SQRT2)
    else:
        m, _ = _tail_series(u)
    return -0.5 * u * u - _C1 + math.log(m), 1.0 / m


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
                lh, dlh = _log_cdf(u)
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
    if kind not in ACQUISITIONS:
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
