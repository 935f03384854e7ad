"""The contour plot of a study: a GP's posterior mean over two parameters."""

from __future__ import annotations

import math
import numbers
from typing import TYPE_CHECKING, Any

import numpy as np

from hpo_core.plots._common import (
    TargetArg,
    complete_trials,
    feasible,
    figure,
    param_columns,
    resolve_target,
)
from hpo_core.space import INTEGER, Categorical, Integer, Real

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure, SubFigure

    from hpo_core.core import Optimizer

__all__ = ["contour"]


def _continuous(dim: Any, u: np.ndarray) -> np.ndarray:
    """Values of a numeric dimension along encoded coordinates u, without rounding.

    A Real spans [low, high] (on a log scale where log); an Integer gives each value a cell of
    its own, so it spans [low - 0.5, high + 0.5], on a log scale where log.
    """
    if dim.kind == INTEGER and not dim.log:
        return dim.low - 0.5 + u * dim.levels
    lo, hi = (dim.low - 0.5, dim.high + 0.5) if dim.kind == INTEGER else (dim.low, dim.high)
    if not dim.log:
        return lo + u * (hi - lo)
    a = math.log(lo)
    return np.exp(a + u * (math.log(hi) - a))


def contour(
    opt: Optimizer,
    x: str,
    y: str,
    ax: Axes | None = None,
    resolution: int = 60,
    seed: int = 0,
    target: TargetArg = None,
    target_name: str | None = None,
) -> Figure | SubFigure:
    """The posterior mean of a GP fitted to the study, over parameters ``x`` and ``y``.

    The GP (``hpo_core.gp.fit``) is fitted to every complete trial on the unit-cube encoding;
    the other parameters are held at the best trial's values (the best feasible one, in a
    constrained study that has one). The trials are drawn as points (the best as a star). Both
    parameters must be numeric (Real or Integer); log parameters get log axes.

    ``target``: the value modelled. None, the only objective (a study with several objectives
    must say); an objective index (its direction picks the best trial); or a function of a
    trial's values (a tuple) to a float, taken as minimised. ``target_name`` labels the colour
    bar.
    """
    from hpo_core.gp import fit

    if (
        isinstance(resolution, bool)
        or not isinstance(resolution, numbers.Integral)
        or resolution < 5
    ):
        raise ValueError(f"resolution must be an integer >= 5, got {resolution!r}")
    resolution = int(resolution)
    cols = param_columns(opt)
    for p in (x, y):
        if p not in cols:
            raise ValueError(f"unknown parameter {p!r}; the space has {list(cols)!r}")
    if x == y:
        raise ValueError(f"x and y must be two different parameters, got {x!r} twice")
    dims: list[Real | Integer] = []
    for p in (x, y):
        dim = opt.space.dimensions[opt.space.names[cols[p][0]]]
        if isinstance(dim, Categorical):
            raise ValueError(f"contour needs numeric parameters; {p!r} is categorical")
        dims.append(dim)
    goal = resolve_target(opt, target, target_name)
    X, values, trials = complete_trials(opt, goal)
    sign = goal.sign
    model = fit(X, sign * values, bounds=[[0.0, 1.0]] * X.shape[1], seed=seed)
    jx, jy = cols[x][0], cols[y][0]
    u = np.linspace(0.0, 1.0, resolution)
    U, V = np.meshgrid(u, u)
    ok = np.array([feasible(t) for t in trials])  # with none feasible, the best of all
    best = int(np.argmin(np.where(ok | ~ok.any(), sign * values, np.inf)))
    Q = np.repeat(X[best][None, :], U.size, axis=0)
    Q[:, jx], Q[:, jy] = U.ravel(), V.ravel()
    pred = model.predict(Q)
    assert isinstance(pred, np.ndarray)  # without return_std, the mean alone
    mean = sign * pred.reshape(U.shape)
    fig, ax = figure(ax, figsize=(6, 5))
    GX, GY = _continuous(dims[0], U), _continuous(dims[1], V)
    filled = ax.contourf(GX, GY, mean, levels=20, cmap="viridis")
    name = "the value" if goal.name == "value" else goal.name
    fig.colorbar(filled, ax=ax, label=f"posterior mean of {name}")
    px = [t.params.get(x, math.nan) for t in trials]
    py = [t.params.get(y, math.nan) for t in trials]
    ax.scatter(px, py, s=14, c="white", edgecolors="black", linewidths=0.5, label="trials")
    ax.scatter([px[best]], [py[best]], s=120, marker="*", c="red", label="best")
    for dim, set_scale in zip(dims, (ax.set_xscale, ax.set_yscale), strict=True):
        if dim.log:
            set_scale("log")
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    ax.legend(loc="best", fontsize="small")
    ax.set_title(f"GP posterior mean, {len(trials)} trials")
    return fig
