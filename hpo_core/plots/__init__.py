"""Figures of a study (matplotlib, the ``plot`` extra).

Every function returns a matplotlib ``Figure`` and draws on ``ax`` when one is given (then it
returns the figure of ``ax``: a ``SubFigure`` when ``ax`` is in one). matplotlib
is imported when a function is called, never at ``import hpo_core``.

- ``convergence``: best value so far against trials, for one study or several (median and
  quartile band across seeds), optionally on a log scale.
- ``importance``: how much each parameter matters: permutation importance of a random forest
  fitted to the trials, or with ``method="gp"`` 1 / lengthscale of a Gaussian process (the
  strategy's own when it keeps one); the method is named on the plot.
- ``parallel_coordinates``: one vertical axis per parameter, one line per trial, coloured by
  value; categoricals by their labels, log parameters on log axes.
- ``slice_plot``: the value against each parameter.
- ``contour``: the posterior mean of a GP fitted to the trials over two numeric parameters,
  the others held at the best trial's values, with the trials drawn on top.
"""

from hpo_core.plots.history import best_so_far, convergence
from hpo_core.plots.parameters import importance, parallel_coordinates, slice_plot
from hpo_core.plots.posterior import contour

__all__ = [
    "best_so_far",
    "contour",
    "convergence",
    "importance",
    "parallel_coordinates",
    "slice_plot",
]
