"""Bayesian optimisation: a Gaussian-process surrogate and an acquisition function.

An initial Sobol design, then each ask fits the GP lazily (hyperparameters on a schedule,
the factorisation grown by one row per new observation in between) and maximises the
acquisition. Points in flight (pending trials, earlier points of the same batch) enter the GP as
fantasies -- kriging believer (their posterior mean) or constant liar (the best value) -- so a
batch spreads out and never repeats a point.

Several objectives: ParEGO, a GP on a random augmented Chebyshev scalarisation of the scaled
objectives, new weights each ask. Constraints: a GP per constraint, and log EI plus the log
probability of feasibility (see ``hpo_core.strategies._bayes_mo``).
"""

from __future__ import annotations

import math
import numbers
from typing import TYPE_CHECKING, Literal, overload

import numpy as np

from hpo_core.arrays.gp.acq_opt import AcquisitionProblem, maximize
from hpo_core.arrays.gp.acquisition import ACQUISITIONS
from hpo_core.arrays.gp.constrained import ConstrainedProblem
from hpo_core.arrays.gp.kernels import features
from hpo_core.arrays.gp.likelihood import fit_theta
from hpo_core.arrays.gp.posterior import GP
from hpo_core.arrays.gp.prior import Prior
from hpo_core.arrays.gp.transform import OutputTransform
from hpo_core.arrays.qmc import Sobol
from hpo_core.strategies._bayes_ehvi import MAX_OBJECTIVES, propose_ehvi
from hpo_core.strategies._bayes_mo import ColumnModels, ConstraintModels, parego
from hpo_core.strategies.base import History, Strategy

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from hpo_core.space import Space

__all__ = ["BayesianOptimization"]

_PENDING = ("believer", "liar")
_MULTI = ("ehvi", "parego")
_CONTROLLER: list = []


def _blas_threads(n: int) -> AbstractContextManager[object]:
    """BLAS limited to n threads inside the block, restored after: the GP's matrices are small,
    and BLAS threads spinning on a busy machine cost far more than they save."""
    from threadpoolctl import ThreadpoolController

    if not _CONTROLLER:
        _CONTROLLER.append(ThreadpoolController())
    return _CONTROLLER[0].limit(limits=n, user_api="blas")


@overload
def _int_option(name: str, value: object, low: int, allow_none: Literal[False] = ...) -> int: ...
@overload
def _int_option(name: str, value: object, low: int, allow_none: bool) -> int | None: ...
def _int_option(name: str, value: object, low: int, allow_none: bool = False) -> int | None:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
        none = "None or " if allow_none else ""
        raise ValueError(f"{name} must be {none}an integer >= {low}, got {value!r}")
    return int(value)


