"""Validated wrappers around the compiled Parzen-estimator kernels (see ``mixture``)."""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np

from hpo_core.arrays.parzen import mixture

__all__ = ["Columns", "ParzenEstimator", "log_ratio", "propose"]

BANDWIDTHS = ("neighbours", "scott")


@dataclass(frozen=True, eq=False)
class Columns:
    """What the q columns of the cube are.

    Parameters
    ----------
    kinds : ndarray of shape (q,)
        0 real, 1 integer, 2 categorical.
    levels : ndarray of shape (q,)
        Number of values of an integer or categorical column (ignored for reals).
    offsets : ndarray of shape (q,), optional
        ``low - 0.5`` for a log-scaled integer column, 0 otherwise (linear bins).
    """

    kinds: np.ndarray
    levels: np.ndarray
    offsets: np.ndarray

    @classmethod
    def make(cls, kinds, levels, offsets=None) -> Columns:
        kinds = np.ascontiguousarray(kinds, dtype=np.int64).reshape(-1)
        levels = np.ascontiguousarray(levels, dtype=np.int64).reshape(-1)
        q = kinds.size
        if offsets is None:
            offsets = np.zeros(q)
        offsets = np.ascontiguousarray(offsets, dtype=np.float64).reshape(-1)
        if levels.size != q or offsets.size != q:
            raise ValueError(
                f"kinds, levels and offsets must have one entry per column, got sizes "
                f"{q}, {levels.size}, {offsets.size}"
            )
        if np.any((kinds < 0) | (kinds > 2)):
            raise ValueError(f"kinds must be 0 (real), 1 (integer) or 2 (categorical), got {kinds}")
        if np.any((kinds > 0) & (levels < 1)):
            raise ValueError(f"integer and categorical columns need levels >= 1, got {levels}")
        if np.any((offsets != 0) & ((kinds != 1) | (offsets < 0.5) | ~np.isfinite(offsets))):
            raise ValueError(
                f"offsets must be 0, or low - 0.5 >= 0.5 for a log-scaled integer, got {offsets}"
            )
        return cls(kinds, levels, offsets)


def _points(X: np.ndarray, q: int, name: str) -> np.ndarray:
    X = np.ascontiguousarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != q:
        raise ValueError(f"{name} must have shape (n, {q}), got {X.shape}")
    if not np.all(np.isfinite(X)):
        raise ValueError(f"{name} must be finite")
    return X


class ParzenEstimator:
    """A fitted Parzen estimator: a weighted mixture of product kernels on [0, 1]^q.

    Parameters
    ----------
    X : ndarray of shape (n, q)
        Observations on the unit cube (clipped to it). n may be 0: the prior kernel alone.
    weights : ndarray of shape (n,)
        Positive weights of the observations (the prior kernel gets ``prior_weight``).
    columns : Columns
        What each column is.
    prior_weight : float, default 1.0
        Weight of the prior kernel (centre 0.5, bandwidth 1, uniform over choices); > 0.
    consider_magic_clip : bool, default True
        Bandwidths at least ``1 / min(100, n + 2)`` (else at least 1e-12); at most 1.
    consider_endpoints : bool, default False
        Whether the outermost observations' bandwidths may reach to 0 or 1.
    bandwidth : {"neighbours", "scott"}, default "neighbours"
        "neighbours": each observation's larger gap to its neighbours in its column (Optuna >= 4);
        "scott": ``0.2 n^(-1 / (q + 4))`` for every observation (Optuna's first multivariate TPE).

    Examples
    --------
    >>> cols = Columns.make([0], [0])
    >>> est = ParzenEstimator(np.array([[0.2], [0.3]]), np.ones(2), cols)
    >>> bool(est.log_pdf(np.array([[0.25]]))[0] > est.log_pdf(np.array([[0.9]]))[0])
    True
    """

    def __init__(
        self,
        X: np.ndarray,
        weights: np.ndarray,
        columns: Columns,
        *,
        prior_weight: float = 1.0,
        consider_magic_clip: bool = True,
        consider_endpoints: bool = False,
        bandwidth: str = "neighbours",
    ) -> None:
        q = columns.kinds.size
        X = np.clip(_points(X, q, "X"), 0.0, 1.0)
        w = np.ascontiguousarray(weights, dtype=np.float64).reshape(-1)
        if w.size != X.shape[0] or np.any(~(w > 0)) or not np.all(np.isfinite(w)):
            raise ValueError(f"weights must be {X.shape[0]} positive finite numbers, got {w}")
        check_options(prior_weight, bandwidth)
        self.columns = columns
        self.logw, self.mus, self.sigmas, self.lnorm, self.logp = mixture._fit(
            X,
            w,
            columns.kinds,
            columns.levels,
            float(prior_weight),
            bool(consider_magic_clip),
            bool(consider_endpoints),
            bandwidth == "scott",
        )

    def log_pdf(self, X: np.ndarray) -> np.ndarray:
        """log density at the rows of X (m, q): shape (m,)."""
        c = self.columns
        X = _points(X, c.kinds.size, "X")
        return mixture._logpdf(
            X, self.logw, self.mus, self.sigmas, self.lnorm, self.logp, c.kinds, c.levels, c.offsets
        )

    def sample(self, U: np.ndarray) -> np.ndarray:
        """Points (m, q) drawn with the uniforms U (m, q + 1) in [0, 1), e.g. ``rng.random``.

        Categorical columns come back at the centre of the drawn choice, integer columns
        somewhere inside the drawn value's bin (snap them to decode).
        """
        c = self.columns
        U = _points(U, c.kinds.size + 1, "U")
        if np.any((U < 0) | (U > 1)):
            raise ValueError("U must hold uniform draws in [0, 1]")
        return mixture._sample(U, self.logw, self.mus, self.sigmas, self.logp, c.kinds, c.levels)


