"""strategy="ga": elitism, categorical-only spaces, options, forgotten proposals (the shared
guarantees are in test_evo_shared.py)."""

from __future__ import annotations

import numpy as np
import pytest

import hpo_core
from tests.strategies import evo_common as common


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
    with pytest.raises(ValueError, match=r"crossover must be one of \('sbx', 'uniform'\)"):
        GeneticAlgorithm(crossover="blend")
    with pytest.raises(ValueError, match=r"mutation must be one of \('polynomial', 'reset'\)"):
        GeneticAlgorithm(mutation="gauss")
    for kwargs in (
        {"crossover_rate": "0.5"},
        {"crossover_rate": None},
        {"mutation_rate": True},
        {"eta_crossover": "x"},
        {"tournament_size": True},
    ):
        with pytest.raises(ValueError, match=next(iter(kwargs))):
            GeneticAlgorithm(**kwargs)


def test_numpy_numbers_are_options_like_python_ones():
    from hpo_core.strategies.ga import GeneticAlgorithm

    ga = GeneticAlgorithm(
        population_size=np.int64(8), tournament_size=np.int32(3), crossover_rate=np.float32(0.5)
    )
    assert (ga.population_size, ga.tournament_size) == (8, 3)
    assert type(ga.population_size) is int and type(ga.tournament_size) is int


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


def test_proposals_that_never_became_trials_are_forgotten():
    opt = hpo_core.Optimizer(common.REALS, strategy="ga", seed=0)
    opt.strategy.propose(opt.history(), 4)  # rows the optimizer never recorded
    opt.tell({k: 0.0 for k in common.REALS}, -5.0)  # takes id 0, which was proposed above
    opt.ask()
    # recorded as a point from elsewhere, with its own coordinates (0.0 encodes to 0.5)
    P, f = opt.strategy._P, opt.strategy._f
    np.testing.assert_allclose(P[f == -5.0], np.full((1, 4), 0.5))
