"""Dimensions of a search space and how each maps its values to the unit interval.

``Real`` and ``Integer`` are linear (or logarithmic with ``log=True``) on their range; an
``Integer`` with ``n`` values, and a ``Categorical`` with ``n`` choices, give each value an
interval of width ``1/n`` and encode it at that interval's centre, so decoding is exact.

Any dimension may be conditional: ``when={"kernel": ["rbf", "poly"]}`` makes it active only
when the categorical ``kernel`` takes one of those values (several parents: all must hold).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["Real", "Integer", "Categorical", "Dimension", "to_dimension"]

REAL, INTEGER, CATEGORICAL = 0, 1, 2

#: the most values an Integer may have (its number of levels is kept as a 64-bit int)
MAX_LEVELS = 2**63 - 1


def _is_real_number(x: object) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


def _finite_float(x: object) -> float | None:
    """x as a finite float, or None (not a real number, not finite, or too large for a float)."""
    if not _is_real_number(x):
        return None
    try:
        v = float(x)  # type: ignore[arg-type]
    except (OverflowError, TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def _too_narrow_for_log(kind: str, low: object, high: object) -> ValueError:
    return ValueError(
        f"{kind} range [{low!r}, {high!r}] is too narrow for log=True (the logs of its bounds "
        "are the same float); use log=False"
    )


def _plain(value: Any) -> Any:
    """numpy scalars to the Python scalar of the same kind; anything else unchanged."""
    return value.item() if isinstance(value, np.generic) else value


@dataclass(frozen=True)
class Real:
    """A real-valued parameter in ``[low, high]``, sampled uniformly (or log-uniformly)."""

    low: float
    high: float
    log: bool = False
    when: Any = None
    # the encoding u = (f(value) - _a) / _w, f the log or the identity (set at construction);
    # a range wider than the largest float (high - low overflows) is encoded on half the scale,
    # u = (f(value) / 2 - _a / 2) / _w with _w = high / 2 - low / 2, so its width stays finite
    _a: float = field(init=False, repr=False, compare=False)
    _w: float = field(init=False, repr=False, compare=False)
    _half: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "when", _check_when(self.when))
        for attr in ("low", "high"):
            v = _finite_float(getattr(self, attr))
            if v is None:
                raise ValueError(
                    f"Real {attr} must be a finite real number (at most about 1.8e308 in "
                    f"magnitude), got {getattr(self, attr)!r}"
                )
            object.__setattr__(self, attr, v)
        if not isinstance(self.log, bool):
            raise ValueError(f"Real log must be True or False, got {self.log!r}")
        if not self.low < self.high:
            raise ValueError(f"Real needs low < high, got low={self.low!r}, high={self.high!r}")
        if self.log and self.low <= 0:
            raise ValueError(f"Real with log=True needs low > 0, got low={self.low!r}")
        a, b = (math.log(self.low), math.log(self.high)) if self.log else (self.low, self.high)
        if self.log and not b > a:
            raise _too_narrow_for_log("Real", self.low, self.high)
        half = math.isinf(b - a)
        object.__setattr__(self, "_a", a)
        object.__setattr__(self, "_w", b * 0.5 - a * 0.5 if half else b - a)
        object.__setattr__(self, "_half", half)

    kind = REAL

    @property
    def levels(self) -> int:
        return 0

    def encode(self, value: Any) -> float:
        given, value = value, _finite_float(value)
        if value is None:
            raise ValueError(
                f"expected a finite real number in [{self.low!r}, {self.high!r}], got {given!r}"
            )
        if not self.low <= value <= self.high:
            raise ValueError(f"{value!r} is outside [{self.low!r}, {self.high!r}]")
        if self._half:
            return (value * 0.5 - self._a * 0.5) / self._w
        return ((math.log(value) if self.log else value) - self._a) / self._w

    def decode(self, u: float) -> float:
        if u <= 0.0:
            return self.low
        if u >= 1.0:
            return self.high
        if self._half:  # never log: the logs of floats are far from overflowing
            t = (self._a * 0.5 + u * self._w) * 2.0
            return self.low if t < self.low else self.high if t > self.high else t
        t = self._a + u * self._w
        if self.log:
            t = math.exp(t)
        return self.low if t < self.low else self.high if t > self.high else t

    def grid(self, points: int) -> list[float]:
        return [self.decode(u) for u in np.linspace(0.0, 1.0, points)]


@dataclass(frozen=True)
class Integer:
    """An integer parameter in ``[low, high]`` (both included), optionally on a log scale."""

    low: int
    high: int
    log: bool = False
    when: Any = None
    # the number of values, and with log=True the encoding of Real over [low - 0.5, high + 0.5]
    _n: int = field(init=False, repr=False, compare=False)
    _a: float = field(init=False, repr=False, compare=False)
    _w: float = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "when", _check_when(self.when))
        for attr in ("low", "high"):
            v = _plain(getattr(self, attr))
            if isinstance(v, float) and v.is_integer():
                v = int(v)
            if not isinstance(v, int) or isinstance(v, bool):
                raise ValueError(f"Integer {attr} must be an integer, got {getattr(self, attr)!r}")
            object.__setattr__(self, attr, v)
        if not isinstance(self.log, bool):
            raise ValueError(f"Integer log must be True or False, got {self.log!r}")
        if not self.low < self.high:
            raise ValueError(f"Integer needs low < high, got low={self.low!r}, high={self.high!r}")
        if self.log and self.low < 1:
            raise ValueError(f"Integer with log=True needs low >= 1, got low={self.low!r}")
        if self.high - self.low + 1 > MAX_LEVELS:
            raise ValueError(
                f"Integer range [{self.low!r}, {self.high!r}] has more than 2**63 - 1 values "
                "(the most a range can have); use a narrower range or a Real"
            )
        object.__setattr__(self, "_n", self.high - self.low + 1)
        if self.log:
            a, b = math.log(self.low - 0.5), math.log(self.high + 0.5)
            if not b > a:
                raise _too_narrow_for_log("Integer", self.low, self.high)
            object.__setattr__(self, "_a", a)
            object.__setattr__(self, "_w", b - a)

    kind = INTEGER

    @property
    def levels(self) -> int:
        return self._n

    def encode(self, value: Any) -> float:
        value = _plain(value)
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if not isinstance(value, int) or isinstance(value, bool):
            raise ValueError(f"expected an integer in [{self.low!r}, {self.high!r}], got {value!r}")
        if not self.low <= value <= self.high:
            raise ValueError(f"{value!r} is outside [{self.low!r}, {self.high!r}]")
        if self.log:
            return (math.log(value) - self._a) / self._w
        return (value - self.low + 0.5) / self._n

    def decode(self, u: float) -> int:
        u = 0.0 if u < 0.0 else 1.0 if u > 1.0 else u
        if self.log:
            v = round(math.exp(self._a + u * self._w))
            return self.low if v < self.low else self.high if v > self.high else v
        i = int(u * self._n)
        return self.low + (i if i < self._n else self._n - 1)

    def grid(self, points: int) -> list[int]:
        if self.levels <= points:
            return list(range(self.low, self.high + 1))
        if self.log:
            raw = np.geomspace(self.low, self.high, points)
        else:
            raw = np.linspace(self.low, self.high, points)
        # beyond 2**53 the float grid may round past a bound: clip it back in
        return sorted({min(max(int(round(v)), self.low), self.high) for v in raw})


@dataclass(frozen=True, eq=False)
class Categorical:
    """A choice among listed values; decoding returns the very objects listed."""

    choices: tuple
    when: Any = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "when", _check_when(self.when))
        choices = self.choices
        if isinstance(choices, (str, bytes)) or not isinstance(choices, (Sequence, np.ndarray)):
            raise ValueError(
                f"Categorical choices must be a list or tuple of values, got {choices!r}"
            )
        choices = tuple(_plain(c) for c in choices)
        if not choices:
            raise ValueError("Categorical needs at least one choice, got an empty list")
        for i, a in enumerate(choices):
            for b in choices[:i]:
                if _same_choice(a, b):
                    raise ValueError(f"Categorical choices must be distinct, {a!r} is listed twice")
        object.__setattr__(self, "choices", choices)

    kind = CATEGORICAL

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Categorical):
            return NotImplemented
        if len(other.choices) != len(self.choices) or other.when != self.when:
            return False
        return all(_same_choice(a, b) for a, b in zip(self.choices, other.choices, strict=True))

    def __hash__(self) -> int:
        return hash(len(self.choices))

    @property
    def levels(self) -> int:
        return len(self.choices)

    def index(self, value: Any) -> int:
        for i, c in enumerate(self.choices):
            if c is value:
                return i
        value = _plain(value)
        for i, c in enumerate(self.choices):
            if _same_choice(c, value):
                return i
        raise ValueError(f"{value!r} is not one of the choices {list(self.choices)!r}")

    def encode(self, value: Any) -> float:
        return (self.index(value) + 0.5) / len(self.choices)

    def decode(self, u: float) -> Any:
        k = len(self.choices)
        i = int(u * k) if u > 0.0 else 0
        return self.choices[i if i < k else k - 1]

    def grid(self, points: int) -> list:
        return list(self.choices)


def _check_when(when: Any) -> tuple[tuple[str, tuple], ...] | None:
    """Normalise a condition to ((parent, (value, ...)), ...), or None."""
    if when is None:
        return None
    if isinstance(when, tuple) and all(isinstance(w, tuple) and len(w) == 2 for w in when):
        when = dict(when)
    if not isinstance(when, Mapping) or not when:
        raise ValueError(
            f"when must be a non-empty dict of parent name -> list of its values, got {when!r}"
        )
    out = []
    for parent, values in when.items():
        if not isinstance(parent, str) or not parent:
            raise ValueError(f"when: parent names must be non-empty strings, got {parent!r}")
        many = isinstance(values, (list, tuple, set, frozenset)) or (
            isinstance(values, np.ndarray) and values.ndim > 0
        )
        vals = tuple(values) if many else (values,)
        if not vals:
            raise ValueError(
                f"when[{parent!r}] lists no value: the parameter could never be active"
            )
        out.append((parent, tuple(_plain(v) for v in vals)))
    return tuple(out)


def _same_choice(a: Any, b: Any) -> bool:
    """Equal values of the same type (so ``1``, ``1.0`` and ``True`` stay three choices); NaN
    is one value (``np.nan``, ``math.nan`` and ``float("nan")`` are three objects)."""
    if a is b:
        return True
    if type(a) is not type(b):
        return False
    if type(a) is float and math.isnan(a) and math.isnan(b):
        return True
    try:
        return bool(a == b)
    except Exception:  # objects whose == is not a truth value (arrays): identity only
        return False


Dimension = Real | Integer | Categorical


def to_dimension(name: str, spec: Any) -> Dimension:
    """Turn one entry of a user's specification into a dimension (see ``Space``)."""
    if isinstance(spec, (Real, Integer, Categorical)):
        return spec
    try:
        return _from_spec(spec)
    except (ValueError, TypeError, OverflowError) as err:
        raise ValueError(f"parameter {name!r}: {err}") from None


