"""Maximising the acquisition over a mixed space of real, integer and categorical columns.

1. Score a large candidate set (quasi-random points and perturbations of the incumbents,
   discrete columns snapped) in one vectorised pass: compiled cross-kernel, one matrix
   product for the variances, compiled acquisition.
2. From the best distinct candidates, a box L-BFGS run from each (``hpo_core.arrays.lbfgs``: the
   runs are independent, evaluated together in one compiled pass per round), moving the real
   columns and the integer columns with many values; the kernel sees the integers rounded
   (``snap``) once the runs end.
3. A local search over the discrete columns of the best points: every choice of a categorical
   with few choices (a random subset of them when many), neighbouring values of an integer.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numba
import numpy as np

from hpo_core.arrays._numba import JIT
from hpo_core.arrays.gp.acquisition import ACQUISITIONS, _acquisition
from hpo_core.arrays.gp.kernels import _k_and_dk, _sqdist, features
from hpo_core.arrays.gp.posterior import GP
from hpo_core.arrays.lbfgs import minimize_box

__all__ = ["AcquisitionProblem", "maximize"]


class AcquisitionProblem:
    """The acquisition of one GP, with what is needed to evaluate it on the unit cube.

    Parameters
    ----------
    gp : GP
    best : float
        Incumbent (transformed scale).
    kind : {"logei", "ucb", "pi"}
    beta : float
    levels : ndarray of shape (d,)
        Choices of each categorical column (0 elsewhere).
    snap : callable (m, d) -> (m, d)
        Moves discrete columns to the centre of their value.
    """

    #: which columns are discrete (integer or categorical), shape (d,); set by ``maximize``
    discrete: np.ndarray
    #: the number of values of each integer column (0 elsewhere), shape (d,); set by ``maximize``
    int_levels: np.ndarray

    def __init__(
        self,
        gp: GP,
        best: float,
        kind: str,
        beta: float,
        levels: np.ndarray,
        snap: Callable[[np.ndarray], np.ndarray],
    ) -> None:
        if not isinstance(kind, str) or kind not in ACQUISITIONS:
            raise ValueError(f"kind must be one of {sorted(ACQUISITIONS)}, got {kind!r}")
        self.gp, self.best, self.code, self.beta = gp, float(best), ACQUISITIONS[kind], beta
        self.levels = np.asarray(levels, dtype=np.int64)
        self.snap = snap

    def score(self, X: np.ndarray) -> np.ndarray:
        """Acquisition values (m,) at points X (m, d), taken as they are (snap them first)."""
        mu, var = self.gp.predict(features(X, self.levels))
        return _acquisition(mu, var, self.best, self.code, self.beta)[0]

    def value_grad(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Values (m,) and gradients (m, d) wrt the continuous columns of X (m, d), in one
        compiled pass."""
        gp = self.gp
        return _value_grad(
            np.ascontiguousarray(X, dtype=np.float64),
            self.levels,
            gp.F,
            gp.theta,
            gp.cat,
            gp.alpha,
            gp._Li,  # the contiguous buffer: its leading (n, n) block is Linv
            self.best,
            self.code,
            self.beta,
        )


@numba.njit(fastmath={"reassoc", "contract"}, **JIT)
def _value_grad(X, levels, F, theta, cat, alpha, Li, best, code, beta):  # pragma: no cover
    """Acquisition values (m,) at points X (m, d) of the cube and their gradients (m, d).

    Li may be a larger buffer whose leading (n, n) block is the inverse of K's lower Cholesky
    factor. The variance is ``s2 - |v|^2`` with ``v = Linv k`` (see ``GP.predict``), its
    gradient ``-2 (dk/dx)' u`` with ``u = Linv' v = Kinv k``. Compiled with reassociation
    and fused multiply-adds allowed (no other fastmath flag: inf and NaN keep their meaning),
    so that its long sums are vectorised: three times faster at 1,600 points."""
    m, d = X.shape
    n = F.shape[0]
    w = np.exp(-2.0 * theta[:d])
    s2 = math.exp(theta[d])
    A = X.copy()
    for j in range(d):
        if levels[j] > 0:
            for i in range(m):
                A[i, j] = min(math.floor(min(max(X[i, j], 0.0), 1.0) * levels[j]), levels[j] - 1)
    mu = np.zeros(m)
    var = np.full(m, s2)
    dmu = np.zeros((m, d))
    dvar = np.zeros((m, d))
    Kp = np.empty((m, n))
    G = np.empty((m, n, d))
    for i in range(m):
        for b in range(n):
            kb, dk = _k_and_dk(_sqdist(A, i, F, b, w, cat), s2)
            Kp[i, b] = kb
            mu[i] += kb * alpha[b]
            for j in range(d):
                g = 0.0 if cat[j] else 2.0 * dk * w[j] * (A[i, j] - F[b, j])
                G[i, b, j] = g
                dmu[i, j] += g * alpha[b]
    # V = Linv k and U = Linv' V = Kinv k for all rows at once, reading Linv row by row (twice
    # in all, whatever m: at thousands of points it no longer fits in cache)
    V = np.zeros((m, n))
    U = np.zeros((m, n))
    for r in range(n):
        for i in range(m):
            t = 0.0
            for b in range(r + 1):
                t += Li[r, b] * Kp[i, b]
            V[i, r] = t
            var[i] -= t * t
    for r in range(n):
        for i in range(m):
            vr = V[i, r]
            for b in range(r + 1):
                U[i, b] += Li[r, b] * vr
    for i in range(m):
        for b in range(n):
            for j in range(d):
                dvar[i, j] -= 2.0 * G[i, b, j] * U[i, b]
    a, gmu, gvar = _acquisition(mu, var, best, code, beta)
    grad = np.empty((m, d))
    for i in range(m):
        for j in range(d):
            grad[i, j] = gmu[i] * dmu[i, j] + gvar[i] * dvar[i, j]
    return a, grad


