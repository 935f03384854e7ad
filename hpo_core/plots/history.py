"""How a study converged: the best value so far against trials."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from hpo_core.plots._common import TargetArg, feasible, figure, resolve_target

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure, SubFigure

    from hpo_core.core import Optimizer

__all__ = ["best_so_far", "convergence"]


def best_so_far(opt: Optimizer, target: TargetArg = None) -> np.ndarray:
    """Best complete value after each trial, shape (t,): NaN before the first complete one.
    In a constrained study only feasible trials count, as for ``Optimizer.best``.

    ``target`` picks what "value" means: None, the only objective (a study with several
    objectives must say); an objective index, best in that objective's direction; or a
    function of a trial's values (a tuple) to a float, which is minimised.
    """
    goal = resolve_target(opt, target)
    sign = goal.sign
    trials = opt.trials
    v = np.full(len(trials), np.inf)
    for i, t in enumerate(trials):
        if t.state == "complete" and feasible(t):
            v[i] = sign * goal.of(t)
    out = np.minimum.accumulate(v) if len(v) else v
    out = np.where(np.isinf(out), np.nan, sign * out)
    return out


def convergence(
    studies: Optimizer | Sequence[Optimizer] | Mapping[str, Optimizer | Sequence[Optimizer]],
    ax: Axes | None = None,
    log: bool = False,
    target: TargetArg = None,
    target_name: str | None = None,
) -> Figure | SubFigure:
    """Best value so far against trials.

    ``studies`` is one optimizer (one line), a list of optimizers (runs of one method with
    different seeds: median and quartile band), or a dict label -> either (one line each).
    ``target`` as in ``best_so_far`` (None for a single objective; an objective index or a
    function of the values, minimised, for a study with several); ``target_name`` labels the
    y-axis (default "value", "objective K" or "target").
    """
    if not isinstance(studies, Mapping):
        studies = {"": studies}
    fig, ax = figure(ax, figsize=(6, 4))
    name = target_name or "value"
    for label, runs in studies.items():
        runs = [runs] if not isinstance(runs, Sequence) else list(runs)
        if not runs:
            raise ValueError(f"no study to plot for {label!r}")
        curves = [best_so_far(r, target) for r in runs]
        name = resolve_target(runs[0], target, target_name).name
        n = max(len(c) for c in curves)
        M = np.full((len(curves), n), np.nan)
        for i, c in enumerate(curves):
            M[i, : len(c)] = c
            if len(c):
                M[i, len(c) :] = c[-1]
        x = np.arange(1, n + 1)
        with np.errstate(all="ignore"):
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                med = np.nanmedian(M, axis=0)
                lo, hi = np.nanpercentile(M, [25, 75], axis=0)
        (line,) = ax.plot(x, med, label=label or None, drawstyle="steps-post")
        if len(runs) > 1:
            ax.fill_between(x, lo, hi, alpha=0.2, color=line.get_color(), step="post")
    ax.set_xlabel("trial")
    ax.set_ylabel(f"best {name} so far")
    if log:
        ax.set_yscale("log")
    if any(studies):
        ax.legend()
    ax.set_title("Convergence")
    return fig
