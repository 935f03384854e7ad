"""Search spaces: named dimensions, conditions between them, and the unit-cube encoding.

Every dimension maps its values to one column of the unit cube ``[0, 1]``; strategies only
ever see that encoding (see ``hpo_core.space.dimensions``). A conditional dimension that is
inactive for a point is *imputed*: its column holds the fixed value ``INACTIVE`` (0.5), so
models see the same number for every point where it does not apply, never leftover garbage,
and decoding leaves the parameter out of the dict.

A list of dicts (as GridSearchCV takes) is a choice among sub-spaces: a hidden categorical picks
the sub-space, and each sub-space's parameters are conditional on it.
"""

from __future__ import annotations

import operator
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from hpo_core.space import conditions as _conditions
from hpo_core.space.dimensions import (
    Categorical,
    Dimension,
    Integer,
    Real,
    to_dimension,
)

__all__ = ["Real", "Integer", "Categorical", "Dimension", "Space", "INACTIVE"]

#: the encoded value of an inactive conditional dimension
INACTIVE = 0.5


class Space:
    """An ordered set of named dimensions, their conditions, and the unit-cube encoding.

    Parameters
    ----------
    mapping : dict, list of dicts, or Space
        A dict of parameter name -> dimension. Each value is a ``Real``, ``Integer`` or
        ``Categorical``; a list (its values, as GridSearchCV takes them); a tuple
        ``(low, high)`` or ``(low, high, "log")`` (a range: ``Integer`` when both bounds are
        ints, else ``Real``); or a frozen ``scipy.stats`` ``uniform``, ``loguniform`` or
        ``randint`` (as RandomizedSearchCV takes them). A list of such dicts is a choice among
        sub-spaces, as GridSearchCV reads a list of grids.

    Attributes
    ----------
    d : int
        The number of columns of the encoding.
    kinds : ndarray of shape (d,)
        0 real, 1 integer, 2 categorical.
    levels : ndarray of shape (d,)
        The number of values of an integer or categorical column; 0 for reals.
    conditional : bool
        Whether any dimension is conditional (then ``active`` and ``impute`` matter).
    names : tuple of str
        The internal name of each column (a parameter's own name but in lists of sub-spaces).
    columns : tuple of str or None
        The parameter each column decodes to (None for the hidden column that picks a
        sub-space of a list of dicts).
    params : tuple of str
        The parameter names, each once, in column order.

    Examples
    --------
    >>> space = Space({"C": (1e-3, 1e3, "log"), "kernel": ["rbf", "poly"], "degree": (2, 5)})
    >>> space.decode(space.encode({"C": 1.0, "kernel": "poly", "degree": 3}))
    {'C': 1.0, 'kernel': 'poly', 'degree': 3}
    >>> gamma = Real(1e-4, 1.0, log=True, when={"kernel": "rbf"})
    >>> svc = Space({"kernel": ["linear", "rbf"], "gamma": gamma})
    >>> svc.decode(svc.encode({"kernel": "linear"}))
    {'kernel': 'linear'}
    """

    def __init__(self, mapping: Mapping[str, Any] | Sequence[Mapping[str, Any]] | Space) -> None:
        out: Mapping[str, str | None] = {}
        if isinstance(mapping, Space):
            out = dict(zip(mapping.names, mapping.columns, strict=True))
            mapping = mapping.dimensions
        elif isinstance(mapping, (list, tuple)) and all(isinstance(m, Mapping) for m in mapping):
            if len(mapping) == 1:
                mapping = mapping[0]
            else:
                mapping, out = _conditions.from_list(mapping)
        if not isinstance(mapping, Mapping):
            raise ValueError(
                "a search space must be a dict of parameter name -> dimension (or a list of such "
                f"dicts), got {type(mapping).__name__}"
            )
        if not mapping:
            raise ValueError("a search space needs at least one parameter, got an empty dict")
        if not out:  # the user's own names (not the internal ones of sub-spaces or a Space)
            for name in mapping:
                _conditions.check_name(name)
        self._setup(mapping, out)

    def _setup(self, mapping: Mapping[str, Any], out: Mapping[str, str | None]) -> None:
        dims: dict[str, Dimension] = {}
        for name, spec in mapping.items():
            if not isinstance(name, str) or not name:
                raise ValueError(f"parameter names must be non-empty strings, got {name!r}")
            dims[name] = to_dimension(name, spec)
        self.dimensions: dict[str, Dimension] = dims
        #: internal names of the dimensions (a parameter's own name but in lists of sub-spaces)
        self.names: tuple[str, ...] = tuple(dims)
        self._dims: tuple[Dimension, ...] = tuple(dims.values())
        #: the parameter each column decodes to (None for the column that picks a sub-space)
        self.columns: tuple[str | None, ...] = tuple(
            None if n == _conditions.SUBSPACE else out.get(n, n) for n in self.names
        )
        self._decoders = tuple(d.decode for d in self._dims)
        self.d: int = len(self._dims)
        self.kinds = np.array([d.kind for d in self._dims], dtype=np.int8)
        self.levels = np.array([d.levels for d in self._dims], dtype=np.int64)
        self.kinds.flags.writeable = False
        self.levels.flags.writeable = False
        self._conds, self._order = _conditions.compile_conditions(self.names, self._dims)
        self.conditional: bool = any(self._conds)
        #: whether every dimension is an Integer or a Categorical (points can repeat)
        self.discrete: bool = not any(isinstance(d, Real) for d in self._dims)
        self.params: tuple[str, ...] = tuple(
            dict.fromkeys(n for n in self.columns if n is not None)
        )

    @classmethod
    def _from_parts(cls, dims: Mapping[str, Dimension], params: Mapping[str, str | None]) -> Space:
        """A space of internal dimensions and the parameter each decodes to (serialisation)."""
        space = cls.__new__(cls)
        space._setup(dict(dims), {n: p for n, p in params.items() if p is not None})
        return space

    @classmethod
    def from_dict(cls, mapping: Mapping[str, Any] | Sequence[Mapping[str, Any]]) -> Space:
        """Same as ``Space(mapping)``; reads scikit-learn style dictionaries."""
        return cls(mapping)

    def __len__(self) -> int:
        return self.d

    def __iter__(self) -> Iterator[str]:
        return iter(self.names)

    def __getitem__(self, name: str) -> Dimension:
        return self.dimensions[name]

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Space)
            and self.dimensions == other.dimensions
            and self.columns == other.columns
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        inner = ", ".join(f"{n!r}: {d!r}" for n, d in self.dimensions.items())
        return f"Space({{{inner}}})"

    # ------------------------------------------------------------------ encoding
    def encode(self, params: Mapping[str, Any]) -> np.ndarray:
        """Encode a parameter dict to a point of shape (d,) on the unit cube.

        Inactive conditional parameters must be left out (their columns are imputed). Raises
        ValueError naming the parameter for an unknown name, a missing or inactive parameter,
        or a value outside its dimension.
        """
        if not isinstance(params, Mapping):
            raise ValueError(f"params must be a dict of parameter name -> value, got {params!r}")
        unknown = [k for k in params if k not in self.params]
        if unknown:
            raise ValueError(
                f"unknown parameter(s) {unknown!r}; the space has {list(self.params)!r}"
            )
        if not self.conditional:
            out = np.empty(self.d)
            for j, (name, dim) in enumerate(self.dimensions.items()):
                out[j] = self._encode_one(dim, name, params)
            return out
        if self.names[0] != _conditions.SUBSPACE:
            return self._encode_conditional(params, None)
        errors = []
        for i in range(self.levels[0]):
            try:
                return self._encode_conditional(params, i)
            except ValueError as err:
                errors.append(f"sub-space {i}: {err}")
        raise ValueError(f"{dict(params)!r} fits none of the sub-spaces ({'; '.join(errors)})")

    @staticmethod
    def _encode_one(dim: Dimension, name: str, params: Mapping[str, Any]) -> float:
        if name not in params:
            raise ValueError(f"parameter {name!r} is missing from {dict(params)!r}")
        try:
            return dim.encode(params[name])
        except (ValueError, TypeError, OverflowError) as err:
            raise ValueError(f"parameter {name!r}: {err}") from None

    def _encode_conditional(self, params: Mapping[str, Any], sub: int | None) -> np.ndarray:
        x = np.full(self.d, INACTIVE)
        act = [False] * self.d
        used = set()
        for j in self._order:
            act[j] = all(
                act[p] and _conditions.level(x[p], int(self.levels[p])) in ok
                for p, ok in self._conds[j]
            )
            if not act[j]:
                continue
            name = self.columns[j]
            if name is None:
                x[j] = self._dims[j].encode(sub)
            else:
                x[j] = self._encode_one(self._dims[j], name, params)
                used.add(name)
        extra = [k for k in params if k not in used]
        if extra:
            raise ValueError(
                f"parameter(s) {extra!r} are not active for {dict(params)!r}: leave them out"
            )
        return x

    def decode(self, x: np.ndarray | Sequence[float]) -> dict[str, Any]:
        """Decode a point of shape (d,) to a dict of plain Python values (active parameters)."""
        row = x.tolist() if isinstance(x, np.ndarray) else [float(u) for u in x]
        if len(row) != self.d:
            raise ValueError(f"expected a point of {self.d} values, got {len(row)}")
        if not self.conditional:
            # the length is checked above; map and dict avoid a comprehension's frame per call
            return dict(zip(self.names, map(operator.call, self._decoders, row)))  # noqa: B905
        act = _conditions.active_row(row, self._conds, self._order, self.levels)
        return {
            name: self._decoders[j](row[j])
            for j, name in enumerate(self.columns)
            if act[j] and name is not None
        }

    def active(self, X: np.ndarray) -> np.ndarray:
        """Which columns of X (n, d) are active: a bool array of shape (n, d)."""
        X = np.atleast_2d(np.asarray(X, dtype=float))
        if not self.conditional:
            return np.ones(X.shape, dtype=bool)
        return _conditions.active_rows(X, self._conds, self._order, self.levels)

    def check_fixed(self, fixed: Mapping[str, Any]) -> None:
        """Raise ValueError when a parameter of ``fixed`` may be inactive in the points it is
        put into: its parent is not fixed with it, or is fixed to a value for which it is
        inactive."""
        if self.conditional:
            _conditions.check_fixed(self.names, self._dims, self._conds, fixed, self.columns)

    def fix(
        self, X: np.ndarray, fixed: Mapping[str, Any], rng: np.random.Generator | None = None
    ) -> np.ndarray:
        """A copy of X (n, d) with the columns of the parameters in ``fixed`` set to their
        values (names not in the space are left to the encoding's errors). With ``rng``, a
        column that a fixed parent makes active where it was not gets a uniform value."""
        X = np.array(X, dtype=float)
        before = self.active(X) if rng is not None and self.conditional else None
        for j, name in enumerate(self.columns):
            if name is not None and name in fixed:
                X[:, j] = self._encode_one(self._dims[j], name, fixed)
        if before is not None and rng is not None:
            woken = self.active(X) & ~before
            X[woken] = rng.random(int(woken.sum()))
        return X

    def distinct(
        self, X: np.ndarray, taken: np.ndarray, rng: np.random.Generator, tries: int = 100
    ) -> np.ndarray:
        """X (n, d), each row that gives the same parameters as a row of ``taken`` or an earlier
        row of X replaced by a uniform point that does not (the first of ``tries`` draws that
        does not; a small space may have none left, and the last draw is kept)."""
        S, T = self.snap(X), self.snap(taken)
        out = X
        for i in range(len(X)):
            seen = np.concatenate([T, S[:i]])
            for _ in range(tries):
                if not np.any(np.all(seen == S[i], axis=1)):
                    break
                if out is X:
                    out = np.array(X)  # X may be a view of the strategy's own arrays
                out[i] = S[i] = self.sample(1, rng)[0]
        return out

    def impute(self, X: np.ndarray) -> np.ndarray:
        """A copy of X (n, d) whose inactive columns hold ``INACTIVE``."""
        X = np.array(X, dtype=float)
        if self.conditional:
            X[~self.active(X)] = INACTIVE
        return X

    def snap(self, X: np.ndarray) -> np.ndarray:
        """Move integer and categorical columns of X (n, d) to the centre of their value and
        impute inactive columns.

        Returns a new array whose rows decode to the same parameters as X's and encode back to
        themselves. Real columns are clipped to [0, 1].
        """
        X = np.clip(np.asarray(X, dtype=float), 0.0, 1.0)
        for j, dim in enumerate(self._dims):
            if isinstance(dim, Real):
                continue
            if isinstance(dim, Integer) and dim.log:
                v = np.clip(np.round(np.exp(dim._a + X[:, j] * dim._w)), dim.low, dim.high)
                X[:, j] = (np.log(v) - dim._a) / dim._w
            else:
                k = dim.levels
                X[:, j] = (np.minimum(np.floor(X[:, j] * k), k - 1) + 0.5) / k
        return self.impute(X) if self.conditional else X

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """n uniform points of shape (n, d): parents first, then what they make active."""
        return self.snap(rng.random((n, self.d)))

    def to_portable(self, params: Mapping[str, Any], x: np.ndarray | None = None) -> list:
        """One JSON-friendly value per column: a categorical's choice index, an integer or
        real value as given, None where inactive. ``from_portable`` inverts it. ``x``, where
        known, is the encoded point of ``params`` (a proposal and its ``decode``): it saves
        encoding them again."""
        if x is None:
            x = self.encode(params)
        act = self.active(x[None, :])[0]
        out: list[Any] = []
        for j, (dim, name) in enumerate(zip(self._dims, self.columns, strict=True)):
            if not act[j]:
                out.append(None)
            elif isinstance(dim, Categorical):
                out.append(_conditions.level(x[j], dim.levels))
            else:
                out.append(params[name] if name is not None else None)
        return out

    def from_portable(self, values: Sequence[Any]) -> dict[str, Any]:
        """The parameter dict of a ``to_portable`` list."""
        return {
            name: dim.choices[v] if isinstance(dim, Categorical) else v
            for name, dim, v in zip(self.columns, self._dims, values, strict=True)
            if v is not None and name is not None
        }

    # ------------------------------------------------------------------ grids
    def grid_axes(self, points: int) -> list[np.ndarray]:
        """Encoded grid values of each dimension: reals cut into ``points`` values on their own
        scale, integers likewise (all of them when they are at most ``points``), all choices of a
        categorical."""
        if not isinstance(points, int) or points < 2:
            raise ValueError(f"grid_points must be an integer >= 2, got {points!r}")
        return [np.array([dim.encode(v) for v in dim.grid(points)]) for dim in self._dims]

    def iter_grid(self, points: int) -> Iterator[np.ndarray]:
        """Every valid combination of grid values (see ``grid_axes``), parents before children
        and otherwise in the order of the dimensions, the last fastest. An inactive dimension
        takes no values (its column is imputed), so each combination comes once."""
        axes = self.grid_axes(points)
        order, conds, levels = self._order, self._conds, self.levels
        x = np.full(self.d, INACTIVE)
        act = [False] * self.d

        def rec(i: int) -> Iterator[np.ndarray]:
            if i == len(order):
                yield x.copy()
                return
            j = order[i]
            act[j] = all(
                act[p] and _conditions.level(x[p], int(levels[p])) in ok for p, ok in conds[j]
            )
            if not act[j]:
                x[j] = INACTIVE
                yield from rec(i + 1)
                return
            for v in axes[j]:
                x[j] = v
                yield from rec(i + 1)
            x[j] = INACTIVE

        yield from rec(0)