def _from_spec(spec: Any) -> Dimension:
    if isinstance(spec, tuple):
        if len(spec) == 3 and spec[2] == "log":
            low, high, log = spec[0], spec[1], True
        elif len(spec) == 2:
            low, high, log = spec[0], spec[1], False
        else:
            raise ValueError(
                f"a tuple means a range and must be (low, high) or (low, high, 'log'), got {spec!r}"
            )
        low, high = _plain(low), _plain(high)
        if all(isinstance(v, int) and not isinstance(v, bool) for v in (low, high)):
            return Integer(low, high, log=log)
        if not (_is_real_number(low) and _is_real_number(high)):
            raise ValueError(f"a range needs numeric bounds, got {spec!r}")
        return Real(low, high, log=log)
    if isinstance(spec, (list, np.ndarray)):
        return Categorical(tuple(spec))
    dist = getattr(spec, "dist", None)
    if dist is not None and hasattr(spec, "rvs"):
        return _from_distribution(spec)
    raise ValueError(
        "expected a Real, Integer or Categorical, a list of values, a (low, high) or "
        "(low, high, 'log') tuple, or a frozen scipy.stats uniform, loguniform or randint "
        f"distribution; got {spec!r} of type {type(spec).__name__}"
    )


_SUPPORTED = ("uniform", "loguniform", "reciprocal", "randint")


def _from_distribution(dist: Any) -> Dimension:
    name = dist.dist.name
    lo, hi = dist.support()
    if name in _SUPPORTED and not (math.isfinite(lo) and math.isfinite(hi)):
        args = ", ".join([*map(repr, dist.args), *(f"{k}={v!r}" for k, v in dist.kwds.items())])
        need = {
            "uniform": "a scale > 0",
            "randint": "low < high",
        }.get(name, "0 < low < high (low must be > 0)")
        raise ValueError(
            f"scipy.stats {name}({args}) is not a valid range (its support is [{lo}, {hi}]); "
            f"a {name} dimension needs {need}"
        )
    if name == "uniform":
        return Real(float(lo), float(hi))
    if name in ("loguniform", "reciprocal"):
        return Real(float(lo), float(hi), log=True)
    if name == "randint":
        # support() of randint(low, high) is [low, high - 1]
        return Integer(int(lo), int(hi))
    raise ValueError(
        f"scipy.stats distribution {name!r} is not supported; use uniform, loguniform or randint"
    )
