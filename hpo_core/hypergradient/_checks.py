"""Option validation and finiteness checks shared by the hypergradient optimizers."""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any, TypeAlias

import numpy as np

# a learning rate, or one per group: what the constructors and the ``lr`` setters accept
Rates: TypeAlias = float | Sequence[float] | np.ndarray


def _is_real(value: object) -> bool:
    """A real number that is not a bool (numpy scalars and fractions included)."""
    # a plain bool, not a type guard: typeshed's float is no numbers.Real, so narrowing a float
    # argument with isinstance(value, numbers.Real) would leave nothing for the type checker
    return not isinstance(value, bool) and isinstance(value, numbers.Real)


def _real(
    name: str,
    value: Any,
    *,
    low: float,
    high: float = math.inf,
    low_open: bool = False,
    high_open: bool = False,
    allowed: str,
) -> float:
    """Validate a real option and return it as float."""
    if not _is_real(value):
        raise ValueError(f"{name} must be a real number {allowed}, got {value!r}")
    v = float(value)
    bad = (
        not math.isfinite(v)
        or (v <= low if low_open else v < low)
        or (v >= high if high_open else v > high)
    )
    if bad:
        raise ValueError(f"{name} must be {allowed}, got {value!r}")
    return v


def _as_list(arrays: Any, name: str) -> list[np.ndarray]:
    """A list of arrays from a list/tuple of array-likes (a single ndarray counts as one)."""
    if isinstance(arrays, np.ndarray):
        arrays = [arrays]
    try:
        out = [np.asarray(a) for a in arrays]
    except TypeError as exc:
        msg = f"{name} must be a sequence of arrays, got {type(arrays).__name__}"
        raise ValueError(msg) from exc
    for i, a in enumerate(out):
        if not (np.issubdtype(a.dtype, np.floating) or np.issubdtype(a.dtype, np.integer)):
            raise ValueError(f"{name}[{i}] must hold real numbers, got dtype {a.dtype}")
    return out


def _finite(a: np.ndarray) -> bool:
    # one pass without a temporary: a sum is finite unless an entry is NaN/inf or it overflows,
    # and only then (rare) is the exact elementwise test needed
    with np.errstate(over="ignore", invalid="ignore"):
        if np.isfinite(a.sum(dtype=np.float64)):
            return True
    return bool(np.isfinite(a).all())


def _all_finite(arrays: Sequence[np.ndarray]) -> bool:
    return all(_finite(a) for a in arrays)


def _unit(arrays: list[np.ndarray]) -> list[np.ndarray]:
    """The arrays divided by their largest magnitude (float64): the same directions."""
    top = max((float(np.max(np.abs(a))) for a in arrays if a.size), default=0.0)
    return [a.astype(np.float64) / top for a in arrays] if top > 0 else arrays
