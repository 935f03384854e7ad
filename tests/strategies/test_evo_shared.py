"""What every evolutionary strategy guarantees: seeds reproduce, points are valid, ask/tell in
any order and any interleaving, warm starts seed the search."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import hpo_core
from tests.strategies import evo_common as common

NAMES = ["ga", "de", "cmaes", "nsga2"]


@pytest.mark.parametrize("name", NAMES)
def test_seed_reproduces(name):
    common.check_seed_reproduces(name)


@pytest.mark.parametrize("name", ["ga", "de", "cmaes"])
def test_points_valid_on_mixed_space(name):
    common.check_points_valid(name)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("order", ["generation", "single", "oversize", "late", "lossy"])
def test_any_ask_tell_order(name, order):
    common.check_any_order(name, order)


@pytest.mark.parametrize("name", NAMES)
def test_warm_start_seeds_the_search(name):
    def seeded(strategy, x):
        if name == "cmaes":  # one distribution: the told point becomes its mean
            np.testing.assert_allclose(strategy.mean, x)
        else:  # a population: the told point joins it
            assert np.any(np.all(np.isclose(strategy._P, x), axis=1))

    common.check_warm_start(name, seeded)


@pytest.mark.parametrize("name", ["ga", "de", "cmaes"])
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
def test_any_sequence_of_operations_gives_valid_asks(name, ops):
    common.check_random_sessions(name, ops)


@pytest.mark.parametrize("name", ["ga", "de", "cmaes"])
def test_every_told_child_enters_an_update(name):
    # batches of three populations, told in a shuffled order, with points from elsewhere
    opt = hpo_core.Optimizer(common.REALS, strategy=name, seed=0)
    strategy = opt.strategy
    rng = np.random.default_rng(0)
    told = 0
    for _ in range(6):
        batch = opt.ask(3 * strategy.lam)
        rng.shuffle(batch)
        for t in batch:
            opt.tell(t, common.sphere(t.params))
            told += 1
        p = {k: float(v) for k, v in zip(common.REALS, rng.uniform(-2, 2, 4), strict=True)}
        opt.tell(p, common.sphere(p))
        told += 1
    opt.ask()  # the strategy reads what was told on the next ask
    waiting = len(strategy._members)  # in the open generation, counted when it closes
    assert strategy.evaluations_used + waiting == told
    assert strategy.evaluations_used >= told - strategy.lam


@pytest.mark.parametrize("name", NAMES)
def test_points_from_elsewhere_pending_when_first_read_enter_an_update(name):
    # an enqueued point and another worker's trial, both still pending at the next ask
    path = {"x0": 0.5, "x1": 0.5, "x2": 0.5, "x3": 0.5}
    opt = hpo_core.Optimizer(common.REALS, strategy=name, seed=0)
    strategy = opt.strategy
    seen = []
    foreign = strategy._foreign
    strategy._foreign = lambda x, y: (seen.append(y), foreign(x, y))
    opt.enqueue(path)
    queued, mine = opt.ask(), opt.ask()
    assert queued.params == path
    opt.tell(queued, 0.0)
    opt.tell(mine, common.sphere(mine.params))
    for _ in range(3 * strategy.lam):
        t = opt.ask()
        opt.tell(t, common.sphere(t.params))
    assert 0.0 in seen  # the queued point's value reached the strategy


@pytest.mark.parametrize("name", ["de", "cmaes"])
def test_a_batch_after_queued_parameters_is_still_the_strategys_own(name):
    opt = hpo_core.Optimizer(common.REALS, strategy=name, seed=0)
    opt.enqueue({"x0": 1.0, "x1": 1.0, "x2": 1.0, "x3": 1.0})
    batch = opt.ask(5)
    opt.ask()  # reads the history while the batch is in flight
    assert sorted(opt.strategy._inflight)[:4] == [t.id for t in batch[1:]]