def check_options(prior_weight: float, bandwidth: str) -> None:
    if (
        isinstance(prior_weight, bool)
        or not isinstance(prior_weight, numbers.Real)
        or not 0 < prior_weight < np.inf
    ):
        raise ValueError(f"prior_weight must be a finite number > 0, got {prior_weight!r}")
    if bandwidth not in BANDWIDTHS:
        raise ValueError(f"bandwidth must be one of {BANDWIDTHS}, got {bandwidth!r}")


def log_ratio(below: ParzenEstimator, above: ParzenEstimator, X: np.ndarray) -> np.ndarray:
    """``log l(x) - log g(x)`` at the rows of X (m, q): the TPE score, shape (m,)."""
    return below.log_pdf(X) - above.log_pdf(X)


def propose(
    X_below: np.ndarray,
    w_below: np.ndarray,
    X_above: np.ndarray,
    w_above: np.ndarray,
    U: np.ndarray,
    columns: Columns,
    *,
    prior_weight: float = 1.0,
    consider_magic_clip: bool = True,
    consider_endpoints: bool = False,
    bandwidth: str = "neighbours",
) -> tuple[np.ndarray, np.ndarray]:
    """Fit l and g, draw candidates from l and score them, in one compiled call.

    Parameters
    ----------
    X_below, X_above : ndarray of shape (n_l, q) and (n_g, q)
        The good and the bad observations, on the unit cube.
    w_below, w_above : ndarray of shape (n_l,) and (n_g,)
        Their weights (> 0).
    U : ndarray of shape (m, q + 1)
        Uniform draws in [0, 1): one row per candidate.
    columns, prior_weight, consider_magic_clip, consider_endpoints, bandwidth
        As for ``ParzenEstimator``.

    Returns
    -------
    candidates : ndarray of shape (m, q)
    scores : ndarray of shape (m,)
        ``log l - log g`` of each candidate; the best has the largest score.
    """
    q = columns.kinds.size
    Xl = np.clip(_points(X_below, q, "X_below"), 0.0, 1.0)
    Xg = np.clip(_points(X_above, q, "X_above"), 0.0, 1.0)
    U = _points(U, q + 1, "U")
    wl = np.ascontiguousarray(w_below, dtype=np.float64)
    wg = np.ascontiguousarray(w_above, dtype=np.float64)
    if wl.shape != (Xl.shape[0],) or wg.shape != (Xg.shape[0],):
        raise ValueError("w_below and w_above need one weight per row of X_below and X_above")
    if np.any(~(wl > 0)) or np.any(~(wg > 0)):
        raise ValueError("weights must be > 0")
    return mixture._propose(
        Xl,
        wl,
        Xg,
        wg,
        U,
        columns.kinds,
        columns.levels,
        columns.offsets,
        float(prior_weight),
        bool(consider_magic_clip),
        bool(consider_endpoints),
        bandwidth == "scott",
    )
