"""Output transform, marginal likelihood, hyperparameter fit and the GP posterior.

The ``GP`` holds one factorisation: feature rows ``F``, targets ``z``, hyperparameters
``theta``, the Cholesky factor ``L`` of ``K`` and ``Kinv``. ``GP.append`` grows it by rows in
O(n^2) each (new observations between refits, or fantasies for pending points) and returns a
new ``GP``; the original is left as it was. Notation in ``hpo_core.gp``.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.linalg import lapack, solve_triangular
from scipy.optimize import minimize

from hpo_core.gp.kernels import _cross, _cross_grad, _gram, _gram_grad

__all__ = ["GP", "OutputTransform", "Prior", "neg_log_posterior", "fit_theta", "cholesky"]

_LOG_2PI = math.log(2.0 * math.pi)


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
        hi, lo = u > 2.0, u < -10.0
        u[hi] = 2.0 + np.log1p(u[hi] - 2.0)
        u[lo] = -10.0 - np.log1p(-10.0 - u[lo])
        return u

    def __call__(self, y: np.ndarray) -> np.ndarray:
        """z of shape (n,) for y of shape (n,)."""
        return (self._warp(y) - self.mean) / self.sd


class Prior:
    """Weak priors on theta: log-normal lengthscales whose centre grows with log(d)/2 (the
    sqrt(d) scaling of Hvarfner et al. 2024, "Vanilla Bayesian optimization performs great in
    high dimensions"), log-normal signal and noise variances; and the box L-BFGS-B keeps."""

    def __init__(self, d: int, noise_floor: float = 1e-6) -> None:
        self.d = d
        self.mean = np.concatenate([np.full(d, math.sqrt(2.0) + 0.5 * math.log(d)), [0.0, -5.0]])
        self.sd = np.concatenate([np.full(d, math.sqrt(3.0)), [1.5, 2.0]])
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
        r = (theta - self.mean) / self.sd
        return float(-0.5 * r @ r), -r / self.sd


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


def _inverse(L: np.ndarray) -> np.ndarray:
    Kinv, info = lapack.dpotri(L, lower=1)
    if info != 0:
        raise np.linalg.LinAlgError("dpotri failed")
    return np.tril(Kinv) + np.tril(Kinv, -1).T


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
    K = _gram(F, theta, cat)
    L, _ = cholesky(K)
    alpha, _ = lapack.dpotrs(L, z, lower=1)
    Kinv = _inverse(L)
    W = np.outer(alpha, alpha)
    W -= Kinv
    g = _gram_grad(F, theta, cat, W)
    lp, glp = prior.logpdf(theta)
    nll = 0.5 * float(z @ alpha) + float(np.sum(np.log(np.diag(L)))) + 0.5 * len(z) * _LOG_2PI
    return nll - lp, -g - glp


def fit_theta(
    F: np.ndarray,
    z: np.ndarray,
    cat: np.ndarray,
    prior: Prior,
    starts: list[np.ndarray],
    maxiter: int = 200,
) -> np.ndarray:
    """Hyperparameters maximising the log posterior: L-BFGS-B from each start, best kept.

    Returns the best theta of shape (d + 2,); the first start when every run failed.
    """
    best, best_val = np.clip(starts[0], prior.bounds[:, 0], prior.bounds[:, 1]), np.inf
    for t0 in starts:
        t0 = np.clip(t0, prior.bounds[:, 0], prior.bounds[:, 1])
        try:
            res = minimize(
                neg_log_posterior,
                t0,
                args=(F, z, cat, prior),
                jac=True,
                method="L-BFGS-B",
                bounds=prior.bounds,
                options={"maxiter": maxiter},
            )
        except (np.linalg.LinAlgError, ValueError, FloatingPointError):
            continue
        if np.isfinite(res.fun) and res.fun < best_val and np.all(np.isfinite(res.x)):
            best, best_val = res.x, float(res.fun)
    return best


class GP:
    """A factorised GP posterior on feature rows (see the module docstring).

    Parameters
    ----------
    F : ndarray of shape (n, d)
    z : ndarray of shape (n,)
    theta : ndarray of shape (d + 2,)
    cat : ndarray of shape (d,), bool
    """

    def __init__(self, F: np.ndarray, z: np.ndarray, theta: np.ndarray, cat: np.ndarray) -> None:
        self.F = np.ascontiguousarray(F, dtype=np.float64)
        self.theta = np.ascontiguousarray(theta, dtype=np.float64)
        self.cat = np.ascontiguousarray(cat, dtype=np.bool_)
        self.s2 = math.exp(self.theta[-2])
        self.L, self.jitter = cholesky(_gram(self.F, self.theta, self.cat))
        self.Kinv = _inverse(self.L)
        self.set_targets(z)

    def set_targets(self, z: np.ndarray) -> None:
        """Replace the targets z (n,) (after a new output transform); O(n^2)."""
        self.z = np.ascontiguousarray(z, dtype=np.float64)
        self.alpha = self.Kinv @ self.z

    @property
    def n(self) -> int:
        return len(self.F)

    def append(self, F_new: np.ndarray, z_new: np.ndarray) -> GP:
        """A new GP with rows F_new (m, d) and targets z_new (m,) added, in O(m n^2).

        Falls back to factorising from scratch (with jitter) when a new pivot is not safely
        positive (a duplicate point with tiny noise).
        """
        F_new = np.atleast_2d(np.asarray(F_new, dtype=np.float64))
        z_all = np.concatenate([self.z, np.asarray(z_new, dtype=np.float64).reshape(-1)])
        L, Kinv, F = self.L, self.Kinv, self.F
        diag = self.s2 + math.exp(self.theta[-1]) + self.jitter
        for f in F_new:
            k = _cross(f[None, :], F, self.theta, self.cat)[0]
            l = solve_triangular(L, k, lower=True, check_finite=False)
            piv = diag - float(l @ l)
            if not piv > 1e-10 * diag:
                return GP(np.vstack([self.F, F_new]), z_all, self.theta, self.cat)
            p = math.sqrt(piv)
            n = len(F)
            L2 = np.zeros((n + 1, n + 1))
            L2[:n, :n] = L
            L2[n, :n] = l
            L2[n, n] = p
            r = np.empty(n + 1)
            r[:n] = -(Kinv @ k) / p
            r[n] = 1.0 / p
            K2 = np.empty((n + 1, n + 1))
            K2[:n, :n] = Kinv
            K2[n, :n] = 0.0
            K2[:n, n] = 0.0
            K2[n, n] = 0.0
            K2 += np.outer(r, r)
            L, Kinv, F = L2, K2, np.vstack([F, f])
        out = object.__new__(GP)
        out.F, out.theta, out.cat, out.s2 = F, self.theta, self.cat, self.s2
        out.L, out.Kinv, out.jitter = L, Kinv, self.jitter
        out.set_targets(z_all)
        return out

    def predict(self, A: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Posterior mean and latent variance at feature rows A (m, d): two arrays (m,)."""
        Kc = _cross(np.ascontiguousarray(A, dtype=np.float64), self.F, self.theta, self.cat)
        mu = Kc @ self.alpha
        var = self.s2 - np.einsum("ij,ij->i", Kc @ self.Kinv, Kc)
        return mu, var

    def predict_grad(self, A: np.ndarray) -> tuple[np.ndarray, ...]:
        """Mean (m,), variance (m,) and their gradients wrt A's rows, (m, d) each."""
        Kc, G = _cross_grad(np.ascontiguousarray(A, dtype=np.float64), self.F, self.theta, self.cat)
        mu = Kc @ self.alpha
        V = Kc @ self.Kinv
        var = self.s2 - np.einsum("ij,ij->i", V, Kc)
        dmu = np.einsum("mnd,n->md", G, self.alpha)
        dvar = -2.0 * np.einsum("mnd,mn->md", G, V)
        return mu, var, dmu, dvar
