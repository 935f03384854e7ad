from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.stats as st
from hypothesis import given
from hypothesis import strategies as hs
from sklearn.model_selection import ParameterGrid

from hpo_core import Categorical, Integer, Real, Space

# ---------------------------------------------------------------- dimensions


def test_real_roundtrip_and_bounds():
    d = Real(1e-3, 10.0, log=True)
    assert d.decode(0.0) == 1e-3 and d.decode(1.0) == 10.0
    assert math.isclose(d.decode(d.encode(0.1)), 0.1, rel_tol=1e-12)
    assert d.encode(1e-3) == 0.0 and d.encode(10.0) == 1.0
    # log scale: the geometric midpoint is the middle of the cube
    assert math.isclose(d.encode(math.sqrt(1e-3 * 10.0)), 0.5)


def test_integer_exact_and_types():
    d = Integer(-3, 4)
    values = [d.decode(d.encode(v)) for v in range(-3, 5)]
    assert values == list(range(-3, 5))
    assert all(type(v) is int for v in values)
    dl = Integer(1, 1000, log=True)
    assert [dl.decode(dl.encode(v)) for v in range(1, 1001)] == list(range(1, 1001))


def test_categorical_returns_the_listed_objects():
    marker = object()
    d = Categorical(["a", 1, None, marker, 2.5, True])
    for c in d.choices:
        assert d.decode(d.encode(c)) is c
    # 1, 1.0 and True are different choices
    c = Categorical([1, 1.0, True])
    assert [type(c.decode(c.encode(v))) for v in (1, 1.0, True)] == [int, float, bool]


def test_a_nan_choice_is_one_value_whatever_its_object():
    # scikit-learn's missing_values=[np.nan, -1]: np.nan, math.nan and float("nan") differ
    d = Categorical([np.nan, -1])
    assert d.decode(d.encode(math.nan)) is d.choices[0]
    assert d.decode(d.encode(float("nan"))) is d.choices[0]
    assert d == Categorical([float("nan"), -1])
    with pytest.raises(ValueError, match="listed twice"):
        Categorical([np.nan, float("nan")])


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: Real(1.0, 1.0), "low < high"),
        (lambda: Real(2.0, 1.0), "low < high"),
        (lambda: Real(0.0, 1.0, log=True), "low > 0"),
        (lambda: Real(float("nan"), 1.0), "finite"),
        (lambda: Real(0.0, float("inf")), "finite"),
        (lambda: Real("a", 1.0), "finite real"),
        (lambda: Integer(0, 10, log=True), "low >= 1"),
        (lambda: Integer(1.5, 3), "integer"),
        (lambda: Integer(3, 3), "low < high"),
        (lambda: Categorical([]), "at least one"),
        (lambda: Categorical(["a", "a"]), "listed twice"),
        (lambda: Categorical("abc"), "list or tuple"),
    ],
)
def test_bad_dimensions_raise(make, match):
    with pytest.raises(ValueError, match=match):
        make()


# ---------------------------------------------------------------- sklearn-style specs


def test_from_dict_kinds():
    space = Space(
        {
            "a": [1, 2, 3],
            "b": (0.0, 1.0),
            "c": (1, 100, "log"),
            "d": (1e-4, 1.0, "log"),
            "e": st.uniform(2.0, 3.0),
            "f": st.loguniform(1e-3, 1e2),
            "g": st.randint(1, 10),
            "h": Real(0.0, 2.0),
            "i": np.array(["x", "y"]),
        }
    )
    dims = space.dimensions
    assert dims["a"] == Categorical([1, 2, 3])
    assert dims["b"] == Real(0.0, 1.0)
    assert dims["c"] == Integer(1, 100, log=True)
    assert dims["d"] == Real(1e-4, 1.0, log=True)
    assert dims["e"] == Real(2.0, 5.0)
    assert dims["f"] == Real(1e-3, 1e2, log=True)
    assert dims["g"] == Integer(1, 9)  # randint's high is exclusive
    assert dims["i"].choices == ("x", "y") and type(dims["i"].choices[0]) is str


