"""How a study converged: the best value so far against trials."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from hpo_core.plots._common import figure

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure, SubFigure

    from hpo_core.core import Optimizer

__all__ = ["best_so_far", "convergence"]


def best_so_far(opt: Optimizer) -> np.ndarray:
    """Best complete value after each trial, shape (t,): NaN before the first complete one."""
    sign = 1.0 if opt.direction == "minimize" else -1.0
    trials = opt.trials
    v = np.full(len(trials), np.inf)
    for i, t in enumerate(trials):
        if t.state == "complete":
            assert t.value is not None  # one objective: a complete trial has its value
            v[i] = sign * t.value
    out = np.minimum.accumulate(v) if len(v) else v
    out = np.where(np.isinf(out), np.nan, sign * out)
    return out


def convergence(
    studies: Optimizer | Sequence[Optimizer] | Mapping[str, Optimizer | Sequence[Optimizer]],
    ax: Axes | None = None,
    log: bool = False,
) -> Figure | SubFigure:
    """Best value so far against trials.

    ``studies`` is one optimizer (one line), a list of optimizers (runs of one method with
    different seeds: median and quartile band), or a dict label -> either (one line each).
    """
    if not isinstance(studies, Mapping):
        studies = {"": studies}
    fig, ax = figure(ax, figsize=(6, 4))
    for label, runs in studies.items():
        runs = [runs] if not isinstance(runs, Sequence) else list(runs)
        if not runs:
            raise ValueError(f"no study to plot for {label!r}")
        curves = [best_so_far(r) for r in runs]
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
    ax.set_ylabel("best value so far")
    if log:
        ax.set_yscale("log")
    if any(studies):
        ax.legend()
    ax.set_title("Convergence")
    return fig
