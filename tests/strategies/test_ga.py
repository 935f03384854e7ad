"""strategy="ga": seeds reproduce, points are valid, ask/tell in any order, warm starts."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import hpo_core
from tests.strategies import evo_common as common

NAME = "ga"


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


def test_elitism_keeps_the_best():
    opt = hpo_core.Optimizer(common.REALS, strategy="ga", seed=0)
    best = []
    for _ in range(8):
        for t in opt.ask(opt.strategy.lam):
            opt.tell(t, common.sphere(t.params))
        opt.ask()  # syncs the closed generation
        best.append(opt.strategy._f.min())
    assert np.all(np.diff(best) <= 0)
    assert best[-1] == opt.best.value
    assert len(opt.strategy._P) <= opt.strategy.population_size


def test_categorical_only_space():
    space = {f"c{i}": hpo_core.Categorical(list("abcde")) for i in range(4)}
    opt = hpo_core.Optimizer(space, strategy="ga", seed=0)
    opt.minimize(lambda p: sum(v != "c" for v in p.values()), n_trials=300)
    assert opt.best.value == 0


def test_options_validated():
    from hpo_core.strategies.ga import GeneticAlgorithm

    with pytest.raises(ValueError, match="population_size must be an integer >= 4"):
        GeneticAlgorithm(population_size=2)
    with pytest.raises(ValueError, match=r"crossover_rate must be in \[0, 1\]"):
        GeneticAlgorithm(crossover_rate=2)


def test_trials_pending_too_long_are_forgotten():
    from hpo_core.strategies.ga import GeneticAlgorithm

    opt = hpo_core.Optimizer(common.REALS, strategy=GeneticAlgorithm(max_age=60), seed=0)
    stale = opt.ask(5)  # never told while the search goes on
    opt.minimize(common.sphere, n_trials=300)
    assert opt.strategy.generation >= 5
    assert all(t.id not in opt.strategy._inflight for t in stale)
    assert len(opt.strategy._inflight) <= 60
    # told at last, a forgotten trial is ignored (and harmless)
    opt.tell(stale[0], -1.0)
    opt.ask(3)
    assert opt.strategy._f.min() > -1.0


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


def test_proposals_that_never_became_trials_are_forgotten():
    opt = hpo_core.Optimizer(common.REALS, strategy="ga", seed=0)
    opt.strategy.propose(opt.history(), 4)  # rows the optimizer never recorded
    opt.tell({k: 0.0 for k in common.REALS}, -5.0)  # takes id 0, which was proposed above
    opt.ask()
    # recorded as a point from elsewhere, with its own coordinates (0.0 encodes to 0.5)
    P, f = opt.strategy._P, opt.strategy._f
    np.testing.assert_allclose(P[f == -5.0], np.full((1, 4), 0.5))
