"""Output transform, marginal likelihood, hyperparameter fit and the GP posterior.

The ``GP`` holds one factorisation: feature rows ``F``, targets ``z``, hyperparameters
``theta``, the Cholesky factor ``L`` of ``K`` and its inverse ``Linv``. ``GP.append`` grows it
by rows in O(n^2) each (new observations between refits, or fantasies for pending points) and
returns a new ``GP``; the original is left as it was. Notation in ``hpo_core.gp``.
"""

from __future__ import annotations

import math

import numba
import numpy as np
from scipy.linalg import lapack

from hpo_core.arrays._numba import JIT
from hpo_core.arrays.lbfgs import minimize_box
from hpo_core.gp.kernels import _cross, _cross_grad, _gram, _gram_dk, _gram_grad_kd

__all__ = ["GP", "OutputTransform", "Prior", "neg_log_posterior", "fit_theta", "cholesky"]

_LOG_2PI = math.log(2.0 * math.pi)
#: spread of the log-lengthscale prior: Hvarfner et al. use sqrt(3); 1.0 (same mode) kept
#: fewer Hartmann-6 runs in a local basin and did as well on Branin (10 seeds each)
LS_SD = 1.0
NOISE_MEAN = -5.0


class OutputTransform:
    """Robust scaling of the values to minimise, so any finite ``y`` gives a usable ``z``.

    ``y`` is divided by its largest magnitude (so values spanning 1e-200 to 1e200 neither
    overflow nor lose their order among the large ones), centred on its median and scaled by
    its interquartile range; the bad tail beyond 2 and the good tail beyond -10 are compressed
    logarithmically (a few huge values do not flatten the rest); finally standardised. Constant
    ``y`` gives ``z = 0``. The map is increasing, so the order of the values is kept.
    """

    def __init__(self, y: np.ndarray) -> None:
        y = np.asarray(y, dtype=np.float64)
        if y.ndim != 1 or len(y) == 0 or not np.all(np.isfinite(y)):
            raise ValueError("y must be a non-empty 1-d array of finite values")
        c = float(np.max(np.abs(y)))
        self.c = c if c > 0 else 1.0
        y0 = y / self.c
        self.med = float(np.median(y0))
        q25, q75 = np.percentile(y0, [25, 75])
        s = (q75 - q25) / 1.349
        if not s > 1e-300:
            s = float(np.max(np.abs(y0 - self.med)))
        self.s = s if s > 1e-300 else 1.0
        w = self._warp(y)
        self.mean = float(np.mean(w))
        sd = float(np.std(w))
        self.sd = sd if sd > 1e-12 else 1.0

    def _warp(self, y: np.ndarray) -> np.ndarray:
        u = (np.asarray(y, dtype=np.float64) / self.c - self.med) / self.s
        hi, lo = u > 2.0, u < -50.0
        u[hi] = 2.0 + np.log1p(u[hi] - 2.0)
        u[lo] = -50.0 - np.log1p(-50.0 - u[lo])
        return u

    def __call__(self, y: np.ndarray) -> np.ndarray:
        """z of shape (n,) for y of shape (n,)."""
        return (self._warp(y) - self.mean) / self.sd


