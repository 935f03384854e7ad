"""KerasTuner hyperparameters as hpo_core dimensions, and their values both ways.

Each KerasTuner hyperparameter becomes one ``Param``: its dimension in the hpo_core space and
the conversion of a value to hpo_core's form and back.

- ``hp.Int`` / ``hp.Float`` with a ``step``: an ``Integer`` index over their grid of values
  (linear, or geometric with ``sampling="log"``), so the strategy sees the grid's order.
- ``hp.Int`` without a step (``sampling="log"``): ``Integer(min, max, log=True)``; ``hp.Int``
  with step 1: ``Integer(min, max)``; ``hp.Float`` without a step: ``Real`` (log with
  ``sampling="log"``). ``sampling="reverse_log"`` is searched on a linear scale.
- ``hp.Choice`` and ``hp.Boolean``: ``Categorical``; ``hp.Fixed``: no dimension (its value is
  set wherever it is active).
- ``conditional_scope``: ``when={parent: values}`` when the parent is a Choice or a Boolean. A
  condition on a Fixed parent is dropped when it holds and hides the parameter when it cannot;
  a condition on a numeric parent (which hpo_core's conditions do not take) is dropped: the
  parameter is searched always, and KerasTuner leaves its value out where it is inactive.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from keras_tuner.src.engine.hyperparameters import hp_types

from hpo_core.space import Categorical, Dimension, Integer, Real

__all__ = ["Param", "translate", "to_hpo", "to_keras"]


@dataclass
class Param:
    """One KerasTuner hyperparameter and its place in the hpo_core space."""

    key: str  # the name in the hpo_core space (the hyperparameter's name)
    hp: Any  # the keras_tuner HyperParameter
    dim: Dimension | None  # None: a Fixed value, or a parameter that is never active
    grid: list[Any] | None = None  # the values an index dimension stands for
    when: dict[str, list[Any]] = field(default_factory=dict)  # hpo_core conditions
    never: bool = False  # under a condition that cannot hold

    def ours(self, value: Any) -> Any:
        """A KerasTuner value in hpo_core's form (the nearest grid index for a grid)."""
        grid = self.grid
        if grid is not None:
            if isinstance(self.hp, (hp_types.Int, hp_types.Float)) and self.hp.sampling == "log":
                v = math.log(max(float(value), 1e-300))
                return min(range(len(grid)), key=lambda i: abs(math.log(grid[i]) - v))
            return min(range(len(grid)), key=lambda i: abs(grid[i] - value))
        if isinstance(self.dim, Integer):
            return min(max(int(round(value)), self.dim.low), self.dim.high)
        if isinstance(self.dim, Real):
            return min(max(float(value), self.dim.low), self.dim.high)
        return value

    def keras(self, value: Any) -> Any:
        """An hpo_core value in KerasTuner's form."""
        if self.grid is not None:
            return self.grid[int(value)]
        if isinstance(self.hp, hp_types.Int):
            return int(value)
        if isinstance(self.hp, hp_types.Float):
            return float(value)
        return value


def _grid(hp: Any) -> list[Any]:
    values = list(hp.values)
    if isinstance(hp, hp_types.Int):
        return [int(v) for v in values]
    # KerasTuner's grid may overshoot max_value by rounding: keep it inside
    return [min(float(v), float(hp.max_value)) for v in values]


def _index(n: int) -> Dimension:
    return Integer(0, n - 1) if n > 1 else Categorical((0,))


def _dimension(hp: Any) -> tuple[Dimension | None, list[Any] | None]:
    if isinstance(hp, hp_types.Fixed):
        return None, None
    if isinstance(hp, hp_types.Boolean):
        return Categorical((False, True)), None
    if isinstance(hp, hp_types.Choice):
        return Categorical(tuple(hp.values)), None
    if isinstance(hp, (hp_types.Int, hp_types.Float)):
        log = hp.sampling == "log"
        if hp.min_value == hp.max_value:
            grid = [hp.min_value]
            return _index(1), grid
        if hp.step is not None and not (isinstance(hp, hp_types.Int) and hp.step == 1 and not log):
            grid = _grid(hp)
            return _index(len(grid)), grid
        if isinstance(hp, hp_types.Int):
            return Integer(int(hp.min_value), int(hp.max_value), log=log), None
        return Real(float(hp.min_value), float(hp.max_value), log=log), None
    raise ValueError(
        f"hyperparameter {hp.name!r}: KerasTuner type {type(hp).__name__} has no hpo_core "
        "dimension (Int, Float, Choice, Boolean and Fixed do)"
    )


