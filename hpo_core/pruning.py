"""Pruners: stop unpromising trials early from their intermediate reports.

A training loop reports a validation score after each step (epoch) with
``trial.report(step, value)`` and asks ``optimizer.should_prune(trial)``; when the answer is
True it stops training and tells the trial as pruned (``tell(trial, state="pruned")``, which
keeps the last reported value), or, inside ``Optimizer.minimize``, raises ``TrialPruned``.

A pruner decides from the trial's own intermediate values and the other trials' intermediate
values only: it receives the list of trials and the direction, never the strategy. It works the
same with every strategy and with many workers (trials in flight are among the trials it sees).

Pruners
-------
``MedianPruner``
    Prune when the trial's best value so far is worse than the median of the other finished
    trials at the same step (after a warm-up, once enough trials are complete).
``SuccessiveHalvingPruner``
    Asynchronous successive halving (ASHA, Li et al. 2020): rungs at
    ``min_resource * reduction_factor ** (min_early_stopping_rate + k)`` steps; a trial that
    reaches a rung is promoted when its value is in the best ``1 / reduction_factor`` of the
    values recorded at that rung so far, and pruned otherwise. It never waits for a rung to fill
    (the synchronous form would have to suspend trials, which a yes/no check cannot do).
``HyperbandPruner``
    Several successive-halving brackets with different minimum early-stopping rates; each trial
    is assigned a bracket deterministically from its id (and the pruner's ``seed``), with the
    bracket budgets of Hyperband, and competes only with trials of its own bracket.

Pruned trials and model-based strategies
----------------------------------------
The strategies see a pruned trial as state 3 in ``History.states``, with its last reported
value in ``History.y_all`` (a value at an earlier step, so not comparable with final values).
The rule for every strategy of hpo_core: **models learn from complete trials only**
(``History.X``, ``History.y``), and a pruned point is treated like a failed one: it is never
proposed again exactly, and a strategy may steer away from it, but its partial value is not
mixed with final values. Values at a common step would be comparable, but they are not in the
history and would bias the model towards configurations that start fast.

Steps are the integers the user reports (for example epochs 1, 2, ...). Call ``should_prune``
after each report: the successive-halving pruners check a rung at the first report that reaches
it.
"""

from __future__ import annotations

import math
import numbers
import zlib
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hpo_core.core.trial import Trial


__all__ = [
    "Pruner",
    "MedianPruner",
    "SuccessiveHalvingPruner",
    "HyperbandPruner",
    "TrialPruned",
]

_DIRECTIONS = ("minimize", "maximize")


class TrialPruned(Exception):  # the name users know from other libraries
    """Raised by an objective to stop its trial; ``minimize`` records the trial as pruned."""


