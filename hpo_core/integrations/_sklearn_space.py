"""Search spaces of the scikit-learn adapter: what GridSearchCV and RandomizedSearchCV take, as a
``Space``, and a trial's parameters back as the estimator's."""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from scipy.stats import rv_discrete

from hpo_core.space import Categorical, Integer, Real, Space
from hpo_core.space.dimensions import _plain, _same_choice

# a distribution that Space does not read natively is searched on its quantiles, kept away from
# 0 and 1 so that unbounded distributions give finite values
_Q_EPS = 1e-6


def _is_distribution(spec: Any) -> bool:
    return hasattr(spec, "rvs") and getattr(spec, "dist", None) is not None


def _is_range(spec: Any) -> bool:
    """``(low, high)`` or ``(low, high, "log")`` with numeric bounds; other tuples are values."""
    if not isinstance(spec, tuple) or len(spec) not in (2, 3):
        return False
    if len(spec) == 3 and spec[2] != "log":
        return False
    return all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in spec[:2])


def _distinct(values: Any) -> list[Any]:
    """A list of values with repeats left out, in order (``np.linspace(1, 10, 12).astype(int)``
    repeats values; GridSearchCV would fit each repeat again)."""
    out: list[Any] = []
    for v in (_plain(v) for v in values):
        if not any(_same_choice(v, w) for w in out):
            out.append(v)
    return out


def _convert(
    spec: Any, sort: bool, tuples_are_values: bool = False
) -> tuple[dict[str, Any], dict[str, Any]]:
    """One dict of a search space as Space reads it, and its quantile-searched distributions.

    ``tuples_are_values``: read a tuple as its values, as GridSearchCV does (a space given as
    ``param_grid`` or ``param_distributions``); else ``(low, high)`` is a range, with a warning
    that GridSearchCV would read it otherwise."""
    if isinstance(spec, Space):
        return dict(spec.dimensions), {}
    if not isinstance(spec, Mapping):
        raise ValueError(
            "search_space must be a dict of parameter name -> values/dimension, a list of "
            f"such dicts, or a Space; got an element of type {type(spec).__name__}"
        )
    items = sorted(spec.items()) if sort else list(spec.items())
    quantiles: dict[str, Any] = {}
    dims: dict[str, Any] = {}
    for name, value in items:
        if _is_range(value) and not tuples_are_values:
            if len(value) == 2:
                warnings.warn(
                    f"search_space[{name!r}] = {value!r} is read as the range from "
                    f"{value[0]!r} to {value[1]!r}, where GridSearchCV and RandomizedSearchCV "
                    f"read a tuple as its values; give a list ({list(value)!r}) for the values, "
                    "or Real / Integer for the range, to say which",
                    UserWarning,
                    stacklevel=2,
                )
            dims[name] = value  # a range, as Space reads it
        elif isinstance(value, (list, np.ndarray)):
            dims[name] = _distinct(value)
        elif isinstance(value, (Real, Integer, Categorical)):
            dims[name] = value
        elif _is_distribution(value):
            one = value.dist.name == "randint" and value.support()[0] == value.support()[1]
            if one:  # a single value, as randint(3, 4)
                dims[name] = [int(value.support()[0])]
            elif value.dist.name in ("uniform", "loguniform", "reciprocal", "randint"):
                dims[name] = value
            elif hasattr(value, "ppf"):
                quantiles[name] = value
                dims[name] = Real(_Q_EPS, 1.0 - _Q_EPS)
            else:
                raise ValueError(f"parameter {name!r}: distribution {value!r} has no ppf")
        elif isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
            dims[name] = _distinct(value)
        else:
            dims[name] = value  # let Space give its error
    return dims, quantiles


def _integral(dist: Any) -> bool:
    """Whether a frozen distribution's values are integers (a discrete one whose values, when
    listed as ``rv_discrete(values=...)``, are all whole numbers)."""
    if not isinstance(dist.dist, rv_discrete):
        return False
    xk = getattr(dist.dist, "xk", None)
    return xk is None or bool(np.all(np.mod(np.asarray(xk, dtype=float), 1.0) == 0.0))


def _same_distribution(a: Any, b: Any) -> bool:
    """Whether two frozen distributions are one: the same object, or the same family with the
    same arguments (``stats.expon(scale=0.1)`` written twice)."""
    if a is b:
        return True
    try:
        return bool(a.dist.name == b.dist.name and a.args == b.args and a.kwds == b.kwds)
    except (AttributeError, ValueError):  # not comparable (arrays as arguments)
        return False


class _Subspace:
    """A search space (a dict, or a list of dicts as one space with a choice among them) and how
    to turn its trials into parameters.

    Frozen scipy.stats distributions that ``Space`` does not read (``norm``, ``expon``,
    ``poisson`` ...) become a ``Real`` column over their quantiles; a trial's quantile ``u`` is
    turned into ``dist.ppf(u)`` (an int for discrete distributions), so uniform random search
    draws exactly from the distribution, as RandomizedSearchCV does.
    """

    def __init__(self, spec: Any, sort: bool, tuples_are_values: bool = False) -> None:
        specs = spec if isinstance(spec, list) else [spec]
        parts = [_convert(s, sort, tuples_are_values) for s in specs]
        self.quantiles: dict[str, Any] = {}
        for _, q in parts:
            for name, dist in q.items():
                if not _same_distribution(self.quantiles.setdefault(name, dist), dist):
                    raise ValueError(
                        f"parameter {name!r} is searched over two different distributions in "
                        "the list of spaces; give it the same distribution in each"
                    )
        for dims, q in parts:
            for name in set(self.quantiles) & set(dims) - set(q):
                raise ValueError(
                    f"parameter {name!r} is a distribution in one space of the list and "
                    "something else in another; give it the same distribution in each"
                )
        dicts = [dims for dims, _ in parts]
        if len(dicts) == 1:
            self.space = Space(dicts[0]) if dicts[0] else None
        else:
            self.space = Space(dicts)

    def params(self, trial_params: dict[str, Any]) -> dict[str, Any]:
        out = dict(trial_params)
        for name, dist in self.quantiles.items():
            if name in out:
                v = float(dist.ppf(out[name]))
                out[name] = int(v) if _integral(dist) else v
        return out


def _size(space: Space) -> int | None:
    """The number of points of a space of integers and categories (None if it has reals or
    more than 100,000 combinations)."""
    if not space.discrete or math.prod(int(v) for v in space.levels) > 100_000:
        return None
    return sum(1 for _ in space.iter_grid(max(2, int(max(space.levels)))))  # every value
