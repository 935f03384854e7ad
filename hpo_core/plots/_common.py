"""Helpers the plots share: matplotlib on demand, a figure or the given axes, the complete
trials, the encoded columns of each parameter, and the ``target=`` a plot draws."""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure, SubFigure

    from hpo_core.core import Optimizer, Trial


def pyplot() -> Any:
    """matplotlib.pyplot, imported now (the ``plot`` extra)."""
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError("hpo_core.plots needs matplotlib: pip install 'hpo_core[plot]'") from None
    return plt


def figure(ax: Axes | None, **kw: Any) -> tuple[Figure | SubFigure, Axes]:
    """The figure of ``ax`` and ``ax``, or a new figure and axes (``kw`` to ``subplots``).

    The figure of an ``ax`` drawn in a subfigure is that SubFigure."""
    if ax is not None:
        return ax.figure, ax
    fig, ax = pyplot().subplots(**kw)
    return fig, ax


def complete_trials(
    opt: Optimizer, target: Target | None = None
) -> tuple[np.ndarray, np.ndarray, list[Trial]]:
    """The encoded points, values (of ``target``, default the only objective) and trials of
    the complete trials (at least 2)."""
    target = target or resolve_target(opt)
    trials = [t for t in opt.trials if t.state == "complete"]
    if len(trials) < 2:
        raise ValueError(f"the study needs at least 2 complete trials to plot, has {len(trials)}")
    return opt.history().X, np.array([target.of(t) for t in trials], dtype=float), trials


def param_columns(opt: Optimizer) -> dict[str, list[int]]:
    """Parameter name -> the encoded columns that carry it (several in a list of sub-spaces
    that define it differently; none for the hidden column that picks the sub-space)."""
    cols: dict[str, list[int]] = {}
    for j, name in enumerate(opt.space.columns):
        if name is not None:
            cols.setdefault(name, []).append(j)
    return cols


#: ``target=`` of a plot: None (the only objective), an objective index, or a function of a
#: trial's values (a tuple) to a float, which is minimised
TargetArg = int | Callable[[Sequence[float]], float] | None


@dataclass(frozen=True)
class Target:
    """What a single-objective plot draws: a float of each complete trial, its label and
    direction (``"minimize"`` or ``"maximize"``: which end is best)."""

    of: Callable[[Trial], float]
    name: str
    direction: str

    @property
    def sign(self) -> float:
        """1 where smaller is better, -1 where larger is."""
        return 1.0 if self.direction == "minimize" else -1.0


def resolve_target(
    opt: Optimizer,
    target: TargetArg = None,
    target_name: str | None = None,
) -> Target:
    """The ``target=`` of a plot: None (the only objective), an objective index, or a function
    of a trial's values (minimised); ``target_name`` labels it."""
    directions = opt.directions
    m = len(directions)
    if target_name is not None and not isinstance(target_name, str):
        raise ValueError(f"target_name must be None or a string, got {target_name!r}")
    if target is None:
        if m > 1:
            raise ValueError(
                f"this study has {m} objectives: pass target= (an objective index in "
                f"0..{m - 1}, or a function of the values to a float) to say which to plot"
            )
        target = 0
        default = "value"
    elif callable(target):
        fn = target

        def of_values(t: Trial) -> float:
            return _as_float(fn(tuple(t.values or ())))

        return Target(of_values, target_name or "target", "minimize")
    else:
        default = f"objective {target}"
    if isinstance(target, bool) or not isinstance(target, numbers.Integral) or not 0 <= target < m:
        raise ValueError(
            f"target must be None, an objective index in 0..{m - 1}, or a function of the "
            f"values to a float; got {target!r}"
        )
    k = int(target)

    def of_index(t: Trial) -> float:
        values = t.values
        assert values is not None  # a complete trial has its values
        return values[k]

    return Target(of_index, target_name or default, directions[k])


def _as_float(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"target must return a real number, got {value!r}")
    out = float(value)
    if not math.isfinite(out):
        raise ValueError(f"target must return a finite number, got {out!r}")
    return out


def feasible(trial: Trial) -> bool:
    """Whether a trial satisfies every constraint it was told with (all ``<= 0``)."""
    return all(c <= 0.0 for c in trial.constraints or ())
