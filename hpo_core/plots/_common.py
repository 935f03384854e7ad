"""Helpers the plots share: matplotlib on demand, a figure or the given axes, the complete
trials, and the encoded columns of each parameter."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure, SubFigure

    from hpo_core.core import Optimizer


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


def complete_trials(opt: Optimizer) -> tuple[np.ndarray, np.ndarray, list]:
    """The encoded points, values and trials of the complete trials (at least 2)."""
    trials = [t for t in opt.trials if t.state == "complete"]
    if len(trials) < 2:
        raise ValueError(f"the study needs at least 2 complete trials to plot, has {len(trials)}")
    return opt.history().X, np.array([t.value for t in trials]), trials


def param_columns(opt: Optimizer) -> dict[str, list[int]]:
    """Parameter name -> the encoded columns that carry it (several in a list of sub-spaces
    that define it differently; none for the hidden column that picks the sub-space)."""
    cols: dict[str, list[int]] = {}
    for j, name in enumerate(opt.space.columns):
        if name is not None:
            cols.setdefault(name, []).append(j)
    return cols
