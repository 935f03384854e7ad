"""Tree-structured Parzen Estimator (TPE): Bergstra et al. (2011), Optuna's multivariate variant.

After ``n_startup_trials`` random (or Sobol) points, each ask splits the trials into the good ones
-- the best ``min(ceil(gamma n), max_below)`` complete trials, n counting the complete and the
pruned ones -- and the bad ones: the other complete trials, the pruned ones and every pending
one (the *constant liar*: a point in flight counts as bad, so a batch and parallel workers spread
out). Failed trials are ignored.
A Parzen estimator l(x) is fitted to the good points and g(x) to the bad ones, recent trials
weighing more (Optuna's weights); ``n_ei_candidates`` points are drawn from l and the one with
the largest ``log l(x) - log g(x)`` is proposed. The densities are compiled
(``hpo_core.arrays.parzen``).

Conditional spaces are handled by group: columns that are active for exactly the same points
(that hang on the same conditions) form a group, a model's own parameters say, and each group
gets its own pair of estimators, fitted on the trials where it is active, and its own
candidates. Every group is proposed; the columns that the chosen parents make inactive are then
imputed, so decoding leaves them out. With ``multivariate=True`` (the default) the kernels of a
group are joint over its columns; with ``multivariate=False`` every column is a group of one
(the independent TPE).

Densities live on the unit cube of the encoding, where log scales are already linear and an
integer's values own intervals of it: so bandwidths follow Optuna's rules in Optuna's own
transformed units.
"""

from __future__ import annotations

import numbers
from typing import TYPE_CHECKING

import numpy as np

from hpo_core.arrays.parzen import Columns, n_below, recency_weights
from hpo_core.arrays.parzen.estimator import check_options
from hpo_core.arrays.parzen.mixture import _propose
from hpo_core.space import Integer
from hpo_core.strategies.base import COMPLETE, FAILED, PENDING, PRUNED, History, Strategy

if TYPE_CHECKING:
    from hpo_core.space import Space

__all__ = ["TPE"]

STARTUPS = ("random", "sobol")


def _int(value: object, name: str, low: int) -> int:
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    return int(value)


def _bool(value: object, name: str) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be True or False, got {value!r}")
    return value