def _distinct_top(X: np.ndarray, a: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k best rows of X by a that are pairwise distinct."""
    order = np.argsort(-a, kind="stable")
    out: list[int] = []
    for i in order:
        if all(np.max(np.abs(X[i] - X[j])) > 1e-9 for j in out):
            out.append(int(i))
            if len(out) == k:
                break
    return np.asarray(out, dtype=np.int64)


def _local_search(
    prob: AcquisitionProblem, x: np.ndarray, a: float, rng: np.random.Generator, passes: int = 3
) -> tuple[np.ndarray, float]:
    """Improve x over its discrete columns, one column at a time, all variants scored at once."""
    levels = prob.levels
    disc = np.flatnonzero(prob.discrete)
    if len(disc) == 0:
        return x, a
    for _ in range(passes):
        variants = []
        for j in disc:
            k = int(levels[j]) if levels[j] > 0 else int(prob.int_levels[j])
            if levels[j] > 0:
                choices = np.arange(k) if k <= 32 else rng.choice(k, 32, replace=False)
                vals = (choices + 0.5) / k
            else:
                vals = x[j] + np.array([-2.0, -1.0, 1.0, 2.0]) / k
            V = np.repeat(x[None, :], len(vals), axis=0)
            V[:, j] = np.clip(vals, 0.0, 1.0)
            variants.append(V)
        V = prob.snap(np.vstack(variants))
        s = prob.score(V)
        i = int(np.argmax(s))
        if not s[i] > a:
            break
        x, a = V[i], float(s[i])
    return x, a


def maximize(
    prob: AcquisitionProblem,
    candidates: np.ndarray,
    incumbents: np.ndarray,
    rng: np.random.Generator,
    kinds: np.ndarray,
    levels: np.ndarray,
    exclude: np.ndarray,
    n_starts: int = 5,
    maxiter: int = 100,
) -> tuple[np.ndarray, float] | None:
    """The point of the cube (d,) that maximises the acquisition, and its value.

    Parameters
    ----------
    prob : AcquisitionProblem
    candidates : ndarray of shape (c, d)
        Quasi-random points on the cube.
    incumbents : ndarray of shape (k, d)
        The best points seen; perturbed copies of them join the candidates.
    rng : numpy Generator
    kinds, levels : ndarray of shape (d,)
        0 real, 1 integer, 2 categorical; number of values (0 for reals).
    exclude : ndarray of shape (e, d)
        Points not to return (observed, pending, already in the batch).

    Returns
    -------
    (x, value), or None when every point scored is in ``exclude``.
    """
    kinds = np.asarray(kinds)
    levels = np.asarray(levels)
    cont = (kinds == 0) | ((kinds == 1) & (levels > 16))
    prob.discrete = kinds != 0
    prob.int_levels = np.where(kinds == 1, levels, 0)
    pert = []
    for scale in (0.02, 0.1):
        P = incumbents + scale * rng.standard_normal(incumbents.shape) * cont
        pert.append(np.clip(P, 0.0, 1.0))
    C = prob.snap(np.vstack([candidates, incumbents, *pert]))
    a = prob.score(C)
    bad = ~np.isfinite(a)
    a[bad] = -np.inf
    top = _distinct_top(C, a, n_starts)
    pool_X, pool_a = [C], [a]
    if np.any(cont) and len(top):
        X0 = C[top]
        # each start is its own problem; the discrete columns are held where they are, and so
        # are the columns snap puts back (inactive conditional ones: moving them changes the
        # kernel's view of the start but not the point it decodes to)
        far = np.where(X0 < 0.5, 1.0, 0.0)
        free = cont & (prob.snap(np.where(cont, far, X0)) != X0)
        lo = np.where(free, 0.0, X0)
        hi = np.where(free, 1.0, X0)

        def fun(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            val, g = prob.value_grad(X)
            return -val, -g  # a non-finite value or gradient is a failed point to the search

        try:
            Xb, _, _ = minimize_box(fun, X0, lo, hi, maxiter=maxiter, ftol=1e-8)
            Xb = prob.snap(Xb)
            pool_X.append(Xb)
            pool_a.append(prob.score(Xb))
        except (ValueError, np.linalg.LinAlgError, FloatingPointError):
            pass
    Xp, ap = np.vstack(pool_X), np.concatenate(pool_a)
    ap[~np.isfinite(ap)] = -np.inf
    order = np.argsort(-ap, kind="stable")
    if np.any(prob.discrete):
        refined = []
        for i in order[:2]:
            refined.append(_local_search(prob, Xp[i], float(ap[i]), rng))
        Xr = np.array([r[0] for r in refined])
        Xp = np.vstack([Xr, Xp])
        ap = np.concatenate([[r[1] for r in refined], ap])
        order = np.argsort(-ap, kind="stable")
    for i in order:
        x = Xp[i]
        if len(exclude) == 0 or np.min(np.max(np.abs(exclude - x), axis=1)) > 1e-9:
            return x, float(ap[i])
    return None
