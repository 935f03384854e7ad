"""The compiled GP surrogate for callers who run their own loop: ``fit(X, y)`` -> ``Surrogate``.

Arrays in the caller's coordinates go in; predictions and acquisition values in the units of
``y`` come out. The same kernel, priors and hyperparameter fit as the ``bayes`` strategy, with
one difference: ``y`` is standardised linearly (the strategy also compresses heavy tails), so
the mean and standard deviation returned here are exactly in the units of ``y``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from hpo_core.arrays.gp.acquisition import ACQUISITIONS, acquisition
from hpo_core.arrays.gp.likelihood import fit_theta
from hpo_core.arrays.gp.posterior import GP
from hpo_core.arrays.gp.prior import Prior

__all__ = ["Surrogate", "fit"]

ArrayLike = np.ndarray | Sequence[Sequence[float]]


def _matrix(name: str, A: ArrayLike, d: int | None = None) -> np.ndarray:
    A = np.asarray(A, dtype=np.float64)
    if A.ndim == 1 and d is not None and A.shape[0] == d:
        A = A[None, :]
    if A.ndim != 2 or (d is not None and A.shape[1] != d) or A.shape[0] == 0:
        want = f"(m, {d})" if d is not None else "(n, d)"
        raise ValueError(f"{name} must be a non-empty 2-d array of shape {want}, got {A.shape}")
    bad = ~np.isfinite(A)
    if bad.any():
        rows = sorted(set(np.nonzero(bad)[0].tolist()))[:5]
        raise ValueError(f"{name} must be finite; NaN or infinity in rows {rows}")
    return A


def _to_unit(X: np.ndarray, bounds: np.ndarray, log: np.ndarray, name: str) -> np.ndarray:
    """Rows of X (m, d) in the caller's coordinates to the unit cube of ``bounds``."""
    if np.any(X[:, log] <= 0):
        raise ValueError(f"{name} must be > 0 in the log-scaled columns")
    lo, hi = bounds[:, 0], bounds[:, 1]
    Xt = np.where(log, np.log(np.where(log, X, 1.0)), X)
    lo = np.where(log, np.log(np.where(log, lo, 1.0)), lo)
    hi = np.where(log, np.log(np.where(log, hi, 1.0)), hi)
    return (Xt - lo) / (hi - lo)