def _check_int(name: str, value: object, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    return int(value)


def _sign(direction: str) -> float:
    if direction not in _DIRECTIONS:
        raise ValueError(f"direction must be one of {_DIRECTIONS}, got {direction!r}")
    return 1.0 if direction == "minimize" else -1.0


class Pruner(ABC):
    """Base class of pruners: ``prune(trial, trials, direction) -> bool``."""

    @abstractmethod
    def prune(self, trial: Trial, trials: Sequence[Trial], direction: str = "minimize") -> bool:
        """Whether to stop ``trial`` now.

        Parameters
        ----------
        trial : Trial
            A pending trial, with the intermediate values it reported so far.
        trials : sequence of Trial
            Every trial of the optimizer (it may include ``trial`` itself).
        direction : {"minimize", "maximize"}
        """

    def setup(self) -> None:
        """Bind the pruner to the one optimizer that uses it (called by ``Optimizer``, once).

        Successive halving remembers the rungs each trial id has passed, so an instance serves
        a single optimizer.
        """
        if getattr(self, "_bound", False):
            raise ValueError(
                f"this {type(self).__name__} instance already serves an optimizer; "
                "pass a new instance to each Optimizer"
            )
        self._bound = True

    def __repr__(self) -> str:
        opts = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_"))
        return f"{type(self).__name__}({opts})"


class MedianPruner(Pruner):
    """Prune a trial whose best value so far is worse than the median of the others at its step.

    Parameters
    ----------
    n_startup_trials : int, default 5
        No pruning until this many trials are complete.
    n_warmup_steps : int, default 0
        No pruning at steps below this one.
    interval_steps : int, default 1
        Check at the first report in each block of ``interval_steps`` steps after the warm-up.

    Notes
    -----
    The reference values are those that the other complete or pruned trials reported at the
    very same step (trials in flight are left out, so the decision does not depend on the
    timing of other workers). With no reference value at that step the trial goes on. A trial
    equal to the median is kept. As in Optuna, the trial is judged by its best value so far.
    """

    def __init__(
        self, n_startup_trials: int = 5, n_warmup_steps: int = 0, interval_steps: int = 1
    ) -> None:
        self.n_startup_trials = _check_int("n_startup_trials", n_startup_trials, 0)
        self.n_warmup_steps = _check_int("n_warmup_steps", n_warmup_steps, 0)
        self.interval_steps = _check_int("interval_steps", interval_steps, 1)

    def prune(self, trial: Trial, trials: Sequence[Trial], direction: str = "minimize") -> bool:
        sign = _sign(direction)
        step = trial.last_step
        if step is None or step < self.n_warmup_steps:
            return False
        earlier = [s for s in trial.intermediate if self.n_warmup_steps <= s < step]
        block = (step - self.n_warmup_steps) // self.interval_steps
        if earlier and (max(earlier) - self.n_warmup_steps) // self.interval_steps == block:
            return False  # already checked in this block
        n_complete = sum(t.state == "complete" for t in trials if t.id != trial.id)
        if n_complete < self.n_startup_trials:
            return False
        finished = ("complete", "pruned")
        others = [
            sign * t.intermediate[step]
            for t in trials
            if t.id != trial.id and t.state in finished and step in t.intermediate
        ]
        if not others:
            return False
        others.sort()
        k = len(others)
        median = others[k // 2] if k % 2 else 0.5 * (others[k // 2 - 1] + others[k // 2])
        best = min(sign * v for s, v in trial.intermediate.items() if s <= step)
        return best > median


class SuccessiveHalvingPruner(Pruner):
    """Asynchronous successive halving (ASHA).

    Rung ``k`` sits at step ``min_resource * reduction_factor ** (min_early_stopping_rate + k)``.
    At its first report at or past a rung, a trial is compared with every other trial that has
    reached that rung (in any state): it goes on when its value there is among the best
    ``len(values) // reduction_factor`` (counting itself; the best one while there are fewer
    than ``reduction_factor`` values), and is pruned otherwise.

    Parameters
    ----------
    min_resource : int, default 1
        The step of the first rung (with ``min_early_stopping_rate=0``).
    reduction_factor : int, default 3
        About one trial in ``reduction_factor`` is promoted at each rung.
    min_early_stopping_rate : int, default 0
        Moves the first rung to ``min_resource * reduction_factor ** min_early_stopping_rate``.

    Notes
    -----
    This is the asynchronous form (as Optuna's ``SuccessiveHalvingPruner``): decisions are made
    at once, from the trials that reached the rung before, so early trials are promoted more
    easily than late ones. A trial's value at a rung is its value at the first step it reported
    at or past the rung. The pruner remembers the rungs a trial has passed, so a later check
    never revokes a promotion.

    Examples
    --------
    >>> p = SuccessiveHalvingPruner(min_resource=1, reduction_factor=3)
    >>> [p.rung_step(k) for k in range(4)]
    [1, 3, 9, 27]
    """

    def __init__(
        self, min_resource: int = 1, reduction_factor: int = 3, min_early_stopping_rate: int = 0
    ) -> None:
        self.min_resource = _check_int("min_resource", min_resource, 1)
        self.reduction_factor = _check_int("reduction_factor", reduction_factor, 2)
        self.min_early_stopping_rate = _check_int(
            "min_early_stopping_rate", min_early_stopping_rate, 0
        )
        self._passed: dict[int, int] = {}  # trial id -> number of rungs passed

    def rung_step(self, k: int) -> int:
        """The step of rung ``k`` (0-based)."""
        return self.min_resource * self.reduction_factor ** (self.min_early_stopping_rate + k)

    def prune(self, trial: Trial, trials: Sequence[Trial], direction: str = "minimize") -> bool:
        sign = _sign(direction)
        step = trial.last_step
        if step is None:
            return False
        k = self._passed.get(trial.id, 0)
        while self.rung_step(k) <= step:
            r = self.rung_step(k)
            mine = sign * _rung_value(trial, r)
            values = [mine]
            for t in trials:
                if t.id != trial.id and t.last_step is not None and t.last_step >= r:
                    values.append(sign * _rung_value(t, r))
            values.sort()
            cut = max(len(values) // self.reduction_factor, 1)
            if mine > values[cut - 1]:
                return True
            k += 1
            self._passed[trial.id] = k
        return False


def _rung_value(trial: Trial, r: int) -> float:
    """The value at the first step reported at or past ``r`` (the trial must have one)."""
    return trial.intermediate[min(s for s in trial.intermediate if s >= r)]


class HyperbandPruner(Pruner):
    """Hyperband: successive-halving brackets with different first rungs.

    Bracket ``i`` (of ``floor(log_eta(max_resource / min_resource)) + 1``) is a
    ``SuccessiveHalvingPruner(min_resource, reduction_factor, min_early_stopping_rate=i)``:
    bracket 0 prunes hardest, the last one hardly at all. Each trial gets a bracket from a CRC32
    hash of its id and ``seed``, with probability proportional to Hyperband's budget of each
    bracket, ``ceil(n_brackets * eta ** s / (s + 1))`` with ``s = n_brackets - 1 - i``; a trial
    competes only with trials of its own bracket.

    Parameters
    ----------
    min_resource : int, default 1
    max_resource : int
        The number of steps of a full training run.
    reduction_factor : int, default 3
    seed : int, default 0
        Changes the assignment of trials to brackets.
    """

    def __init__(
        self,
        min_resource: int = 1,
        max_resource: int = 100,
        reduction_factor: int = 3,
        seed: int = 0,
    ) -> None:
        self.min_resource = _check_int("min_resource", min_resource, 1)
        self.max_resource = _check_int("max_resource", max_resource, 1)
        if self.max_resource < self.min_resource:
            raise ValueError(
                f"max_resource must be >= min_resource ({min_resource}), got {max_resource!r}"
            )
        self.reduction_factor = _check_int("reduction_factor", reduction_factor, 2)
        self.seed = _check_int("seed", seed, 0)
        eta = self.reduction_factor
        n = 0
        while self.min_resource * eta ** (n + 1) <= self.max_resource:
            n += 1
        self.n_brackets = n + 1
        self._brackets = [
            SuccessiveHalvingPruner(self.min_resource, eta, i) for i in range(self.n_brackets)
        ]
        budgets = []
        for i in range(self.n_brackets):
            s = self.n_brackets - 1 - i
            budgets.append(math.ceil(self.n_brackets * eta**s / (s + 1)))
        self._budgets = budgets

    def bracket(self, trial_id: int) -> int:
        """The bracket (0 .. n_brackets - 1) of the trial with this id."""
        h = zlib.crc32(f"{self.seed}_{trial_id}".encode()) % sum(self._budgets)
        for i, b in enumerate(self._budgets):
            if h < b:
                return i
            h -= b
        raise AssertionError("unreachable")  # pragma: no cover

    def prune(self, trial: Trial, trials: Sequence[Trial], direction: str = "minimize") -> bool:
        i = self.bracket(trial.id)
        same = [t for t in trials if self.bracket(t.id) == i]
        return self._brackets[i].prune(trial, same, direction)

    def __repr__(self) -> str:
        return (
            f"HyperbandPruner(min_resource={self.min_resource}, max_resource={self.max_resource}, "
            f"reduction_factor={self.reduction_factor}, seed={self.seed})"
        )
