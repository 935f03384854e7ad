"""Books of studies with several objectives or with constraints (the Optimizer's side).

A single unconstrained objective never comes here: the Optimizer keeps its fast path. With
``direction=[...]`` or ``constraints=True`` the Optimizer holds an ``Outcomes`` that checks told
values and constraints, writes them into arrays the strategies see (``History.Y``, ``History.C``)
and answers ``best`` (the best *feasible* trial) and ``pareto_front``.
"""

from __future__ import annotations

import json
import math
import numbers
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from hpo_core.strategies.base import COMPLETE, History
from hpo_core.trial import Trial, TrialState, told_state

if TYPE_CHECKING:
    from hpo_core.optimizer import Optimizer

_DIRECTIONS = ("minimize", "maximize")
_STATE_CODE = {"pending": 0, "complete": COMPLETE, "failed": 2, "pruned": 3}


_INFEASIBLE = 1000.0  # above sign(v) log(1 + |v|) of every float (at most about 709.8)


def ranked_by_feasibility(v: float, cons: Sequence[float] | None) -> float:
    """A value to minimise in the order of constrained domination (see ``strategies.base``):
    feasible values squashed monotonically below 710, infeasible ones above by violation."""
    total = 0.0 if cons is None else sum(max(c, 0.0) for c in cons)
    if total > 0.0:
        return _INFEASIBLE + math.log1p(total)
    return math.copysign(math.log1p(abs(v)), v)


def parse_directions(direction: Any) -> list[str]:
    """The list of directions of ``direction`` (a str, or a sequence of at least one str)."""
    if isinstance(direction, str):
        items = [direction]
    elif isinstance(direction, Sequence) and len(direction) > 0:
        items = list(direction)
    else:
        raise ValueError(
            f"direction must be one of {_DIRECTIONS} or a non-empty list of them, got {direction!r}"
        )
    for d in items:
        if d not in _DIRECTIONS:
            raise ValueError(
                f"direction must be one of {_DIRECTIONS} or a list of them, got {direction!r}"
            )
    return items


def direction_text(direction: str | list[str], constraints: bool) -> str:
    """The direction as stored (SQLite): the plain word for a single unconstrained objective,
    so such files stay as they were; JSON otherwise."""
    if isinstance(direction, str) and not constraints:
        return direction
    return json.dumps({"directions": parse_directions(direction), "constraints": constraints})


def parse_direction_text(text: str) -> tuple[str | list[str], bool]:
    """(direction, constraints) of a stored direction text."""
    if not text.startswith("{"):
        return text, False
    doc = json.loads(text)
    dirs = doc["directions"]
    return (dirs[0] if len(dirs) == 1 else dirs), bool(doc.get("constraints", False))


def _reals(name: str, value: Any, n: int | None) -> tuple[float, ...]:
    if type(value) is list or type(value) is tuple:
        items = value
    elif isinstance(value, np.ndarray):
        items = value.reshape(-1).tolist()
    elif isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        items = list(value)
    else:
        raise TypeError(f"{name} must be a sequence of real numbers, got {value!r}")
    out = []
    for v in items:
        if type(v) is not float and (isinstance(v, bool) or not isinstance(v, numbers.Real)):
            raise TypeError(f"{name} must hold real numbers, got {value!r}")
        out.append(float(v))
    if n is not None and len(out) != n:
        raise ValueError(f"{name} must hold {n} numbers, got {len(out)}: {value!r}")
    return tuple(out)


