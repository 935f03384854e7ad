"""A genetic algorithm on the unit-cube encoding (``strategy="ga"``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from hpo_core.evo import polynomial_mutation, random_reset, sbx, tournament, uniform_crossover
from hpo_core.strategies._generational import Generational

__all__ = ["GeneticAlgorithm"]


class GeneticAlgorithm(Generational):
    """Steady generations of tournament selection, crossover and mutation, with elitism.

    Real and integer columns use simulated binary crossover and polynomial mutation; categorical
    columns use uniform crossover and random-reset mutation (their encoded values have no order).
    Integer and categorical columns are snapped to their values when asked; the genome keeps the
    unsnapped values, so small mutations accumulate instead of being rounded away.

    Survival is elitist, (mu + lambda): the next parents are the best ``population_size``
    distinct points among the parents and the generation's complete children (and any points
    told from elsewhere or late). The first generation is random.

    Parameters
    ----------
    population_size : int, default 50
        Parents kept; also the children per generation.
    crossover_rate : float, default 0.9
        Probability that a pair of parents crosses over (else the children copy them).
    mutation_rate : float or None, default None
        Probability that each column of a child mutates; None means ``1 / d``.
    eta_crossover, eta_mutation : float, default 15 and 20
        Distribution indices of SBX and polynomial mutation: larger keeps children closer.
    tournament_size : int, default 2
    max_age : int or None
        Trials after which a child still pending is ignored (default ``max(1000, 20 * lam)``).

    Examples
    --------
    >>> from hpo_core import Optimizer
    >>> opt = Optimizer({"x": (-5.0, 5.0), "n": (1, 9)}, strategy="ga", seed=0)
    >>> best = opt.minimize(lambda p: (p["x"] - 1) ** 2 + (p["n"] - 3) ** 2, n_trials=400)
    >>> round(best.params["x"], 1), best.params["n"]
    (1.0, 3)
    """

    name = "ga"

    def __init__(
        self,
        population_size: int = 50,
        crossover_rate: float = 0.9,
        mutation_rate: float | None = None,
        eta_crossover: float = 15.0,
        eta_mutation: float = 20.0,
        tournament_size: int = 2,
        max_age: int | None = None,
    ) -> None:
        super().__init__(max_age)
        if not isinstance(population_size, int) or population_size < 4:
            raise ValueError(f"population_size must be an integer >= 4, got {population_size!r}")
        if not 0.0 <= crossover_rate <= 1.0:
            raise ValueError(f"crossover_rate must be in [0, 1], got {crossover_rate!r}")
        if mutation_rate is not None and not 0.0 <= mutation_rate <= 1.0:
            raise ValueError(f"mutation_rate must be None or in [0, 1], got {mutation_rate!r}")
        for name, eta in (("eta_crossover", eta_crossover), ("eta_mutation", eta_mutation)):
            if not 0.0 <= eta < np.inf:
                raise ValueError(f"{name} must be a finite number >= 0, got {eta!r}")
        if not isinstance(tournament_size, int) or tournament_size < 1:
            raise ValueError(f"tournament_size must be an integer >= 1, got {tournament_size!r}")
        self.population_size = population_size
        self.crossover_rate = float(crossover_rate)
        self.mutation_rate = mutation_rate
        self.eta_crossover = float(eta_crossover)
        self.eta_mutation = float(eta_mutation)
        self.tournament_size = tournament_size

    def setup(self, space: Any, rng: np.random.Generator) -> None:
        super().setup(space, rng)
        self.lam = self.population_size
        self._P = np.empty((0, space.d))
        self._f = np.empty(0)
        self._cat = np.asarray(space.kinds) == 2

    # ---------------------------------------------------------------- breeding
    def _breed(self) -> tuple[np.ndarray, np.ndarray]:
        lam, d, rng = self.lam, self.space.d, self.rng
        tags = np.zeros(lam, dtype=np.int64)
        if len(self._P) < max(2, self.population_size // 2):
            return rng.random((lam, d)), tags
        half = (lam + 1) // 2
        win = tournament(self._f, rng.integers(0, len(self._P), (2 * half, self.tournament_size)))
        p1, p2 = self._P[win[:half]], self._P[win[half:]]
        pair = rng.random((half, 1)) < self.crossover_rate
        cross = pair & (rng.random((half, d)) < 0.5)
        swap = rng.random((half, d)) < 0.5
        c1, c2 = sbx(p1, p2, rng.random((half, d)), cross, swap, self.eta_crossover)
        if self._cat.any():
            u1, u2 = uniform_crossover(p1, p2, pair & swap)
            c1[:, self._cat], c2[:, self._cat] = u1[:, self._cat], u2[:, self._cat]
        C = np.concatenate([c1, c2])[:lam]
        rate = self.mutation_rate if self.mutation_rate is not None else 1.0 / d
        mutate = rng.random((lam, d)) < rate
        u = rng.random((lam, d))
        C = polynomial_mutation(C, u, mutate & ~self._cat, self.eta_mutation)
        if self._cat.any():
            C = random_reset(C, mutate & self._cat, u)
        return C, tags

    # ---------------------------------------------------------------- survival
    def _advance(self, G: np.ndarray, tags: np.ndarray, y: np.ndarray, n_told: int) -> None:
        self._merge(G, y)

    def _late(self, g: np.ndarray, tag: int, y: float) -> None:
        self._merge(g[None, :], np.array([y]))

    def _foreign(self, x: np.ndarray, y: float) -> None:
        self._merge(x[None, :], np.array([y]))

    def _merge(self, G: np.ndarray, y: np.ndarray) -> None:
        P = np.concatenate([self._P, G])
        f = np.concatenate([self._f, y])
        # distinct points (as asked, i.e. snapped), the best first; ties keep the older
        _, first = np.unique(self.space.snap(P), axis=0, return_index=True)
        first.sort()
        keep = first[np.argsort(f[first], kind="stable")][: self.population_size]
        keep.sort()
        self._P, self._f = P[keep], f[keep]
