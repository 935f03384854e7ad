"""Dimensions at the limits of floats and ints, and names the space keeps for itself."""

from __future__ import annotations

import sys

import numpy as np
import pytest
import scipy.stats as st

from hpo_core import Integer, Optimizer, Real, Space

BIG = sys.float_info.max


def test_real_wider_than_the_largest_float_samples_and_encodes_its_whole_range():
    d = Real(-1e308, 1e308)
    assert d.encode(-1e308) == 0.0 and d.encode(1e308) == 1.0
    assert d.encode(0.0) == 0.5 and d.encode(5e307) == 0.75
    assert d.decode(0.5) == 0.0 and d.decode(0.0) == -1e308 and d.decode(1.0) == 1e308
    assert abs(d.decode(d.encode(1.5e307)) - 1.5e307) <= 1e-15 * 1.5e307
    widest = Real(-BIG, BIG)
    assert widest.encode(BIG) == 1.0 and widest.encode(-BIG) == 0.0
    assert -BIG < widest.decode(1.0 - 1e-12) <= BIG
    opt = Optimizer({"x": d}, seed=0)
    xs = [opt.ask().params["x"] for _ in range(20)]
    assert len(set(xs)) == 20 and all(-1e308 <= x <= 1e308 for x in xs)
    assert min(xs) < 0.0 < max(xs)


def test_real_ordinary_ranges_keep_their_encoding():
    for d in (Real(-3.0, 7.5), Real(1e-3, 1e3, log=True)):
        assert not d._half
        u = np.linspace(0.0, 1.0, 11)
        expected = [d._a + v * (d._w) for v in u]
        if d.log:
            expected = [float(np.exp(v)) for v in expected]
        got = [d.decode(v) for v in u]
        assert got[1:-1] == [min(max(e, d.low), d.high) for e in expected][1:-1]


def test_space_of_a_huge_real_round_trips_through_the_cube():
    space = Space({"x": (-1e308, 1e308), "y": [1, 2]})
    x = space.encode({"x": 1e307, "y": 2})
    assert 0.5 < x[0] < 1.0
    assert np.isfinite(space.sample(50, np.random.default_rng(0))).all()


# ---------------------------------------------------------------- names


def test_a_parameter_named_like_an_internal_key_keeps_its_own_column():
    space = Space([{"a": (0, 1)}, {"a": (0.0, 1.0), "a@1": [1, 2]}])
    assert space.params == ("a", "a@1")
    for params in ({"a": 1}, {"a": 0.25, "a@1": 2}):
        assert space.decode(space.encode(params)) == params
    opt = Optimizer(space, seed=0)
    opt.tell({"a": 0.25, "a@1": 2}, 1.0)
    assert Optimizer.from_json(opt.to_json()).trials[0].params == {"a": 0.25, "a@1": 2}
    seen = {frozenset(opt.ask().params) for _ in range(30)}
    assert seen == {frozenset({"a"}), frozenset({"a", "a@1"})}


def test_the_subspace_name_is_reserved():
    for spec in ({"<subspace>": [1, 2], "b": (0, 1)}, [{"<subspace>": [1]}, {"b": [2]}]):
        with pytest.raises(ValueError, match="'<subspace>' is a reserved name"):
            Space(spec)


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (st.loguniform(0, 1), r"loguniform\(0, 1\).*low must be > 0"),
        (st.loguniform(-1.0, 1.0), "low must be > 0"),
        (st.uniform(0, -1), r"uniform\(0, -1\).*scale > 0"),
        (st.randint(5, 1), r"randint\(5, 1\).*low < high"),
        ((0.0, 10**400), "Real high must be a finite real number"),
        ((0, 10**400), r"Integer range \[0, 1000"),
    ],
)
def test_invalid_dimensions_are_refused_naming_the_parameter(spec, message):
    with pytest.raises(ValueError, match=f"^parameter 'x': .*{message}"):
        Space({"x": spec})


def test_values_that_overflow_or_have_the_wrong_type_name_the_parameter_and_range():
    space = Space({"x": (0.0, 1.0), "n": (0, 5)})
    for name, value in [("x", 10**400), ("x", "a"), ("x", None), ("n", "a"), ("n", 1.5)]:
        with pytest.raises(ValueError, match=f"^parameter '{name}': .*\\[0(\\.0)?, [15](\\.0)?\\]"):
            space.encode({"x": 0.5, "n": 1, name: value})
    with pytest.raises(ValueError, match="finite real number"):
        Real(0.0, 10**400)


def test_log_ranges_too_narrow_for_their_logs_are_refused():
    with pytest.raises(
        ValueError, match=r"Integer range \[562949953421310, 562949953421311\].*log"
    ):
        Integer(562949953421310, 562949953421311, log=True)
    with pytest.raises(ValueError, match="parameter 'x': Real range .* too narrow for log=True"):
        Space({"x": (1e300, 1.0000000000000001e300 * (1 + 2e-16), "log")})
    assert Integer(10**14, 10**14 + 10**6, log=True).levels == 10**6 + 1


def test_grids_of_huge_integer_ranges_stay_inside_their_bounds():
    for dim in (Integer(0, 2**62 - 1), Integer(3, 2**62 - 1, log=True)):
        grid = dim.grid(5)
        assert grid[0] == dim.low and grid[-1] == dim.high and len(grid) == 5
        opt = Optimizer({"a": dim, "b": (-1e308, 1e308)}, strategy="grid", seed=0)
        assert all(dim.low <= opt.ask().params["a"] <= dim.high for _ in range(10))