@pytest.mark.parametrize(
    "spec, match",
    [
        ({"x": 3}, "parameter 'x'.*expected"),
        ({"x": (1.0, 0.0)}, "parameter 'x'.*low < high"),
        ({"x": (0.0, 1.0, "ln")}, "parameter 'x'.*tuple"),
        ({"x": (0, 1, "log")}, "parameter 'x'.*low >= 1"),
        ({"x": st.norm(0, 1)}, "parameter 'x'.*'norm' is not supported"),
        ({"x": []}, "parameter 'x'.*at least one"),
        ({"x": [1, 1]}, "parameter 'x'.*twice"),
        ({"x": ("a", "b")}, "parameter 'x'.*numeric"),
        ({}, "at least one parameter"),
        ({1: [1, 2]}, "non-empty strings"),
    ],
)
def test_bad_specs_name_the_parameter(spec, match):
    with pytest.raises(ValueError, match=match):
        Space(spec)


def test_encode_errors_name_the_parameter():
    space = Space({"x": (0.0, 1.0), "k": ["a", "b"]})
    with pytest.raises(ValueError, match="parameter 'x'.*outside"):
        space.encode({"x": 2.0, "k": "a"})
    with pytest.raises(ValueError, match="parameter 'k'.*not one of"):
        space.encode({"x": 0.5, "k": "c"})
    with pytest.raises(ValueError, match="missing"):
        space.encode({"x": 0.5})
    with pytest.raises(ValueError, match="unknown parameter"):
        space.encode({"x": 0.5, "k": "a", "z": 1})


def test_grid_axes_match_parameter_grid():
    grid = {"a": [1, 2, 3], "b": ["x", "y"], "c": [0.1, 1.0]}
    space = Space(grid)
    axes = space.grid_axes(5)
    combos = {
        tuple(sorted(space.decode(np.array(p)).items()))
        for p in np.array(np.meshgrid(*axes)).reshape(len(axes), -1).T
    }
    assert combos == {tuple(sorted(p.items())) for p in ParameterGrid(grid)}


def test_grid_values_on_their_scale():
    assert Real(1e-2, 1e2, log=True).grid(5) == pytest.approx([1e-2, 1e-1, 1.0, 10.0, 100.0])
    assert Real(0.0, 1.0).grid(3) == [0.0, 0.5, 1.0]
    assert Integer(1, 4).grid(5) == [1, 2, 3, 4]
    assert Integer(0, 100).grid(5) == [0, 25, 50, 75, 100]


def test_snap_is_idempotent_and_preserves_decoding():
    space = Space({"i": (1, 50, "log"), "j": (0, 6), "c": ["a", "b", "c"], "r": (0.0, 1.0)})
    X = np.random.default_rng(0).random((200, 4))
    S = space.snap(X)
    assert np.array_equal(space.snap(S), S)
    for x, s in zip(X, S, strict=True):
        assert space.decode(x) == {**space.decode(s), "r": space.decode(x)["r"]}
        assert np.allclose(space.encode(space.decode(s)), s)


# ---------------------------------------------------------------- property tests


@given(
    low=hs.floats(-1e6, 1e6),
    width=hs.floats(1e-3, 1e6),
    u=hs.floats(0.0, 1.0),
)
def test_real_property_roundtrip(low, width, u):
    d = Real(low, low + width)
    x = d.decode(u)
    assert d.low <= x <= d.high
    assert math.isclose(d.encode(x), u, abs_tol=1e-9 * max(1.0, abs(low) / width))


@given(low=hs.floats(1e-8, 1e3), ratio=hs.floats(1.001, 1e8), u=hs.floats(0.0, 1.0))
def test_log_real_property_roundtrip(low, ratio, u):
    d = Real(low, low * ratio, log=True)
    x = d.decode(u)
    assert d.low <= x <= d.high
    assert math.isclose(d.decode(d.encode(x)), x, rel_tol=1e-9)


@given(
    low=hs.integers(-10_000, 10_000),
    span=hs.integers(1, 10_000),
    log=hs.booleans(),
    data=hs.data(),
)
def test_integer_property_exact(low, span, log, data):
    if log:
        low = abs(low) + 1
    d = Integer(low, low + span, log=log)
    v = data.draw(hs.integers(d.low, d.high))
    assert d.decode(d.encode(v)) == v
    u = data.draw(hs.floats(0.0, 1.0))
    assert d.low <= d.decode(u) <= d.high


@given(choices=hs.lists(hs.one_of(hs.text(), hs.integers()), min_size=1, max_size=30, unique=True))
def test_categorical_property_exact(choices):
    choices = list(dict.fromkeys((type(c), c) for c in choices))  # unique by type and value
    d = Categorical([c for _, c in choices])
    for c in d.choices:
        assert d.decode(d.encode(c)) is c
