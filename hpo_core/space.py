"""Search spaces: dimensions, the unit-cube encoding, and scikit-learn style specifications.

Every dimension maps its values to one column of the unit cube ``[0, 1]``; strategies only ever
see that encoding. ``Real`` and ``Integer`` are linear (or logarithmic with ``log=True``) on
their range; an ``Integer`` with ``n`` values, and a ``Categorical`` with ``n`` choices, give each
value an interval of width ``1/n`` and encode it at that interval's centre, so decoding is exact.

A missing value (a parameter that is inactive for this trial) encodes as NaN; decoding a NaN
column leaves the parameter out of the dict. Conditional parameters use this; plain spaces never
produce it.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["Real", "Integer", "Categorical", "Dimension", "Space"]

REAL, INTEGER, CATEGORICAL = 0, 1, 2


def _is_real_number(x: object) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


def _plain(value: Any) -> Any:
    """numpy scalars to the Python scalar of the same kind; anything else unchanged."""
    return value.item() if isinstance(value, np.generic) else value


@dataclass(frozen=True)
class Real:
    """A real-valued parameter in ``[low, high]``, sampled uniformly (or log-uniformly)."""

    low: float
    high: float
    log: bool = False

    def __post_init__(self) -> None:
        for attr in ("low", "high"):
            v = getattr(self, attr)
            if not _is_real_number(v) or not math.isfinite(v):
                raise ValueError(f"Real {attr} must be a finite real number, got {v!r}")
            object.__setattr__(self, attr, float(v))
        if not isinstance(self.log, bool):
            raise ValueError(f"Real log must be True or False, got {self.log!r}")
        if not self.low < self.high:
            raise ValueError(f"Real needs low < high, got low={self.low!r}, high={self.high!r}")
        if self.log and self.low <= 0:
            raise ValueError(f"Real with log=True needs low > 0, got low={self.low!r}")
        a, b = (math.log(self.low), math.log(self.high)) if self.log else (self.low, self.high)
        object.__setattr__(self, "_a", a)
        object.__setattr__(self, "_w", b - a)

    kind = REAL

    @property
    def levels(self) -> int:
        return 0

    def encode(self, value: Any) -> float:
        if not _is_real_number(value) or not math.isfinite(value):
            raise ValueError(f"expected a finite real number, got {value!r}")
        value = float(value)
        if not self.low <= value <= self.high:
            raise ValueError(f"{value!r} is outside [{self.low!r}, {self.high!r}]")
        return ((math.log(value) if self.log else value) - self._a) / self._w

    def decode(self, u: float) -> float:
        if u <= 0.0:
            return self.low
        if u >= 1.0:
            return self.high
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

    def __post_init__(self) -> None:
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
        object.__setattr__(self, "_n", self.high - self.low + 1)
        if self.log:
            a, b = math.log(self.low - 0.5), math.log(self.high + 0.5)
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
            raise ValueError(f"expected an integer, got {value!r}")
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
        return sorted({int(round(v)) for v in raw})


@dataclass(frozen=True, eq=False)
class Categorical:
    """A choice among listed values; decoding returns the very objects listed."""

    choices: tuple

    def __post_init__(self) -> None:
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
        if not isinstance(other, Categorical) or len(other.choices) != len(self.choices):
            return NotImplemented if not isinstance(other, Categorical) else False
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


def _same_choice(a: Any, b: Any) -> bool:
    """Equal values of the same type (so ``1``, ``1.0`` and ``True`` stay three choices)."""
    if a is b:
        return True
    if type(a) is not type(b):
        return False
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
    except ValueError as err:
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


def _from_distribution(dist: Any) -> Dimension:
    name = dist.dist.name
    lo, hi = dist.support()
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


class Space:
    """An ordered set of named dimensions and its unit-cube encoding.

    Parameters
    ----------
    mapping : Mapping[str, Dimension | list | tuple | scipy.stats frozen distribution] or Space
        Each value is a ``Real``, ``Integer`` or ``Categorical``; a list (its values, as
        GridSearchCV takes them); a tuple ``(low, high)`` or ``(low, high, "log")`` (a range:
        ``Integer`` when both bounds are ints, else ``Real``); or a frozen ``scipy.stats``
        ``uniform``, ``loguniform`` or ``randint`` (as RandomizedSearchCV takes them).

    Examples
    --------
    >>> space = Space({"C": (1e-3, 1e3, "log"), "kernel": ["rbf", "poly"], "degree": (2, 5)})
    >>> space.decode(space.encode({"C": 1.0, "kernel": "poly", "degree": 3}))
    {'C': 1.0, 'kernel': 'poly', 'degree': 3}
    """

    def __init__(self, mapping: Mapping[str, Any] | Space) -> None:
        if isinstance(mapping, Space):
            mapping = mapping.dimensions
        if not isinstance(mapping, Mapping):
            raise ValueError(
                "a search space must be a dict of parameter name -> dimension, "
                f"got {type(mapping).__name__}"
            )
        if not mapping:
            raise ValueError("a search space needs at least one parameter, got an empty dict")
        dims: dict[str, Dimension] = {}
        for name, spec in mapping.items():
            if not isinstance(name, str) or not name:
                raise ValueError(f"parameter names must be non-empty strings, got {name!r}")
            dims[name] = to_dimension(name, spec)
        self.dimensions: dict[str, Dimension] = dims
        self.names: tuple[str, ...] = tuple(dims)
        self._dims: tuple[Dimension, ...] = tuple(dims.values())
        self._decoders = tuple(d.decode for d in self._dims)
        #: number of dimensions (columns of the encoding)
        self.d: int = len(self._dims)
        self.kinds = np.array([d.kind for d in self._dims], dtype=np.int8)
        self.levels = np.array([d.levels for d in self._dims], dtype=np.int64)
        self.kinds.flags.writeable = False
        self.levels.flags.writeable = False

    @classmethod
    def from_dict(cls, mapping: Mapping[str, Any]) -> Space:
        """Same as ``Space(mapping)``; reads scikit-learn style dictionaries."""
        return cls(mapping)

    def __len__(self) -> int:
        return len(self._dims)

    def __iter__(self) -> Iterator[str]:
        return iter(self.names)

    def __getitem__(self, name: str) -> Dimension:
        return self.dimensions[name]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Space) and self.dimensions == other.dimensions

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        inner = ", ".join(f"{n!r}: {d!r}" for n, d in self.dimensions.items())
        return f"Space({{{inner}}})"

    def encode(self, params: Mapping[str, Any]) -> np.ndarray:
        """Encode a parameter dict to a point of shape (d,) on the unit cube.

        Raises ValueError naming the parameter for an unknown name, a missing parameter, or a
        value outside its dimension.
        """
        if not isinstance(params, Mapping):
            raise ValueError(f"params must be a dict of parameter name -> value, got {params!r}")
        unknown = [k for k in params if k not in self.dimensions]
        if unknown:
            raise ValueError(
                f"unknown parameter(s) {unknown!r}; the space has {list(self.names)!r}"
            )
        out = np.empty(len(self._dims))
        for j, (name, dim) in enumerate(self.dimensions.items()):
            if name not in params:
                raise ValueError(f"parameter {name!r} is missing from {dict(params)!r}")
            try:
                out[j] = dim.encode(params[name])
            except ValueError as err:
                raise ValueError(f"parameter {name!r}: {err}") from None
        return out

    def decode(self, x: np.ndarray | Sequence[float]) -> dict[str, Any]:
        """Decode a point of shape (d,) to a dict of plain Python values (NaN columns left out)."""
        row = x.tolist() if isinstance(x, np.ndarray) else [float(u) for u in x]
        if len(row) != self.d:
            raise ValueError(f"expected a point of {self.d} values, got {len(row)}")
        return {
            name: dec(u)
            for name, dec, u in zip(self.names, self._decoders, row, strict=True)
            if u == u
        }

    def snap(self, X: np.ndarray) -> np.ndarray:
        """Move integer and categorical columns of X (n, d) to the centre of their value.

        Returns a new array whose rows decode to the same parameters as X's and encode back to
        themselves. Real columns are clipped to [0, 1].
        """
        X = np.clip(np.asarray(X, dtype=float), 0.0, 1.0)
        for j, dim in enumerate(self._dims):
            if dim.kind == REAL:
                continue
            if dim.kind == INTEGER and dim.log:
                v = np.clip(np.round(np.exp(dim._a + X[:, j] * dim._w)), dim.low, dim.high)
                X[:, j] = (np.log(v) - dim._a) / dim._w
            else:
                k = dim.levels
                X[:, j] = (np.minimum(np.floor(X[:, j] * k), k - 1) + 0.5) / k
        return X

    def grid_axes(self, points: int) -> list[np.ndarray]:
        """Encoded grid values of each dimension: reals cut into ``points`` values on their own
        scale, integers likewise (all of them when they are at most ``points``), all choices of a
        categorical."""
        if not isinstance(points, int) or points < 2:
            raise ValueError(f"grid_points must be an integer >= 2, got {points!r}")
        return [np.array([dim.encode(v) for v in dim.grid(points)]) for dim in self._dims]

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """n uniform points of shape (n, d) on the cube, integer and categorical columns snapped."""
        return self.snap(rng.random((n, self.d)))
