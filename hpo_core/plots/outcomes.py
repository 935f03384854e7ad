"""What the trials gave: the Pareto front of several objectives and the learning curves."""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from hpo_core.plots._common import feasible, figure, pyplot

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure, SubFigure

    from hpo_core.core import Optimizer

__all__ = ["learning_curves", "pareto_front"]


def pareto_front(
    opt: Optimizer, objectives: Sequence[int] | None = None, ax: Axes | None = None
) -> Figure | SubFigure:
    """The complete trials in objective space, the Pareto front marked (and, in 2-D, joined
    by its attainment steps), the dominated trials faded and, in a constrained study, the
    infeasible ones marked with crosses (the front holds feasible trials only). Two objectives
    (or ``objectives=(i, j)``) on plain axes, three (``objectives=(i, j, k)``, the default of a
    study with three or more) on 3-D axes; a given ``ax`` must then be a 3-D one. The front is
    that of all the study's objectives, also when ``objectives`` shows some of them."""
    m = len(opt.directions)
    if m < 2:
        raise ValueError("pareto_front needs a study with several objectives; this one has 1")
    picked = list(objectives) if objectives is not None else list(range(min(m, 3)))
    if (
        len(picked) not in (2, 3)
        or any(
            not isinstance(i, numbers.Integral) or isinstance(i, bool) or not 0 <= i < m
            for i in picked
        )
        or len(set(picked)) < len(picked)
    ):
        raise ValueError(
            f"objectives must be 2 or 3 indices in 0..{m - 1}, got {list(picked)!r} "
            "(each index once)"
        )
    picked = [int(i) for i in picked]
    trials = [t for t in opt.trials if t.state == "complete" and t.values is not None]
    if not trials:
        raise ValueError("the study has no complete trial to plot")
    front = {t.id for t in opt.pareto_front}
    Y = np.array([[t.values[i] for i in picked] for t in trials])  # type: ignore[index]
    on = np.array([t.id in front for t in trials])
    bad = np.array([not feasible(t) for t in trials])
    faded = ~on & ~bad
    labels = [f"objective {i} ({opt.directions[i]})" for i in picked]
    # (rows, style): the dominated, the Pareto front, the infeasible
    groups: list[tuple[np.ndarray, dict[str, Any]]] = [
        (faded, {"s": 12, "color": "0.6", "alpha": 0.4, "label": "dominated"}),
        (on, {"s": 24, "color": "tab:red", "label": "Pareto front", "zorder": 3}),
    ]
    if bad.any():
        groups.append((bad, {"s": 18, "color": "tab:purple", "marker": "x", "label": "infeasible"}))
    if len(picked) == 3:
        if ax is None:
            fig = pyplot().figure(figsize=(6, 5))
            ax = fig.add_subplot(projection="3d")
        elif getattr(ax, "name", None) != "3d":
            raise ValueError(
                "three objectives are drawn on 3-D axes: give ax=...add_subplot(projection="
                "'3d'), or two indices as objectives="
            )
        else:
            fig = ax.figure
        ax3: Any = ax
        for rows, style in groups:
            ax3.scatter(*Y[rows].T, **style)
        ax3.set_zlabel(labels[2])
    else:
        fig, ax = figure(ax, figsize=(6, 4.5))
        for rows, style in groups:
            ax.scatter(Y[rows, 0], Y[rows, 1], **style)
        F = Y[on][np.argsort(Y[on][:, 0])]
        # the region a minimised x-objective's point dominates lies to its right
        right = opt.directions[picked[0]] == "minimize"
        ax.step(F[:, 0], F[:, 1], where="post" if right else "pre", color="tab:red", lw=1)
    ax.set_xlabel(labels[0])
    ax.set_ylabel(labels[1])
    ax.legend()
    title = f"Pareto front: {int(on.sum())} of {len(trials)} complete trials"
    ax.set_title(title + (f", {int(bad.sum())} infeasible" if bad.any() else ""))
    return fig


def learning_curves(
    opt: Optimizer, ax: Axes | None = None, max_trials: int | None = None
) -> Figure | SubFigure:
    """The intermediate values each trial reported against their steps (the last
    ``max_trials`` trials that reported), pruned trials in red with a cross at the step where
    they stopped."""
    reported = [t for t in opt.trials if t.intermediate]
    if max_trials is not None:
        if (
            isinstance(max_trials, bool)
            or not isinstance(max_trials, numbers.Integral)
            or max_trials < 1
        ):
            raise ValueError(f"max_trials must be an integer >= 1, got {max_trials!r}")
        reported = reported[-int(max_trials) :]
    if not reported:
        raise ValueError("no trial of the study reported intermediate values (trial.report)")
    fig, ax = figure(ax, figsize=(6, 4))
    pruned = 0
    for t in reported:
        steps = sorted(t.intermediate)
        values = [t.intermediate[s] for s in steps]
        if t.state == "pruned":
            pruned += 1
            ax.plot(steps, values, color="tab:red", lw=1, alpha=0.8)
            ax.plot(steps[-1], values[-1], "x", color="tab:red", ms=6)
        else:
            ax.plot(steps, values, color="tab:blue", lw=1, alpha=0.5)
    from matplotlib.lines import Line2D

    ax.legend(
        handles=[
            Line2D([], [], color="tab:blue", label=f"not pruned ({len(reported) - pruned})"),
            Line2D([], [], color="tab:red", marker="x", label=f"pruned ({pruned})"),
        ]
    )
    ax.set_xlabel("step")
    ax.set_ylabel("intermediate value")
    ax.set_title(f"Learning curves, {len(reported)} trials")
    return fig
