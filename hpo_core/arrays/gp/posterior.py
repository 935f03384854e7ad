"""The GP posterior on feature rows, with its factorisation grown row by row.

The ``GP`` holds one factorisation: feature rows ``F``, targets ``z``, hyperparameters
``theta``, the Cholesky factor ``L`` of ``K`` and its inverse ``Linv``. ``GP.append`` grows it
by rows in O(n^2) each (new observations between refits, or fantasies for pending points) and
returns a new ``GP``; the original is left as it was. Notation in ``hpo_core.arrays.gp``.
"""

from __future__ import annotations

import math

import numpy as np

from hpo_core.arrays.gp.cholesky import _append_row, cholesky, triangular_inverse
from hpo_core.arrays.gp.kernels import _cross, _cross_grad, _gram

__all__ = ["GP"]


class GP:
    """A factorised GP posterior on feature rows (see the module docstring).

    Parameters
    ----------
    F : ndarray of shape (n, d)
    z : ndarray of shape (n,)
    theta : ndarray of shape (d + 2,)
    cat : ndarray of shape (d,), bool
    capacity : int, optional
        Rows to reserve for growth without reallocation.
    """

    def __init__(
        self,
        F: np.ndarray,
        z: np.ndarray,
        theta: np.ndarray,
        cat: np.ndarray,
        capacity: int | None = None,
    ) -> None:
        F = np.ascontiguousarray(F, dtype=np.float64)
        self.theta = np.ascontiguousarray(theta, dtype=np.float64)
        self.cat = np.ascontiguousarray(cat, dtype=np.bool_)
        self.s2 = math.exp(self.theta[-2])
        L, self.jitter = cholesky(_gram(F, self.theta, self.cat))
        n = len(F)
        self._alloc(max(n + 8, int(1.1 * n), capacity or 0), F.shape[1])
        self._n = n
        self._F[:n], self._L[:n, :n], self._Li[:n, :n] = F, L, triangular_inverse(L)
        self.set_targets(z)

    def _alloc(self, cap: int, d: int) -> None:
        self._F = np.empty((cap, d))
        self._L = np.zeros((cap, cap))
        self._Li = np.zeros((cap, cap))

    @property
    def n(self) -> int:
        return self._n

    @property
    def F(self) -> np.ndarray:
        """Feature rows, shape (n, d)."""
        return self._F[: self._n]

    @property
    def L(self) -> np.ndarray:
        """Lower Cholesky factor of K, shape (n, n) (a view)."""
        return self._L[: self._n, : self._n]

    @property
    def Linv(self) -> np.ndarray:
        """Inverse of L, lower triangular, shape (n, n) (a view)."""
        return self._Li[: self._n, : self._n]

    @property
    def Kinv(self) -> np.ndarray:
        """Inverse of K, ``Linv' Linv``, shape (n, n) (computed on each call)."""
        Li = self.Linv
        return Li.T @ Li

    def set_targets(self, z: np.ndarray) -> None:
        """Replace the targets z (n,) (after a new output transform); O(n^2)."""
        self.z = np.ascontiguousarray(z, dtype=np.float64).reshape(-1)
        if len(self.z) != self._n:
            raise ValueError(f"z must have shape ({self._n},), got {self.z.shape}")
        Li = self.Linv
        self.alpha = Li.T @ (Li @ self.z)

    def copy(self, extra: int = 0) -> GP:
        """An independent copy with room for ``extra`` more rows."""
        out = object.__new__(GP)
        out.theta, out.cat, out.s2, out.jitter = self.theta, self.cat, self.s2, self.jitter
        n = self._n
        out._alloc(n + extra, self._F.shape[1])
        out._n = n
        out._F[:n], out._L[:n, :n], out._Li[:n, :n] = self.F, self.L, self.Linv
        out.z, out.alpha = self.z, self.alpha
        return out

    def append(self, F_new: np.ndarray, z_new: np.ndarray, inplace: bool = False) -> GP:
        """The GP with rows F_new (m, d) and targets z_new (m,) added, in O(m n^2).

        Returns a new GP unless ``inplace``. Factorises from scratch (with jitter) when a new
        pivot is not safely positive (a duplicate point with tiny noise, say).
        """
        F_new = np.atleast_2d(np.asarray(F_new, dtype=np.float64))
        z_all = np.concatenate([self.z, np.asarray(z_new, dtype=np.float64).reshape(-1)])
        m = len(F_new)
        if len(z_all) != self._n + m:
            raise ValueError(f"z_new must have shape ({m},)")
        gp = self if inplace else self.copy(extra=m)
        n = gp._n
        if n + m > len(gp._F):
            grown = gp.copy(extra=max(m, n // 4 + 8))
            gp._F, gp._L, gp._Li = grown._F, grown._L, grown._Li
        diag = gp.s2 + math.exp(gp.theta[-1]) + gp.jitter
        for f in F_new:
            k = _cross(f[None, :], gp.F, gp.theta, gp.cat)[0]
            if not _append_row(gp._L, gp._Li, gp._n, k, diag):
                F_all = np.vstack([gp.F, F_new[len(gp.F) - n :]])
                fresh = GP(F_all, z_all, gp.theta, gp.cat)
                gp.__dict__.update(fresh.__dict__)
                return gp
            gp._F[gp._n] = f
            gp._n += 1
        gp.set_targets(z_all)
        return gp

    def predict(self, A: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Posterior mean and latent variance at feature rows A (m, d): two arrays (m,).

        The variance is ``s2 - |Linv k|^2``: a sum of squares through the inverse factor keeps
        its precision where ``k' Kinv k`` (the inverse of K) loses it, on smooth objectives
        with hundreds of points (K's condition number near 1/eps)."""
        Kc = _cross(np.ascontiguousarray(A, dtype=np.float64), self.F, self.theta, self.cat)
        mu = Kc @ self.alpha
        V = Kc @ self.Linv.T  # rows Linv k, (m, n)
        var = self.s2 - np.einsum("ij,ij->i", V, V)
        return mu, var

    def predict_grad(self, A: np.ndarray) -> tuple[np.ndarray, ...]:
        """Mean (m,), variance (m,) and their gradients wrt A's rows, (m, d) each."""
        A = np.ascontiguousarray(A, dtype=np.float64)
        Kc, G = _cross_grad(A, self.F, self.theta, self.cat)
        mu = Kc @ self.alpha
        Li = self.Linv
        V = Kc @ Li.T  # rows Linv k
        var = self.s2 - np.einsum("ij,ij->i", V, V)
        W = V @ Li  # rows Kinv k
        dmu = np.einsum("mnd,n->md", G, self.alpha)
        dvar = -2.0 * np.einsum("mnd,mn->md", G, W)
        return mu, var, dmu, dvar
