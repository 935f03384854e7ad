"""``hpo_core.suggest``: points in, next points out, for callers that run their own loop."""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from hpo_core.core import Optimizer
from hpo_core.space import Integer, Real

__all__ = ["suggest"]


def _mask(name: str, value: Any, d: int) -> np.ndarray:
    if value is None:
        return np.zeros(d, dtype=bool)
    m = np.asarray(value)
    if m.shape != (d,) or m.dtype != bool:
        raise ValueError(f"{name} must be None or a bool array of shape ({d},), got {value!r}")
    return m


def _integer(name: str, value: Any, low: int, none: bool = False) -> int:
    """``value`` as a Python int >= ``low``: Python and numpy integers are taken, bools and
    non-integers (2.0 included) refused."""
    what = "None or an integer" if none else "an integer"
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be {what} >= {low}, got {value!r} ({type(value).__name__})")
    if value < low:
        raise ValueError(f"{name} must be {what} >= {low}, got {value!r}")
    return int(value)


def suggest(
    X: np.ndarray | Sequence[Sequence[float]],
    y: np.ndarray | Sequence[float],
    bounds: np.ndarray | Sequence[Sequence[float]],
    n: int = 1,
    method: str = "bayes",
    seed: int | None = None,
    pending: np.ndarray | Sequence[Sequence[float]] | None = None,
    integer: np.ndarray | Sequence[bool] | None = None,
    log: np.ndarray | Sequence[bool] | None = None,
) -> np.ndarray:
    """The next point(s) to evaluate, minimising ``y``, in the caller's coordinates.

    Stateless: every call builds a fresh optimizer from the arrays, so the caller keeps the
    history (a model-based ``method`` refits its surrogate each call).

    Parameters
    ----------
    X : array-like of shape (m, d)
        Points evaluated so far (m may be 0: then the strategy's initial design answers).
    y : array-like of shape (m,)
        Their values, to minimise; NaN marks a failed evaluation.
    bounds : array-like of shape (d, 2)
        Lower and upper bound of each coordinate (low < high, finite).
    n : int, default 1
        How many points to return; they are spread out (pending-aware), never copies. Python
        and numpy integers are accepted for ``n`` and ``seed``; bools and floats are not.
    method : str, default "bayes"
        A strategy name of ``hpo_core.strategies.STRATEGIES``.
    seed : int or None
        The same seed and arguments give the same suggestions. With k > 0 pending rows the
        optimizer is seeded with ``SeedSequence([seed, k]).generate_state(1)[0]``, so a call
        made while the previous call's points are in flight draws other numbers.
    pending : array-like of shape (k, d), optional
        Points being evaluated now: the suggestions keep away from them.
    integer, log : bool array-like of shape (d,), optional
        Coordinates that take integer values; coordinates searched on a log scale (low > 0).

    Returns
    -------
    ndarray of shape (n, d)
        Float array; integer coordinates hold whole numbers. A grid (``method="grid"``) with
        fewer than n points left returns those; with none left it raises
        ``hpo_core.strategies.SearchSpaceExhausted``.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.1, 3.0], [0.9, 7.0]])
    >>> suggest(X, [1.0, 0.5], bounds=[[0, 1], [1, 10]], n=2, method="random", seed=0,
    ...         integer=[False, True]).shape
    (2, 2)
    """
    n = _integer("n", n, 1)
    seed = None if seed is None else _integer("seed", seed, 0, none=True)
    B = np.asarray(bounds, dtype=float)
    if B.ndim != 2 or B.shape[1] != 2 or B.shape[0] < 1:
        raise ValueError(f"bounds must have shape (d, 2) with d >= 1, got shape {B.shape}")
    d = B.shape[0]
    if not np.all(np.isfinite(B)) or not np.all(B[:, 0] < B[:, 1]):
        raise ValueError("bounds must be finite with low < high in every row")
    X = np.asarray(X, dtype=float) if np.size(X) else np.empty((0, d))
    y = np.asarray(y, dtype=float).reshape(-1)
    if X.ndim != 2 or X.shape[1] != d:
        raise ValueError(f"X must have shape (m, {d}) to match bounds, got {X.shape}")
    if len(y) != len(X):
        raise ValueError(f"y must have one value per row of X: {len(y)} values for {len(X)} rows")
    if np.isnan(X).any() or np.isinf(y).any():
        raise ValueError("X must not hold NaN, nor y infinity (NaN in y marks a failure)")
    is_int, is_log = _mask("integer", integer, d), _mask("log", log, d)
    dims: dict[str, Any] = {}
    for j, (lo, hi) in enumerate(B):
        if is_log[j] and lo <= 0:
            raise ValueError(f"bounds of log coordinate {j} must be > 0, got low = {lo:g}")
        if is_int[j]:
            if lo != round(lo) or hi != round(hi):
                raise ValueError(f"bounds of integer coordinate {j} must be whole numbers")
            dims[f"x{j}"] = Integer(int(lo), int(hi), log=bool(is_log[j]))
        else:
            dims[f"x{j}"] = Real(lo, hi, log=bool(is_log[j]))
    P = np.empty((0, d))
    if pending is not None:
        P = np.asarray(pending, dtype=float)
        P = P.reshape(1, d) if P.ndim == 1 and P.size == d else P if P.size else np.empty((0, d))
        if P.ndim != 2 or P.shape[1] != d:
            raise ValueError(f"pending must have shape (k, {d}) to match bounds, got {P.shape}")
        if np.isnan(P).any():
            raise ValueError("pending must not hold NaN")
    if seed is not None and len(P):
        # a call with a batch in flight draws from a stream of its own: the same seed would
        # otherwise give back the very points of the call that made the batch
        seed = int(np.random.SeedSequence([seed, len(P)]).generate_state(1)[0])
    opt = Optimizer(dims, strategy=method, seed=seed)

    def params(row: np.ndarray, what: str, i: int) -> dict[str, Any]:
        if np.any(row < B[:, 0]) or np.any(row > B[:, 1]):
            raise ValueError(f"{what}[{i}] = {row.tolist()} lies outside the bounds")
        return {f"x{j}": int(round(v)) if is_int[j] else float(v) for j, v in enumerate(row)}

    for i, (row, value) in enumerate(zip(X, y, strict=True)):
        p = params(row, "X", i)
        if np.isnan(value):
            opt.tell(p, state="failed")
        else:
            opt.tell(p, float(value))
    for i, row in enumerate(P):
        opt.enqueue(params(row, "pending", i))  # asked below: in flight, pending
    if len(P):
        opt.ask(len(P))  # the queue, in order: no point is proposed, no number drawn
    trials = opt.ask(n)
    return np.array([[float(t.params[f"x{j}"]) for j in range(d)] for t in trials])
