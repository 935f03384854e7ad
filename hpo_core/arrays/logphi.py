"""log Phi, the log of the standard normal CDF, and its derivative: one compiled kernel.

``log_cdf(u)`` returns ``log Phi(u)`` and ``phi(u) / Phi(u)``, accurate however far into the
lower tail u is: from the complementary error function for ``u > -1`` (through ``log1p`` of the
upper tail above 3, where Phi is near 1); as ``log phi(u) + log m(u)`` with the Mills ratio
``m = Phi / phi`` from the scaled complementary error function ``erfcx`` for ``-25 <= u <= -1``;
and from the asymptotic series of m below -25. The acquisition (log PI, the probability of
feasibility) and the Parzen estimators' Gaussian masses both use it; ``erfcx`` and
``tail_series`` also serve the log EI.
"""

from __future__ import annotations

import math

import numba

from hpo_core.arrays._numba import JIT

__all__ = ["HALF_LOG_2PI", "INV_SQRT2", "SQRT_HALF_PI", "TAIL", "erfcx", "log_cdf", "tail_series"]

#: log sqrt(2 pi): ``log phi(u) = -u^2 / 2 - HALF_LOG_2PI``
HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)
#: below this u the Mills ratio comes from its asymptotic series
TAIL = -25.0
SQRT_HALF_PI = math.sqrt(0.5 * math.pi)
INV_SQRT2 = 1.0 / math.sqrt(2.0)


@numba.njit(**JIT)
def erfcx(x):  # pragma: no cover - compiled
    """exp(x^2) erfc(x), accurate for every x with x^2 < 700 and for all x > 0."""
    if x < 26.0:
        return math.exp(x * x) * math.erfc(x)
    t = 1.0 / (2.0 * x * x)
    s = 1.0 - t * (1.0 - 3.0 * t * (1.0 - 5.0 * t * (1.0 - 7.0 * t * (1.0 - 9.0 * t))))
    return s / (x * math.sqrt(math.pi))


@numba.njit(**JIT)
def tail_series(u):  # pragma: no cover - compiled
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
def log_cdf(u):  # pragma: no cover - compiled
    """log Phi(u) and its derivative phi(u)/Phi(u)."""
    if u > -1.0:
        cdf = 0.5 * math.erfc(-u * INV_SQRT2)
        pdf = math.exp(-0.5 * u * u - HALF_LOG_2PI)
        if u > 3.0:
            return math.log1p(-0.5 * math.erfc(u * INV_SQRT2)), pdf / cdf
        return math.log(cdf), pdf / cdf
    if u >= TAIL:
        m = SQRT_HALF_PI * erfcx(-u * INV_SQRT2)
    else:
        m, _ = tail_series(u)
    return -0.5 * u * u - HALF_LOG_2PI + math.log(m), 1.0 / m
