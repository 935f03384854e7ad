"""Plain numpy reference of the compiled EHVI kernel in ``hpo_core.arrays.gp.ehvi``.

Written for clarity: the region below the reference that the front leaves undominated is cut
into the cells of the grid drawn by the front's coordinates (no box decomposition), and the
expected improvement of each cell is the product over objectives of ``psi(u) - psi(l)`` with
``psi(z) = E[(z - Y)_+] = (z - mu) Phi(t) + sigma phi(t)``, ``t = (z - mu) / sigma``, from
scipy's normal distribution (not in log space: for points near the front only).
"""

from __future__ import annotations

import itertools

import numpy as np
from scipy.stats import norm


def psi(z, mu, sigma):
    """E[(z - Y)_+] for Y ~ N(mu, sigma^2), elementwise (0 where z is -inf)."""
    z = np.asarray(z, dtype=float)
    t = (np.where(np.isfinite(z), z, 0.0) - mu) / sigma
    out = (np.where(np.isfinite(z), z, 0.0) - mu) * norm.cdf(t) + sigma * norm.pdf(t)
    return np.where(np.isfinite(z), out, 0.0)


def cells(front, ref, floor):
    """(lower, upper) of every grid cell below ref that no front point weakly dominates."""
    k = len(ref)
    axes = [np.unique(np.concatenate([[floor[j], ref[j]], front[:, j]])) for j in range(k)]
    axes = [a[(a >= floor[j]) & (a <= ref[j])] for j, a in enumerate(axes)]
    out = []
    for idx in itertools.product(*[range(len(a) - 1) for a in axes]):
        lo = np.array([axes[j][i] for j, i in enumerate(idx)])
        hi = np.array([axes[j][i + 1] for j, i in enumerate(idx)])
        if not any(np.all(p <= lo) for p in front):
            out.append((lo, hi))
    return out


def ehvi(mu, var, front, ref, floor):
    """EHVI (m,) of independent Gaussians (m, k) over the cells of ``cells``."""
    front = np.asarray(front, dtype=float).reshape(-1, len(ref))
    found = cells(front, np.asarray(ref, float), np.asarray(floor, float))
    lo = np.array([c[0] for c in found])
    hi = np.array([c[1] for c in found])
    out = np.zeros(len(mu))
    for i in range(len(mu)):
        s = np.sqrt(var[i])
        out[i] = np.sum(np.prod(psi(hi, mu[i], s) - psi(lo, mu[i], s), axis=1))
    return out
