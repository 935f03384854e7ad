"""Quasi-random search: a scrambled Sobol sequence (scipy.stats.qmc), decoded."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

import numpy as np
from scipy.stats import qmc

from hpo_core.strategies.base import History, Strategy

if TYPE_CHECKING:
    from hpo_core.space import Space

__all__ = ["SobolSearch"]


class SobolSearch(Strategy):
    """Points of a scrambled Sobol sequence, which cover the cube more evenly than random ones.

    The sequence is scrambled with the optimizer's seed. Its balance properties hold for runs
    of a power of two points; other lengths are fine, just a little less even.
    """

    name = "sobol"
    multi_objective = True  # ignores the values

    def __init__(self, scramble: bool = True) -> None:
        if not isinstance(scramble, bool):
            raise ValueError(f"scramble must be True or False, got {scramble!r}")
        self.scramble = scramble

    def setup(self, space: Space, rng: np.random.Generator) -> None:
        super().setup(space, rng)
        self._engine = qmc.Sobol(space.d, scramble=self.scramble, rng=rng)

    def propose(self, history: History, n: int) -> np.ndarray:
        with warnings.catch_warnings():
            # qmc warns when a run is not a power of two long; the docstring says so instead
            warnings.simplefilter("ignore", UserWarning)
            return self._engine.random(n)
