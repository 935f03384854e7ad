"""Any value told is either recorded exactly, or recorded as a failure that says why, or refused
with a clear error that leaves the trial as it was: never half-recorded, in memory or on disk."""

from __future__ import annotations

import math
import numbers
import tempfile
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as hs

from hpo_core import Optimizer

SPACE = {"x": (0.0, 1.0)}

VALUES = hs.one_of(
    hs.floats(),  # NaN and ±inf included
    hs.floats(width=32).map(np.float32),
    hs.integers(),
    hs.integers(min_value=2**1000, max_value=2**1100),  # too large for a float
    hs.integers(-(2**63), 2**63 - 1).map(np.int64),
    hs.fractions(),
    hs.booleans(),
    hs.none(),
    hs.text(max_size=5),
    hs.complex_numbers(),
    hs.lists(hs.floats(), max_size=3),
    hs.floats().map(np.array),
)


def _expected(value: Any) -> tuple[str, float | None]:
    """What a told value must become: ("complete", the float), ("failed", None) or
    ("refused", None)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        return "refused", None
    try:
        f = float(value)
    except OverflowError:
        return "failed", None
    return ("complete", f) if math.isfinite(f) else ("failed", None)


def _check(opt: Optimizer, value: Any) -> None:
    t = opt.ask()
    kind, expected = _expected(value)
    try:
        told = opt.tell(t, value)
    except (TypeError, ValueError) as err:
        assert kind == "refused", (value, err)
        assert "value" in str(err)
        assert opt.trials[t.id].state == "pending" and opt.trials[t.id].value is None
        assert opt.tell(t, 0.5).value == 0.5  # the trial can still be told
        return
    assert kind != "refused", value
    assert told.state == kind
    if kind == "complete":
        assert told.value == expected and type(told.value) is float
    else:
        assert told.value is None and "the objective returned" in told.fail_reason


@settings(max_examples=150, deadline=None)
@given(VALUES)
def test_a_told_value_is_recorded_exactly_or_refused_cleanly(value):
    _check(Optimizer(SPACE, seed=0), value)


@settings(max_examples=40, deadline=None)
@given(hs.lists(VALUES, min_size=1, max_size=4))
def test_what_a_study_file_holds_is_what_was_told(values):
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "s.db"
        opt = Optimizer(SPACE, seed=0, storage=f"sqlite:///{db}", study="s")
        for value in values:
            _check(opt, value)
        again = Optimizer.load(db, read_only=True)
        assert again.to_records() == opt.to_records()
        assert all(t.state != "pending" for t in again.trials)


def test_the_expectations_are_not_vacuous():
    kinds = [_expected(v)[0] for v in (1.5, Fraction(1, 3), 10**400, math.nan, "1", True)]
    assert kinds == ["complete", "complete", "failed", "failed", "refused", "refused"]
