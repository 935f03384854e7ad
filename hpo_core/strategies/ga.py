"""A genetic algorithm on the unit-cube encoding (``strategy="ga"``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from hpo_core.arrays.evo import (
    polynomial_mutation,
    random_reset,
    sbx,
    tournament,
    uniform_crossover,
)
from hpo_core.strategies._generational import Generational
from hpo_core.strategies.base import is_integer, is_number

if TYPE_CHECKING:
    from hpo_core.space import Space

__all__ = ["GeneticAlgorithm"]

CROSSOVERS = ("sbx", "uniform")
MUTATIONS = ("polynomial", "reset")


class GeneticAlgorithm(Generational):
    """Steady generations of tournament selection, crossover and mutation, with elitism.

    Real and integer columns use simulated binary crossover and polynomial mutation by default
    (``crossover="uniform"`` and ``mutation="reset"`` choose the operators below instead);
    categorical columns always use uniform crossover and random-reset mutation (their encoded
    values have no order).
    Integer and categorical columns are snapped to their values when asked; the genome keeps the
    unsnapped values, so small mutations accumulate instead of being rounded away.

    Survival is elitist, (mu + lambda): the next parents are the best ``population_size``
    distinct points among the parents and the generation's complete children (and any points
    told from elsewhere or late). The first generation is random.

    Batches larger than a generation: ``ask(n)`` with n above what remains of the generation
    breeds further blocks from the same parents; the generation closes when ``population_size``
    of its children are told, and each child told after that (late) joins the next survival
    selection as soon as it is read, as do points told from elsewhere. No told child is
    dropped.

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
    crossover : {"sbx", "uniform"}, default "sbx"
        Of real and integer columns: simulated binary crossover (half of the columns of a pair
        cross, each child drawn around its parent), or uniform crossover (the children exchange
        each column with probability 1/2, so they keep their parents' values).
    mutation : {"polynomial", "reset"}, default "polynomial"
        Of real and integer columns: polynomial mutation (a small step, see ``eta_mutation``),
        or random reset (a fresh uniform value).

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
        *,
        crossover: str = "sbx",
        mutation: str = "polynomial",
    ) -> None:
        super().__init__(max_age)
        if not is_integer(population_size) or population_size < 4:
            raise ValueError(f"population_size must be an integer >= 4, got {population_size!r}")
        if not is_number(crossover_rate) or not 0.0 <= crossover_rate <= 1.0:
            raise ValueError(f"crossover_rate must be in [0, 1], got {crossover_rate!r}")
        if mutation_rate is not None and not (is_number(mutation_rate) and 0 <= mutation_rate <= 1):
            raise ValueError(f"mutation_rate must be None or in [0, 1], got {mutation_rate!r}")
        for name, eta in (("eta_crossover", eta_crossover), ("eta_mutation", eta_mutation)):
            if not is_number(eta) or not 0.0 <= eta < np.inf:
                raise ValueError(f"{name} must be a finite number >= 0, got {eta!r}")
        if not is_integer(tournament_size) or tournament_size < 1:
            raise ValueError(f"tournament_size must be an integer >= 1, got {tournament_size!r}")
        if crossover not in CROSSOVERS:
            raise ValueError(f"crossover must be one of {CROSSOVERS}, got {crossover!r}")
        if mutation not in MUTATIONS:
            raise ValueError(f"mutation must be one of {MUTATIONS}, got {mutation!r}")
        self.population_size = int(population_size)
        self.crossover_rate = float(crossover_rate)
        self.mutation_rate = None if mutation_rate is None else float(mutation_rate)
        self.eta_crossover = float(eta_crossover)
        self.eta_mutation = float(eta_mutation)
        self.tournament_size = int(tournament_size)
        self.crossover = crossover
        self.mutation = mutation

    def setup(self, space: Space, rng: np.random.Generator) -> None:
        super().setup(space, rng)
        self.lam = self.population_size
        self._P = np.empty((0, space.d))
        self._f = np.empty(0)
        self._cat = np.asarray(space.kinds) == 2
        # columns that take uniform crossover and random reset (the others: SBX and polynomial)
        self._ux = np.ones(space.d, bool) if self.crossover == "uniform" else self._cat
        self._rr = np.ones(space.d, bool) if self.mutation == "reset" else self._cat

    # ---------------------------------------------------------------- breeding
    def _breed(self) -> tuple[np.ndarray, np.ndarray]:
        lam, d, rng = self.lam, self.space.d, self.rng
        tags = np.zeros(lam, dtype=np.int64)
        if len(self._P) < max(2, self.population_size // 2):
            return rng.random((lam, d)), tags
        half = (lam + 1) // 2
        win = tournament(self._f, self._contestants(2 * half))
        p1, p2 = self._P[win[:half]], self._P[win[half:]]
        pair = rng.random((half, 1)) < self.crossover_rate
        cross = pair & (rng.random((half, d)) < 0.5)
        swap = rng.random((half, d)) < 0.5
        u = rng.random((half, d))
        ux, rr = self._ux, self._rr
        if ux.all():
            c1, c2 = uniform_crossover(p1, p2, pair & swap)
        else:
            c1, c2 = sbx(p1, p2, u, cross, swap, self.eta_crossover)
            if ux.any():
                u1, u2 = uniform_crossover(p1, p2, pair & swap)
                c1[:, ux], c2[:, ux] = u1[:, ux], u2[:, ux]
        C = np.concatenate([c1, c2])[:lam]
        rate = self.mutation_rate if self.mutation_rate is not None else 1.0 / d
        mutate = rng.random((lam, d)) < rate
        u = rng.random((lam, d))
        if not rr.all():
            C = polynomial_mutation(C, u, mutate & ~rr, self.eta_mutation)
        if rr.any():
            C = random_reset(C, mutate & rr, u)
        return C, tags

    def _contestants(self, m: int) -> np.ndarray:
        """Indices (m, tournament_size) of the parents that meet in each of m tournaments."""
        return self.rng.integers(0, len(self._P), (m, self.tournament_size))

    # ---------------------------------------------------------------- survival
    def _advance(self, G: np.ndarray, tags: np.ndarray, y: np.ndarray, n_told: int) -> None:
        self._merge(G, y)

    def _late(self, g: np.ndarray, tag: int, y: float) -> None:
        self._merge(g[None, :], np.array([y]))

    def _foreign(self, x: np.ndarray, y: float) -> None:
        self._merge(x[None, :], np.array([y]))

    def _distinct(self, P: np.ndarray) -> np.ndarray:
        """Indices, in order, of the rows of P (n, d) that no earlier row equals as asked (that
        is, snapped). Rows are compared as bytes: ``np.unique(..., axis=0)`` is many times
        slower."""
        S = np.ascontiguousarray(self.space.snap(P))
        rows = S.view(np.dtype((np.void, S.dtype.itemsize * S.shape[1]))).ravel()
        first = np.unique(rows, return_index=True)[1]
        first.sort()
        return first

    def _merge(self, G: np.ndarray, y: np.ndarray) -> None:
        P = np.concatenate([self._P, G])
        f = np.concatenate([self._f, y])
        # distinct points, the best first; ties keep the older
        first = self._distinct(P)
        keep = first[np.argsort(f[first], kind="stable")][: self.population_size]
        keep.sort()
        self._P, self._f = P[keep], f[keep]
