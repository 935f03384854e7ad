"""A full quadratic model fitted by least squares, and where it has its minimum (for CMA-ES in
large batches: one sample per generation at the minimum of a model of the newest evaluations,
when the model ranks the newest generation well, as in Hansen's lq-CMA-ES, 2019)."""

from __future__ import annotations

import numpy as np

__all__ = ["n_terms", "fit", "predict", "minimum", "kendall_tau", "proposal"]


def n_terms(d: int) -> int:
    """Coefficients of a full quadratic in d variables: 1 + d + d (d + 1) / 2."""
    return 1 + d + d * (d + 1) // 2


def _features(Z: np.ndarray) -> np.ndarray:
    n, d = Z.shape
    i, j = np.triu_indices(d)
    return np.column_stack([np.ones(n), Z, Z[:, i] * Z[:, j]])


def fit(Z: np.ndarray, y: np.ndarray) -> np.ndarray | None:
    """Least-squares coefficients of ``y ~ c + g.z + sum_{i<=j} q_ij z_i z_j`` (None when they
    are not finite)."""
    with np.errstate(all="ignore"):
        coef = np.linalg.lstsq(_features(Z), y, rcond=None)[0]
    return coef if np.all(np.isfinite(coef)) else None


def predict(coef: np.ndarray, Z: np.ndarray) -> np.ndarray:
    """The model's values at the rows of Z."""
    return _features(Z) @ coef


def minimum(coef: np.ndarray, d: int) -> np.ndarray | None:
    """Where the model is least: ``-H^-1 g``; None when its Hessian is not positive definite."""
    g = coef[1 : 1 + d]
    H = np.zeros((d, d))
    H[np.triu_indices(d)] = coef[1 + d :]
    H = H + H.T  # the diagonal doubles: d2/dz_i2 of q_ii z_i^2 is 2 q_ii
    w, V = np.linalg.eigh(H)
    if w[0] <= 1e-12 * max(w[-1], 0.0) or w[0] <= 0.0:
        return None
    return -V @ ((V.T @ g) / w)


def kendall_tau(a: np.ndarray, b: np.ndarray) -> float:
    """Kendall's rank correlation (tau-a) of two sequences of equal length, in [-1, 1]."""
    n = len(a)
    if n < 2:
        return 0.0
    s = np.sign(a[:, None] - a[None, :]) * np.sign(b[:, None] - b[None, :])
    return float(s.sum() / (n * (n - 1)))


def proposal(Z: np.ndarray, y: np.ndarray, newest: int, tau: float = 0.8) -> np.ndarray | None:
    """The minimum of a full quadratic fitted to the rows of (Z, y), if the one fitted to all
    but the ``newest`` last rows ranks those well (Kendall's tau at least ``tau``); at most
    ``3 sqrt(d)`` from the origin. None with too few older rows (``n_terms(d)`` or fewer),
    values that are not finite, a poor ranking, or a model without a minimum."""
    d = Z.shape[1]
    if len(y) - newest <= n_terms(d) or newest < 2 or not np.all(np.isfinite(y)):
        return None
    old = fit(Z[:-newest], y[:-newest])
    if old is None or kendall_tau(predict(old, Z[-newest:]), y[-newest:]) < tau:
        return None
    coef = fit(Z, y)
    z = None if coef is None else minimum(coef, d)
    if z is None:
        return None
    cap = 3.0 * np.sqrt(d)  # no further than three times the samples' typical distance
    return z * min(1.0, cap / max(float(np.linalg.norm(z)), 1e-300))