class BayesianOptimization(Strategy):
    """GP-based Bayesian optimisation (Matern-5/2 ARD kernel, log expected improvement).

    Parameters
    ----------
    acquisition : {"logei", "ucb", "pi"}, default "logei"
        Log expected improvement, lower confidence bound, or (log) probability of improvement.
    n_initial : int or None
        Size of the initial Sobol design; None gives ``max(5, min(2 d, 20))``.
    beta : float, default 2.0
        UCB's multiple of the posterior standard deviation.
    pending : {"believer", "liar"}, default "believer"
        Fantasy value of a point in flight: the posterior mean (kriging believer) or the best
        value seen, feasible in a constrained study (constant liar, which spreads a batch
        more). For one objective and ParEGO;
        EHVI always fantasises the posterior mean of each objective.
    n_candidates : int, default 1024
        Quasi-random candidates scored per maximisation, rounded down to a power of two (fewer
        once the GP is large).
    n_starts : int, default 5
        Box L-BFGS starts, from the best candidates.
    refit_every : int or None
        Refit the hyperparameters after this many new observations; None refits every ask up to
        40 observations and then after each growth of 5% (the factorisation is grown in between).
    fit_max : int, default 128
        Largest number of observations the hyperparameters are fitted on (the best quarter plus
        a random subset beyond it); the posterior always uses every observation.
    noise_floor : float, default 1e-6
        Smallest noise variance, relative to the standardised values.
    mo_acquisition : {"ehvi", "parego"}, default "ehvi"
        With several objectives: expected hypervolume improvement for 2 and 3 objectives
        (ParEGO beyond), or ParEGO always.

    Notes
    -----
    Several objectives (``direction=[...]``): with 2 or 3, one GP per objective and the exact
    log expected hypervolume improvement over the feasible front (box decomposition, compiled;
    see ``hpo_core.strategies._bayes_ehvi``); pending points are fantasised in every GP and
    join the front. ``acquisition`` and ``beta`` do not apply there. With 4 or more, or
    ``mo_acquisition="parego"``, ParEGO (Knowles 2006): each ask draws weights ``w``
    uniformly on the simplex, scales every objective to ``[0, 1]`` over the complete trials, and
    models ``max_k w_k u_k + 0.05 sum_k w_k u_k`` with one GP; successive asks aim at different
    parts of the Pareto front. EHVI's box count grows as ``n^(k - 1)`` for a front of n points
    in k objectives, which is why 3 is the line. With ``constraints=True`` each constraint
    gets its own GP (fantasised at pending points like the objectives') and the acquisition is
    multiplied by the probability of feasibility (added in log space), with the best *feasible*
    value as incumbent; until a feasible point is seen, the probability of feasibility alone is
    maximised.

    Cost of an ask with n observations in d dimensions: a hyperparameter refit costs
    O(min(n, fit_max)^3) per likelihood evaluation, and happens every ask up to n = 40, then
    after each 5% growth; between refits the factorisation grows in O(n^2) per new point. The
    acquisition costs O(c n (d + n)) for c candidates (c shrinks as 1/n beyond n = 100) plus
    O(n^2) per L-BFGS step and start.

    Examples
    --------
    >>> from hpo_core import Optimizer
    >>> opt = Optimizer({"x": (-2.0, 2.0)}, strategy=BayesianOptimization(n_initial=4), seed=0)
    >>> for _ in range(10):
    ...     trial = opt.ask()
    ...     _ = opt.tell(trial, (trial.params["x"] - 0.5) ** 2)
    >>> abs(opt.best.params["x"] - 0.5) < 0.05
    True
    """

    name = "bayes"
    multi_objective = True
    handles_constraints = True

    def __init__(
        self,
        acquisition: str = "logei",
        n_initial: int | None = None,
        beta: float = 2.0,
        pending: str = "believer",
        n_candidates: int = 1024,
        n_starts: int = 5,
        refit_every: int | None = None,
        fit_max: int = 128,
        noise_floor: float = 1e-6,
        mo_acquisition: str = "ehvi",
    ) -> None:
        if not isinstance(acquisition, str) or acquisition not in ACQUISITIONS:
            raise ValueError(
                f"acquisition must be one of {sorted(ACQUISITIONS)}, got {acquisition!r}"
            )
        if pending not in _PENDING:
            raise ValueError(f"pending must be one of {list(_PENDING)}, got {pending!r}")
        if mo_acquisition not in _MULTI:
            raise ValueError(
                f"mo_acquisition must be one of {list(_MULTI)}, got {mo_acquisition!r}"
            )
        if isinstance(beta, bool) or not isinstance(beta, numbers.Real) or not 0 < beta < 1e3:
            raise ValueError(f"beta must be a number in (0, 1000), got {beta!r}")
        if (
            isinstance(noise_floor, bool)
            or not isinstance(noise_floor, numbers.Real)
            or not 0 < noise_floor < 1
        ):
            raise ValueError(f"noise_floor must be a number in (0, 1), got {noise_floor!r}")
        self.acquisition: str = acquisition
        self.n_initial: int | None = _int_option("n_initial", n_initial, 1, allow_none=True)
        self.beta: float = float(beta)
        self.pending: str = pending
        self.n_candidates: int = _int_option("n_candidates", n_candidates, 16)
        self.n_starts: int = _int_option("n_starts", n_starts, 1)
        self.refit_every: int | None = _int_option("refit_every", refit_every, 1, allow_none=True)
        self.fit_max: int = _int_option("fit_max", fit_max, 20)
        self.noise_floor: float = float(noise_floor)
        self.mo_acquisition: str = mo_acquisition

    def setup(self, space: Space, rng: np.random.Generator) -> None:
        super().setup(space, rng)
        d = space.d
        self._kinds = np.asarray(space.kinds)
        self._levels_all = np.asarray(space.levels)
        self._levels = np.where(self._kinds == 2, self._levels_all, 0)
        self._cat = self._kinds == 2
        self._prior = Prior(d, self.noise_floor)
        self._init = self.n_initial if self.n_initial is not None else max(5, min(2 * d, 20))
        self._design = Sobol(d, rng)
        self._cands = Sobol(d, rng)
        self._theta: np.ndarray | None = None
        self._n_fit = 0
        self._gp: GP | None = None
        self._gp_ids = np.empty(0, dtype=np.int64)
        self._cons = ConstraintModels(self._cat, self._prior, self.fit_max)
        self._objs = ColumnModels(self._cat, self._prior, self.fit_max)

    # ------------------------------------------------------------------ helpers
    @property
    def lengthscales(self) -> np.ndarray | None:
        """Lengthscales (d,) of the last fitted GP on the unit cube (None before the first
        fit): a short lengthscale means the value changes fast along that column."""
        if self._theta is None:
            return None
        return np.exp(self._theta[: self.space.d])

    def _sobol(self, engine: Sobol, n: int) -> np.ndarray:
        return engine.random(n)

    def _fresh(self, X: np.ndarray, taken: np.ndarray) -> np.ndarray:
        """Snap X's rows; replace any that repeat a taken point (or each other) by random ones."""
        X = self.space.snap(X)
        out: list[np.ndarray] = []
        for x in X:
            for _ in range(32):
                seen = np.vstack([taken, *out]) if out else taken
                if len(seen) == 0 or np.min(np.max(np.abs(seen - x), axis=1)) > 1e-9:
                    break
                x = self.space.sample(1, self.rng)[0]
            out.append(x[None, :])
        return np.vstack(out)

    def _needs_refit(self, n: int) -> bool:
        if self._theta is None:
            return True
        every = self.refit_every
        if every is None:
            every = 1 if n <= 40 else max(1, int(0.05 * self._n_fit))
        return n - self._n_fit >= every

    def _model(self, history: History, z: np.ndarray) -> GP:
        """The GP on the complete trials, refitted or grown from the last one."""
        ids = history.complete
        n = len(ids)
        F = features(history.X, self._levels)
        if self._needs_refit(n):
            sub = np.arange(n)
            if n > self.fit_max:
                order = np.argsort(z, kind="stable")
                k = self.fit_max // 4
                rest = self.rng.choice(order[k:], self.fit_max - k, replace=False)
                sub = np.sort(np.concatenate([order[:k], rest]))
            if self._theta is None:
                starts = [self._prior.mode(), self._prior.sample(self.rng)]
            else:
                starts = [self._theta] + ([self._prior.mode()] if n <= 100 else [])
            maxiter = 200 if n <= 100 else 50
            self._theta = fit_theta(F[sub], z[sub], self._cat, self._prior, starts, maxiter)
            self._n_fit = n
            gp = GP(F, z, self._theta, self._cat)
            self._gp, self._gp_ids = gp, ids.copy()
            return gp
        assert self._theta is not None  # _needs_refit is True until the first fit
        pos = np.full(len(history), -1, dtype=np.int64)
        pos[ids] = np.arange(n)
        old = pos[self._gp_ids]
        if self._gp is None or np.any(old < 0):
            gp = GP(F, z, self._theta, self._cat)
            self._gp, self._gp_ids = gp, ids.copy()
            return gp
        is_new = np.ones(n, dtype=bool)
        is_new[old] = False
        new = np.flatnonzero(is_new)
        gp = self._gp
        if len(new):
            gp = gp.append(F[new], z[new], inplace=True)
        order = np.concatenate([old, new])
        gp.set_targets(z[order])
        self._gp, self._gp_ids = gp, ids[order]
        return gp

    # ------------------------------------------------------------------ propose
    def propose(self, history: History, n: int) -> np.ndarray:
        taken = history.X_all
        n_c, m = len(history.complete), len(history.pending)
        k0 = min(n, max(0, self._init - n_c - m))
        if n_c < 2:
            k0 = n
        out = (
            self._fresh(self._sobol(self._design, k0), taken) if k0 else np.empty((0, self.space.d))
        )
        if k0 == n:
            return out
        try:
            with _blas_threads(1):
                rest = self._propose_model(history, n - k0, out)
        except Exception as err:  # noqa: BLE001 - the loop must go on whatever the model does
            return np.vstack([out, self.fallback(n - k0, f"{type(err).__name__}: {err}")])
        return np.vstack([out, rest])

    def _propose_model(self, history: History, q: int, batch: np.ndarray) -> np.ndarray:
        k = history.Y_all.shape[1]
        if 1 < k <= MAX_OBJECTIVES and self.mo_acquisition == "ehvi":
            return propose_ehvi(self, history, q, batch)
        y = history.y if history.Y_all.shape[1] == 1 else parego(history.Y, self.rng)
        if np.min(y) > 0 and np.log(np.max(y)) - np.log(np.min(y)) > math.log(1e8):
            y = np.log(y)
        z = OutputTransform(y)(y)
        gp = self._model(history, z)
        best = float(np.min(z))
        models, feasible = None, None
        if history.C_all.shape[1]:
            F = features(history.X, self._levels)
            models, feasible = self._cons.fit(history, F, self.rng)
            best = float(np.min(z[feasible])) if feasible.any() else best
        X_fant = np.vstack([history.X_pending, batch])
        gp, best_f = self._fantasise(gp, X_fant, best)
        if models is not None:
            models = self._fantasise_constraints(models, X_fant, self._levels)
        best = best if models is not None else best_f
        n = len(z)
        cands = self.n_candidates
        if n > 100:  # fewer as the GP grows, never more than asked for
            cands = min(cands, max(128, int(cands * 100 / n)))
        cands = 1 << int(math.log2(cands))
        key = z if feasible is None else z + np.where(feasible, 0.0, np.inf)
        incumbents = history.X[np.argsort(key, kind="stable")[: min(5, n)]]
        out = []
        exclude = np.vstack([history.X_all, batch])
        for _ in range(q):
            if models is None:
                prob = AcquisitionProblem(
                    gp, best, self.acquisition, self.beta, self._levels, self.space.snap
                )
            else:
                assert feasible is not None  # fitted with the models
                prob = ConstrainedProblem(
                    gp,
                    best,
                    self.acquisition,
                    self.beta,
                    self._levels,
                    self.space.snap,
                    models,
                    objective=bool(feasible.any()),
                )
            res = maximize(
                prob,
                self._sobol(self._cands, cands),
                incumbents,
                self.rng,
                self._kinds,
                self._levels_all,
                exclude,
                n_starts=self.n_starts,
                maxiter=60 if n <= 400 else 30,
            )
            if res is None:
                x = self._fresh(self.space.sample(1, self.rng), exclude)[0]
            else:
                x = res[0]
            out.append(x)
            exclude = np.vstack([exclude, x])
            if len(out) < q:
                gp, best_f = self._fantasise(gp, x[None, :], best)
                if models is not None:
                    models = self._fantasise_constraints(models, x[None, :], self._levels)
                best = best if models is not None else best_f
        return np.array(out)

    def _fantasise(self, gp: GP, X: np.ndarray, best: float) -> tuple[GP, float]:
        """The GP with fantasised observations at X (m, d), and the incumbent updated; the
        constant liar's value is the incumbent ``best`` (feasible, in a constrained study)."""
        if len(X) == 0:
            return gp, best
        F = features(X, self._levels)
        if self.pending == "believer":
            zf, _ = gp.predict(F)
        else:
            zf = np.full(len(F), best)
        return gp.append(F, zf), min(best, float(np.min(zf)))

    @staticmethod
    def _fantasise_constraints(
        models: list[tuple[GP, float]], X: np.ndarray, levels: np.ndarray
    ) -> list[tuple[GP, float]]:
        """Each constraint GP with its posterior mean at X (m, d) appended (kriging believer)."""
        if len(X) == 0:
            return models
        F = features(X, levels)
        return [(gp.append(F, gp.predict(F)[0]), bound) for gp, bound in models]
