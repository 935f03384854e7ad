"""Plain numpy references for the compiled GP kernels (hpo_core.arrays.gp)."""

from __future__ import annotations

import math

import numpy as np
from scipy import special

SQRT5 = math.sqrt(5.0)


def sqdist(A, B, theta, cat):
    """Scaled squared distances (m, n); categorical columns compared for equality."""
    d = A.shape[1]
    w = np.exp(-2.0 * theta[:d])
    diff = A[:, None, :] - B[None, :, :]
    sq = np.where(cat, (diff != 0).astype(float), diff**2)
    return np.sum(sq * w, axis=-1), diff, w


def matern(r2, s2):
    r = np.sqrt(r2)
    e = np.exp(-SQRT5 * r)
    with np.errstate(invalid="ignore"):
        return np.where(e > 0, s2 * (1 + SQRT5 * r + 5.0 / 3.0 * r2) * e, 0.0)


def dmatern_dr2(r2, s2):
    r = np.sqrt(r2)
    e = np.exp(-SQRT5 * r)
    with np.errstate(invalid="ignore"):
        return np.where(e > 0, -5.0 / 6.0 * s2 * (1 + SQRT5 * r) * e, 0.0)


def cross(A, X, theta, cat):
    d = X.shape[1]
    r2, _, _ = sqdist(A, X, theta, cat)
    return matern(r2, np.exp(theta[d]))


def gram(X, theta, cat):
    d = X.shape[1]
    return cross(X, X, theta, cat) + np.exp(theta[d + 1]) * np.eye(len(X))


def gram_derivatives(X, theta, cat):
    """dK/dtheta_i for every i: array (d + 2, n, n)."""
    n, d = X.shape
    s2, noise = np.exp(theta[d]), np.exp(theta[d + 1])
    r2, diff, w = sqdist(X, X, theta, cat)
    dk = dmatern_dr2(r2, s2)
    sq = np.where(cat, (diff != 0).astype(float), diff**2)
    out = [dk * (-2.0 * w[j] * sq[:, :, j]) for j in range(d)]
    out.append(matern(r2, s2))
    out.append(noise * np.eye(n))
    return np.array(out)


def gram_grad(X, theta, cat, W):
    return 0.5 * np.einsum("ab,iab->i", W, gram_derivatives(X, theta, cat))


def cross_grad(A, X, theta, cat):
    d = X.shape[1]
    r2, diff, w = sqdist(A, X, theta, cat)
    dk = dmatern_dr2(r2, np.exp(theta[d]))
    G = 2.0 * dk[:, :, None] * w * diff
    G[:, :, cat] = 0.0
    return cross(A, X, theta, cat), G


def neg_log_posterior(theta, X, z, cat, prior_mean, prior_sd, prior_sd_low):
    K = gram(X, theta, cat)
    _, logdet = np.linalg.slogdet(K)
    nll = 0.5 * z @ np.linalg.solve(K, z) + 0.5 * logdet + 0.5 * len(z) * math.log(2 * math.pi)
    r = (theta - prior_mean) / np.where(theta < prior_mean, prior_sd_low, prior_sd)
    return nll + 0.5 * r @ r


def posterior(A, X, z, theta, cat):
    d = X.shape[1]
    K = gram(X, theta, cat)
    Kc = cross(A, X, theta, cat)
    mu = Kc @ np.linalg.solve(K, z)
    var = np.exp(theta[d]) - np.sum(Kc * np.linalg.solve(K, Kc.T).T, axis=1)
    return mu, var


def log_h(u):
    """log(phi(u) + u Phi(u)) in double precision, fine for u > -20 or so."""
    u = np.asarray(u, dtype=float)
    h = np.exp(-0.5 * u**2) / math.sqrt(2 * math.pi) + u * special.ndtr(u)
    return np.log(h)


def acquisition(mu, var, best, kind, beta=2.0):
    s = np.sqrt(var)
    u = (best - mu) / s
    if kind == "logei":
        return np.log(s) + log_h(u)
    if kind == "pi":
        return special.log_ndtr(u)
    return -mu + beta * s
