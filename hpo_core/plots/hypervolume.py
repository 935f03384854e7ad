"""How the Pareto front of a study grew: its hypervolume after each trial."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from hpo_core.plots._common import feasible, figure

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure, SubFigure

    from hpo_core.core import Optimizer

__all__ = ["default_reference", "hypervolume_history", "hypervolume_so_far"]


def _signs(opt: Optimizer) -> np.ndarray:
    """1 for each minimised objective, -1 for each maximised one, shape (m,)."""
    return np.array([1.0 if d == "minimize" else -1.0 for d in opt.directions])


def _points(opt: Optimizer) -> tuple[np.ndarray, np.ndarray]:
    """Trial positions (0-based, in ``opt.trials``) and objectives to minimise, shape (n, m),
    of the complete trials (and feasible ones, in a constrained study)."""
    m = len(opt.directions)
    if m < 2:
        raise ValueError("the hypervolume needs a study with several objectives; this one has 1")
    signs = _signs(opt)
    at, rows = [], []
    for i, t in enumerate(opt.trials):
        if t.state == "complete" and t.values is not None and feasible(t):
            at.append(i)
            rows.append(signs * np.asarray(t.values, dtype=float))
    return np.array(at, dtype=np.int64), np.array(rows, dtype=float).reshape(-1, m)


def default_reference(opt: Optimizer) -> np.ndarray:
    """The reference point ``hypervolume_history`` takes by default, in the objectives' own
    senses, shape (m,): per objective, the worst value of the complete (feasible) trials
    pushed 10% of their range further from the best (by 10% of its magnitude, at least 0.1,
    where all trials share one value). So every such trial adds to the hypervolume."""
    _, Y = _points(opt)
    if not len(Y):
        raise ValueError(
            "the study has no complete "
            + ("feasible " if opt.constraints else "")
            + "trial to set a reference point from"
        )
    worst, best = Y.max(axis=0), Y.min(axis=0)
    span = worst - best
    span = np.where(span > 0, span, np.maximum(np.abs(worst), 1.0))
    return _signs(opt) * (worst + 0.1 * span)


def _reference(opt: Optimizer, reference: Sequence[float] | np.ndarray | None) -> np.ndarray:
    m = len(opt.directions)
    if reference is None:
        return default_reference(opt)
    try:
        ref = np.asarray(reference, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"reference must be {m} numbers, got {reference!r}") from None
    if ref.shape != (m,) or not np.all(np.isfinite(ref)):
        raise ValueError(
            f"reference must be {m} finite numbers (one per objective, in its own sense), "
            f"got {reference!r}"
        )
    return ref


def hypervolume_so_far(
    opt: Optimizer, reference: Sequence[float] | np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The hypervolume of the Pareto front after each trial, shape (t,), and the reference
    point used, shape (m,).

    The front is that of the complete trials so far (feasible ones, in a constrained study);
    the hypervolume is ``hpo_core.metrics.hypervolume`` (exact, any number of objectives) of
    the region those trials dominate up to ``reference``, 0 before any trial dominates it.
    ``reference`` is one value per objective in the objective's own sense (for a "maximize"
    objective, a value below those of the trials); None takes ``default_reference(opt)``.
    Only a trial that changes the front costs work: the hypervolume it adds, its box less the
    front's hypervolume within that box.
    """
    from hpo_core.metrics import hypervolume, non_dominated

    ref = _reference(opt, reference)
    signs = _signs(opt)
    r = signs * ref  # every objective minimised
    at, Y = _points(opt)
    out = np.zeros(len(opt.trials))
    front = np.empty((0, Y.shape[1]))
    total = 0.0
    for i, y in zip(at, Y, strict=True):
        if not np.all(y < r) or np.any(np.all(front <= y, axis=1)):
            continue  # beyond the reference, or dominated (or equalled): the front stays
        # what y adds: its box less the part the front covers already, which is the
        # hypervolume of the front limited to y's box (usually a few points: cheap)
        limited = np.maximum(front, y)
        covered = hypervolume(limited[non_dominated(limited)], r) if len(front) else 0.0
        total += max(0.0, float(np.prod(r - y)) - covered)
        front = np.vstack([front[~np.all(y <= front, axis=1)], y])
        out[i] = total
    return np.maximum.accumulate(out) if len(out) else out, ref


def hypervolume_history(
    opt: Optimizer,
    reference: Sequence[float] | np.ndarray | None = None,
    ax: Axes | None = None,
) -> Figure | SubFigure:
    """The hypervolume of the Pareto front (of the complete, and feasible, trials) against
    trials, the reference point in the legend; see ``hypervolume_so_far`` for ``reference``
    and its default. ValueError for a study with one objective or a reference of the wrong
    length."""
    curve, ref = hypervolume_so_far(opt, reference)
    fig, ax = figure(ax, figsize=(6, 4))
    text = ", ".join(f"{v:.4g}" for v in ref)
    which = "given" if reference is not None else "default"
    ax.plot(
        np.arange(1, len(curve) + 1),
        curve,
        drawstyle="steps-post",
        label=f"reference point ({text}), {which}",
    )
    ax.set_xlabel("trial")
    ax.set_ylabel("hypervolume")
    ax.legend(loc="lower right")
    ax.set_title(f"Hypervolume ({', '.join(opt.directions)})")
    return fig
