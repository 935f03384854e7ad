"""Genetic operators on the unit cube: selection, crossover, mutation.

Every operator is a compiled kernel (``_name``) behind a wrapper (``name``) that checks shapes
and ranges. The kernels draw no random numbers: the caller draws them with its numpy
``Generator`` and passes them in, so one seed drives everything and the numpy references in
``tests/reference/evo.py`` can be fed the very same draws.

Notation: ``m`` pairs or children, ``d`` columns, ``n`` individuals in a population.
"""

from __future__ import annotations

import numba
import numpy as np

from hpo_core.arrays._numba import JIT

__all__ = [
    "tournament",
    "sbx",
    "polynomial_mutation",
    "uniform_crossover",
    "random_reset",
]


def _as_matrix(name: str, a: np.ndarray, shape: tuple[int, int] | None = None) -> np.ndarray:
    a = np.ascontiguousarray(a, dtype=np.float64)
    if a.ndim != 2:
        raise ValueError(f"{name} must be a 2-d array, got shape {a.shape}")
    if shape is not None and a.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got {a.shape}")
    return a


def _as_mask(name: str, a: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    a = np.ascontiguousarray(a, dtype=np.bool_)
    if a.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got {a.shape}")
    return a


def _check_unit(name: str, a: np.ndarray, upper_open: bool = False) -> None:
    if a.size and not (np.all(a >= 0.0) and (np.all(a < 1.0) if upper_open else np.all(a <= 1.0))):
        rng = "[0, 1)" if upper_open else "[0, 1]"
        raise ValueError(f"{name} must lie in {rng}")


def _check_eta(name: str, eta: float) -> float:
    eta = float(eta)
    if not eta >= 0.0 or not np.isfinite(eta):
        raise ValueError(f"{name} must be a finite number >= 0, got {eta!r}")
    return eta


# ---------------------------------------------------------------------------------- selection
@numba.njit(**JIT)
def _tournament(fitness, candidates):
    m, k = candidates.shape
    out = np.empty(m, dtype=np.int64)
    for i in range(m):
        best = candidates[i, 0]
        for j in range(1, k):
            c = candidates[i, j]
            # NaN (no value) loses against any number; ties go to the first drawn
            fb = fitness[best]
            fc = fitness[c]
            if fc < fb or (fb != fb and fc == fc):
                best = c
        out[i] = best
    return out


def tournament(fitness: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    """Tournament selection: the fittest (lowest value) of each row of drawn candidates.

    Parameters
    ----------
    fitness : ndarray of shape (n,)
        Values to minimise; NaN loses against any number.
    candidates : ndarray of shape (m, k)
        Indices into ``fitness`` drawn by the caller, e.g. ``rng.integers(0, n, (m, k))``.

    Returns
    -------
    winners : ndarray of shape (m,)
        The winning index of each tournament (the first drawn among equals).
    """
    fitness = np.ascontiguousarray(fitness, dtype=np.float64)
    candidates = np.ascontiguousarray(candidates, dtype=np.int64)
    if fitness.ndim != 1 or len(fitness) == 0:
        raise ValueError(f"fitness must be a non-empty 1-d array, got shape {fitness.shape}")
    if candidates.ndim != 2 or candidates.shape[1] < 1:
        raise ValueError(f"candidates must have shape (m, k) with k >= 1, got {candidates.shape}")
    if candidates.size and (candidates.min() < 0 or candidates.max() >= len(fitness)):
        raise ValueError(f"candidates must be indices in [0, {len(fitness) - 1}]")
    return _tournament(fitness, candidates)


# ---------------------------------------------------------------------------------- crossover
@numba.njit(**JIT)
def _sbx(p1, p2, u, cross, swap, eta):
    m, d = p1.shape
    c1 = p1.copy()
    c2 = p2.copy()
    e1 = 1.0 / (eta + 1.0)
    for i in range(m):
        for j in range(d):
            a = p1[i, j]
            b = p2[i, j]
            if cross[i, j] and abs(a - b) > 1e-14:
                lo = min(a, b)
                hi = max(a, b)
                mid = 0.5 * (lo + hi)
                half = 0.5 * (hi - lo)
                # one spread factor for both children (their mean is the parents' mean), with
                # the distribution truncated so that both children stay in [0, 1]
                beta = 1.0 + min(lo, 1.0 - hi) / half
                alpha = 2.0 - beta ** (-(eta + 1.0))
                ua = u[i, j] * alpha
                if ua <= 1.0:
                    betaq = ua**e1
                else:
                    betaq = (1.0 / (2.0 - ua)) ** e1
                x1 = min(max(mid - betaq * half, 0.0), 1.0)
                x2 = min(max(mid + betaq * half, 0.0), 1.0)
                if swap[i, j]:
                    x1, x2 = x2, x1
                c1[i, j] = x1
                c2[i, j] = x2
    return c1, c2


def sbx(
    p1: np.ndarray,
    p2: np.ndarray,
    u: np.ndarray,
    cross: np.ndarray,
    swap: np.ndarray,
    eta: float = 15.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Simulated binary crossover (Deb and Agrawal, 1995), bounded to [0, 1].

    Both children of a pair share one spread factor, so ``c1 + c2 == p1 + p2`` in every column
    (the parents' mean is kept exactly, up to rounding); the factor's distribution is truncated
    so that both children stay in the box (Deb's bounded SBX, with the tighter of the two
    bounds). Columns where ``cross`` is False, or where the parents agree, are copied.

    Parameters
    ----------
    p1, p2 : ndarray of shape (m, d)
        Parents on the unit cube.
    u : ndarray of shape (m, d)
        Uniform draws in [0, 1).
    cross : ndarray of bool, shape (m, d)
        Which columns cross over.
    swap : ndarray of bool, shape (m, d)
        Which columns swap the children (so each child inherits from both sides).
    eta : float, default 15
        Distribution index: larger keeps children closer to their parents.

    Returns
    -------
    c1, c2 : ndarray of shape (m, d)
    """
    p1 = _as_matrix("p1", p1)
    shape = p1.shape
    p2 = _as_matrix("p2", p2, shape)
    u = _as_matrix("u", u, shape)
    _check_unit("p1", p1)
    _check_unit("p2", p2)
    _check_unit("u", u, upper_open=True)
    cross = _as_mask("cross", cross, shape)
    swap = _as_mask("swap", swap, shape)
    return _sbx(p1, p2, u, cross, swap, _check_eta("eta", eta))


@numba.njit(**JIT)
def _uniform_crossover(p1, p2, swap):
    m, d = p1.shape
    c1 = p1.copy()
    c2 = p2.copy()
    for i in range(m):
        for j in range(d):
            if swap[i, j]:
                c1[i, j] = p2[i, j]
                c2[i, j] = p1[i, j]
    return c1, c2


def uniform_crossover(
    p1: np.ndarray, p2: np.ndarray, swap: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Uniform crossover: children exchange the columns where ``swap`` is True.

    Meant for categorical columns, whose encoded values have no order to interpolate.

    Parameters
    ----------
    p1, p2 : ndarray of shape (m, d)
    swap : ndarray of bool, shape (m, d)
        E.g. ``rng.random((m, d)) < 0.5``.

    Returns
    -------
    c1, c2 : ndarray of shape (m, d)
    """
    p1 = _as_matrix("p1", p1)
    p2 = _as_matrix("p2", p2, p1.shape)
    return _uniform_crossover(p1, p2, _as_mask("swap", swap, p1.shape))


# ---------------------------------------------------------------------------------- mutation
@numba.njit(**JIT)
def _polynomial_mutation(X, u, mutate, eta):
    m, d = X.shape
    out = X.copy()
    e1 = 1.0 / (eta + 1.0)
    for i in range(m):
        for j in range(d):
            if mutate[i, j]:
                x = X[i, j]
                v = u[i, j]
                if v < 0.5:
                    xy = 1.0 - x
                    val = 2.0 * v + (1.0 - 2.0 * v) * xy ** (eta + 1.0)
                    dq = val**e1 - 1.0
                else:
                    xy = x
                    val = 2.0 * (1.0 - v) + 2.0 * (v - 0.5) * xy ** (eta + 1.0)
                    dq = 1.0 - val**e1
                out[i, j] = min(max(x + dq, 0.0), 1.0)
    return out


def polynomial_mutation(
    X: np.ndarray, u: np.ndarray, mutate: np.ndarray, eta: float = 20.0
) -> np.ndarray:
    """Polynomial mutation (Deb and Goyal, 1996), bounded form: children stay in [0, 1].

    Parameters
    ----------
    X : ndarray of shape (m, d)
        Points on the unit cube.
    u : ndarray of shape (m, d)
        Uniform draws in [0, 1).
    mutate : ndarray of bool, shape (m, d)
        Which entries mutate (typically with probability 1/d each).
    eta : float, default 20
        Distribution index: larger gives smaller steps.

    Returns
    -------
    ndarray of shape (m, d)
    """
    X = _as_matrix("X", X)
    u = _as_matrix("u", u, X.shape)
    _check_unit("X", X)
    _check_unit("u", u, upper_open=True)
    return _polynomial_mutation(X, u, _as_mask("mutate", mutate, X.shape), _check_eta("eta", eta))


@numba.njit(**JIT)
def _random_reset(X, reset, values):
    m, d = X.shape
    out = X.copy()
    for i in range(m):
        for j in range(d):
            if reset[i, j]:
                out[i, j] = values[i, j]
    return out


def random_reset(X: np.ndarray, reset: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Random-reset mutation: entries where ``reset`` is True take the drawn ``values``.

    Meant for categorical columns: a uniform draw in [0, 1) lands on each choice equally often
    (the space's ``snap`` then moves it to the centre of its choice).

    Parameters
    ----------
    X : ndarray of shape (m, d)
    reset : ndarray of bool, shape (m, d)
    values : ndarray of shape (m, d)
        New values, e.g. ``rng.random((m, d))``.

    Returns
    -------
    ndarray of shape (m, d)
    """
    X = _as_matrix("X", X)
    values = _as_matrix("values", values, X.shape)
    return _random_reset(X, _as_mask("reset", reset, X.shape), values)
