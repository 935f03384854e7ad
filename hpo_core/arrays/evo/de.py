"""Differential-evolution mutation and binomial crossover on the unit cube.

Two schemes (Storn and Price, 1997; Zhang and Sanderson, 2009 for current-to-best):

- ``rand/1/bin``: ``v = x[r1] + F (x[r2] - x[r3])``
- ``current-to-best/1/bin``: ``v = x[i] + F (x[best] - x[i]) + F (x[r1] - x[r2])``

then binomial crossover with the target ``x[i]`` (each column from ``v`` with probability
``CR``, and column ``jrand`` always). A mutant column that leaves [0, 1] is put halfway between
the target's value and the bound it crossed ("midpoint-target" repair), so children stay
inside the box without piling up on its faces as clipping would.
"""

from __future__ import annotations

import numba
import numpy as np

from hpo_core.arrays._numba import JIT

__all__ = ["DE_SCHEMES", "de_mutation"]

#: scheme name -> kernel code
DE_SCHEMES = {"rand/1/bin": 0, "current-to-best/1/bin": 1}


@numba.njit(**JIT)
def _de_mutation(X, target, r, best, F, CR, cu, jrand, scheme):
    m = len(target)
    d = X.shape[1]
    out = np.empty((m, d))
    for i in range(m):
        t = target[i]
        for j in range(d):
            xt = X[t, j]
            if cu[i, j] < CR or j == jrand[i]:
                if scheme == 0:
                    v = X[r[i, 0], j] + F * (X[r[i, 1], j] - X[r[i, 2], j])
                else:
                    v = xt + F * (X[best, j] - xt) + F * (X[r[i, 0], j] - X[r[i, 1], j])
                if v < 0.0:
                    v = 0.5 * xt
                elif v > 1.0:
                    v = 0.5 * (xt + 1.0)
                out[i, j] = v
            else:
                out[i, j] = xt
    return out


def de_mutation(
    X: np.ndarray,
    target: np.ndarray,
    r: np.ndarray,
    best: int,
    F: float,
    CR: float,
    cu: np.ndarray,
    jrand: np.ndarray,
    scheme: str = "rand/1/bin",
) -> np.ndarray:
    """Trial vectors of differential evolution for the given targets.

    Parameters
    ----------
    X : ndarray of shape (n, d)
        The population on the unit cube.
    target : ndarray of int, shape (m,)
        Index of each child's target (parent) in ``X``.
    r : ndarray of int, shape (m, 3)
        Distinct random indices per child (the caller keeps them apart from the target);
        current-to-best uses the first two.
    best : int
        Index of the best individual (used by current-to-best only).
    F : float
        Differential weight, in (0, 2].
    CR : float
        Crossover rate, in [0, 1].
    cu : ndarray of shape (m, d)
        Uniform draws in [0, 1) for the binomial crossover.
    jrand : ndarray of int, shape (m,)
        The column each child takes from the mutant whatever the draws.
    scheme : {"rand/1/bin", "current-to-best/1/bin"}

    Returns
    -------
    ndarray of shape (m, d)
        Children, inside [0, 1] when ``X`` is.
    """
    if scheme not in DE_SCHEMES:
        raise ValueError(f"scheme must be one of {sorted(DE_SCHEMES)}, got {scheme!r}")
    X = np.ascontiguousarray(X, dtype=np.float64)
    if X.ndim != 2 or len(X) < 1:
        raise ValueError(f"X must have shape (n, d) with n >= 1, got {X.shape}")
    n, d = X.shape
    target = np.ascontiguousarray(target, dtype=np.int64)
    m = len(target)
    r = np.ascontiguousarray(r, dtype=np.int64)
    jrand = np.ascontiguousarray(jrand, dtype=np.int64)
    cu = np.ascontiguousarray(cu, dtype=np.float64)
    if target.ndim != 1 or r.shape != (m, 3) or jrand.shape != (m,) or cu.shape != (m, d):
        raise ValueError(
            f"expected target (m,), r (m, 3), jrand (m,), cu (m, d) with m={m}, d={d}; got "
            f"{target.shape}, {r.shape}, {jrand.shape}, {cu.shape}"
        )
    for name, idx, hi in (("target", target, n), ("r", r, n), ("jrand", jrand, d)):
        if idx.size and (idx.min() < 0 or idx.max() >= hi):
            raise ValueError(f"{name} must hold indices in [0, {hi - 1}]")
    if not 0 <= int(best) < n:
        raise ValueError(f"best must be an index in [0, {n - 1}], got {best!r}")
    if not 0.0 < F <= 2.0:
        raise ValueError(f"F must be in (0, 2], got {F!r}")
    if not 0.0 <= CR <= 1.0:
        raise ValueError(f"CR must be in [0, 1], got {CR!r}")
    return _de_mutation(X, target, r, int(best), float(F), float(CR), cu, jrand, DE_SCHEMES[scheme])