def translate(hps: Iterable[Any]) -> list[Param]:
    """The ``Param`` of each KerasTuner hyperparameter, in the order given (parents first, as
    ``conditional_scope`` needs the parent declared). A name declared again under other
    conditions gets the key ``name#2``, ``name#3``, ...
    """
    params: list[Param] = []
    by_name: dict[str, Param] = {}
    for hp in hps:
        dim, grid = _dimension(hp)
        key = hp.name
        k = 2
        while key in by_name:
            key, k = f"{hp.name}#{k}", k + 1
        param = Param(key, hp, dim, grid)
        for cond in getattr(hp, "conditions", ()) or ():
            parent = by_name.get(cond.name)
            values = list(cond.values)
            if parent is not None and isinstance(parent.hp, hp_types.Fixed):
                if parent.hp.value in values:
                    continue  # always holds
                parent = None
            if parent is not None and isinstance(parent.dim, Categorical) and parent.grid is None:
                # the parent's choices that KerasTuner's test (==) accepts: [1] holds for 1.0
                values = [c for c in parent.dim.choices if c in values]
                if not values:
                    parent = None  # no choice of the parent meets it
            if parent is None or parent.dim is None:
                # a parent that is never active, or a condition that cannot hold
                param.dim, param.grid, param.never = None, None, True
                break
            if isinstance(parent.dim, Categorical) and parent.grid is None:
                param.when[parent.key] = values
            # a numeric parent: the condition is left to KerasTuner
        by_name[key] = param
        params.append(param)
    for param in params:
        if param.dim is not None and param.when:
            param.dim = _with_when(param.dim, param.when)
    return params


def _with_when(dim: Dimension, when: Mapping[str, Sequence[Any]]) -> Dimension:
    w = {k: list(v) for k, v in when.items()}
    if isinstance(dim, Categorical):
        return Categorical(dim.choices, when=w)
    if isinstance(dim, Integer):
        return Integer(dim.low, dim.high, log=dim.log, when=w)
    assert isinstance(dim, Real)
    return Real(dim.low, dim.high, log=dim.log, when=w)


def space_of(params: Sequence[Param]) -> dict[str, Dimension]:
    """The hpo_core space (a dict of dimensions) of the searched parameters."""
    return {p.key: p.dim for p in params if p.dim is not None}


def _holds(param: Param, ours: Mapping[str, Any]) -> bool:
    if param.dim is None:
        return False
    for parent, values in param.when.items():
        if parent not in ours:
            return False
        value = ours[parent]
        if not any(type(v) is type(value) and v == value for v in values):
            return False
    return True


def to_hpo(params: Sequence[Param], values: Mapping[str, Any]) -> dict[str, Any]:
    """A KerasTuner trial's values as hpo_core parameters: the active ones of the hpo_core
    space, each the trial's value or, when the trial did not have it (it appeared later), the
    hyperparameter's default."""
    ours: dict[str, Any] = {}
    for p in params:
        if not _holds(p, ours):
            continue
        value = values.get(p.hp.name)
        ours[p.key] = p.ours(p.hp.default if value is None else value)
    return ours


def to_keras(params: Sequence[Param], ours: Mapping[str, Any]) -> dict[str, Any]:
    """hpo_core parameters as KerasTuner values, with every Fixed value (KerasTuner drops the
    inactive ones when it records the trial)."""
    values: dict[str, Any] = {}
    for p in params:
        if p.key in ours:
            values.setdefault(p.hp.name, p.keras(ours[p.key]))
    for p in params:
        if isinstance(p.hp, hp_types.Fixed) and not p.never:
            values.setdefault(p.hp.name, p.hp.value)
    return values
