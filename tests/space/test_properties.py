"""Properties of every valid dimension (values come back exactly) and every invalid one
(refused with a ValueError that names the parameter)."""

from __future__ import annotations

import math
import tempfile
from pathlib import Path
from typing import Any

import scipy.stats as st
from hypothesis import given, settings
from hypothesis import strategies as hs

from hpo_core import Categorical, Integer, Optimizer, Real, Space
from hpo_core.space.dimensions import MAX_LEVELS, _same_choice

FAST = settings(max_examples=100, deadline=None)
STUDY = settings(max_examples=60, deadline=None)
FLOATS = hs.floats(allow_nan=False, allow_infinity=False)


def _log_or_linear(kind: Any, low: Any, high: Any) -> Any:
    """A log dimension, or a linear one where the range is too narrow for logs to tell its
    bounds apart (refused with log=True)."""
    try:
        return kind(low, high, log=True)
    except ValueError as err:
        assert "too narrow for log=True" in str(err)
        return kind(low, high)


@hs.composite
def reals(draw: Any) -> tuple[Real, float]:
    if draw(hs.booleans()):
        low = draw(hs.floats(min_value=1e-300, max_value=1e300))
        high = draw(hs.floats(min_value=low, max_value=1e308).filter(lambda h: h > low))
        dim = _log_or_linear(Real, low, high)
    else:
        a, b = draw(FLOATS), draw(FLOATS)
        if a == b:
            b = math.nextafter(a, math.inf)
            b = b if math.isfinite(b) else math.nextafter(a, -math.inf)
        dim = Real(min(a, b), max(a, b))
    value = draw(hs.sampled_from([dim.low, dim.high]) | hs.floats(dim.low, dim.high))
    return dim, value


@hs.composite
def integers(draw: Any) -> tuple[Integer, int]:
    log = draw(hs.booleans())
    top = 2**62 if draw(hs.booleans()) else 10**6
    low = draw(hs.integers(1 if log else -top, top))
    high = low + draw(hs.integers(1, MAX_LEVELS - 1 if top > 10**6 else 10**6))
    dim = _log_or_linear(Integer, low, high) if log else Integer(low, high)
    return dim, draw(hs.sampled_from([low, high]) | hs.integers(low, high))


SCALARS = hs.integers(-(2**70), 2**70) | FLOATS | hs.booleans() | hs.none() | hs.text(max_size=5)
CHOICES = hs.recursive(
    SCALARS,
    lambda inner: (
        hs.tuples(inner, inner)
        | hs.lists(inner, max_size=3).map(tuple)
        | hs.lists(inner, max_size=2)
    ),
    max_leaves=6,
)


def _same(a: Any, b: Any) -> bool:
    """Equal, and of the same types all the way down (so a tuple is not a list, 1 not True)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


@hs.composite
def categoricals(draw: Any) -> tuple[Categorical, Any]:
    choices: list[Any] = []
    for c in draw(hs.lists(CHOICES, min_size=1, max_size=6)):
        if not any(_same_choice(c, d) for d in choices):  # as Categorical tells them apart
            choices.append(c)
    dim = Categorical(choices)
    return dim, draw(hs.sampled_from(choices))


DIMENSIONS = reals() | integers() | categoricals()


@FAST
@given(DIMENSIONS)
def test_encode_then_decode_gives_back_the_value(case):
    dim, value = case
    u = dim.encode(value)
    assert 0.0 <= u <= 1.0
    back = dim.decode(u)
    if isinstance(dim, Categorical):
        assert back is dim.choices[dim.index(value)] and _same(back, value)
    elif isinstance(dim, Integer) and (dim.levels <= 2**50 and dim.high <= 10**12):
        assert back == value and type(back) is int
    else:  # a float cannot tell every real, or every int beyond 2**53, from its neighbours
        assert dim.low <= back <= dim.high
        assert math.isclose(back, value, rel_tol=1e-9, abs_tol=1e-9 * (dim.high - dim.low))
    if isinstance(dim, Real) or (isinstance(dim, Integer) and not dim.log):
        if value in (dim.low, dim.high):
            assert back == value  # the bounds are exact (but for logs of huge ints)


def _told(dim: Any, value: Any, storage: Path | None = None) -> Optimizer:
    opt = Optimizer({"p": dim}, seed=0, storage=storage)
    opt.tell({"p": value}, 1.0)
    assert _same(opt.trials[-1].params["p"], value)
    return opt


@STUDY
@given(DIMENSIONS)
def test_a_told_value_survives_to_json_and_from_json(case):
    dim, value = case
    back = Optimizer.from_json(_told(dim, value).to_json())
    assert back.space == Space({"p": dim})
    assert _same(back.trials[0].params["p"], value)


@STUDY
@given(DIMENSIONS)
def test_a_told_value_survives_a_sqlite_storage(case):
    dim, value = case
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "s.db"
        _told(dim, value, db)
        again = Optimizer({"p": dim}, seed=0, storage=db)  # the same space reopens it
        assert _same(again.trials[0].params["p"], value)
        loaded = Optimizer.load(db)  # the space read back from the storage
        assert loaded.space == Space({"p": dim})
        assert _same(loaded.trials[0].params["p"], value)


BAD_NUMBERS = hs.sampled_from([math.nan, math.inf, -math.inf, 10**400, -(10**400)])
INVALID = hs.one_of(
    hs.tuples(FLOATS, FLOATS).filter(lambda t: not t[0] < t[1]),
    hs.tuples(hs.integers(), hs.integers()).filter(lambda t: not t[0] < t[1]),
    hs.tuples(BAD_NUMBERS, FLOATS),
    hs.tuples(FLOATS, BAD_NUMBERS),
    hs.tuples(hs.integers(max_value=-1), hs.integers(0, 2**64)).map(lambda t: (*t, "log")),
    hs.tuples(FLOATS.filter(lambda v: v <= 0), hs.floats(0.5, 1e300)).map(lambda t: (*t, "log")),
    hs.integers(max_value=-(2**62)).map(lambda low: (low, 2**62 + 1)),
    hs.tuples(hs.just(1), hs.just(2), hs.text(max_size=3).filter(lambda s: s != "log")),
    hs.just([]),
    CHOICES.map(lambda c: [c, c]),
    hs.floats(-10, 0).map(lambda a: st.loguniform(a, 1.0)),
    hs.integers(2, 10).map(lambda a: st.randint(a, 1)),
    hs.floats(-10, 0).map(lambda s: st.uniform(0.0, s)),
    hs.sampled_from([st.norm(), "a string", 5, None, 1.5, {"low": 0}]),
)


@FAST
@given(hs.text(min_size=1, max_size=8).filter(lambda n: n != "<subspace>"), INVALID)
def test_an_invalid_spec_is_refused_naming_the_parameter(name, spec):
    try:
        Space({name: spec})
    except ValueError as err:
        assert str(err).startswith(f"parameter {name!r}: "), err
    else:
        raise AssertionError(f"{spec!r} was accepted")
