"""strategy="de": seeds reproduce, points are valid, ask/tell in any order, warm starts."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import hpo_core
from tests.strategies import evo_common as common

NAME = "de"


def test_seed_reproduces():
    common.check_seed_reproduces(NAME)


def test_points_valid_on_mixed_space():
    common.check_points_valid(NAME)


@pytest.mark.parametrize("order", ["generation", "single", "oversize", "late", "lossy"])
def test_any_ask_tell_order(order):
    common.check_any_order(NAME, order)


def test_warm_start_seeds_population():
    def seeded(strategy, x):
        assert np.any(np.all(np.isclose(strategy._P, x), axis=1))

    common.check_warm_start(NAME, seeded)


@pytest.mark.parametrize("scheme", ["rand/1/bin", "current-to-best/1/bin"])
def test_greedy_selection_never_worsens_a_slot(scheme):
    from hpo_core.strategies.de import DifferentialEvolution

    opt = hpo_core.Optimizer(common.REALS, strategy=DifferentialEvolution(scheme=scheme), seed=0)
    prev = None
    for _ in range(10):
        for t in opt.ask(opt.strategy.lam):
            opt.tell(t, common.sphere(t.params))
        opt.ask()
        f = opt.strategy._f.copy()
        if prev is not None:
            assert np.all(f <= prev)
        prev = f
    assert prev.min() == opt.best.value < 0.2


def test_options_validated():
    from hpo_core.strategies.de import DifferentialEvolution

    with pytest.raises(ValueError, match="scheme must be one of"):
        DifferentialEvolution(scheme="best/1/bin")
    with pytest.raises(ValueError, match="F must be"):
        DifferentialEvolution(F=(1.0, 0.5))
    with pytest.raises(ValueError, match=r"CR must be in \[0, 1\]"):
        DifferentialEvolution(CR=1.5)


@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 2),
            st.integers(1, 12),
            st.one_of(st.floats(-1e6, 1e6), st.just(float("nan")), st.just(0.0)),
        ),
        max_size=120,
    )
)
def test_any_sequence_of_operations_gives_valid_asks(ops):
    common.check_random_sessions(NAME, ops)
