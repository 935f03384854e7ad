"""Compiled evolutionary operators on the unit cube (arrays in, arrays out).

Nothing here knows about trials or spaces: the strategies adapt the history to these arrays.
Random numbers are drawn by the caller and passed in.
"""

from __future__ import annotations

from hpo_core.arrays.evo.cma import CMAParams, cma_params, cma_sample, cma_update
from hpo_core.arrays.evo.de import DE_SCHEMES, de_mutation
from hpo_core.arrays.evo.operators import (
    polynomial_mutation,
    random_reset,
    sbx,
    tournament,
    uniform_crossover,
)
from hpo_core.arrays.evo.pareto import (
    crowding_distance,
    hypervolume,
    non_dominated,
    nondominated_ranks,
)

__all__ = [
    "CMAParams",
    "DE_SCHEMES",
    "cma_params",
    "cma_sample",
    "cma_update",
    "crowding_distance",
    "hypervolume",
    "non_dominated",
    "nondominated_ranks",
    "de_mutation",
    "polynomial_mutation",
    "random_reset",
    "sbx",
    "tournament",
    "uniform_crossover",
]
