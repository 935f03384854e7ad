"""What a tell may say: the objectives' directions, and the checks of told values.

Every tell, whatever the number of objectives and with or without constraints, goes through
``Objectives.check``: it validates the value(s) and constraints and settles the state (a
non-finite value fails the trial with the reason). The books then record the result
(``Books.record``).
"""

from __future__ import annotations

import json
import math
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from hpo_core.core.trial import TrialState, told_state

__all__ = [
    "DIRECTIONS",
    "Objectives",
    "Told",
    "direction_text",
    "parse_direction_text",
    "parse_directions",
    "ranked_by_feasibility",
]

DIRECTIONS = ("minimize", "maximize")

#: (state, values or None, fail reason or None, constraints or None) of one tell
Told = tuple[TrialState, tuple[float, ...] | None, str | None, tuple[float, ...] | None]

_INFEASIBLE = 1000.0  # above sign(v) log(1 + |v|) of every float (at most about 709.8)
_COMPLETE, _FAILED = TrialState.COMPLETE, TrialState.FAILED


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
            f"direction must be one of {DIRECTIONS} or a non-empty list of them, got {direction!r}"
        )
    for d in items:
        if d not in DIRECTIONS:
            raise ValueError(
                f"direction must be one of {DIRECTIONS} or a list of them, got {direction!r}"
            )
    return items


def direction_text(direction: str | list[str], constraints: bool) -> str:
    """The direction as stored: the plain word for a single unconstrained objective, so such
    files stay as they were; JSON otherwise."""
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


def _to_float(v: Any) -> float:
    """A real number as a float; an int beyond the float range becomes the infinity of its
    sign (so it is recorded as a non-finite value, with the reason, like NaN or inf)."""
    try:
        return float(v)
    except OverflowError:
        return math.inf if v > 0 else -math.inf


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
        out.append(_to_float(v))
    if n is not None and len(out) != n:
        raise ValueError(f"{name} must hold {n} numbers, got {len(out)}: {value!r}")
    return tuple(out)


class Objectives:
    """The directions of a study's objectives and whether it has constraints.

    Parameters
    ----------
    direction : str or sequence of str
        ``"minimize"`` or ``"maximize"``, or one per objective.
    constraints : bool
        Whether complete trials are told with constraint values (satisfied when ``<= 0``).
    """

    def __init__(self, direction: str | Sequence[str], constraints: bool = False) -> None:
        if not isinstance(constraints, bool):
            raise ValueError(f"constraints must be True or False, got {constraints!r}")
        if isinstance(direction, str):
            if direction not in DIRECTIONS:
                raise ValueError(f"direction must be one of {DIRECTIONS}, got {direction!r}")
            self.directions = [direction]
        else:
            self.directions = parse_directions(direction)
        #: a list of directions, even of one, takes values as lists (as Optuna's directions)
        self._listed = not isinstance(direction, str)
        self.m = len(self.directions)
        self.signs = [1.0 if d == "minimize" else -1.0 for d in self.directions]
        self.constrained = constraints
        #: the number of constraints, fixed by the first trial recorded with them
        self.c: int | None = None

    @property
    def direction(self) -> str | list[str]:
        """One word for a single objective, else the list."""
        return self.directions[0] if self.m == 1 else list(self.directions)

    def check(
        self,
        value: Any,
        state: str | None,
        exception: BaseException | None,
        constraints: Any,
    ) -> Told:
        """The state, values, reason and constraints a tell records; raises on bad input."""
        told, reason = told_state(state, exception)
        values: tuple[float, ...] | None = None
        if value is not None:
            if self.m == 1 and not (self._listed and isinstance(value, (list, tuple, np.ndarray))):
                if type(value) is not float and (
                    isinstance(value, bool) or not isinstance(value, numbers.Real)
                ):
                    raise TypeError(
                        f"value must be a real number, got {value!r} ({type(value).__name__})"
                    )
                values = (_to_float(value),)
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
        if told is _COMPLETE and values is None:
            raise ValueError("value is required to tell a complete trial")
        if values is not None and not (
            math.isfinite(values[0]) if self.m == 1 else all(math.isfinite(v) for v in values)
        ):
            if told is _COMPLETE:
                shown = values[0] if self.m == 1 else list(values)
                told, reason = _FAILED, f"the objective returned {shown!r}"
            if told is _FAILED or self.m > 1:  # a pruned trial keeps a single non-finite value
                values = None
        if told is _COMPLETE and self.constrained and cons is None:
            raise ValueError(
                "constraints are required to tell a complete trial "
                "(the optimizer was made with constraints=True): tell(trial, value, "
                "constraints=[c1, ...]), each satisfied when <= 0"
            )
        if told is _FAILED and reason is None:
            reason = "told as failed"
        return told, values, reason, cons

    def split_result(self, result: Any) -> tuple[Any, Any]:
        """(value, constraints) of what an objective returned in ``minimize``: the pair
        ``(value, constraints)`` in a constrained study, else ``(result, None)``."""
        if not self.constrained:
            return result, None
        if not (isinstance(result, (tuple, list)) and len(result) == 2):
            raise TypeError(
                "with constraints=True the objective must return (value, constraints), "
                f"e.g. (loss, [c1, c2]) with each c satisfied when <= 0; got {result!r}"
            )
        return result[0], result[1]

    def returns(self) -> str:
        """What the objective must return, for error messages."""
        what = "a real number" if self.m == 1 else f"{self.m} real numbers (one per direction)"
        return f"({what}, [c1, ...])" if self.constrained else what
