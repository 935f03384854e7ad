"""The books of a study: its trials, their encoded arrays, the best, and the one record path.

``Books`` holds what an optimizer knows: the ``Trial`` objects in id order, and the arrays
the strategies see through ``History`` (encoded points, values to minimise, state codes; the
objectives and constraints of studies that have them). ``record`` is the only place an outcome
is written, whether it was told here, read from a store, or loaded from records.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from hpo_core.core.outcomes import Objectives, ranked_by_feasibility
from hpo_core.core.trial import Trial, TrialState
from hpo_core.space import Space
from hpo_core.storage.base import STALE_REASON
from hpo_core.strategies.base import COMPLETE, FAILED, PENDING, PRUNED, History

__all__ = ["Books"]

_STATE_CODE = {
    TrialState.PENDING: PENDING,
    TrialState.COMPLETE: COMPLETE,
    TrialState.FAILED: FAILED,
    TrialState.PRUNED: PRUNED,
}
_PRUNED, _COMPLETE = TrialState.PRUNED, TrialState.COMPLETE


class Books:
    """Trials and their arrays (internal to the core).

    Attributes
    ----------
    trials : list of Trial
        Every trial, in id order (trial i at index i).
    X : ndarray of shape (capacity, d)
        Encoded points; rows past ``len(trials)`` are unused.
    y : ndarray of shape (capacity,)
        The first objective, to minimise (ranked by feasibility where the strategy does not
        read constraints itself); NaN where a trial has no value.
    states : ndarray of shape (capacity,)
        State codes (``strategies.base``: 0 pending, 1 complete, 2 failed, 3 pruned).
    Y : ndarray of shape (capacity, m) or None
        Every objective, to minimise, in a study with several.
    C : ndarray of shape (capacity, c) or None
        Constraint values, once the first trial with them is recorded.
    """

    def __init__(self, space: Space, objectives: Objectives, rank_feasible: bool) -> None:
        self.space = space
        self.objectives = objectives
        self.rank_feasible = rank_feasible
        self.trials: list[Trial] = []
        self.X = np.empty((64, space.d))
        self.y = np.full(64, np.nan)
        self.states = np.zeros(64, dtype=np.int8)
        self.Y = np.full((64, objectives.m), np.nan) if objectives.m > 1 else None
        self.C: np.ndarray | None = None
        self.best: Trial | None = None
        self._best_key = math.inf
        self._sign = objectives.signs[0]
        self._single = objectives.m == 1

    # ------------------------------------------------------------------ trials
    def new_trial(
        self,
        x: np.ndarray,
        params: dict[str, Any],
        started_at: float | None = None,
        user_attrs: Mapping[str, Any] | None = None,
    ) -> Trial:
        """A pending trial at point x, appended to the books."""
        t = len(self.trials)
        if t == len(self.states):
            self._grow(2 * t)
        self.X[t] = x
        trial = Trial(t, params, started_at)
        if user_attrs:
            trial.user_attrs.update(user_attrs)
        self.trials.append(trial)
        return trial

    def _grow(self, cap: int) -> None:
        n = len(self.states)
        self.X = np.concatenate([self.X, np.empty((cap - n, self.space.d))])
        self.y = np.concatenate([self.y, np.full(cap - n, np.nan)])
        self.states = np.concatenate([self.states, np.zeros(cap - n, dtype=np.int8)])
        if self.Y is not None:
            self.Y = np.concatenate([self.Y, np.full((cap - n, self.objectives.m), np.nan)])
        if self.C is not None:
            self.C = np.concatenate([self.C, np.full((cap - n, self.C.shape[1]), np.nan)])

    def params_and_x(self, params: Mapping[str, Any]) -> tuple[dict[str, Any], np.ndarray]:
        """The plain parameters and the encoded point of a dict the user gave (validated)."""
        x = self.space.encode(params)  # validates names and ranges
        # choices as the space decodes them, reals exactly as given, and ints too where the
        # encoding (a float) cannot tell them apart from their neighbours (beyond 2**53)
        plain = self.space.decode(x)
        for name, value in plain.items():
            if type(value) is float:
                plain[name] = float(params[name])
            elif type(value) is int and value != params[name]:
                plain[name] = int(params[name])
        return plain, x

    def resolve(self, trial: Trial | int, late: bool = False) -> Trial:
        """The pending trial that ``trial`` (a Trial or an id) names; a clear error otherwise.

        With ``late``, also a trial another worker failed for a lost heartbeat: its own worker
        was only paused, and the result it tells now is kept."""
        if isinstance(trial, Trial):
            tid = trial.id
            if not (0 <= tid < len(self.trials) and self.trials[tid] is trial):
                raise ValueError(f"trial {tid} does not belong to this optimizer")
        elif isinstance(trial, (int, np.integer)) and not isinstance(trial, bool):
            tid = int(trial)
            if not 0 <= tid < len(self.trials):
                raise ValueError(
                    f"unknown trial id {tid}; ids run from 0 to {len(self.trials) - 1}"
                )
        else:
            raise TypeError(f"tell takes a Trial, a trial id or a params dict, got {trial!r}")
        t = self.trials[tid]
        if t.state is not TrialState.PENDING:
            if not (late and self.stale(t)):
                raise ValueError(f"trial {tid} is already {t.state.value}; a trial is told once")
        return t

    @staticmethod
    def stale(t: Trial) -> bool:
        """Whether t was failed for a lost heartbeat (its worker may yet tell its result)."""
        return t.state is TrialState.FAILED and (t.fail_reason or "").startswith(STALE_REASON)

    # ------------------------------------------------------------------ record
    def settle(self, t: Trial, state: TrialState) -> tuple[float, ...] | None:
        """The values of a trial told without any: a pruned trial keeps its last reported
        intermediate value (single objective); otherwise none."""
        if state is _PRUNED and self._single and t.intermediate:
            return (t.intermediate[max(t.intermediate)],)
        return None

    def record(
        self,
        t: Trial,
        state: TrialState,
        values: tuple[float, ...] | list[float] | None,
        reason: str | None,
        at: float | None,
        cons: tuple[float, ...] | list[float] | None = None,
    ) -> None:
        """Write a trial's outcome into the books (no checks: the callers made them)."""
        i = t.id
        t.state, t.fail_reason, t.finished_at = state, reason, at
        self.states[i] = _STATE_CODE[state]
        if cons is not None:
            t.constraints = [float(c) for c in cons]
            if self.C is None:
                self.objectives.c = len(cons)
                self.C = np.full((len(self.states), len(cons)), np.nan)
            self.C[i] = cons
        if values is None:
            return
        if self._single:
            v = values[0]
            t.value = v
            if not math.isfinite(v):
                return
            yv = self._sign * v
        else:
            t._values = [float(v) for v in values]
            if not all(math.isfinite(v) for v in values):
                return
            y = [s * v for s, v in zip(self.objectives.signs, values, strict=True)]
            self.Y[i] = y  # type: ignore[index]
            yv = y[0]
        self.y[i] = ranked_by_feasibility(yv, cons) if self.rank_feasible else yv
        if state is _COMPLETE and self._single and yv <= self._best_key:
            tied = yv == self._best_key and self.best is not None and self.best.id < i
            if not tied and (cons is None or max(cons) <= 0.0):  # the first of equals by id
                self.best, self._best_key = t, yv

    # ------------------------------------------------------------------ what strategies see
    def history(self, ahead: list[np.ndarray] | None = None) -> History:
        """The history as strategies see it; ``ahead`` are the points of trials about to be
        made (queued parameters asked in the same batch), shown as pending rows after the
        trials, so that the strategy's own points get the ids it expects."""
        t = len(self.trials)
        if ahead:
            while t + len(ahead) > len(self.states):
                self._grow(2 * len(self.states))
            self.X[t : t + len(ahead)] = ahead  # rows not yet in use: pending, without values
        C = self.C
        if self.objectives.constrained and C is None:
            C = np.full((len(self.states), 0), np.nan)
        return History(self.X, self.y, self.states, t + len(ahead or ()), self.Y, C)

    def pareto_front(self) -> list[Trial]:
        """The complete (and feasible) trials that no other such trial dominates, in id order."""
        t = len(self.trials)
        ids = np.flatnonzero(self.states[:t] == COMPLETE)
        if self.objectives.constrained and len(ids):
            C = self.C if self.C is not None else np.zeros((t, 0))
            ids = ids[np.all(C[ids] <= 0.0, axis=1)]
        if len(ids) == 0:
            return []
        if self.Y is None:
            y = np.array([self._sign * self.trials[i].value for i in ids.tolist()])  # type: ignore[operator]
            keep = y == y.min()
        else:
            from hpo_core.metrics import non_dominated

            keep = non_dominated(self.Y[ids])
        return [self.trials[i] for i in ids[keep].tolist()]

    def no_best_error(self) -> ValueError:
        """The error that says why there is no single best trial."""
        obj = self.objectives
        if obj.m > 1:
            return ValueError(
                f"this study has {obj.m} objectives {obj.directions}, so no single best "
                "trial: use optimizer.pareto_front (the non-dominated complete trials)"
            )
        done = [t for t in self.trials if t.state is TrialState.COMPLETE]
        if done and obj.constrained:
            least = min(done, key=lambda t: sum(max(c, 0.0) for c in t.constraints or [0]))
            total = sum(max(c, 0.0) for c in least.constraints or [0])
            return ValueError(
                f"no feasible trial yet: all {len(done)} complete trials violate a "
                f"constraint (c > 0); the least violation is trial {least.id}'s ({total:.6g})"
            )
        failed = sum(t.state == TrialState.FAILED for t in self.trials)
        msg = f"no complete trial yet ({len(self.trials)} trials, {failed} failed)"
        first = next((t for t in self.trials if t.state == TrialState.FAILED), None)
        if first is not None:
            msg += f"; the first failure: {first.fail_reason}"
        return ValueError(msg)
