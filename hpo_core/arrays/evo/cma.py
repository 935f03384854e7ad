"""CMA-ES sampling and update, as in Hansen's tutorial (arXiv:1604.00772, Table 1 and Fig. 6).

Notation: ``d`` dimensions; ``lam`` offspring per generation, ranked best first; ``mu`` parents
(the best ``mu``, with positive weights summing to 1; the others have negative weights, the
"active" covariance update of the tutorial's 2016 version); ``m`` the mean, ``sigma`` the step
size, ``C = B diag(D**2) B^T`` the covariance; ``pc``, ``ps`` the evolution paths of ``C`` and
``sigma``. A sample is ``x = m + sigma * B (D * z)`` with ``z ~ N(0, I)`` drawn by the caller.

``min_std`` (one entry per column, 0 for none) puts a floor under ``sigma * sqrt(C[j, j])``:
after each update a column whose standard deviation fell below its floor has its row and
column of ``C`` scaled up to meet it (which keeps ``C`` positive definite). Integer and
categorical columns use it so that the search keeps moving between neighbouring values.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from hpo_core.arrays._numba import JIT

__all__ = ["CMAParams", "cma_params", "cma_sample", "cma_update"]


class CMAParams:
    """Default strategy parameters for ``d`` dimensions and ``lam`` offspring (tutorial Table 1).

    Attributes
    ----------
    lam, mu : int
    weights : ndarray of shape (lam,)
        Recombination weights, best first: ``log((lam + 1) / 2) - log(i)``, the ``mu``
        positive ones scaled to sum to 1, the negative ones scaled as the tutorial's (53).
    mueff, cs, ds, cc, c1, cmu, chiN : float
        As in the tutorial but for the step-size path's rate ``cs = min(1/2, (mueff + 2) /
        (d + mueff + 3))``, pycma's (``CMAAdaptSigmaCSA.compute_cs``) where the tutorial has
        ``+ 5``: the step size shrinks sooner while the mean closes in on an optimum. With the
        default population the parameters equal pycma's (``tests/arrays/evo/test_cma.py``);
        in more than 5 dimensions pycma damps the step size more than the tutorial once
        ``mueff`` is well above ``d`` (its IPOP restarts); that is left out (it lost on
        Schaffer at 1000 d evaluations, benchmarks/RESULTS.md section 13).
    """

    def __init__(self, d: int, lam: int) -> None:
        if not isinstance(d, int | np.integer) or d < 1:
            raise ValueError(f"d must be an integer >= 1, got {d!r}")
        if not isinstance(lam, int | np.integer) or lam < 2:
            raise ValueError(f"lam must be an integer >= 2, got {lam!r}")
        self.d, self.lam = int(d), int(lam)
        self.mu = mu = lam // 2
        w = math.log((lam + 1) / 2) - np.log(np.arange(1, lam + 1))
        pos, neg = w[:mu], w[mu:]
        self.mueff = mueff = float(pos.sum() ** 2 / np.sum(pos**2))
        self.cs = min(0.5, (mueff + 2) / (d + mueff + 3))
        self.ds = 1 + 2 * max(0.0, math.sqrt((mueff - 1) / (d + 1)) - 1) + self.cs
        self.cc = (4 + mueff / d) / (d + 4 + 2 * mueff / d)
        self.c1 = c1 = 2 / ((d + 1.3) ** 2 + mueff)
        self.cmu = cmu = min(1 - c1, 2 * (0.25 + mueff + 1 / mueff - 2) / ((d + 2) ** 2 + mueff))
        self.chiN = math.sqrt(d) * (1 - 1 / (4 * d) + 1 / (21 * d * d))
        weights = np.empty(lam)
        weights[:mu] = pos / pos.sum()
        if len(neg) and np.any(neg < 0):
            mueff_neg = float(neg.sum() ** 2 / np.sum(neg**2))
            scale = min(
                1 + c1 / cmu if cmu > 0 else np.inf,
                1 + 2 * mueff_neg / (mueff + 2),
                (1 - c1 - cmu) / (d * cmu) if cmu > 0 else np.inf,
            )
            weights[mu:] = scale * neg / np.abs(neg).sum()
        else:
            weights[mu:] = 0.0
        self.weights = weights


def cma_params(d: int, lam: int) -> CMAParams:
    """The tutorial's default parameters (see ``CMAParams``)."""
    return CMAParams(d, lam)