class TPE(Strategy):
    """Tree-structured Parzen Estimator.

    Parameters
    ----------
    n_startup_trials : int, default 10
        Complete (or pruned) trials before the model is used; until then points are random.
    n_ei_candidates : int, default 24
        Candidates drawn from l(x) per proposal.
    prior_weight : float, default 1.0
        Weight of the broad prior kernel in each estimator (> 0).
    multivariate : bool, default True
        Joint kernels over the columns of a group (else every column on its own).
    gamma : float, default 0.1
        Fraction of the trials counted as good, in (0, 1].
    max_below : int, default 25
        At most this many good trials (Optuna: ``gamma(n) = min(ceil(0.1 n), 25)``).
    consider_magic_clip : bool, default True
        Bandwidths at least ``1 / min(100, n + 2)`` of the unit range.
    consider_endpoints : bool, default False
        Whether the outermost observations' bandwidths may reach to the bounds.
    bandwidth : {"neighbours", "scott"}, default "neighbours"
        "neighbours": the larger gap to the neighbouring observations (Optuna >= 4);
        "scott": ``0.2 n^(-1 / (q + 4))`` (Optuna's first multivariate TPE).
    startup : {"random", "sobol"}, default "random"
        How the startup points are drawn.

    Examples
    --------
    >>> from hpo_core import Optimizer, Real
    >>> opt = Optimizer({"x": Real(-5.0, 5.0)}, strategy=TPE(n_startup_trials=5), seed=0)
    >>> best = opt.optimize(lambda p: (p["x"] - 1.0) ** 2, n_trials=30)
    >>> abs(best.params["x"] - 1.0) < 0.5
    True
    """

    name = "tpe"

    def __init__(
        self,
        n_startup_trials: int = 10,
        n_ei_candidates: int = 24,
        prior_weight: float = 1.0,
        multivariate: bool = True,
        gamma: float = 0.1,
        max_below: int = 25,
        consider_magic_clip: bool = True,
        consider_endpoints: bool = False,
        bandwidth: str = "neighbours",
        startup: str = "random",
    ) -> None:
        self.n_startup_trials: int = _int(n_startup_trials, "n_startup_trials", 0)
        self.n_ei_candidates: int = _int(n_ei_candidates, "n_ei_candidates", 1)
        if isinstance(prior_weight, bool):
            raise ValueError(f"prior_weight must be a finite number > 0, got {prior_weight!r}")
        check_options(prior_weight, bandwidth)
        self.prior_weight: float = float(prior_weight)
        self.multivariate: bool = _bool(multivariate, "multivariate")
        if not isinstance(gamma, numbers.Real) or isinstance(gamma, bool) or not 0.0 < gamma <= 1.0:
            raise ValueError(f"gamma must be a number in (0, 1], got {gamma!r}")
        self.gamma: float = float(gamma)
        self.max_below: int = _int(max_below, "max_below", 1)
        self.consider_magic_clip: bool = _bool(consider_magic_clip, "consider_magic_clip")
        self.consider_endpoints: bool = _bool(consider_endpoints, "consider_endpoints")
        self.bandwidth: str = bandwidth
        if startup not in STARTUPS:
            raise ValueError(f"startup must be one of {STARTUPS}, got {startup!r}")
        self.startup: str = startup

    def setup(self, space: Space, rng: np.random.Generator) -> None:
        super().setup(space, rng)
        # a log-scaled integer's values cut the cube at log(low - 0.5 + i): the kernels need it
        self._offsets = np.array(
            [
                dim.low - 0.5 if isinstance(dim, Integer) and dim.log else 0.0
                for dim in space.dimensions.values()
            ]
        )
        # rows the optimizer stores are snapped already, but for points told from elsewhere
        self._snap_history = bool(np.any(space.kinds != 0))
        self._group_cols = self._find_groups(space)
        self._group_columns = [
            Columns.make(space.kinds[c], space.levels[c], self._offsets[c])
            for c in self._group_cols
        ]
        # an all-real space needs no snapping: the kernels keep points inside the cube
        self._snap_out = self._snap_history or space.conditional
        if self.startup == "sobol":
            from scipy.stats import qmc

            self._sobol = qmc.Sobol(space.d, scramble=True, rng=rng)

    # ------------------------------------------------------------------ proposals
    def propose(self, history: History, n: int) -> np.ndarray:
        states = history.states
        done = int(np.count_nonzero((states == COMPLETE) | (states == PRUNED)))
        if done < self.n_startup_trials:
            X = self._startup_points(n)
            return self.space.distinct(X, history.X_all, self.rng) if self.space.discrete else X
        y = history.y_all
        complete = history.complete
        k = min(n_below(done, self.gamma, self.max_below), complete.size)
        is_below = np.zeros(len(history), dtype=bool)
        is_below[complete[np.argsort(y[complete], kind="stable")[:k]]] = True
        # the rest of the complete trials, the pruned and the pending ones, in trial order
        is_above = (states != FAILED) & ~is_below
        X = history.X_all
        # in a discrete space no point is proposed twice (while others are left)
        taken = X if self.space.discrete else X[states == PENDING]
        X_below, X_above = X[is_below], X[is_above]
        if self._snap_history:
            snap = self.space.snap
            X_below, X_above, taken = snap(X_below), snap(X_above), snap(taken)
        out = np.empty((n, self.space.d))
        for i in range(n):
            x = self._propose_one(X_below, X_above)
            x = self.space.distinct(x[None, :], taken, self.rng)[0]
            out[i] = x
            if i + 1 < n:
                # constant liar: the new point is pending, hence bad, for the rest of the batch
                X_above = np.vstack([X_above, x[None, :]])
                taken = np.vstack([taken, x[None, :]])
        return out

    def _startup_points(self, n: int) -> np.ndarray:
        if self.startup == "sobol":
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)  # runs of any length are fine
                return self.space.snap(self._sobol.random(n))
        return self.space.sample(n, self.rng)

    def _find_groups(self, space: Space) -> list[np.ndarray]:
        """Columns that are active for the same points form a group (a model's own parameters,
        say). Found once from where columns are active at 4096 uniform points of a fixed probe
        set (independent of the optimizer's seed), which reach every branch of any reasonable
        space. Branches rarer than that may share a group: fitted on the trials where all its
        columns are active, it then falls back to its prior kernels, still a valid proposal."""
        d = space.d
        if not self.multivariate:
            return [np.array([j]) for j in range(d)]
        if not space.conditional:
            return [np.arange(d)]
        probes = space.active(space.sample(4096, np.random.default_rng(0)))
        _, label = np.unique(probes.T, axis=0, return_inverse=True)
        label = label.reshape(-1)
        return [np.flatnonzero(label == g) for g in range(label.max() + 1)]

    def _groups(
        self, X_below: np.ndarray, X_above: np.ndarray
    ) -> list[tuple[np.ndarray, np.ndarray | None, np.ndarray | None]]:
        """(columns, rows of X_below, rows of X_above where they are active) of each group."""
        if not self.space.conditional:
            return [(cols, None, None) for cols in self._group_cols]
        act_b = self.space.active(X_below)
        act_a = self.space.active(X_above)
        return [
            (c, np.all(act_b[:, c], axis=1), np.all(act_a[:, c], axis=1)) for c in self._group_cols
        ]

    def _propose_one(self, X_below: np.ndarray, X_above: np.ndarray) -> np.ndarray:
        d = self.space.d
        x = np.empty(d)
        m = self.n_ei_candidates
        groups = self._groups(X_below, X_above)
        for (cols, rows_b, rows_a), columns in zip(groups, self._group_columns, strict=True):
            Xl = X_below if rows_b is None else X_below[rows_b]
            Xg = X_above if rows_a is None else X_above[rows_a]
            if cols.size != d:
                Xl, Xg = np.ascontiguousarray(Xl[:, cols]), np.ascontiguousarray(Xg[:, cols])
            cand, score = _propose(
                Xl,
                recency_weights(len(Xl)),
                Xg,
                recency_weights(len(Xg)),
                self.rng.random((m, cols.size + 1)),
                columns.kinds,
                columns.levels,
                columns.offsets,
                self.prior_weight,
                self.consider_magic_clip,
                self.consider_endpoints,
                self.bandwidth == "scott",
            )
            x[cols] = cand[np.argmax(score)]
        return self.space.snap(x[None, :])[0] if self._snap_out else x