class Outcomes:
    """Objectives and constraints of an Optimizer's trials, in arrays (internal)."""

    def __init__(self, directions: list[str], constraints: bool) -> None:
        self.directions = directions
        self.m = len(directions)
        self.signs = [1.0 if d == "minimize" else -1.0 for d in directions]
        self.constrained = bool(constraints)
        self.c: int | None = None  # number of constraints, fixed by the first told
        self.Y = np.full((64, self.m), np.nan)
        self.C: np.ndarray | None = None
        #: give the strategy y ranked by feasibility (it does not read constraints itself)
        self.rank_feasible = False

    # ------------------------------------------------------------------ tell
    def tell(
        self,
        opt: Optimizer,
        trial: Any,
        value: Any,
        state: str | None,
        exception: BaseException | None,
        constraints: Any,
    ) -> Trial:
        state, reason = told_state(state, exception)
        values = None
        if value is not None:
            if self.m == 1:
                if isinstance(value, bool) or not isinstance(value, numbers.Real):
                    raise TypeError(
                        f"value must be a real number, got {value!r} ({type(value).__name__})"
                    )
                values = (float(value),)
            else:
                values = _reals(f"value (one per direction, {self.m})", value, self.m)
        cons = None
        if constraints is not None:
            if not self.constrained:
                raise ValueError(
                    "constraints were told, but the optimizer was made without constraints=True"
                )
            cons = _reals("constraints", constraints, self.c)
            if not cons or not all(math.isfinite(c) for c in cons):
                raise ValueError(f"constraints must be one or more finite numbers, got {cons!r}")
        if state is TrialState.COMPLETE and values is None:
            raise ValueError("value is required to tell a complete trial")
        if values is not None and not all(math.isfinite(v) for v in values):
            if state is TrialState.COMPLETE:
                shown = values[0] if self.m == 1 else list(values)
                state, reason = TrialState.FAILED, f"the objective returned {shown!r}"
            if state is TrialState.FAILED or self.m > 1:  # a pruned trial keeps finite ones
                values = None
        if state is TrialState.COMPLETE and self.constrained and cons is None:
            raise ValueError(
                "constraints are required to tell a complete trial "
                "(the optimizer was made with constraints=True): tell(trial, value, "
                "constraints=[c1, ...]), each satisfied when <= 0"
            )
        if state is TrialState.FAILED and reason is None:
            reason = "told as failed"
        scalar = values[0] if values is not None and self.m == 1 else None
        return opt._finish(trial, state, scalar, reason, values, cons)

    # ------------------------------------------------------------------ record
    def record(
        self,
        opt: Optimizer,
        t: Trial,
        state: TrialState,
        value: float | None,
        reason: str | None,
        at: float,
        values: Sequence[float] | None,
        cons: Sequence[float] | None,
    ) -> None:
        if self.m == 1 and values is None and value is not None:
            values = (value,)
        if state is TrialState.PRUNED and values is None and self.m == 1 and t.intermediate:
            values = (t.intermediate[max(t.intermediate)],)
        t.state, t.fail_reason, t.finished_at = state, reason, at
        t.value = values[0] if values is not None and self.m == 1 else None
        if self.m > 1 and values is not None:
            t._values = [float(v) for v in values]
        if cons is not None:
            t.constraints = [float(c) for c in cons]
        i = t.id
        opt._states[i] = _STATE_CODE[state.value]
        if cons is not None and self.C is None:
            self.c = len(cons)
            self.C = np.full((len(opt._states), self.c), np.nan)
        self._grow(len(opt._states))
        if cons is not None:
            self.C[i] = cons
        if values is None or not all(math.isfinite(v) for v in values):
            return
        y = [s * v for s, v in zip(self.signs, values, strict=True)]
        self.Y[i] = y
        opt._y[i] = ranked_by_feasibility(y[0], cons) if self.rank_feasible else y[0]
        if state is TrialState.COMPLETE and self.m == 1 and y[0] < opt._best_key:
            if cons is None or max(cons) <= 0.0:
                opt._best, opt._best_key = t, y[0]

    def _grow(self, cap: int) -> None:
        if len(self.Y) < cap:
            self.Y = np.concatenate([self.Y, np.full((cap - len(self.Y), self.m), np.nan)])
        if self.C is not None and len(self.C) < cap:
            self.C = np.concatenate([self.C, np.full((cap - len(self.C), self.c), np.nan)])

    def history(self, opt: Optimizer) -> History:
        self._grow(len(opt._states))
        C = self.C
        if self.constrained and C is None:
            C = np.full((len(opt._states), 0), np.nan)
        Y = self.Y if self.m > 1 else None
        return History(opt._X, opt._y, opt._states, len(opt._trials), Y, C)

    # ------------------------------------------------------------------ answers
    def check_best(self, opt: Optimizer) -> None:
        """Raise the error that says why there is no single best trial, if there is none."""
        if self.m > 1:
            raise ValueError(
                f"this study has {self.m} objectives {self.directions}, so no single best "
                "trial: use optimizer.pareto_front (the non-dominated complete trials)"
            )
        if opt._best is None:
            done = [t for t in opt._trials if t.state is TrialState.COMPLETE]
            if done:
                least = min(done, key=lambda t: sum(max(c, 0.0) for c in t.constraints or [0]))
                total = sum(max(c, 0.0) for c in least.constraints or [0])
                raise ValueError(
                    f"no feasible trial yet: all {len(done)} complete trials violate a "
                    f"constraint (c > 0); the least violation is trial {least.id}'s ({total:.6g})"
                )


def pareto_front(opt: Optimizer) -> list[Trial]:
    """The complete (and feasible) trials that no other such trial dominates, in id order."""
    t = len(opt._trials)
    ids = np.flatnonzero(opt._states[:t] == COMPLETE)
    mo = opt._mo
    if mo is None:
        Y = opt._y[ids][:, None]
    else:
        if mo.constrained and len(ids):
            C = mo.C if mo.C is not None else np.zeros((t, 0))
            ids = ids[np.all(C[ids] <= 0.0, axis=1)]
        Y = mo.Y[ids]
    if len(ids) == 0:
        return []
    if Y.shape[1] == 1:
        keep = Y[:, 0] == Y[:, 0].min()
    else:
        from hpo_core.arrays.evo.pareto import non_dominated

        keep = non_dominated(Y)
    return [opt._trials[i] for i in ids[keep].tolist()]


def tell_result(opt: Optimizer, trial: Trial, result: Any) -> None:
    """Tell what an objective returned (in ``minimize``): one value per direction, and with
    constraints the pair ``(value, constraints)``. A result of the wrong form is recorded as
    the trial's failure and raised."""
    m = opt._mo
    try:
        cons = None
        if m.constrained:
            if not (isinstance(result, (tuple, list)) and len(result) == 2):
                raise TypeError(
                    "with constraints=True the objective must return (value, constraints), "
                    f"e.g. (loss, [c1, c2]) with each c satisfied when <= 0; got {result!r}"
                )
            result, cons = result
        opt.tell(trial, result, constraints=cons)
    except (TypeError, ValueError) as exc:
        if trial.state is TrialState.PENDING:
            opt.tell(trial, exception=exc)
        what = "a real number" if m.m == 1 else f"{m.m} real numbers (one per direction)"
        raise type(exc)(f"the objective must return {what}: {exc}") from None