@numba.njit(**JIT)
def _cma_sample(mean, sigma, B, D, Z):
    lam, d = Z.shape
    Y = np.empty((lam, d))
    X = np.empty((lam, d))
    for k in range(lam):
        for i in range(d):
            s = 0.0
            for j in range(d):
                s += B[i, j] * D[j] * Z[k, j]
            Y[k, i] = s
            X[k, i] = mean[i] + sigma * s
    return X, Y


def cma_sample(
    mean: np.ndarray, sigma: float, B: np.ndarray, D: np.ndarray, Z: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Samples ``x = mean + sigma * B (D * z)`` for each row ``z`` of ``Z``.

    Parameters
    ----------
    mean : ndarray of shape (d,)
    sigma : float
    B : ndarray of shape (d, d)
        Eigenvectors of C, in columns.
    D : ndarray of shape (d,)
        Square roots of C's eigenvalues.
    Z : ndarray of shape (lam, d)
        Standard normal draws.

    Returns
    -------
    X : ndarray of shape (lam, d)
        The samples.
    Y : ndarray of shape (lam, d)
        Their steps ``(X - mean) / sigma``.
    """
    mean, B, D = _vec("mean", mean), _mat("B", B), _vec("D", D)
    d = len(mean)
    Z = _mat("Z", Z)
    if B.shape != (d, d) or D.shape != (d,) or Z.shape[1:] != (d,):
        raise ValueError(f"expected B (d, d), D (d,), Z (lam, d) with d={d}")
    if not sigma > 0:
        raise ValueError(f"sigma must be > 0, got {sigma!r}")
    return _cma_sample(mean, float(sigma), B, D, Z)


@numba.njit(**JIT)
def _cma_update(
    mean,
    sigma,
    C,
    pc,
    ps,
    B,
    D,
    Xs,
    weights,
    mu,
    cs,
    ds,
    cc,
    c1,
    cmu,
    mueff,
    chiN,
    gen,
    min_std,
    sigma_next,
):
    k, d = Xs.shape
    Y = (Xs - mean) / sigma
    # weighted mean of the best mu steps
    yw = np.zeros(d)
    for r in range(mu):
        for i in range(d):
            yw[i] += weights[r] * Y[r, i]
    new_mean = mean + sigma * yw
    # C^(-1/2) yw = B D^-1 B^T yw, with the old B and D
    inv_sqrt_yw = _inv_sqrt_times(B, D, yw)
    a = math.sqrt(cs * (2.0 - cs) * mueff)
    new_ps = (1.0 - cs) * ps + a * inv_sqrt_yw
    norm_ps = math.sqrt(np.sum(new_ps * new_ps))
    if sigma_next > 0.0:
        new_sigma = sigma_next
    else:
        new_sigma = sigma * math.exp(cs / ds * (norm_ps / chiN - 1.0))
    denom = math.sqrt(1.0 - (1.0 - cs) ** (2.0 * (gen + 1)))
    hs = 1.0 if norm_ps / denom < (1.4 + 2.0 / (d + 1.0)) * chiN else 0.0
    new_pc = (1.0 - cc) * pc + hs * math.sqrt(cc * (2.0 - cc) * mueff) * yw
    delta = (1.0 - hs) * cc * (2.0 - cc)
    # negative weights act on steps rescaled to the length d in the metric of C
    wo = weights.copy()
    for r in range(mu, k):
        v = _inv_sqrt_times(B, D, Y[r])
        wo[r] *= d / max(np.sum(v * v), 1e-300)
    new_C = (1.0 + c1 * delta - c1 - cmu * np.sum(weights)) * C
    for i in range(d):
        for j in range(d):
            rank_mu = 0.0
            for r in range(k):
                rank_mu += wo[r] * Y[r, i] * Y[r, j]
            new_C[i, j] += c1 * new_pc[i] * new_pc[j] + cmu * rank_mu
    # floor on the standard deviation of chosen columns
    for j in range(d):
        if min_std[j] > 0.0:
            s = new_sigma * math.sqrt(new_C[j, j])
            if s < min_std[j]:
                f = min_std[j] / s
                for i in range(d):
                    new_C[i, j] *= f
                    new_C[j, i] *= f
    new_C = 0.5 * (new_C + new_C.T)
    ev, new_B = np.linalg.eigh(new_C)
    new_D = np.sqrt(np.maximum(ev, 1e-300))
    return new_mean, new_sigma, new_C, new_pc, new_ps, new_B, new_D


@numba.njit(**JIT)
def _inv_sqrt_times(B, D, y):
    d = len(y)
    t = np.zeros(d)
    for j in range(d):
        for i in range(d):
            t[j] += B[i, j] * y[i]
        t[j] /= D[j]
    out = np.zeros(d)
    for i in range(d):
        for j in range(d):
            out[i] += B[i, j] * t[j]
    return out


def cma_update(
    mean: np.ndarray,
    sigma: float,
    C: np.ndarray,
    pc: np.ndarray,
    ps: np.ndarray,
    B: np.ndarray,
    D: np.ndarray,
    Xsel: np.ndarray,
    params: CMAParams,
    gen: int,
    min_std: np.ndarray | None = None,
    sigma_next: float | None = None,
) -> tuple[np.ndarray, float, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One CMA-ES update from the best samples of a generation, best first.

    Parameters
    ----------
    mean : ndarray of shape (d,)
    sigma : float
    C : ndarray of shape (d, d)
    pc, ps : ndarray of shape (d,)
    B : ndarray of shape (d, d)
    D : ndarray of shape (d,)
        ``C == B @ diag(D**2) @ B.T`` (as returned by the previous update).
    Xsel : ndarray of shape (k, d)
        Samples of the generation (drawn around ``mean``), sorted best first, k <= lam. The
        first ``min(k, mu)`` move the mean (their weights renormalised when k < mu); all
        shape C, the ones after the first ``mu`` with negative weights.
    params : CMAParams
    gen : int
        Generations done so far (0 for the first update); used for ``h_sigma``.
    min_std : ndarray of shape (d,), optional
        Floor on ``sigma * sqrt(C[j, j])``; 0 where none.
    sigma_next : float, optional
        The new step size, set by the caller (self-adaptation) in place of the cumulative
        step-size adaptation; ``ps`` is updated all the same.

    Returns
    -------
    mean, sigma, C, pc, ps, B, D
        The updated state, with ``C``'s new eigendecomposition.
    """
    mean, pc, ps, D = _vec("mean", mean), _vec("pc", pc), _vec("ps", ps), _vec("D", D)
    d = len(mean)
    C, B, Xsel = _mat("C", C), _mat("B", B), _mat("Xsel", Xsel)
    shapes = (C.shape, B.shape, pc.shape, ps.shape, Xsel.shape[1:])
    if shapes != ((d, d), (d, d), (d,), (d,), (d,)):
        raise ValueError(f"expected C, B (d, d), pc, ps (d,), Xsel (k, d) with d={d}")
    if len(Xsel) < 1:
        raise ValueError("Xsel needs at least one sample")
    if params.d != d:
        raise ValueError(f"params are for d={params.d}, the state has d={d}")
    if not sigma > 0:
        raise ValueError(f"sigma must be > 0, got {sigma!r}")
    k = len(Xsel)
    if k > params.lam:
        raise ValueError(f"Xsel has {k} samples, more than params.lam={params.lam}")
    mu = min(k, params.mu)
    w = params.weights[:k].copy()
    if k < params.mu:
        w /= w.sum()
    mueff = 1.0 / float(np.sum(w[:mu] ** 2)) if k < params.mu else params.mueff
    min_std = np.zeros(d) if min_std is None else _vec("min_std", min_std)
    if min_std.shape != (d,):
        raise ValueError(f"min_std must have shape ({d},), got {min_std.shape}")
    if sigma_next is not None and not 0.0 < sigma_next < np.inf:
        raise ValueError(f"sigma_next must be None or a finite number > 0, got {sigma_next!r}")
    return _cma_update(
        mean,
        float(sigma),
        C,
        pc,
        ps,
        B,
        D,
        Xsel,
        w,
        mu,
        params.cs,
        params.ds,
        params.cc,
        params.c1,
        params.cmu,
        mueff,
        params.chiN,
        int(gen),
        min_std,
        0.0 if sigma_next is None else float(sigma_next),
    )


def _vec(name: str, a: np.ndarray) -> np.ndarray:
    a = np.ascontiguousarray(a, dtype=np.float64)
    if a.ndim != 1:
        raise ValueError(f"{name} must be a 1-d array, got shape {a.shape}")
    return a


def _mat(name: str, a: np.ndarray) -> np.ndarray:
    a = np.ascontiguousarray(a, dtype=np.float64)
    if a.ndim != 2:
        raise ValueError(f"{name} must be a 2-d array, got shape {a.shape}")
    return a
