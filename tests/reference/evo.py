"""Plain numpy references of the compiled evolutionary operators in ``hpo_core.arrays.evo``.

Written for clarity (vectorised where that reads naturally), from the same formulas; the tests
feed both the same random draws and compare.
"""

from __future__ import annotations

import math

import numpy as np


def tournament(fitness, candidates):
    f = np.where(np.isnan(fitness), np.inf, fitness)[candidates]
    return candidates[np.arange(len(candidates)), np.argmin(f, axis=1)]


def sbx(p1, p2, u, cross, swap, eta):
    lo, hi = np.minimum(p1, p2), np.maximum(p1, p2)
    mid, half = 0.5 * (lo + hi), 0.5 * (hi - lo)
    active = cross & (np.abs(p1 - p2) > 1e-14)
    with np.errstate(divide="ignore", invalid="ignore"):
        beta = 1.0 + np.minimum(lo, 1.0 - hi) / half
        alpha = 2.0 - beta ** (-(eta + 1.0))
        ua = u * alpha
        betaq = np.where(ua <= 1.0, ua ** (1 / (eta + 1)), (1.0 / (2.0 - ua)) ** (1 / (eta + 1)))
    x1 = np.clip(mid - betaq * half, 0, 1)
    x2 = np.clip(mid + betaq * half, 0, 1)
    x1, x2 = np.where(swap, x2, x1), np.where(swap, x1, x2)
    return np.where(active, x1, p1), np.where(active, x2, p2)


def polynomial_mutation(X, u, mutate, eta):
    e = eta + 1.0
    with np.errstate(invalid="ignore"):
        low = (2 * u + (1 - 2 * u) * (1 - X) ** e) ** (1 / e) - 1
        high = 1 - (2 * (1 - u) + 2 * (u - 0.5) * X**e) ** (1 / e)
    return np.where(mutate, np.clip(X + np.where(u < 0.5, low, high), 0, 1), X)


def uniform_crossover(p1, p2, swap):
    return np.where(swap, p2, p1), np.where(swap, p1, p2)


def random_reset(X, reset, values):
    return np.where(reset, values, X)


def de_mutation(X, target, r, best, F, CR, cu, jrand, scheme):
    xt = X[target]
    if scheme == "rand/1/bin":
        v = X[r[:, 0]] + F * (X[r[:, 1]] - X[r[:, 2]])
    else:
        v = xt + F * (X[best] - xt) + F * (X[r[:, 0]] - X[r[:, 1]])
    v = np.where(v < 0, 0.5 * xt, np.where(v > 1, 0.5 * (xt + 1), v))
    take = (cu < CR) | (np.arange(X.shape[1])[None, :] == jrand[:, None])
    return np.where(take, v, xt)


def cma_sample(mean, sigma, B, D, Z):
    Y = Z @ (B * D).T
    return mean + sigma * Y, Y


def cma_update(mean, sigma, C, pc, ps, B, D, Xsel, params, gen, min_std=None, sigma_next=None):
    """Hansen's tutorial (2016), Fig. 6, active weights; returns mean, sigma, C, pc, ps, B, D."""
    d = len(mean)
    k = len(Xsel)
    mu = min(k, params.mu)
    w = params.weights[:k].copy()
    if k < params.mu:
        w /= w.sum()
    mueff = 1 / np.sum(w[:mu] ** 2) if k < params.mu else params.mueff
    cs, ds, cc, c1, cmu, chiN = (
        params.cs,
        params.ds,
        params.cc,
        params.c1,
        params.cmu,
        params.chiN,
    )
    Y = (Xsel - mean) / sigma
    yw = w[:mu] @ Y[:mu]
    m = mean + sigma * yw
    C_inv_sqrt = B @ np.diag(1 / D) @ B.T
    ps = (1 - cs) * ps + math.sqrt(cs * (2 - cs) * mueff) * C_inv_sqrt @ yw
    sigma_new = sigma * math.exp(cs / ds * (np.linalg.norm(ps) / chiN - 1))
    if sigma_next is not None:
        sigma_new = sigma_next
    hs = (
        np.linalg.norm(ps) / math.sqrt(1 - (1 - cs) ** (2 * (gen + 1))) < (1.4 + 2 / (d + 1)) * chiN
    )
    pc = (1 - cc) * pc + hs * math.sqrt(cc * (2 - cc) * mueff) * yw
    delta = (1 - hs) * cc * (2 - cc)
    norms = np.sum((Y @ C_inv_sqrt.T) ** 2, axis=1)
    wo = np.where(np.arange(k) < mu, w, w * d / norms)
    C = (1 + c1 * delta - c1 - cmu * w.sum()) * C + c1 * np.outer(pc, pc) + cmu * (Y.T * wo) @ Y
    if min_std is not None:
        s = sigma_new * np.sqrt(np.diag(C))
        f = np.where((min_std > 0) & (s < min_std), min_std / s, 1.0)
        C = C * np.outer(f, f)
    C = 0.5 * (C + C.T)
    ev, B = np.linalg.eigh(C)
    return m, sigma_new, C, pc, ps, B, np.sqrt(np.maximum(ev, 1e-300))