def _standardise(y: np.ndarray) -> tuple[float, float]:
    """Mean and scale of finite ``y`` that neither overflow nor give NaN, for any finite ``y``.

    The plain mean and standard deviation are kept whenever they are finite (so ordinary ``y``
    gives the same numbers as always); when summing or squaring ``y`` would overflow (``|y|``
    around 1e154 and above) both are computed on ``y`` divided by the power of two just below
    its largest magnitude (an exact division) and scaled back.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        mean = float(np.mean(y))
        scale = float(np.std(y))
    if not (math.isfinite(mean) and math.isfinite(scale)):
        c = math.ldexp(1.0, math.frexp(float(np.max(np.abs(y))))[1] - 1)
        y0 = y / c
        mean = float(np.mean(y0)) * c
        scale = float(np.std(y0)) * c
    scale = scale if scale > 1e-300 * max(1.0, abs(mean)) else 1.0
    return mean, scale


class Surrogate:
    """A fitted Matern-5/2 ARD Gaussian process (made by ``fit``).

    Attributes
    ----------
    bounds : ndarray of shape (d, 2)
        The box the inputs were scaled from (the unit cube is what the kernel sees).
    log : ndarray of shape (d,), bool
        Columns scaled on a log scale.
    lengthscales : ndarray of shape (d,)
        Fitted lengthscales on the unit cube: a short one means the column matters.
    noise : float
        Fitted observation-noise variance, in the units of ``y`` squared.
    """

    def __init__(
        self, gp: GP, bounds: np.ndarray, log: np.ndarray, mean: float, scale: float, best: float
    ) -> None:
        self._gp, self.bounds, self.log = gp, bounds, log
        self._mean, self._scale, self._best = mean, scale, best
        d = len(bounds)
        self.lengthscales = np.exp(gp.theta[:d])
        try:
            self.noise = float(math.exp(gp.theta[-1])) * scale**2
        except OverflowError:  # scale**2 overflows: inf only when the variance itself does
            root = math.sqrt(math.exp(gp.theta[-1])) * scale
            self.noise = root * root

    @property
    def d(self) -> int:
        return len(self.bounds)

    def _latent(self, Xq: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        """Standardised posterior mean and variance at the rows of Xq."""
        return self._gp.predict(_to_unit(_matrix("Xq", Xq, self.d), self.bounds, self.log, "Xq"))

    def predict(
        self, Xq: ArrayLike, return_std: bool = False
    ) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
        """Posterior mean (m,) at the rows of ``Xq`` (m, d); with ``return_std`` also the
        standard deviation (m,) of the latent function (observation noise excluded)."""
        mu, var = self._latent(Xq)
        mean = self._mean + self._scale * mu
        if not return_std:
            return mean
        return mean, self._scale * np.sqrt(np.maximum(var, 0.0))

    def acquisition(self, Xq: ArrayLike, kind: str = "logei", beta: float = 2.0) -> np.ndarray:
        """Acquisition values (m,) to maximise, for minimising ``y``: ``"logei"`` the log of
        the expected improvement over the smallest ``y`` (in ``y``'s units), ``"ucb"`` minus
        the lower confidence bound ``-(mean - beta * std)``, ``"pi"`` the log probability of
        improvement."""
        if not isinstance(kind, str) or kind not in ACQUISITIONS:
            raise ValueError(f"kind must be one of {sorted(ACQUISITIONS)}, got {kind!r}")
        mu, var = self._latent(Xq)
        a, _, _ = acquisition(mu, var, self._best, kind, beta)
        if kind == "logei":
            return a + math.log(self._scale)
        if kind == "ucb":
            return self._scale * a - self._mean
        return a


def fit(
    X: ArrayLike,
    y: np.ndarray | Sequence[float],
    bounds: ArrayLike | None = None,
    log: np.ndarray | Sequence[bool] | None = None,
    seed: int | None = None,
) -> Surrogate:
    """Fit the GP surrogate to evaluated points.

    Parameters
    ----------
    X : array-like of shape (n, d)
        Evaluated points, n >= 1, finite (drop failed evaluations first).
    y : array-like of shape (n,)
        Their values (to minimise), finite.
    bounds : array-like of shape (d, 2), optional
        The search box (low < high). Default: the box of ``X`` itself (a constant column gets
        a unit-wide box around its value, on the log scale for a log-scaled column).
    log : bool array-like of shape (d,), optional
        Columns to model on a log scale (their bounds and values must be > 0).
    seed : int or None
        Seeds the second start of the hyperparameter fit.

    Returns
    -------
    Surrogate

    Examples
    --------
    >>> import numpy as np
    >>> from hpo_core.arrays.gp import fit
    >>> X = np.linspace(0, 1, 8)[:, None]
    >>> model = fit(X, np.sin(6 * X[:, 0]), seed=0)
    >>> mean, std = model.predict([[0.5]], return_std=True)
    >>> bool(abs(mean[0] - np.sin(3.0)) < 0.05), mean.shape, std.shape
    (True, (1,), (1,))
    """
    X = _matrix("X", X)
    n, d = X.shape
    y = np.asarray(y, dtype=np.float64).reshape(-1) if np.ndim(y) <= 1 else np.asarray(y)
    if y.shape != (n,):
        raise ValueError(f"y must have shape ({n},) to match X, got {np.shape(y)}")
    if not np.all(np.isfinite(y)):
        raise ValueError(
            f"y must be finite; NaN or infinity at rows {np.flatnonzero(~np.isfinite(y))[:5]}"
        )
    L = np.zeros(d, dtype=bool) if log is None else np.asarray(log, dtype=bool).reshape(-1)
    if L.shape != (d,):
        raise ValueError(f"log must have shape ({d},), got {L.shape}")
    if bounds is None:
        if np.any(X[:, L] <= 0):
            raise ValueError("X must be > 0 in the log-scaled columns")
        lo, hi = X.min(axis=0), X.max(axis=0)
        flat = hi - lo <= 0
        # a unit-wide box on the column's own scale: a log column's stays > 0
        lo = np.where(flat, np.where(L, lo * math.exp(-0.5), lo - 0.5), lo)
        hi = np.where(flat, np.where(L, hi * math.exp(0.5), hi + 0.5), hi)
        B = np.column_stack([lo, hi])
    else:
        B = np.asarray(bounds, dtype=np.float64)
        if B.shape != (d, 2) or not np.all(np.isfinite(B)) or np.any(B[:, 0] >= B[:, 1]):
            raise ValueError(
                f"bounds must have shape ({d}, 2) with finite low < high in each row, got {B!r}"
            )
    if np.any(B[L, 0] <= 0):
        raise ValueError("log-scaled columns need bounds > 0")
    mean, scale = _standardise(y)
    z = (y - mean) / scale
    rng = np.random.default_rng(seed)
    U = _to_unit(X, B, L, "X")
    cat = np.zeros(d, dtype=bool)
    prior = Prior(d)
    theta = fit_theta(U, z, cat, prior, [prior.mode(), prior.sample(rng)])
    return Surrogate(GP(U, z, theta, cat), B, L, mean, scale, float(np.min(z)))
