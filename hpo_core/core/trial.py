"""Trials: one evaluation of the objective and everything known about it."""

from __future__ import annotations

import math
import numbers
import time
import traceback
from collections.abc import Callable
from enum import StrEnum
from typing import Any

__all__ = ["Trial", "TrialState"]


class TrialState(StrEnum):
    """Where a trial stands. Compares equal to its string: ``trial.state == "complete"``."""

    PENDING = "pending"
    COMPLETE = "complete"
    FAILED = "failed"
    PRUNED = "pruned"


def told_state(state: str | None, exception: BaseException | None) -> tuple[TrialState, str | None]:
    """The state a tell records and its failure reason, from ``tell``'s state and exception.

    No state means complete, or failed when there is an exception; an exception always fails
    the trial, with its one-line text as the reason.
    """
    if state is not None and state not in ("complete", "failed", "pruned"):
        raise ValueError(f"state must be 'complete', 'failed' or 'pruned', got {state!r}")
    if exception is not None:
        if not isinstance(exception, BaseException):
            raise TypeError(
                "exception must be the exception the objective raised (an instance), got "
                f"{exception!r} ({type(exception).__name__}); for a reason in words, raise it "
                "or tell(trial, state='failed')"
            )
        text = "".join(traceback.format_exception_only(type(exception), exception)).strip()
        return TrialState.FAILED, text
    if state is None:
        return TrialState.COMPLETE, None
    return TrialState(state), None


class Trial:
    """One configuration asked of the optimizer, and its outcome.

    Attributes
    ----------
    id : int
        Unique within its optimizer, in the order trials were created.
    params : dict
        Plain Python values (float, int, str, bool, None, or the objects a Categorical lists).
    state : TrialState
        ``"pending"`` until told, then ``"complete"``, ``"failed"`` or ``"pruned"``.
    value : float or None
        The objective's value (complete trials; the last reported value of a pruned trial).
        None in a study with several objectives: see ``values``.
    values : list of float or None
        The objectives' values, in the order of the optimizer's ``directions`` (``[value]``
        with a single objective).
    constraints : list of float or None
        The constraint values told with the result (satisfied where ``<= 0``).
    intermediate : dict[int, float]
        Values reported during training with ``report(step, value)``.
    started_at, finished_at : float or None
        Seconds since the epoch (``time.time()``) when asked and when told.
    user_attrs : dict
        Free-form annotations of the user's.
    fail_reason : str or None
        Why a failed trial failed (the exception, or the non-finite value).
    """

    __slots__ = (
        "id",
        "params",
        "state",
        "value",
        "intermediate",
        "started_at",
        "finished_at",
        "user_attrs",
        "fail_reason",
        "constraints",
        "_values",
        "_sink",
    )

    def __init__(self, id: int, params: dict[str, Any], started_at: float | None = None) -> None:
        self.id = id
        self.params = params
        self.state = TrialState.PENDING
        self.value: float | None = None
        self.intermediate: dict[int, float] = {}
        self.started_at = time.time() if started_at is None else started_at
        self.finished_at: float | None = None
        self.user_attrs: dict[str, Any] = {}
        self.fail_reason: str | None = None
        self.constraints: list[float] | None = None
        self._values: list[float] | None = None  # several objectives
        self._sink: Callable[[Trial], None] | None = None  # persists reports (storage)

    @property
    def values(self) -> list[float] | None:
        """The objectives' values (``[value]`` with one objective), or None."""
        if self._values is not None:
            return list(self._values)
        return None if self.value is None else [self.value]

    @property
    def duration(self) -> float | None:
        """Seconds from ask to tell, or None while pending."""
        if self.finished_at is None or self.started_at is None:
            return None
        return self.finished_at - self.started_at

    @property
    def last_step(self) -> int | None:
        """The latest step reported, or None."""
        return max(self.intermediate) if self.intermediate else None

    def report(self, step: int, value: float) -> None:
        """Record an intermediate value (e.g. a validation score after epoch ``step``)."""
        if self.state is not TrialState.PENDING:
            raise ValueError(f"trial {self.id} is {self.state}; report only to a pending trial")
        if isinstance(step, bool) or not isinstance(step, numbers.Integral) or step < 0:
            raise ValueError(f"step must be an integer >= 0, got {step!r}")
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(f"value must be a real number, got {value!r}")
        value = float(value)
        if not math.isfinite(value):
            raise ValueError(f"value must be finite, got {value!r} at step {step}")
        self.intermediate[int(step)] = value
        if self._sink is not None:
            self._sink(self)

    def __repr__(self) -> str:
        value = "" if self.value is None else f", value={self.value!r}"
        if self._values is not None:
            value = f", values={self._values!r}"
        return f"Trial(id={self.id}, state={self.state.value!r}{value}, params={self.params!r})"
