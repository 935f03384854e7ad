"""The compiled core of the Tree-structured Parzen Estimator (TPE).

Arrays in, arrays out: nothing here knows trials or search spaces. TPE splits the observations
into good ones (the best fraction) and bad ones, fits a Parzen estimator to each -- l(x) to the
good, g(x) to the bad -- draws candidates from l and keeps the one with the largest
``log l(x) - log g(x)`` (Bergstra et al. 2011; Optuna's multivariate variant, whose kernels are
joint over the columns).

Notation
--------
========  =============================================================
q         columns of the cube the estimator covers
n         observations; K = n + 1 kernels (the last is the prior)
m         candidate points
L         the largest number of choices among categorical columns
kinds     0 real, 1 integer, 2 categorical (one per column)
========  =============================================================

``mixture`` holds the numba kernels, ``estimator`` their validated wrappers, ``special`` the normal
distribution's functions they need, ``rules`` the split and the weights.
"""

from __future__ import annotations

from hpo_core.arrays.parzen.estimator import Columns, ParzenEstimator, log_ratio, propose
from hpo_core.arrays.parzen.rules import n_below, recency_weights

__all__ = ["Columns", "ParzenEstimator", "log_ratio", "propose", "n_below", "recency_weights"]
