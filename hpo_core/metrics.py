"""Quality measures of multi-objective results (objectives minimised).

Compiled kernels load on first use; importing this module stays light.

Examples
--------
>>> from hpo_core.metrics import hypervolume
>>> hypervolume([[1.0, 3.0], [2.0, 2.0], [3.0, 1.0]], reference=[4.0, 4.0])
6.0
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["hypervolume", "non_dominated"]


def hypervolume(points: Any, reference: Any) -> float:
    """Exact hypervolume dominated by ``points`` (n, m) up to ``reference`` (m,), any m >= 2.

    Every objective is minimised (negate maximised ones, and their reference coordinate).
    Points that do not strictly dominate the reference add nothing. Exact by a sweep along
    one objective at a time: 200 points in 4 objectives take milliseconds, and each objective
    beyond 4 multiplies the time by about the number of non-dominated points.
    """
    from hpo_core.arrays.evo.pareto import hypervolume as _hv

    return _hv(np.asarray(points, dtype=np.float64), np.asarray(reference, dtype=np.float64))


def non_dominated(points: Any) -> np.ndarray:
    """Boolean mask (n,) of the rows of ``points`` (n, m) that no other row dominates."""
    from hpo_core.arrays.evo.pareto import non_dominated as _nd

    return _nd(np.asarray(points, dtype=np.float64))
