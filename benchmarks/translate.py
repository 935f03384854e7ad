"""Search spaces in each reference library's own types, and their points back to params.

A dict of hpo_core dimensions becomes Optuna distributions, scikit-optimize dimensions or a
Hyperopt space: log-scale reals and integers keep their scale, integers stay integers, and
categoricals are passed as their choices (Optuna, when they are plain values) or as indices
(scikit-optimize and Hyperopt, which then give back the very objects listed).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from hpo_core.space import Categorical, Integer, Real

__all__ = [
    "plain_choice",
    "optuna_distributions",
    "from_optuna",
    "skopt_dimensions",
    "from_skopt",
    "hyperopt_space",
    "from_hyperopt",
]


def plain_choice(choices: tuple) -> bool:
    return all(isinstance(c, (str, int, float, bool)) or c is None for c in choices)


def optuna_distributions(space: Mapping[str, Any]) -> dict[str, Any]:
    """Optuna distributions for a dict of dimensions (categoricals of other objects by index)."""
    import optuna.distributions as od

    out = {}
    for name, dim in space.items():
        if isinstance(dim, Real):
            out[name] = od.FloatDistribution(dim.low, dim.high, log=dim.log)
        elif isinstance(dim, Integer):
            out[name] = od.IntDistribution(dim.low, dim.high, log=dim.log)
        else:
            ch = dim.choices if plain_choice(dim.choices) else tuple(range(len(dim.choices)))
            out[name] = od.CategoricalDistribution(ch)
    return out


def from_optuna(space: Mapping[str, Any], params: Mapping[str, Any]) -> dict[str, Any]:
    out = {}
    for name, dim in space.items():
        v = params[name]
        if isinstance(dim, Categorical) and not plain_choice(dim.choices):
            v = dim.choices[v]
        out[name] = v
    return out


def skopt_dimensions(space: Mapping[str, Any]) -> list[Any]:
    import skopt.space as ss

    out = []
    for name, dim in space.items():
        if isinstance(dim, Real):
            prior = "log-uniform" if dim.log else "uniform"
            out.append(ss.Real(dim.low, dim.high, prior=prior, name=name))
        elif isinstance(dim, Integer):
            prior = "log-uniform" if dim.log else "uniform"
            out.append(ss.Integer(dim.low, dim.high, prior=prior, name=name))
        else:
            out.append(ss.Categorical(list(range(len(dim.choices))), name=name))
    return out


def from_skopt(space: Mapping[str, Any], x: list[Any]) -> dict[str, Any]:
    out = {}
    for (name, dim), v in zip(space.items(), x, strict=True):
        if isinstance(dim, Real):
            out[name] = float(v)
        elif isinstance(dim, Integer):
            out[name] = int(v)
        else:
            out[name] = dim.choices[int(v)]
    return out


def hyperopt_space(space: Mapping[str, Any]) -> dict[str, Any]:
    from hyperopt import hp

    out = {}
    for name, dim in space.items():
        if isinstance(dim, Real):
            if dim.log:
                out[name] = hp.loguniform(name, math.log(dim.low), math.log(dim.high))
            else:
                out[name] = hp.uniform(name, dim.low, dim.high)
        elif isinstance(dim, Integer):
            if dim.log:
                lo, hi = math.log(dim.low - 0.5), math.log(dim.high + 0.5)
                out[name] = hp.qloguniform(name, lo, hi, 1)
            else:
                out[name] = hp.uniformint(name, dim.low, dim.high)
        else:
            out[name] = hp.choice(name, list(range(len(dim.choices))))
    return out


def from_hyperopt(space: Mapping[str, Any], params: Mapping[str, Any]) -> dict[str, Any]:
    out = {}
    for name, dim in space.items():
        v = params[name]
        if isinstance(dim, Real):
            out[name] = float(v)
        elif isinstance(dim, Integer):
            out[name] = min(max(int(round(float(v))), dim.low), dim.high)
        else:
            out[name] = dim.choices[int(v)]
    return out
