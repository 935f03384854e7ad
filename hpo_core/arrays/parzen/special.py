"""Scalar special functions of the standard normal distribution, compiled.

``ndtr`` (the CDF), ``log_gauss_mass`` (the log of the probability of an interval, without
cancellation in either tail, from the log CDF of ``hpo_core.arrays.logphi``) and ``ndtri`` (the
inverse CDF, Wichura's algorithm AS 241, accurate to about 1e-16). numba has no scipy.special,
and these are all a truncated Gaussian needs. References: ``scipy.special``.
"""

from __future__ import annotations

import math

import numba

from hpo_core.arrays._numba import JIT
from hpo_core.arrays.logphi import log_cdf

SQRT2 = math.sqrt(2.0)


@numba.njit(**JIT)
def _ndtr(z: float) -> float:
    """P(Z <= z) for a standard normal Z."""
    x = z / SQRT2
    if x < -1.0 / SQRT2:
        return 0.5 * math.erfc(-x)
    if x < 1.0 / SQRT2:
        return 0.5 + 0.5 * math.erf(x)
    return 1.0 - 0.5 * math.erfc(x)


@numba.njit(**JIT)
def _log_gauss_mass(a: float, b: float) -> float:
    """log P(a <= Z <= b) for a <= b, computed in the tail where it is accurate."""
    if b <= 0.0:
        la = log_cdf(b)[0]
        return la + math.log1p(-math.exp(log_cdf(a)[0] - la))
    if a > 0.0:
        la = log_cdf(-a)[0]
        return la + math.log1p(-math.exp(log_cdf(-b)[0] - la))
    # a <= 0 < b: one minus both tails; a tail beyond 9 sigma (< 1e-19) is left out
    tails = 0.0
    if a > -9.0:
        tails += 0.5 * math.erfc(-a / SQRT2)
    if b < 9.0:
        tails += 0.5 * math.erfc(b / SQRT2)
    return math.log1p(-tails)


# AS 241 (PPND16) rational approximations, coefficients from the highest power down
_CENTRAL_NUM = (
    2.5090809287301226727e3,
    3.3430575583588128105e4,
    6.7265770927008700853e4,
    4.5921953931549871457e4,
    1.3731693765509461125e4,
    1.9715909503065514427e3,
    1.3314166789178437745e2,
    3.3871328727963666080e0,
)
_CENTRAL_DEN = (
    5.2264952788528545610e3,
    2.8729085735721942674e4,
    3.9307895800092710610e4,
    2.1213794301586595867e4,
    5.3941960214247511077e3,
    6.8718700749205790830e2,
    4.2313330701600911252e1,
    1.0,
)
_NEAR_NUM = (
    7.74545014278341407640e-4,
    2.27238449892691845833e-2,
    2.41780725177450611770e-1,
    1.27045825245236838258e0,
    3.64784832476320460504e0,
    5.76949722146069140550e0,
    4.63033784615654529590e0,
    1.42343711074968357734e0,
)
_NEAR_DEN = (
    1.05075007164441684324e-9,
    5.47593808499534494600e-4,
    1.51986665636164571966e-2,
    1.48103976427480074590e-1,
    6.89767334985100004550e-1,
    1.67638483018380384940e0,
    2.05319162663775882187e0,
    1.0,
)
_FAR_NUM = (
    2.01033439929228813265e-7,
    2.71155556874348757815e-5,
    1.24266094738807843860e-3,
    2.65321895265761230930e-2,
    2.96560571828504891230e-1,
    1.78482653991729133580e0,
    5.46378491116411436990e0,
    6.65790464350110377720e0,
)
_FAR_DEN = (
    2.04426310338993978564e-15,
    1.42151175831644588870e-7,
    1.84631831751005468180e-5,
    7.86869131145613259100e-4,
    1.48753612908506148525e-2,
    1.36929880922735805310e-1,
    5.99832206555887937690e-1,
    1.0,
)


@numba.njit(**JIT)
def _horner(coeffs: tuple, r: float) -> float:
    """The polynomial with these coefficients (highest power first) at r."""
    out = 0.0
    for c in coeffs:
        out = out * r + c
    return out


@numba.njit(**JIT)
def _ndtri(p: float) -> float:
    """The z with P(Z <= z) = p (AS 241, PPND16); -inf at 0, inf at 1, NaN outside [0, 1]."""
    if not 0.0 <= p <= 1.0:
        return math.nan
    q = p - 0.5
    if abs(q) <= 0.425:
        r = 0.180625 - q * q
        return q * _horner(_CENTRAL_NUM, r) / _horner(_CENTRAL_DEN, r)
    r = p if q < 0.0 else 1.0 - p
    if r <= 0.0:
        return -math.inf if q < 0.0 else math.inf
    r = math.sqrt(-math.log(r))
    if r <= 5.0:
        r -= 1.6
        val = _horner(_NEAR_NUM, r) / _horner(_NEAR_DEN, r)
    else:
        r -= 5.0
        val = _horner(_FAR_NUM, r) / _horner(_FAR_DEN, r)
    return -val if q < 0.0 else val
