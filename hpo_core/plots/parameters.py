"""What each parameter does: importance, parallel coordinates and slices of a study."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from hpo_core.plots._common import (
    TargetArg,
    complete_trials,
    figure,
    param_columns,
    pyplot,
    resolve_target,
)
from hpo_core.space import CATEGORICAL, INTEGER, Categorical

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure, SubFigure

    from hpo_core.core import Optimizer

__all__ = ["importance", "importance_scores", "parallel_coordinates", "slice_plot"]


_IMPORTANCE_METHODS = ("forest", "gp")


def importance(
    opt: Optimizer,
    ax: Axes | None = None,
    seed: int = 0,
    method: str = "forest",
    target: TargetArg = None,
    target_name: str | None = None,
) -> Figure | SubFigure:
    """Parameter importance, normalised to sum to 1; the title names the method. The same
    study gives the same figure in the process that ran it and loaded from its file.

    ``method="forest"`` (the default): permutation importance of a random forest fitted to the
    complete trials: how much the fit worsens when a parameter's values are shuffled, a
    measure of its effect. ``method="gp"``: 1 / lengthscale of a GP on the unit-cube encoding
    (the strategy's own fitted GP when it has one, as ``bayes`` does, else one fitted to the
    trials): how quickly the value changes along a parameter, which ranks a parameter with a
    small linear effect as low as one with none.

    ``target``: what the importance is of. None, the only objective (a study with several
    objectives must say); an objective index; or a function of a trial's values (a tuple) to a
    float. ``target_name`` labels it (default "value", "objective K" or "target").
    """
    name = resolve_target(opt, target, target_name).name
    names, values, text = importance_scores(opt, method=method, seed=seed, target=target)
    created = ax is None
    order = np.argsort(values)
    fig, ax = figure(ax, figsize=(6, 0.5 * len(names) + 1.5))
    ax.barh([names[i] for i in order], values[order])
    ax.set_xlabel("relative importance" + ("" if name == "value" else f" for {name}"))
    ax.set_title(f"Parameter importance: {text}")
    if created:
        from matplotlib.figure import Figure

        assert isinstance(fig, Figure)  # drawn without axes given: a figure of its own
        fig.tight_layout()  # the x-axis label inside the saved image
    return fig


def importance_scores(
    opt: Optimizer,
    method: str = "forest",
    seed: int = 0,
    n_estimators: int = 200,
    n_repeats: int = 10,
    max_rows: int | None = None,
    target: TargetArg = None,
) -> tuple[list[str], np.ndarray, str]:
    """The parameters, their importance (>= 0, summing to 1 unless all are 0) and the method's
    description, as ``importance`` draws them for ``target``; the forest's size and repeats,
    and with ``max_rows`` (>= 2) the last complete trials only, set its cost. ValueError with
    fewer than 2 complete trials."""
    if method not in _IMPORTANCE_METHODS:
        raise ValueError(f"method must be one of {list(_IMPORTANCE_METHODS)}, got {method!r}")
    if max_rows is not None and (
        isinstance(max_rows, bool) or not isinstance(max_rows, (int, np.integer)) or max_rows < 2
    ):  # the forest needs 2 trials, as the study does
        raise ValueError(f"max_rows must be None or an integer >= 2, got {max_rows!r}")
    goal = resolve_target(opt, target)
    X, y, _ = complete_trials(opt, goal)
    if method == "gp":
        # the strategy's own GP models the single objective, not another target
        own = len(opt.directions) == 1 and not callable(target)
        scores = _lengthscale_importance(opt) if own else None
        text = "GP lengthscales (1 / lengthscale)"
        if scores is None:
            from hpo_core.gp import fit

            model = fit(X, goal.sign * y, bounds=[[0.0, 1.0]] * X.shape[1], seed=seed)
            scores = 1.0 / np.asarray(model.lengthscales, dtype=float)
    else:
        from sklearn.ensemble import RandomForestRegressor
        from sklearn.inspection import permutation_importance

        if max_rows is not None:
            X, y = X[-max_rows:], y[-max_rows:]
        forest = RandomForestRegressor(n_estimators=n_estimators, random_state=seed).fit(X, y)
        scores = permutation_importance(forest, X, y, n_repeats=n_repeats, random_state=seed)[
            "importances_mean"
        ]
        text = "random-forest permutation importance"
    cols = param_columns(opt)
    values = np.array([max(0.0, float(np.sum(scores[c]))) for c in cols.values()])
    total = values.sum()
    return list(cols), (values / total if total > 0 else values), text


def _lengthscale_importance(opt: Optimizer) -> np.ndarray | None:
    lengthscales = getattr(opt.strategy, "lengthscales", None)
    if callable(lengthscales):
        lengthscales = lengthscales()
    if lengthscales is None:
        return None
    ls = np.asarray(lengthscales, dtype=float)
    if ls.shape != (opt.space.d,):
        return None
    return 1.0 / ls


def _axis_labels(dim: Any) -> tuple[np.ndarray, list[str]] | None:
    """Tick positions (encoded) and labels for a categorical or small integer dimension."""
    if dim.kind == CATEGORICAL:
        k = len(dim.choices)
        return (np.arange(k) + 0.5) / k, [str(c) for c in dim.choices]
    if dim.kind == INTEGER and dim.levels <= 10:
        vals = list(range(dim.low, dim.high + 1))
        return np.array([dim.encode(v) for v in vals]), [str(v) for v in vals]
    return None


def parallel_coordinates(
    opt: Optimizer,
    params: Sequence[str] | None = None,
    ax: Axes | None = None,
    target: TargetArg = None,
    target_name: str | None = None,
) -> Figure | SubFigure:
    """One vertical axis per parameter (its own scale: log where log, labels for choices) and
    the objective; one line per complete trial, coloured by value (the colour bar beside it
    tells which, the best end darkest).

    ``target``: the value drawn. None, the only objective (a study with several objectives
    must say); an objective index; or a function of a trial's values (a tuple) to a float,
    taken as minimised. ``target_name`` labels its axis and colour bar.
    """
    goal = resolve_target(opt, target, target_name)
    X, y, trials = complete_trials(opt, goal)
    cols = param_columns(opt)
    params = list(params or cols)
    for p in params:
        if p not in cols:
            raise ValueError(f"unknown parameter {p!r}; the space has {list(cols)!r}")
    fig, ax = figure(ax, figsize=(1.6 * (len(params) + 1) + 1, 4))
    plt = pyplot()
    span = np.ptp(y) or 1.0
    ynorm = (y - y.min()) / span
    # viridis runs from dark to light: the best value (the least, when minimised) darkest
    cmap = plt.get_cmap("viridis" if goal.direction == "minimize" else "viridis_r")
    n_axes = len(params) + 1
    # each axis is the encoding of its parameter's first column: a trial where that column is
    # inactive (the parameter is absent, or defined otherwise by its sub-space) leaves it out
    active = opt.space.active(X) if len(X) else np.ones(X.shape, dtype=bool)
    for i in range(len(trials)):
        pts = []
        for p in params:
            j = cols[p][0]
            pts.append(X[i, j] if active[i, j] else np.nan)
        pts.append(ynorm[i])
        ax.plot(range(n_axes), pts, color=cmap(ynorm[i]), alpha=0.7, lw=1)
    for k, p in enumerate(params):
        ax.axvline(k, color="0.3", lw=0.8)
        dim = opt.space.dimensions[opt.space.names[cols[p][0]]]
        ticks = _axis_labels(dim)
        if ticks is None:
            us = np.linspace(0, 1, 5)
            ticks = (us, [f"{dim.decode(u):.3g}" for u in us])
        for u, lab in zip(*ticks, strict=True):
            ax.annotate(
                lab, (k, u), xytext=(3, 0), textcoords="offset points", fontsize=7, va="center"
            )
    ax.axvline(n_axes - 1, color="0.3", lw=0.8)
    for u in np.linspace(0, 1, 5):
        ax.annotate(
            f"{y.min() + u * span:.3g}",
            (n_axes - 1, u),
            xytext=(3, 0),
            textcoords="offset points",
            fontsize=7,
            va="center",
        )
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize

    legend = ScalarMappable(norm=Normalize(y.min(), y.min() + span), cmap=cmap)
    fig.colorbar(legend, ax=ax, label=goal.name, pad=0.08)
    ax.set_xticks(range(n_axes), [*params, goal.name])
    ax.set_yticks([])
    ax.set_xlim(-0.2, n_axes - 0.6)
    ax.set_ylim(-0.05, 1.05)
    log_names = [
        p
        for p in params
        if getattr(opt.space.dimensions[opt.space.names[cols[p][0]]], "log", False)
    ]
    note = f" (log scale: {', '.join(log_names)})" if log_names else ""
    ax.set_title(f"Parallel coordinates, {len(trials)} trials{note}")
    return fig


def _all_choices(opt: Optimizer, columns: list[int]) -> Categorical:
    """The choices of the categorical definitions of the parameter of ``columns`` (several in
    a list of sub-spaces that define it differently), each once, in order; the first column
    is categorical."""
    axis = opt.space.dimensions[opt.space.names[columns[0]]]
    assert isinstance(axis, Categorical)
    for j in columns[1:]:
        dim = opt.space.dimensions[opt.space.names[j]]
        if isinstance(dim, Categorical):
            new = tuple(c for c in dim.choices if np.isnan(_position(axis, c)))
            axis = Categorical(axis.choices + new)
    return axis


def _position(axis: Categorical, value: Any) -> float:
    """The index of ``value`` among the choices of ``axis``; NaN when it is not one."""
    try:
        return float(axis.index(value))
    except ValueError:
        return np.nan


def slice_plot(
    opt: Optimizer,
    params: Sequence[str] | None = None,
    target: TargetArg = None,
    target_name: str | None = None,
) -> Figure:
    """The value against each parameter, one panel a parameter (log axes where log).

    ``target``: the value drawn. None, the only objective (a study with several objectives
    must say); an objective index; or a function of a trial's values (a tuple) to a float.
    ``target_name`` labels the y-axis.
    """
    goal = resolve_target(opt, target, target_name)
    _, y, trials = complete_trials(opt, goal)
    cols = param_columns(opt)
    params = list(params or cols)
    for p in params:
        if p not in cols:
            raise ValueError(f"unknown parameter {p!r}; the space has {list(cols)!r}")
    plt = pyplot()
    fig, axes = plt.subplots(
        1, len(params), figsize=(3 * len(params), 3), squeeze=False, sharey=True
    )
    for ax, p in zip(axes[0], params, strict=True):
        dim = opt.space.dimensions[opt.space.names[cols[p][0]]]
        idx = [i for i, t in enumerate(trials) if p in t.params]
        vals = [trials[i].params[p] for i in idx]
        if isinstance(dim, Categorical):
            axis = _all_choices(opt, cols[p])  # of every sub-space that defines p
            pos = [_position(axis, v) for v in vals]
            ax.scatter(pos, y[idx], s=12, alpha=0.7)
            ax.set_xticks(range(len(axis.choices)), [str(c) for c in axis.choices])
        else:
            ax.scatter(vals, y[idx], s=12, alpha=0.7)
            if dim.log:
                ax.set_xscale("log")
        ax.set_xlabel(p)
    axes[0][0].set_ylabel(goal.name)
    fig.suptitle(f"Slice plot, {len(trials)} trials")
    fig.tight_layout()
    return fig
