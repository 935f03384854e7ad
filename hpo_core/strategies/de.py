"""Differential evolution on the unit-cube encoding (``strategy="de"``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

import numpy as np

from hpo_core.arrays.evo import DE_SCHEMES, de_mutation
from hpo_core.strategies import _quadratic as quadratic
from hpo_core.strategies._generational import Generational

if TYPE_CHECKING:
    from hpo_core.space import Space

__all__ = ["DifferentialEvolution"]


class DifferentialEvolution(Generational):
    """Differential evolution: each population slot has a child per generation, which replaces
    it when at least as good (greedy one-to-one selection).

    Children that leave the box are repaired halfway between their target and the bound
    (see ``hpo_core.arrays.evo.de``), so the search does not pile points on the faces. Integer and
    categorical columns evolve as continuous values and are snapped to their values when asked
    (categoricals are thereby treated as ordered, which suits few choices best).

    Selection is steady: each told child competes for its slot as soon as the strategy reads
    it (on the next ask), so children bred after it already see it. Batches larger than a
    generation: ``ask(n)`` with n above what remains of the generation breeds further blocks
    from the population as it stands, each slot getting one more child per block; the
    generation closes when ``lam`` of its children are told, and a child told after that (late)
    still competes for its slot, against the slot's value at that time. A child of a batch
    larger than what remains of the generation (asked before any child of the generation was
    told) that loses to its slot takes the worst slot instead, if it beats it: the slots' extra
    children are not wasted on a slot that a sibling already improved (in batches of 32 and 64,
    ``benchmarks/evolution.py`` did better on every problem but the 5-d Rosenbrock in batches of
    32; smaller batches and single asks are unchanged). In an ask of two or more children, on
    real parameters, the first child of each block bred for it (at most one in ``lam``) is the
    minimum of a full quadratic model of the children told lately (in the coordinates of the
    population's mean and spread), when the model fitted to those told before the newest ranks
    the newest well, as CMA-ES does in large batches (see ``CMAES``): in batches of 8 it took
    the 5-d sphere of ``benchmarks/evolution.py`` from 4e-7 to 4e-31 (30 seeds). Children
    asked one at a time never come from the model. A point told from elsewhere fills an empty
    slot or replaces the worst one if it is better. No told child is dropped.

    Parameters
    ----------
    population_size : int or None, default None
        Slots in the population; None means ``clip(2 * d, 10, 40)`` (small populations suit
        the budgets of hyperparameter searches).
    scheme : {"rand/1/bin", "current-to-best/1/bin"}, default "current-to-best/1/bin"
    F : float or (float, float), default (0.5, 1.0)
        Differential weight in (0, 2]; a pair draws it uniformly per generation ("dither").
    CR : float, default 0.7
        Crossover rate in [0, 1].
    max_age : int or None
        Trials after which a child still pending is ignored (default ``max(1000, 20 * lam)``).

    Examples
    --------
    >>> from hpo_core import Optimizer
    >>> opt = Optimizer({"x": (-5.0, 5.0), "n": (1, 9)}, strategy="de", seed=0)
    >>> best = opt.minimize(lambda p: (p["x"] - 1) ** 2 + (p["n"] - 3) ** 2, n_trials=400)
    >>> round(best.params["x"], 1), best.params["n"]
    (1.0, 3)
    """

    name = "de"
    _steady = True

    def __init__(
        self,
        population_size: int | None = None,
        scheme: str = "current-to-best/1/bin",
        F: float | tuple[float, float] = (0.5, 1.0),
        CR: float = 0.7,
        max_age: int | None = None,
    ) -> None:
        super().__init__(max_age)
        if population_size is not None and (
            not isinstance(population_size, int) or population_size < 5
        ):
            raise ValueError(
                f"population_size must be None or an integer >= 5, got {population_size!r}"
            )
        if scheme not in DE_SCHEMES:
            raise ValueError(f"scheme must be one of {sorted(DE_SCHEMES)}, got {scheme!r}")
        # np.isscalar is typed as a TypeGuard to numpy's scalar union: it would forget that F
        # is a float in one branch and keep the float in the other
        if np.isscalar(F):
            lo = hi = cast(float, F)
        else:
            lo, hi = tuple(cast("tuple[float, float]", F))
        if not 0.0 < lo <= hi <= 2.0:
            raise ValueError(f"F must be a number or a pair (low <= high) in (0, 2], got {F!r}")
        if not 0.0 <= CR <= 1.0:
            raise ValueError(f"CR must be in [0, 1], got {CR!r}")
        self.population_size = population_size
        self.scheme = scheme
        self.F = F
        self.CR = float(CR)
        self._F = (float(lo), float(hi))

    def setup(self, space: Space, rng: np.random.Generator) -> None:
        super().setup(space, rng)
        n = self.population_size
        self.lam = n if n is not None else int(np.clip(2 * space.d, 10, 40))
        self._P = np.zeros((self.lam, space.d))
        self._f = np.full(self.lam, np.nan)
        self._recent: list[tuple[np.ndarray, float]] = []  # children told, newest last
        self._new = 0  # of them since the last look at the quadratic model
        p = quadratic.n_terms(space.d)
        self._model = p <= 500 and bool(np.all(np.asarray(space.kinds) == 0))  # reals only
        self._window = 3 * p + 2 * self.lam

    def _breed(self) -> tuple[np.ndarray, np.ndarray]:
        lam, d, rng = self.lam, self.space.d, self.rng
        slots = np.arange(lam)
        children = rng.random((lam, d))  # for empty slots (and the first generation)
        filled = np.flatnonzero(~np.isnan(self._f))
        if len(filled) < 4:
            return children, self._tagged(slots)
        # three distinct partners per child from the filled slots, none the target itself
        keys = rng.random((lam, len(filled)))
        keys[filled[None, :] == slots[:, None]] = np.inf
        r = filled[np.argsort(keys, axis=1, kind="stable")[:, :3]]
        lo, hi = self._F
        F = lo if lo == hi else float(rng.uniform(lo, hi))
        cu, jrand = rng.random((lam, d)), rng.integers(0, d, lam)
        best = int(filled[np.argmin(self._f[filled])])
        have = ~np.isnan(self._f)
        children[have] = de_mutation(
            self._P, slots[have], r[have], best, F, self.CR, cu[have], jrand[have], self.scheme
        )
        if self._model and self._wanted > 1 and self._new >= lam:
            x = self._model_point(filled)
            if x is not None:  # one child at the minimum of the model
                children[0] = x
        return children, self._tagged(slots)

    def _model_point(self, filled: np.ndarray) -> np.ndarray | None:
        """The minimum of a quadratic model of the children told lately, if the model fitted
        to those before the ones told since the last look ranks these well (as CMA-ES in
        large batches), in the population's coordinates, on the unit cube."""
        newest, self._new = self._new, 0
        # keep the next look's newest children and twice the model's terms before them
        self._window = max(self._window, 2 * quadratic.n_terms(self.space.d) + 2 * newest)
        G = np.array([g for g, _ in self._recent])
        y = np.array([v for _, v in self._recent])
        P = self._P[filled]
        centre, scale = P.mean(axis=0), np.maximum(P.std(axis=0), 1e-12)
        z = quadratic.proposal((G - centre) / scale, y, min(newest, len(y)))
        return None if z is None else np.clip(centre + scale * z, 0.0, 1.0)

    def _tagged(self, slots: np.ndarray) -> np.ndarray:
        """The children's tags: their slots, plus ``lam`` for a batch larger than what
        remains of the generation (see ``_late``)."""
        if self._grown():
            return slots + self.lam
        return slots

    def _advance(self, G: np.ndarray, tags: np.ndarray, y: np.ndarray, n_told: int) -> None:
        for g, slot, v in zip(G, tags.tolist(), y.tolist(), strict=True):
            self._late(g, slot, v)

    def _late(self, g: np.ndarray, tag: int, y: float) -> None:
        if self._model:  # the model's data
            self._recent.append((g, y))
            self._new += 1
            if len(self._recent) > self._window:
                del self._recent[: len(self._recent) - self._window]
        slot = tag % self.lam
        if not y > self._f[slot]:  # also when the slot is empty (NaN)
            self._P[slot], self._f[slot] = g, y
        elif tag >= self.lam and not np.isnan(self._f).any():
            worst = int(np.argmax(self._f))
            if y < self._f[worst]:
                self._P[worst], self._f[worst] = g, y

    def _foreign(self, x: np.ndarray, y: float) -> None:
        empty = np.flatnonzero(np.isnan(self._f))
        slot = int(empty[0]) if len(empty) else int(np.argmax(self._f))
        self._late(x, slot, y)
