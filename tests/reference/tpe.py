"""Plain numpy / scipy references for the compiled TPE kernels (hpo_core.arrays.parzen)."""

from __future__ import annotations

import numpy as np
from scipy import special

EPS = 1e-12


def log_gauss_mass(a, b):
    """log P(a <= Z <= b), elementwise, from scipy's log_ndtr in the accurate tail."""
    a, b = np.broadcast_arrays(np.asarray(a, float), np.asarray(b, float))
    out = np.empty(a.shape)
    left = b <= 0
    right = a > 0
    mid = ~(left | right)
    with np.errstate(divide="ignore"):
        lb, la = special.log_ndtr(b[left]), special.log_ndtr(a[left])
        out[left] = lb + np.log1p(-np.exp(la - lb))
        la, lb = special.log_ndtr(-a[right]), special.log_ndtr(-b[right])
        out[right] = la + np.log1p(-np.exp(lb - la))
        out[mid] = np.log1p(-special.ndtr(a[mid]) - special.ndtr(-b[mid]))
    return out


def level(u, k):
    return np.minimum(np.floor(np.clip(u, 0.0, 1.0) * k), k - 1).astype(int)


def bins(u, k, offset):
    """(left, right) of the bins of the encoded values u of an integer column with k values."""
    u = np.asarray(u, float)
    if offset > 0:
        la, lw = np.log(offset), np.log(offset + k) - np.log(offset)
        j = np.clip(np.floor(np.exp(la + np.clip(u, 0, 1) * lw) - offset), 0, k - 1)
        return (np.log(offset + j) - la) / lw, (np.log(offset + j + 1) - la) / lw
    j = level(u, k)
    return j / k, (j + 1) / k


def neighbour_sigmas(mu, consider_endpoints):
    n = mu.size
    order = np.argsort(mu, kind="stable")
    s = np.concatenate([[0.0], mu[order], [1.0]])
    sig = np.maximum(s[1:-1] - s[:-2], s[2:] - s[1:-1])
    if not consider_endpoints and n >= 2:
        sig[0] = s[2] - s[1]
        sig[-1] = s[-2] - s[-3]
    out = np.empty(n)
    out[order] = sig
    return out


def fit(X, w, kinds, levels, prior_weight, magic_clip, consider_endpoints, scott):
    """(logw (K,), mus (q, K), sigmas (q, K), lnorm (q, K), logp (q, K, L))."""
    n, q = X.shape
    K = n + 1
    L = max([1] + [int(levels[c]) for c in range(q) if kinds[c] == 2])
    if n == 0:
        logw = np.zeros(1)
    else:
        ww = np.append(w, prior_weight)
        logw = np.log(ww / ww.sum())
    mus = np.full((q, K), 0.5)
    sigmas = np.ones((q, K))
    lnorm = np.zeros((q, K))
    logp = np.full((q, K, L), -np.inf)
    minsigma = 1.0 / min(100.0, 1.0 + K) if magic_clip else EPS
    for c in range(q):
        k = int(levels[c])
        if kinds[c] == 2:
            p = np.full((K, k), prior_weight / K)
            p[np.arange(n), level(X[:, c], k)] += 1.0
            p[n] = 1.0
            logp[c, :, :k] = np.log(p / p.sum(axis=1, keepdims=True))
            continue
        if n:
            sig = np.full(n, 0.2 * n ** (-1.0 / (q + 4))) if scott else None
            if sig is None:
                sig = neighbour_sigmas(X[:, c], consider_endpoints)
            mus[c, :n] = X[:, c]
            sigmas[c, :n] = np.clip(sig, minsigma, 1.0)
        lz = log_gauss_mass(-mus[c] / sigmas[c], (1 - mus[c]) / sigmas[c])
        lnorm[c] = lz + np.log(sigmas[c]) + 0.5 * np.log(2 * np.pi) if kinds[c] == 0 else lz
    return logw, mus, sigmas, lnorm, logp


def logpdf(X, logw, mus, sigmas, lnorm, logp, kinds, levels, offsets):
    """log densities (m,) of the rows of X (m, q) on the unit cube, by a full logsumexp."""
    m, q = X.shape
    terms = np.tile(logw, (m, 1))
    for c in range(q):
        k = int(levels[c])
        u = X[:, c][:, None]
        if kinds[c] == 2:
            terms += logp[c][:, level(X[:, c], k)].T + np.log(k)
        elif kinds[c] == 0:
            z = (u - mus[c]) / sigmas[c]
            terms -= 0.5 * z**2 + lnorm[c]
        else:
            left, right = bins(X[:, c], k, offsets[c])
            left, right = left[:, None], right[:, None]
            mass = log_gauss_mass((left - mus[c]) / sigmas[c], (right - mus[c]) / sigmas[c])
            terms += mass - lnorm[c] - np.log(right - left)
    return special.logsumexp(terms, axis=1)


def sample(U, logw, mus, sigmas, logp, kinds, levels):
    """Points (m, q) drawn from the mixture with the uniforms U (m, q + 1)."""
    m = U.shape[0]
    q = len(kinds)
    cw = np.cumsum(np.exp(logw))
    kern = np.minimum(np.searchsorted(cw, U[:, 0] * cw[-1], side="right"), len(cw) - 1)
    out = np.empty((m, q))
    for c in range(q):
        u = U[:, c + 1]
        if kinds[c] == 2:
            k = int(levels[c])
            cp = np.cumsum(np.exp(logp[c][kern][:, :k]), axis=1)
            j = np.minimum((cp <= u[:, None]).sum(axis=1), k - 1)
            out[:, c] = (j + 0.5) / k
            continue
        mu, s = mus[c][kern], sigmas[c][kern]
        a, b = -mu / s, (1 - mu) / s
        left = a < 0
        z = np.empty(m)
        pa = special.ndtr(a[left])
        z[left] = special.ndtri(pa + u[left] * (special.ndtr(b[left]) - pa))
        pb = special.ndtr(-a[~left])
        z[~left] = -special.ndtri(pb - u[~left] * (pb - special.ndtr(-b[~left])))
        out[:, c] = np.clip(mu + s * np.clip(z, a, b), 0.0, 1.0)
    return out


def propose(Xl, wl, Xg, wg, U, kinds, levels, offsets, prior_weight, clip, endpoints, scott):
    lest = fit(Xl, wl, kinds, levels, prior_weight, clip, endpoints, scott)
    gest = fit(Xg, wg, kinds, levels, prior_weight, clip, endpoints, scott)
    cand = sample(U, lest[0], lest[1], lest[2], lest[4], kinds, levels)
    score = logpdf(cand, *lest, kinds, levels, offsets) - logpdf(
        cand, *gest, kinds, levels, offsets
    )
    return cand, score


def recency_weights(n, flat=25):
    """Optuna's default_weights."""
    if n == 0:
        return np.asarray([])
    if n < flat:
        return np.ones(n)
    return np.concatenate([np.linspace(1.0 / n, 1.0, num=n - flat), np.ones(flat)])
