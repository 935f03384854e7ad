"""Search spaces in each reference library's own types, and their points back to params.

A dict of hpo_core dimensions becomes Optuna distributions, scikit-optimize dimensions or a
Hyperopt space: log-scale reals and integers keep their scale, integers stay integers, and
categoricals are passed as their choices (Optuna, when they are plain values) or as indices
(scikit-optimize and Hyperopt, which then give back the very objects listed).

Conditional dimensions (``when={"model": ["svc"]}``) are read from each dimension's ``when``:

- Optuna samples define-by-run (``optuna_suggest``): parents first, then only the parameters
  their values make active.
- Hyperopt gets a tree (``hyperopt_space``): a categorical that other parameters depend on
  becomes ``hp.choice(name, [{name: 0, <active under choice 0>}, ...])``, nested as deep as the
  conditions go. A parameter with several parents sits under the deepest one; its other
  conditions are applied when the point is read back (``from_hyperopt``).
- Everything else searches the flat space (every dimension) and passes on only the active
  parameters (``active_params``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from hpo_core.space import Categorical, Integer, Real

__all__ = [
    "plain_choice",
    "is_conditional",
    "parents_first",
    "is_active",
    "active_params",
    "optuna_suggest",
    "optuna_distributions",
    "from_optuna",
    "skopt_dimensions",
    "from_skopt",
    "hyperopt_space",
    "from_hyperopt",
]


def plain_choice(choices: tuple) -> bool:
    return all(isinstance(c, (str, int, float, bool)) or c is None for c in choices)


# ---------------------------------------------------------------- conditions
def is_conditional(space: Mapping[str, Any]) -> bool:
    """Whether any dimension of ``space`` has a ``when`` condition."""
    return any(getattr(dim, "when", None) for dim in space.values())


def parents_first(space: Mapping[str, Any]) -> list[str]:
    """The names of ``space`` ordered so every parent comes before what depends on it.

    Otherwise the order of ``space``. ValueError for an unknown parent or a cycle (the same
    checks ``hpo_core.space.Space`` makes).
    """
    order: list[str] = []
    state: dict[str, int] = {}  # 1 on the current path, 2 placed

    def visit(name: str, path: tuple[str, ...]) -> None:
        if state.get(name) == 2:
            return
        if state.get(name) == 1:
            raise ValueError(f"conditions form a cycle: {' -> '.join([*path, name])}")
        if name not in space:
            raise ValueError(f"condition of {path[-1]!r} names {name!r}, not in {list(space)}")
        state[name] = 1
        for parent, _ in space[name].when or ():
            visit(parent, (*path, name))
        state[name] = 2
        order.append(name)

    for name in space:
        visit(name, ())
    return order


def is_active(space: Mapping[str, Any], name: str, params: Mapping[str, Any]) -> bool:
    """Whether ``name`` is active given the values of its parents in ``params``.

    A parent missing from ``params`` (itself inactive) makes ``name`` inactive; every
    condition must hold.
    """
    for parent, values in space[name].when or ():
        if parent not in params:
            return False
        pdim = space[parent]
        if pdim.index(params[parent]) not in {pdim.index(v) for v in values}:
            return False
    return True


def active_params(space: Mapping[str, Any], params: Mapping[str, Any]) -> dict[str, Any]:
    """The active parameters of a point of the flat space, in the order of ``space``.

    ``params`` holds a value for every dimension (or at least for every active one); the
    inactive ones are dropped, parents decided first.
    """
    if not is_conditional(space):
        return {name: params[name] for name in space}
    out: dict[str, Any] = {}
    for name in parents_first(space):
        if is_active(space, name, out):
            out[name] = params[name]
    return {name: out[name] for name in space if name in out}


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


def optuna_suggest(trial: Any, space: Mapping[str, Any]) -> dict[str, Any]:
    """Define-by-run: suggest the parameters of ``space`` on an Optuna trial, parents first,
    skipping the inactive ones; return the active params (in the order of ``space``)."""
    values: dict[str, Any] = {}
    for name in parents_first(space):
        if not is_active(space, name, values):
            continue
        dim = space[name]
        if isinstance(dim, Real):
            values[name] = trial.suggest_float(name, dim.low, dim.high, log=dim.log)
        elif isinstance(dim, Integer):
            values[name] = trial.suggest_int(name, dim.low, dim.high, log=dim.log)
        elif plain_choice(dim.choices):
            values[name] = trial.suggest_categorical(name, dim.choices)
        else:
            i = trial.suggest_categorical(name, tuple(range(len(dim.choices))))
            values[name] = dim.choices[i]
    return {name: values[name] for name in space if name in values}


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
    return active_params(space, out)


def _hyperopt_leaf(name: str, dim: Any) -> Any:
    from hyperopt import hp

    if isinstance(dim, Real):
        if dim.log:
            return hp.loguniform(name, math.log(dim.low), math.log(dim.high))
        return hp.uniform(name, dim.low, dim.high)
    if isinstance(dim, Integer):
        if dim.log:
            lo, hi = math.log(dim.low - 0.5), math.log(dim.high + 0.5)
            return hp.qloguniform(name, lo, hi, 1)
        return hp.uniformint(name, dim.low, dim.high)
    return hp.choice(name, list(range(len(dim.choices))))


def hyperopt_space(space: Mapping[str, Any]) -> dict[str, Any]:
    """A Hyperopt space: flat without conditions, else a tree of ``hp.choice`` (module doc)."""
    from hyperopt import hp

    if not is_conditional(space):
        return {name: _hyperopt_leaf(name, dim) for name, dim in space.items()}
    pos = {name: i for i, name in enumerate(parents_first(space))}
    # each conditional parameter hangs under its deepest parent
    anchor = {
        n: max((p for p, _ in d.when), key=pos.__getitem__) for n, d in space.items() if d.when
    }
    children: dict[str, list[str]] = {}
    for name, parent in anchor.items():
        children.setdefault(parent, []).append(name)
    nodes: dict[str, Any] = {}  # one node per label, shared by the branches it is active in

    def node(name: str) -> Any:
        if name in nodes:
            return nodes[name]
        dim = space[name]
        if name not in children:
            nodes[name] = _hyperopt_leaf(name, dim)
            return nodes[name]
        branches = []
        for i in range(len(dim.choices)):
            branch: dict[str, Any] = {name: i}
            for child in children[name]:
                values = dict(space[child].when)[name]
                if i in {dim.index(v) for v in values}:
                    branch[child] = node(child)
            branches.append(branch)
        nodes[name] = hp.choice(name, branches)
        return nodes[name]

    return {name: node(name) for name in space if name not in anchor}


def _flatten(point: Mapping[str, Any], out: dict[str, Any]) -> dict[str, Any]:
    for key, v in point.items():
        if isinstance(v, Mapping):
            _flatten(v, out)
        else:
            out[key] = v
    return out


def from_hyperopt(space: Mapping[str, Any], params: Mapping[str, Any]) -> dict[str, Any]:
    """Params (active ones only) from a point of ``hyperopt_space(space)``, flat or a tree."""
    flat = _flatten(params, {})
    out = {}
    for name, dim in space.items():
        if name not in flat:
            continue
        v = flat[name]
        if isinstance(dim, Real):
            out[name] = float(v)
        elif isinstance(dim, Integer):
            out[name] = min(max(int(round(float(v))), dim.low), dim.high)
        else:
            out[name] = dim.choices[int(v)]
    return active_params(space, out) if is_conditional(space) else out


def check_active(space: Mapping[str, Any], params: Mapping[str, Any]) -> Mapping[str, Any]:
    """``params`` itself; ValueError unless it holds exactly the active parameters."""
    active: dict[str, Any] = {}
    for name in parents_first(space):
        if is_active(space, name, active):
            if name not in params:
                raise ValueError(f"active parameter {name!r} is missing from {dict(params)!r}")
            active[name] = params[name]
    extra = sorted(set(params) - set(active))
    if extra:
        raise ValueError(f"parameter(s) {extra} are not active for {dict(params)!r}")
    return params
