"""CMA-ES with IPOP restarts on the unit-cube encoding (``strategy="cmaes"``)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from hpo_core.arrays.evo import CMAParams, cma_sample, cma_update
from hpo_core.strategies import _quadratic as quadratic
from hpo_core.strategies._generational import Generational

if TYPE_CHECKING:
    from hpo_core.space import Space

__all__ = ["CMAES"]


def _reflect(G: np.ndarray) -> np.ndarray:
    """Fold the real line onto [0, 1] by mirroring at 0 and 1 (period 2)."""
    t = np.mod(G, 2.0)
    return np.where(t > 1.0, 2.0 - t, t)


def _nearest_image(x: np.ndarray, m: np.ndarray) -> np.ndarray:
    """The point nearest to ``m`` among those that ``_reflect`` maps to ``x`` (x in [0, 1])."""
    base = 2.0 * np.floor(m / 2.0)
    images = np.stack([base - x, base + x, base + 2.0 - x, base + 2.0 + x])
    return images[np.argmin(np.abs(images - m), axis=0), np.arange(len(x))]


class CMAES(Generational):
    """Covariance matrix adaptation evolution strategy (Hansen's tutorial formulation).

    Encodings and boundaries
        The search runs on the unit cube of the space's encoding. A sample outside [0, 1] is
        mirrored back at the faces (the map is 2-periodic, so the search distribution is never
        cut or piled on a face; the mean is kept within one period of the box). Integer columns
        and categorical columns (a categorical with k choices is one column, choice i covering
        ``[i/k, (i+1)/k)``: an ordinal encoding, best for few or ordered choices) are snapped to
        their values when asked, and their standard deviation ``sigma * sqrt(C[j, j])`` is kept
        at least ``min_step / levels``, so the search does not stall on one value.

    Restarts (IPOP)
        The first run starts from the centre of the box (or the best point told before the
        first ask); a run restarts from a random mean with a doubled population (up to
        ``max_population_size``) when it stagnates, by Hansen's criteria (BBOB 2009): the
        generation bests of the last ``10 + 30 d / lam`` generations and the current values
        span less than ``tolfun``; the real columns' steps fell below ``tolx``; the median of
        the 20 newest generation bests is no better than that of the 20 oldest in the last 20%
        (at least ``120 + 30 d / lam``) of the generations; or C's condition number exceeds 1e14.

    Ask/tell, batches and workers
        A generation has ``lam`` samples, or more when a larger batch is asked before any of its
        samples is told: ``ask(30)`` with ``lam = 10`` draws 30 samples from the current
        distribution, and the update waits for all 30 (failures included) and uses the complete
        ones with the default weights and learning rates of a population of 30. A generation
        grows to at most ``8 lam``; the samples still in flight when a generation closes join
        the next one, which waits for as many of them (up to ``8 lam``). In a generation larger
        than ``lam`` each sample is drawn with its own step size, ``sigma * exp(xi / sqrt(2 d))``
        with ``xi ~ N(0, 1)``, and the new step size is the weighted geometric mean of those of
        the best ``mu`` samples (self-adaptation, as in Beyer and Sendhoff's CMSA-ES, 2008) in
        place of the cumulative step-size adaptation, which follows an optimum too slowly in
        large populations of few dimensions; the covariance learns 1.5 times faster there (the
        rank-mu rate, at most ``1 - c1``). On ``benchmarks/evolution.py batches`` this did better
        on every problem in batches of 32 and 64 (in 10 dimensions at 1,500 evaluations, in
        batches of 32, the sphere at 4e-7 instead of 3e-3, the rotated ellipsoid 154 against 359).
        In a space of real parameters of up to 30 dimensions, such a generation also fits a full
        quadratic model (``p = (d + 1) (d + 2) / 2`` terms, in the coordinates of the
        distribution) to the newest large generations, once more than ``p`` points precede the
        newest; if the model fitted to those ranks the newest generation well (Kendall's tau at
        least 0.8), the first sample of the next large generation is the minimum of the model
        fitted to all of them (at most ``3 sqrt(d)`` steps of the distribution away), as in
        lq-CMA-ES (Hansen, 2019). It costs one sample per generation; where the objective is
        close to a quadratic it reaches the optimum in a few generations. Samples asked one at
        a time, or in batches of at most ``lam``, use the cumulative step-size
        adaptation. No told sample is discarded: one told after its generation closed (a worker
        that returned late, or samples asked one at a time while others were in flight) is
        injected into the next update, and so are points told that were not asked (a warm
        start, or another worker's results): the step from the current mean is clipped to the
        length ``sqrt(d) + 2 d / (d + 2)`` in the metric of ``C`` (Hansen, "Injecting external
        solutions into CMA-ES", 2011). Points told before the first ask set the starting mean
        (the best of them) and join the first update.

    Parameters
    ----------
    sigma0 : float, default 0.2
        Initial step size on the unit cube, in (0, 1]: a fifth of each dimension's range (0.25
        did no better on the problems of ``benchmarks/evolution.py``, 40 seeds).
    population_size : int or None
        Samples per generation of the first run; None means ``4 + floor(3 ln d)``.
    restarts : bool, default True
        IPOP restarts on stagnation.
    max_population_size : int, default 512
    min_step : float, default 0.3
        Floor of the standard deviation of integer and categorical columns, in units of one
        value's width.
    tolfun, tolx : float, default 1e-12
    max_age : int or None
        Trials after which a sample still pending is ignored (default ``max(1000, 20 * lam)``).

    Examples
    --------
    >>> from hpo_core import Optimizer
    >>> opt = Optimizer({"x": (-5.0, 5.0), "n": (1, 9)}, strategy="cmaes", seed=0)
    >>> best = opt.minimize(lambda p: (p["x"] - 1) ** 2 + (p["n"] - 3) ** 2, n_trials=400)
    >>> round(best.params["x"], 1), best.params["n"]
    (1.0, 3)
    """

    name = "cmaes"
    _grow = 8

    def __init__(
        self,
        sigma0: float = 0.2,
        population_size: int | None = None,
        restarts: bool = True,
        max_population_size: int = 512,
        min_step: float = 0.3,
        tolfun: float = 1e-12,
        tolx: float = 1e-12,
        max_age: int | None = None,
    ) -> None:
        super().__init__(max_age)
        if not 0.0 < sigma0 <= 1.0:
            raise ValueError(f"sigma0 must be in (0, 1], got {sigma0!r}")
        if population_size is not None and (
            not isinstance(population_size, int) or population_size < 2
        ):
            raise ValueError(
                f"population_size must be None or an integer >= 2, got {population_size!r}"
            )
        if not isinstance(restarts, bool):
            raise ValueError(f"restarts must be True or False, got {restarts!r}")
        if not isinstance(max_population_size, int) or max_population_size < 2:
            raise ValueError(
                f"max_population_size must be an integer >= 2, got {max_population_size!r}"
            )
        if not 0.0 <= min_step <= 1.0:
            raise ValueError(f"min_step must be in [0, 1], got {min_step!r}")
        for name, tol in (("tolfun", tolfun), ("tolx", tolx)):
            if not 0.0 <= tol < np.inf:
                raise ValueError(f"{name} must be a finite number >= 0, got {tol!r}")
        self.sigma0 = float(sigma0)
        self.population_size = population_size
        self.restarts = restarts
        self.max_population_size = max_population_size
        self.min_step = float(min_step)
        self.tolfun = float(tolfun)
        self.tolx = float(tolx)

    def setup(self, space: Space, rng: np.random.Generator) -> None:
        super().setup(space, rng)
        d = space.d
        self._lam0 = self.population_size or 4 + int(3 * math.log(d))
        levels = np.asarray(space.levels, dtype=float)
        self._min_std = np.where(levels > 0, self.min_step / np.maximum(levels, 1), 0.0)
        self._real = np.asarray(space.kinds) == 0
        self._params: dict[tuple[int, bool], CMAParams] = {}
        self._warm: list[tuple[np.ndarray, float]] = []
        self._restarts = 0
        self._start(self._lam0, mean=None)

    def _start(self, lam: int, mean: np.ndarray | None) -> None:
        d = self.space.d
        self.lam = lam
        self._mean = mean
        self._sigma = self.sigma0
        self._C, self._B, self._D = np.eye(d), np.eye(d), np.ones(d)
        self._pc, self._ps = np.zeros(d), np.zeros(d)
        self._g = 0  # updates in this run
        self._gen_bests: list[float] = []
        self._recent: list[tuple[np.ndarray, np.ndarray]] = []  # large generations' (G, y)
        self._model_point: np.ndarray | None = None  # for the next large generation

    def _p(self, lam: int, adapted: bool = False) -> CMAParams:
        """The parameters for ``lam`` samples; for a self-adapted generation the rank-mu
        learning rate is 1.5 times the default (at most ``1 - c1``)."""
        key = (lam, adapted)
        if key not in self._params:
            p = CMAParams(self.space.d, lam)
            if adapted:
                p.cmu = min(1.0 - p.c1, 1.5 * p.cmu)
            self._params[key] = p
        return self._params[key]

    @property
    def mean(self) -> np.ndarray | None:
        """The current mean on the unit cube (None before the first ask)."""
        return None if self._mean is None else _reflect(self._mean)

    @property
    def restarts_done(self) -> int:
        """Restarts so far."""
        return self._restarts

    @property
    def sigma(self) -> float:
        """The current step size."""
        return self._sigma

    # ---------------------------------------------------------------- ask
    def _breed(self) -> tuple[np.ndarray, np.ndarray]:
        if self._mean is None:
            if self._warm:
                self._mean = min(self._warm, key=lambda w: w[1])[0].copy()
                warm, self._warm = self._warm, []
                for x, y in warm:  # they join the first update without closing it
                    self._members.append((self._clipped(x), self._restarts, y))
            else:
                self._mean = np.full(self.space.d, 0.5)
        d = self.space.d
        Z = self.rng.standard_normal((self.lam, d))
        X, _ = cma_sample(self._mean, self._sigma, self._B, self._D, Z)
        log_s = np.full(self.lam, math.log(self._sigma))
        if self._grown():  # each sample its own step size, selected with it
            xi = self.rng.standard_normal(self.lam) / math.sqrt(2 * d)
            X = self._mean + (X - self._mean) * np.exp(xi)[:, None]
            log_s += xi
            if self._model_point is not None:  # one sample at the minimum of the model
                X[0], log_s[0], self._model_point = self._model_point, math.log(self._sigma), None
        return np.column_stack([X, log_s]), np.full(self.lam, self._restarts, dtype=np.int64)

    def _express(self, G: np.ndarray) -> np.ndarray:
        return self.space.snap(_reflect(G[:, :-1]))

    # ---------------------------------------------------------------- tell
    def _clipped(self, x: np.ndarray) -> np.ndarray:
        """The genotype of x (on the unit cube): its image nearest the mean, the step from the
        mean clipped to a typical length in the metric of C (Hansen, 2011), and the log of the
        current step size (so it leaves a self-adapted step size where it is)."""
        assert self._mean is not None
        d = self.space.d
        step = (_nearest_image(x, self._mean) - self._mean) / self._sigma
        norm = np.linalg.norm((self._B.T @ step) / self._D)
        cap = math.sqrt(d) + 2 * d / (d + 2)
        if norm > cap:
            step *= cap / norm
        return np.append(self._mean + self._sigma * step, math.log(self._sigma))

    def _foreign(self, x: np.ndarray, y: float) -> None:
        if self._mean is None:
            self._warm.append((x, y))
            self._joined += 1  # counted when the first generation closes
            return
        self._join(self._clipped(x), self._restarts, y)

    def _late(self, g: np.ndarray, tag: int, y: float) -> None:
        self._foreign(_reflect(g[:-1]), y)

    def _advance(self, G: np.ndarray, tags: np.ndarray, y: np.ndarray, n_told: int) -> None:
        if len(y) == 0 or self._mean is None:
            return
        order = np.argsort(y, kind="stable")
        log_s = G[order, -1]
        adapted = bool(np.ptp(log_s) > 0)
        params = self._p(max(2, len(y)), adapted)
        sigma_next = None
        if adapted:  # the new step size: the weighted geometric mean of the best steps
            w = params.weights[: min(len(y), params.mu)]
            sigma_next = math.exp(float(w @ log_s[: len(w)]) / float(w.sum()))
        m, s, C, pc, ps, B, D = cma_update(
            self._mean, self._sigma, self._C, self._pc, self._ps, self._B, self._D,
            G[order, :-1], params, self._g, self._min_std, sigma_next,
        )  # fmt: skip
        self._g += 1
        # keep the mean within one period of the mirrored box, and the steps within the box
        m = m - 2.0 * np.floor((m + 0.5) / 2.0)
        s = min(s, 1.0 / float(np.sqrt(np.max(np.diag(C)))))
        self._mean, self._sigma, self._C, self._pc, self._ps, self._B, self._D = (
            m, s, C, pc, ps, B, D
        )  # fmt: skip
        self._gen_bests.append(float(y[order[0]]))
        if adapted and self._real.all():
            self._model_point = self._model_step(G[:, :-1], y)
        if self.restarts and self._stagnant(y):
            self._restarts += 1
            lam = min(2 * self.lam, max(self.max_population_size, self._lam0))
            self._start(lam, mean=self.rng.random(self.space.d))

    def _model_step(self, G: np.ndarray, y: np.ndarray) -> np.ndarray | None:
        """The minimum of a quadratic model of the newest large generations (in the
        coordinates of the current distribution), if the model fitted to the ones before
        ranks the newest well (Kendall's tau >= 0.8): a point for the next generation."""
        p = quadratic.n_terms(self.space.d)
        if p > 500:
            return None
        self._recent.append((G, y))
        while sum(len(v) for _, v in self._recent[1:]) >= max(2 * p, 2 * len(y)):
            self._recent.pop(0)
        m, s, B, D = self._mean, self._sigma, self._B, self._D
        Z = ((np.concatenate([g for g, _ in self._recent]) - m) / s) @ B / D
        ys = np.concatenate([v for _, v in self._recent])
        z = quadratic.proposal(Z, ys, len(y))
        return None if z is None else m + s * (B @ (D * z))

    def _stagnant(self, y: np.ndarray) -> bool:
        """Hansen's termination criteria for IPOP (tolfun, tolx, stagnation, condition)."""
        d, g, bests = self.space.d, self._g, self._gen_bests
        window = 10 + math.ceil(30 * d / self.lam)
        recent = bests[-window:]
        if (
            len(recent) >= window
            and max(max(recent), y.max()) - min(min(recent), y.min()) < self.tolfun
        ):
            return True
        std = self._sigma * np.sqrt(np.diag(self._C))
        if self._real.any() and np.all(std[self._real] < self.tolx):
            return True
        # stagnation: the median of the 20 newest generation bests is no better than that of
        # the 20 oldest, in the last 20% (at least 120 + 30 d / lam) of the generations
        span = max(120 + math.ceil(30 * d / self.lam), g // 5)
        if g >= span:
            tail = bests[-span:]
            if np.median(tail[-20:]) >= np.median(tail[:20]):
                return True
        return bool(self._D.max() > 1e7 * self._D.min())  # condition number of C > 1e14