class Prior:
    """Weak priors on theta: log-normal lengthscales whose centre grows with log(d)/2 (the
    sqrt(d) scaling of Hvarfner et al. 2024, "Vanilla Bayesian optimization performs great in
    high dimensions"), log-normal signal and noise variances; and the box the hyperparameter
    fit keeps."""

    def __init__(self, d: int, noise_floor: float = 1e-6) -> None:
        self.d = d
        # log-normal(sqrt2 + log(d)/2, sqrt3) on each lengthscale and log-normal(-4, 1) on the
        # noise, as densities of l and noise themselves: in log coordinates a normal centred
        # on the log of their mode (mu - sigma^2); the lengthscales' spread is LS_SD
        ls = math.sqrt(2.0) + 0.5 * math.log(d) - 3.0
        self.mean = np.concatenate([np.full(d, ls), [0.0, NOISE_MEAN]])
        self.sd = np.concatenate([np.full(d, LS_SD), [1.5, 1.0]])
        # below its centre the noise prior is four times wider: deterministic objectives
        # (most benchmarks, many training runs with fixed seeds) want a noise near the floor
        self.sd_low = self.sd.copy()
        self.sd_low[-1] = 4.0
        lo = np.concatenate([np.full(d, math.log(1e-2)), [math.log(1e-3), math.log(noise_floor)]])
        hi = np.concatenate([np.full(d, math.log(1e3)), [math.log(1e3), 0.0]])
        self.bounds = np.stack([lo, hi], axis=1)

    def mode(self) -> np.ndarray:
        """The prior's centre, clipped into the bounds, shape (d + 2,)."""
        return np.clip(self.mean, self.bounds[:, 0], self.bounds[:, 1])

    def sample(self, rng: np.random.Generator) -> np.ndarray:
        """A draw from the prior (half its spread), clipped into the bounds."""
        t = self.mean + 0.5 * self.sd * rng.standard_normal(len(self.mean))
        return np.clip(t, self.bounds[:, 0], self.bounds[:, 1])

    def logpdf(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        """Log density (up to a constant) and its gradient wrt theta."""
        sd = np.where(theta < self.mean, self.sd_low, self.sd)
        r = (theta - self.mean) / sd
        return float(-0.5 * r @ r), -r / sd


def cholesky(K: np.ndarray) -> tuple[np.ndarray, float]:
    """Lower Cholesky factor of K (n, n), adding jitter to the diagonal when it fails.

    Returns ``L`` and the jitter added (0.0 when none). Raises ``np.linalg.LinAlgError`` when
    even a jitter of 1e-2 times the mean diagonal fails (a matrix with NaN, say).
    """
    L, info = lapack.dpotrf(K, lower=1, clean=1, overwrite_a=0)
    if info == 0:
        return L, 0.0
    scale = float(np.mean(np.diag(K))) if len(K) else 1.0
    if not np.isfinite(scale) or scale <= 0:
        raise np.linalg.LinAlgError("kernel matrix has a non-positive or non-finite diagonal")
    for e in range(-10, -1):
        jitter = scale * 10.0**e
        L, info = lapack.dpotrf(K + jitter * np.eye(len(K)), lower=1, clean=1)
        if info == 0:
            return L, jitter
    raise np.linalg.LinAlgError("kernel matrix is not positive definite even with jitter")


def _triangular_inverse(L: np.ndarray) -> np.ndarray:
    Li, info = lapack.dtrtri(L, lower=1)
    if info != 0:
        raise np.linalg.LinAlgError("dtrtri failed")
    return np.tril(Li)


def neg_log_posterior(
    theta: np.ndarray, F: np.ndarray, z: np.ndarray, cat: np.ndarray, prior: Prior
) -> tuple[float, np.ndarray]:
    """Negative log marginal likelihood minus log prior, and its gradient wrt theta.

    Parameters
    ----------
    theta : ndarray of shape (d + 2,)
    F : ndarray of shape (n, d)
        Feature rows (``kernels.features``).
    z : ndarray of shape (n,)
    cat : ndarray of shape (d,), bool
    prior : Prior

    Returns
    -------
    value : float
    grad : ndarray of shape (d + 2,)
    """
    K, D = _gram_dk(F, theta, cat)
    L, _ = cholesky(K)
    alpha, _ = lapack.dpotrs(L, z, lower=1)
    Kinv, info = lapack.dpotri(L, lower=1)  # lower triangle only: all _gram_grad_kd reads
    if info != 0:
        raise np.linalg.LinAlgError("dpotri failed")
    W = np.outer(alpha, alpha)
    W -= Kinv
    g = _gram_grad_kd(F, theta, cat, W, K, D)
    lp, glp = prior.logpdf(theta)
    nll = 0.5 * float(z @ alpha) + float(np.sum(np.log(np.diag(L)))) + 0.5 * len(z) * _LOG_2PI
    return nll - lp, -g - glp


#: up to this many rows the compiled likelihood (``_nlp``) is faster than LAPACK from Python
NLP_COMPILED_MAX = 64


@numba.njit(**JIT)
def _cholesky_inverse(K):  # pragma: no cover - compiled
    """Lower Cholesky factor L of K (n, n) and K^-1, or (None-like) empty arrays when K is not
    safely positive definite."""
    n = K.shape[0]
    L = np.zeros((n, n))
    for j in range(n):
        s = K[j, j]
        for k in range(j):
            s -= L[j, k] * L[j, k]
        if not s > 1e-12 * K[j, j]:
            return np.empty((0, 0)), np.empty((0, 0))
        L[j, j] = math.sqrt(s)
        for i in range(j + 1, n):
            s = K[i, j]
            for k in range(j):
                s -= L[i, k] * L[j, k]
            L[i, j] = s / L[j, j]
    Li = np.zeros((n, n))  # L^-1, lower triangular, column by column
    for j in range(n):
        Li[j, j] = 1.0 / L[j, j]
        for i in range(j + 1, n):
            s = 0.0
            for k in range(j, i):
                s -= L[i, k] * Li[k, j]
            Li[i, j] = s / L[i, i]
    Kinv = np.empty((n, n))  # Li^T Li
    for a in range(n):
        for b in range(a + 1):
            s = 0.0
            for k in range(a, n):
                s += Li[k, a] * Li[k, b]
            Kinv[a, b] = s
            Kinv[b, a] = s
    return L, Kinv


@numba.njit(**JIT)
def _nlp(theta, F, z, cat, mean, sd, sd_low):  # pragma: no cover - compiled
    """``neg_log_posterior`` in one compiled pass for small n, without jitter: the value is
    NaN when K is not safely positive definite (the caller then takes the jittered path)."""
    n = len(z)
    K, D = _gram_dk(F, theta, cat)
    L, Kinv = _cholesky_inverse(K)
    if L.shape[0] != n:
        return math.nan, np.zeros(len(theta))
    alpha = np.zeros(n)  # Kinv z, by loops: a matrix product would compile BLAS bindings
    for a in range(n):
        for b in range(n):
            alpha[a] += Kinv[a, b] * z[b]
    W = np.empty((n, n))
    quad = 0.0
    logdet = 0.0
    for a in range(n):
        quad += z[a] * alpha[a]
        logdet += math.log(L[a, a])
        for b in range(a + 1):
            W[a, b] = alpha[a] * alpha[b] - Kinv[a, b]
    g = _gram_grad_kd(F, theta, cat, W, K, D)
    value = 0.5 * quad + logdet + 0.5 * n * _LOG_2PI
    grad = np.empty(len(theta))
    for i in range(len(theta)):
        s = sd_low[i] if theta[i] < mean[i] else sd[i]
        r = (theta[i] - mean[i]) / s
        value += 0.5 * r * r
        grad[i] = -g[i] + r / s
    return value, grad


def _nlp_rows(
    T: np.ndarray, F: np.ndarray, z: np.ndarray, cat: np.ndarray, prior: Prior
) -> tuple[np.ndarray, np.ndarray]:
    """Values (k,) and gradients (k, d + 2) of ``neg_log_posterior`` at the rows of T; inf
    where even jitter cannot factorise K."""
    vals, grads = np.full(len(T), np.inf), np.zeros(T.shape)
    small = len(z) <= NLP_COMPILED_MAX
    for i, theta in enumerate(T):
        if small:
            vals[i], grads[i] = _nlp(theta, F, z, cat, prior.mean, prior.sd, prior.sd_low)
            if np.isfinite(vals[i]):
                continue
            vals[i] = np.inf
        try:  # LAPACK from Python, with jitter when K is not positive definite
            vals[i], grads[i] = neg_log_posterior(theta, F, z, cat, prior)
        except (np.linalg.LinAlgError, ValueError, FloatingPointError):
            pass
    return vals, grads


def fit_theta(
    F: np.ndarray,
    z: np.ndarray,
    cat: np.ndarray,
    prior: Prior,
    starts: list[np.ndarray],
    maxiter: int = 200,
) -> np.ndarray:
    """Hyperparameters maximising the log posterior: box L-BFGS from each start, best kept.

    All starts run together (``hpo_core.arrays.lbfgs``). Returns the best theta of shape
    (d + 2,); the first start when every run failed.
    """
    lo, hi = prior.bounds[:, 0], prior.bounds[:, 1]
    T0 = np.clip(np.array(starts, dtype=np.float64).reshape(len(starts), -1), lo, hi)

    F = np.ascontiguousarray(F, dtype=np.float64)
    z = np.ascontiguousarray(z, dtype=np.float64)
    cat = np.ascontiguousarray(cat, dtype=np.bool_)

    def fun(T: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return _nlp_rows(T, F, z, cat, prior)

    T, vals, _ = minimize_box(fun, T0, lo, hi, maxiter=maxiter)
    ok = np.isfinite(vals) & np.all(np.isfinite(T), axis=1)
    if not ok.any():
        return T0[0]
    return T[np.flatnonzero(ok)[np.argmin(vals[ok])]]


@numba.njit(**JIT)
def _append_row(Lb, Lib, n, k, diag):  # pragma: no cover - compiled
    """Grow the factor ``Lb[:n, :n]`` and its inverse ``Lib[:n, :n]`` in place by the row of
    kernel values k (n,) with diagonal entry diag. False (nothing changed) when the new pivot
    is not safely positive.

    With ``l = L^-1 k`` and ``p = sqrt(diag - l'l)``, the new factor is ``[[L, 0], [l', p]]``
    and its inverse ``[[Linv, 0], [-l' Linv / p, 1 / p]]``."""
    lv = np.empty(n)
    piv = diag
    for i in range(n):
        s = k[i]
        for j in range(i):
            s -= Lb[i, j] * lv[j]
        lv[i] = s / Lb[i, i]
        piv -= lv[i] * lv[i]
    if not piv > 1e-10 * diag:
        return False
    p = math.sqrt(piv)
    row = np.zeros(n)  # l' Linv, row by row of Linv (row-major)
    for i in range(n):
        li = lv[i]
        for j in range(i + 1):
            row[j] += li * Lib[i, j]
    for j in range(n):
        Lib[n, j] = -row[j] / p
        Lib[j, n] = 0.0
        Lb[n, j] = lv[j]
        Lb[j, n] = 0.0
    Lb[n, n] = p
    Lib[n, n] = 1.0 / p
    return True


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
        self._F[:n], self._L[:n, :n], self._Li[:n, :n] = F, L, _triangular_inverse(L)
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
