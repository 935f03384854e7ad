"""Parzen estimators on the unit cube: fit, log-density, sampling and the TPE score.

A Parzen estimator here is a weighted mixture of K = n + 1 product kernels: one per observation
and a last, broad *prior* kernel. Each kernel is a product over the q columns:

- real column: a Gaussian truncated to [0, 1], centred on the observation;
- integer column: the same Gaussian, but a value gets the kernel's mass over the value's interval
  of the encoding (its bin), spread evenly over that bin -- so the density is constant on each bin,
  integrates to 1, and sampling a Gaussian then reading its bin draws values with those masses
  (Optuna's discrete truncated normal; in the encoding the bins of a log-scaled integer widen
  with the value);
- categorical column with k choices: Optuna's kernel, probability ``(w0 + [c == obs]) / (k w0 + 1)``
  with ``w0 = prior_weight / K`` for choice c, uniform for the prior kernel; as a density on
  [0, 1] each choice's probability is spread over its interval of width 1/k.

All densities are densities on the unit cube (they integrate to 1 over [0, 1]^q).

Arrays (notation of ``hpo_core.arrays.parzen``): ``logw (K,)`` log mixture weights; ``mus``,
``sigmas``, ``lnorm`` of shape (q, K): centres, bandwidths and the log normaliser of each
kernel's factor (``log Z + log sigma + log sqrt(2 pi)`` for reals, ``log Z`` for integers, Z the
kernel's mass on [0, 1]); ``logp (q, K, L)`` log choice probabilities (-inf past a column's own
choices).
Columns are described by ``kinds (q,)`` (0 real, 1 integer, 2 categorical), ``levels (q,)``
and ``offsets (q,)``: 0 for a linear integer, whose value i occupies [i/k, (i+1)/k], and
``low - 0.5`` for a log-scaled one, whose bins are cut at ``log(low - 0.5 + i)`` on a log scale
from ``low - 0.5`` to ``high + 0.5``.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from hpo_core.arrays._numba import JIT
from hpo_core.arrays.logphi import HALF_LOG_2PI
from hpo_core.arrays.parzen.special import _log_gauss_mass, _ndtr, _ndtri

#: smallest bandwidth when the magic clip is off (Optuna's EPS)
EPS = 1e-12
#: an integer's bin narrower than this many bandwidths has the kernel's density at its middle
#: (its mass, a difference of two close normal CDFs, would lose every digit; the middle's
#: density is off by about FINE**2 relative)
FINE = 1e-5


@numba.njit(**JIT)
def _level(u: float, k: int) -> int:
    """The choice (or bin of a linear integer) an encoded value u falls in, in 0..k-1."""
    i = int(math.floor(u * k)) if u > 0.0 else 0
    return i if i < k else k - 1


@numba.njit(**JIT)
def _bin(u: float, k: int, offset: float) -> tuple[float, float, float]:
    """The interval [left, right] of the encoded value u of an integer column with k values,
    and its width computed without cancellation (right - left is 0 for a bin below 1e-16)."""
    if offset > 0.0:
        la = math.log(offset)
        lw = math.log(offset + k) - la
        j = int(math.floor(math.exp(la + min(max(u, 0.0), 1.0) * lw) - offset))
        j = min(max(j, 0), k - 1)
        left = (math.log(offset + j) - la) / lw
        return left, (math.log(offset + j + 1) - la) / lw, math.log1p(1.0 / (offset + j)) / lw
    j = _level(u, k)
    return j / k, (j + 1) / k, 1.0 / k


@numba.njit(**JIT)
def _argsort(v: np.ndarray) -> np.ndarray:
    """Stable argsort (bottom-up merge sort): the order np.argsort(v, kind="stable") gives.

    Written out because numba's own stable argsort takes seconds to compile.
    """
    n = v.size
    idx = np.arange(n)
    val = v.copy()
    idx2 = np.empty(n, dtype=np.int64)
    val2 = np.empty(n)
    width = 1
    while width < n:
        for lo in range(0, n, 2 * width):
            mid = min(lo + width, n)
            hi = min(lo + 2 * width, n)
            i, j = lo, mid
            for k in range(lo, hi):
                if j >= hi or (i < mid and val[i] <= val[j]):
                    val2[k] = val[i]
                    idx2[k] = idx[i]
                    i += 1
                else:
                    val2[k] = val[j]
                    idx2[k] = idx[j]
                    j += 1
        idx, idx2 = idx2, idx
        val, val2 = val2, val
        width *= 2
    return idx


@numba.njit(**JIT)
def _neighbour_sigmas(mu: np.ndarray, consider_endpoints: bool) -> np.ndarray:
    """Optuna's bandwidths: each centre's larger gap to its neighbours (0 and 1 included)."""
    n = mu.size
    order = _argsort(mu)
    s = np.empty(n + 2)
    s[0] = 0.0
    s[n + 1] = 1.0
    for i in range(n):
        s[i + 1] = mu[order[i]]
    sig = np.empty(n)
    for i in range(n):
        sig[i] = max(s[i + 1] - s[i], s[i + 2] - s[i + 1])
    if not consider_endpoints and n >= 2:
        sig[0] = s[2] - s[1]
        sig[n - 1] = s[n] - s[n - 1]
    out = np.empty(n)
    for i in range(n):
        out[order[i]] = sig[i]
    return out


@numba.njit(**JIT)
def _fit(
    X: np.ndarray,
    w: np.ndarray,
    kinds: np.ndarray,
    levels: np.ndarray,
    prior_weight: float,
    magic_clip: bool,
    consider_endpoints: bool,
    scott: bool,
):
    """The estimator of observations X (n, q) with weights w (n,).

    Returns (logw, mus, sigmas, lnorm, logp), shapes as in the module docstring.
    """
    n, q = X.shape
    K = n + 1
    L = 1
    for c in range(q):
        if kinds[c] == 2 and levels[c] > L:
            L = levels[c]
    logw = np.empty(K)
    if n == 0:
        logw[0] = 0.0
    else:
        total = prior_weight
        for i in range(n):
            total += w[i]
        log_total = math.log(total)
        for i in range(n):
            logw[i] = (0.0 if w[i] == 1.0 else math.log(w[i])) - log_total
        logw[n] = math.log(prior_weight) - log_total
    mus = np.full((q, K), 0.5)
    sigmas = np.ones((q, K))
    lnorm = np.zeros((q, K))
    logp = np.full((q, K, L), -np.inf)
    minsigma = 1.0 / min(100.0, 1.0 + K) if magic_clip else EPS
    for c in range(q):
        k = levels[c]
        if kinds[c] == 2:
            base = prior_weight / K
            lo = math.log(base / (base * k + 1.0))
            hi = math.log((base + 1.0) / (base * k + 1.0))
            for i in range(n):
                logp[c, i, :k] = lo
                logp[c, i, _level(X[i, c], k)] = hi
            logp[c, n, :k] = -math.log(k)
            continue
        if n > 0:
            if scott:
                sig = np.full(n, 0.2 * n ** (-1.0 / (q + 4)))
            else:
                sig = _neighbour_sigmas(X[:, c].copy(), consider_endpoints)
            for i in range(n):
                mus[c, i] = X[i, c]
                sigmas[c, i] = min(max(sig[i], minsigma), 1.0)
        last_s, log_s = -1.0, 0.0  # many bandwidths are equal (clipped, or Scott's)
        for i in range(K):
            mu = mus[c, i]
            s = sigmas[c, i]
            # a kernel 9 bandwidths inside both ends has mass 1 on [0, 1] to 1e-19
            lz = 0.0 if 9.0 * s < mu < 1.0 - 9.0 * s else _log_gauss_mass(-mu / s, (1.0 - mu) / s)
            if kinds[c] == 0:
                if s != last_s:
                    last_s, log_s = s, math.log(s)
                lz += log_s + HALF_LOG_2PI
            lnorm[c, i] = lz
    return logw, mus, sigmas, lnorm, logp


@numba.njit(**JIT)
def _logpdf_row(x, logw, mus, sigmas, isig, lnorm, logp, kinds, levels, offsets, buf) -> float:
    """log density of one point x (q,); isig = 1 / sigmas; buf (K,) is scratch space."""
    K = logw.size
    for i in range(K):
        buf[i] = logw[i]
    for c in range(kinds.size):
        u = x[c]
        k = levels[c]
        if kinds[c] == 2:
            j = _level(u, k)
            add = math.log(k)
            for i in range(K):
                buf[i] += logp[c, i, j] + add
        elif kinds[c] == 0:
            for i in range(K):
                z = (u - mus[c, i]) * isig[c, i]
                buf[i] -= 0.5 * z * z + lnorm[c, i]
        else:
            left, right, width = _bin(u, k, offsets[c])
            fine = not right > left  # a bin below the rounding of its ends
            lwidth = 0.0 if fine else math.log(right - left)
            for i in range(K):
                mu = mus[c, i]
                s = sigmas[c, i]
                if fine or width < FINE * s:  # the mass of so narrow a bin cancels: mid density
                    z = (left + 0.5 * width - mu) / s
                    buf[i] -= 0.5 * z * z + math.log(s) + HALF_LOG_2PI + lnorm[c, i]
                    continue
                buf[i] += _log_gauss_mass((left - mu) / s, (right - mu) / s) - lnorm[c, i] - lwidth
    top = -np.inf
    for i in range(K):
        if buf[i] > top:
            top = buf[i]
    if top == -np.inf:
        return top
    # terms below exp(-40) of the largest change the sum by < K * 4e-18 (relative): skipped
    floor = top - 40.0
    acc = 0.0
    for i in range(K):
        if buf[i] > floor:
            acc += math.exp(buf[i] - top)
    return top + math.log(acc)


@numba.njit(**JIT)
def _logpdf(X, logw, mus, sigmas, lnorm, logp, kinds, levels, offsets) -> np.ndarray:
    """log densities of the rows of X (m, q)."""
    m = X.shape[0]
    out = np.empty(m)
    buf = np.empty(logw.size)
    isig = 1.0 / sigmas
    for r in range(m):
        out[r] = _logpdf_row(
            X[r], logw, mus, sigmas, isig, lnorm, logp, kinds, levels, offsets, buf
        )
    return out


@numba.njit(**JIT)
def _trunc_ppf(u: float, a: float, b: float) -> float:
    """The u-quantile of a standard normal truncated to [a, b] (worked in the lower tail)."""
    if a < 0.0:
        pa = _ndtr(a)
        z = _ndtri(pa + u * (_ndtr(b) - pa))
    else:
        pb = _ndtr(-a)
        z = -_ndtri(pb - u * (pb - _ndtr(-b)))
    return min(max(z, a), b)


@numba.njit(**JIT)
def _sample(U, logw, mus, sigmas, logp, kinds, levels) -> np.ndarray:
    """Points drawn from the mixture with the uniforms U (m, q + 1): column 0 picks the kernel,
    column c + 1 draws column c. Integer columns come back unrounded (inside the drawn bin)."""
    m = U.shape[0]
    q = kinds.size
    K = logw.size
    cw = np.empty(K)
    acc = 0.0
    for i in range(K):
        acc += math.exp(logw[i])
        cw[i] = acc
    out = np.empty((m, q))
    for r in range(m):
        t = U[r, 0] * acc
        i = 0
        while i < K - 1 and cw[i] <= t:
            i += 1
        for c in range(q):
            u = U[r, c + 1]
            if kinds[c] == 2:
                k = levels[c]
                j = 0
                cum = math.exp(logp[c, i, 0])
                while j < k - 1 and cum <= u:
                    j += 1
                    cum += math.exp(logp[c, i, j])
                out[r, c] = (j + 0.5) / k
            else:
                mu = mus[c, i]
                s = sigmas[c, i]
                z = _trunc_ppf(u, -mu / s, (1.0 - mu) / s)
                out[r, c] = min(max(mu + s * z, 0.0), 1.0)
    return out


@numba.njit(**JIT)
def _propose(
    Xl,
    wl,
    Xg,
    wg,
    U,
    kinds,
    levels,
    offsets,
    prior_weight: float,
    magic_clip: bool,
    consider_endpoints: bool,
    scott: bool,
):
    """Fit l on (Xl, wl) and g on (Xg, wg), draw candidates from l with U (m, q + 1) and score
    them: returns (candidates (m, q), log l - log g (m,))."""
    lw, lm, ls, ln, lp = _fit(
        Xl, wl, kinds, levels, prior_weight, magic_clip, consider_endpoints, scott
    )
    gw, gm, gs, gn, gp = _fit(
        Xg, wg, kinds, levels, prior_weight, magic_clip, consider_endpoints, scott
    )
    cand = _sample(U, lw, lm, ls, lp, kinds, levels)
    score = _logpdf(cand, lw, lm, ls, ln, lp, kinds, levels, offsets)
    score -= _logpdf(cand, gw, gm, gs, gn, gp, kinds, levels, offsets)
    return cand, score
