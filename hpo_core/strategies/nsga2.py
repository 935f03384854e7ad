"""NSGA-II on the unit-cube encoding (``strategy="nsga2"``): several objectives, constraints."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from hpo_core.arrays.evo.pareto import crowding_distance, nondominated_ranks
from hpo_core.strategies.base import History
from hpo_core.strategies.ga import GeneticAlgorithm

if TYPE_CHECKING:
    from hpo_core.space import Space

__all__ = ["NSGA2"]


class NSGA2(GeneticAlgorithm):
    """NSGA-II (Deb et al. 2002): non-dominated sorting and crowding distance.

    Survival is elitist, (mu + lambda): the parents and the generation's complete children
    (and points told from elsewhere or late) are sorted into fronts by constrained domination
    (a feasible point beats an infeasible one, a smaller total violation ``sum max(c, 0)``
    beats a larger one, feasible points compare by Pareto dominance), and the next parents are
    the best ``population_size`` distinct points by front, then by crowding distance (the most
    isolated first). Parents are picked by binary tournaments on (front, crowding), the
    contestants paired off from shuffles of the population so that every parent enters the same
    number of tournaments (as in Deb's reference code and pymoo). Children come from uniform
    crossover (each column of a pair swapped with probability 1/2) and polynomial mutation
    (random reset on categorical columns); ``crossover="sbx"`` takes the simulated binary
    crossover of ``strategy="ga"`` and Deb's paper instead. A child equal (as asked) to a
    parent or to an earlier child of its block is bred again, up to ``_REDRAWS`` times, so
    that evaluations are not spent on known points (pymoo's duplicate elimination). The
    sorting and the crowding distance are compiled (``hpo_core.arrays.evo.pareto``).

    Asks and tells may come in any order and any batch size; failures and trials never told do
    not stall a generation (see ``hpo_core.strategies._generational``). With one objective it
    is an elitist GA that prefers feasible points.

    Parameters
    ----------
    population_size : int, default 50
        Parents kept; also the children per generation.
    crossover_rate : float, default 0.9
        Probability that a pair of parents crosses over.
    mutation_rate : float or None, default None
        Probability that each column of a child mutates; None means ``1 / d``.
    eta_crossover, eta_mutation : float, default 20 and 20
        Distribution indices of SBX and polynomial mutation.
    max_age : int or None
        Trials after which a child still pending is ignored (default ``max(1000, 20 * lam)``).
    crossover : {"uniform", "sbx"}, default "uniform"
        Of real and integer columns: uniform crossover (children exchange each column with
        probability 1/2, as Optuna's ``NSGAIISampler`` does), or simulated binary crossover.
        Uniform crossover passes on the parents' values unchanged, which suits variables that
        act separately; SBX searches between and around them. Uniform is the default because
        it reached a larger hypervolume on every problem of ``benchmarks.multiobjective``'s
        held-out suite (ZDT3, ZDT4, ZDT6, DTLZ1 and UF1, whose variables are tied) at 1,000 and
        2,000 evaluations; see benchmarks/RESULTS.md.
    mutation : {"polynomial", "reset"}, default "polynomial"
        Of real and integer columns: polynomial mutation, or random reset to a uniform value (as
        Optuna's ``NSGAIISampler`` does).

    Examples
    --------
    >>> from hpo_core import Optimizer
    >>> space = {"x": (0.0, 1.0), "y": (0.0, 1.0)}
    >>> opt = Optimizer(space, strategy="nsga2", direction=["minimize", "minimize"], seed=0)
    >>> front = opt.minimize(lambda p: [p["x"], 1 - p["x"] + p["y"] ** 2], n_trials=300)
    >>> len(front) > 10
    True
    """

    #: rounds of breeding again children that repeat a parent or an earlier child
    _REDRAWS = 10

    name = "nsga2"
    multi_objective = True
    handles_constraints = True
    _by_id = True

    def __init__(
        self,
        population_size: int = 50,
        crossover_rate: float = 0.9,
        mutation_rate: float | None = None,
        eta_crossover: float = 20.0,
        eta_mutation: float = 20.0,
        max_age: int | None = None,
        *,
        crossover: str = "uniform",
        mutation: str = "polynomial",
    ) -> None:
        super().__init__(
            population_size,
            crossover_rate,
            mutation_rate,
            eta_crossover,
            eta_mutation,
            2,
            max_age,
            crossover=crossover,
            mutation=mutation,
        )
        del self.tournament_size  # always binary on (front, crowding)

    def setup(self, space: Space, rng: np.random.Generator) -> None:
        super().setup(space, rng)
        self.tournament_size = 2
        self._F = np.empty((0, 1))  # parents' objectives to minimise (p, k)
        self._V = np.empty(0)  # parents' total constraint violation (p,)
        self._history: History | None = None

    def __repr__(self) -> str:
        opts = ", ".join(
            f"{k}={v!r}"
            for k, v in vars(self).items()
            if not k.startswith("_") and k not in ("space", "rng", "tournament_size", "lam")
        )
        return f"{type(self).__name__}({opts})"

    def propose(self, history: History, n: int) -> np.ndarray:
        self._history = history  # the hooks read objectives and constraints by trial id
        try:
            return super().propose(history, n)
        finally:
            self._history = None

    # ---------------------------------------------------------------- breeding
    def _contestants(self, m: int) -> np.ndarray:
        # consecutive pairs of shuffles of the parents: each enters (about) 2m / p tournaments
        p = len(self._P)
        reps = -(-2 * m // p)
        order = self.rng.permuted(np.tile(np.arange(p), (reps, 1)), axis=1).ravel()
        return order[: 2 * m].reshape(m, 2)

    def _breed(self) -> tuple[np.ndarray, np.ndarray]:
        C, tags = super()._breed()
        if len(self._P) < max(2, self.population_size // 2):
            return C, tags  # random points
        for _ in range(self._REDRAWS):
            again = self._repeats(C)
            if not again.any():
                break
            C[again] = super()._breed()[0][: again.sum()]
        return C, tags

    def _repeats(self, C: np.ndarray) -> np.ndarray:
        """Mask (lam,) of the children equal (as asked, i.e. snapped) to a parent or to an
        earlier child."""
        seen = np.ones(len(self._P) + len(C), dtype=bool)
        seen[self._distinct(np.concatenate([self._P, C]))] = False
        return seen[len(self._P) :]

    # ---------------------------------------------------------------- survival
    def _merge(self, G: np.ndarray, ids: np.ndarray) -> None:
        h = self._history
        assert h is not None  # the hooks run inside propose, which sets it
        rows = ids.astype(np.int64)
        Fn = h.Y_all[rows]
        Cn = h.C_all[rows]
        Vn = np.maximum(Cn, 0.0).sum(axis=1) if Cn.shape[1] else np.zeros(len(rows))
        if len(self._P) == 0 or self._F.shape[1] != Fn.shape[1]:
            P, F, V = G, Fn, Vn
        else:
            P = np.concatenate([self._P, G])
            F = np.concatenate([self._F, Fn])
            V = np.concatenate([self._V, Vn])
        # distinct points; of equals the older stays
        first = self._distinct(P)
        P, F, V = P[first], F[first], V[first]
        ranks = nondominated_ranks(F, V)
        if len(P) > self.population_size:
            crowd = crowding_distance(F, ranks)
            order = np.lexsort((-crowd, ranks))[: self.population_size]
            order.sort()
            P, F, V, ranks = P[order], F[order], V[order], ranks[order]
        crowd = crowding_distance(F, ranks)
        self._P, self._F, self._V = P, F, V
        # one number per parent for the tournament: lower front first, then more isolated
        # (in [rank, rank + 1/2]: a crowding of 0 never ties with the next front's ends)
        self._f = ranks + 0.5 / (1.0 + crowd)
