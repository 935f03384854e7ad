"""Figures of a study (matplotlib, the ``plot`` extra).

Every function returns a matplotlib ``Figure`` and draws on ``ax`` when one is given (then it
returns the figure of ``ax``: a ``SubFigure`` when ``ax`` is in one). matplotlib
is imported when a function is called, never at ``import hpo_core``.

The plots of one value (convergence, importance, parallel coordinates, slices, contour) take
``target=``: None for the only objective; for a study with several objectives an objective
index, or a function of a trial's values (a tuple) to a float, which is minimised; with
``target_name`` to label it.

- ``convergence``: best value so far against trials, for one study or several (median and
  quartile band across seeds), optionally on a log scale.
- ``importance``: how much each parameter matters: permutation importance of a random forest
  fitted to the trials, or with ``method="gp"`` 1 / lengthscale of a Gaussian process (the
  strategy's own when it keeps one); the method is named on the plot.
- ``parallel_coordinates``: one vertical axis per parameter, one line per trial, coloured by
  value (with its colour bar); categoricals by their labels, log parameters on log axes.
- ``slice_plot``: the value against each parameter.
- ``pareto_front``: the complete trials of a study with several objectives in objective
  space (2-D or 3-D), its Pareto front marked, dominated trials faded, infeasible ones crossed.
- ``hypervolume_history``: the hypervolume of the Pareto front after each trial, the
  reference point in the legend (``hypervolume_so_far`` gives the numbers).
- ``learning_curves``: the intermediate values of each trial against their steps, the pruned
  ones marked where they stopped.
- ``contour``: the posterior mean of a GP fitted to the trials over two numeric parameters,
  the others held at the best trial's values, with the trials drawn on top.
"""

from hpo_core.plots.history import best_so_far, convergence
from hpo_core.plots.hypervolume import hypervolume_history, hypervolume_so_far
from hpo_core.plots.outcomes import learning_curves, pareto_front
from hpo_core.plots.parameters import (
    importance,
    importance_scores,
    parallel_coordinates,
    slice_plot,
)
from hpo_core.plots.posterior import contour

__all__ = [
    "best_so_far",
    "contour",
    "convergence",
    "hypervolume_history",
    "hypervolume_so_far",
    "importance",
    "importance_scores",
    "learning_curves",
    "parallel_coordinates",
    "pareto_front",
    "slice_plot",
]
