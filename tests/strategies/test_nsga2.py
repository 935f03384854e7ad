"""strategy="nsga2": several objectives, constraints, quality on ZDT1, any interleaving with
both (the shared guarantees are in test_evo_shared.py)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import hpo_core
from hpo_core.arrays.evo.pareto import nondominated_ranks
from hpo_core.metrics import hypervolume
from tests.strategies import evo_common as common

NAME = "nsga2"
ZDT_SPACE = {f"x{i}": hpo_core.Real(0.0, 1.0) for i in range(10)}


def zdt1(p: dict) -> list[float]:
    x = np.array(list(p.values()))
    g = 1.0 + 9.0 * x[1:].mean()
    return [float(x[0]), float(g * (1.0 - np.sqrt(x[0] / g)))]


def two_objectives(p: dict) -> list[float]:
    return [common.mixed_objective(p), (p["a"] + 2) ** 2 + (p["k"] != "x")]


def _front_hv(opt) -> float:
    F = np.array([t.values for t in opt.pareto_front])
    return hypervolume(F, [1.1, 11.0])


def test_beats_random_on_zdt1():
    hv = {}
    for name in ("nsga2", "random"):
        opt = hpo_core.Optimizer(
            ZDT_SPACE, strategy=name, direction=["minimize", "minimize"], seed=0
        )
        front = opt.minimize(zdt1, n_trials=600)
        assert front == opt.pareto_front
        hv[name] = _front_hv(opt)
    assert hv["nsga2"] > hv["random"] + 0.5


def test_population_is_sorted_by_fronts_and_elitist():
    opt = hpo_core.Optimizer(ZDT_SPACE, strategy=NAME, direction=["minimize", "minimize"], seed=1)
    for _ in range(6):
        for t in opt.ask(opt.strategy.lam):
            opt.tell(t, zdt1(t.params))
    opt.ask()  # syncs the closed generation
    s = opt.strategy
    assert len(s._P) == s.population_size
    # every trial of the study's front that was ever a parent candidate is still in the population
    front = np.array([t.values for t in opt.pareto_front])
    ranks = nondominated_ranks(np.vstack([s._F, front]))
    assert ranks[: len(s._F)].min() == 0
    assert np.all(ranks[len(s._F) :] == 0)


def test_maximize_and_minimize_mixed():
    opt = hpo_core.Optimizer(ZDT_SPACE, strategy=NAME, direction=["maximize", "minimize"], seed=0)
    opt.minimize(lambda p: [-zdt1(p)[0], zdt1(p)[1]], n_trials=400)
    F = np.array([[-t.values[0], t.values[1]] for t in opt.pareto_front])
    assert hypervolume(F, [1.1, 11.0]) > 8.0


def test_constrained_prefers_feasible_points():
    # feasible only where x0 >= 0.6: the front must sit there
    opt = hpo_core.Optimizer(
        ZDT_SPACE, strategy=NAME, direction=["minimize", "minimize"], constraints=True, seed=0
    )
    for _ in range(400):
        t = opt.ask()
        opt.tell(t, zdt1(t.params), constraints=[0.6 - t.params["x0"]])
    late = opt.trials[-100:]
    assert np.mean([t.constraints[0] <= 0 for t in late]) > 0.8
    assert all(t.params["x0"] >= 0.6 for t in opt.pareto_front)
    # the strategy's parents are all feasible once enough feasible points exist
    assert np.all(opt.strategy._V == 0)


def test_options_validated():
    from hpo_core.strategies.nsga2 import NSGA2

    with pytest.raises(ValueError, match="population_size must be an integer >= 4"):
        NSGA2(population_size=3)
    assert "tournament_size" not in repr(NSGA2())
    with pytest.raises(ValueError, match=r"crossover must be one of \('sbx', 'uniform'\)"):
        NSGA2(crossover="SBX")
    with pytest.raises(ValueError, match=r"mutation must be one of \('polynomial', 'reset'\)"):
        NSGA2(mutation=None)
    assert "crossover='uniform'" in repr(NSGA2(crossover="uniform"))


def _children(seed: int = 0, **options) -> tuple[np.ndarray, np.ndarray]:
    """A generation's parents (p, 10) and the children (50, 10) bred from them."""
    from hpo_core.strategies.nsga2 import NSGA2

    opt = hpo_core.Optimizer(
        ZDT_SPACE, strategy=NSGA2(**options), direction=["minimize"] * 2, seed=seed
    )
    for _ in range(3):
        for t in opt.ask(opt.strategy.lam):
            opt.tell(t, zdt1(t.params))
    opt.ask()  # syncs the closed generation
    s = opt.strategy
    return s._P.copy(), s._breed()[0]


def test_uniform_crossover_keeps_parents_values_and_reset_draws_new_ones():
    P, C = _children(mutation_rate=0.0)  # uniform, the default
    assert all(np.isin(C[:, j], P[:, j]).all() for j in range(P.shape[1]))
    P, C = _children(crossover="uniform", mutation="reset", mutation_rate=0.3)
    fresh = np.mean([~np.isin(C[:, j], P[:, j]) for j in range(P.shape[1])])
    assert 0.2 < fresh < 0.4  # the mutated share
    # SBX moves values away from the parents'
    P, C = _children(crossover="sbx", mutation_rate=0.0)
    assert np.mean([~np.isin(C[:, j], P[:, j]) for j in range(P.shape[1])]) > 0.2


@pytest.mark.parametrize("options", [{"crossover": "sbx"}, {"mutation": "reset"}])
def test_other_operators_beat_random_on_zdt1(options):
    from hpo_core.strategies.nsga2 import NSGA2

    opt = hpo_core.Optimizer(
        ZDT_SPACE, strategy=NSGA2(**options), direction=["minimize"] * 2, seed=0
    )
    opt.minimize(zdt1, n_trials=600)
    rand = hpo_core.Optimizer(ZDT_SPACE, strategy="random", direction=["minimize"] * 2, seed=0)
    rand.minimize(zdt1, n_trials=600)
    assert _front_hv(opt) > _front_hv(rand) + 0.5


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 2),
            st.integers(1, 12),
            st.one_of(st.floats(-1e6, 1e6), st.just(float("nan")), st.just(0.0)),
        ),
        max_size=100,
    )
)
def test_any_sequence_of_operations_gives_valid_asks(ops):
    """Asks, tells (two objectives and a constraint), failures, late tells and warm starts in
    any interleaving give valid asks."""
    opt = hpo_core.Optimizer(
        common.MIXED, strategy=NAME, direction=["minimize", "maximize"], constraints=True, seed=0
    )
    pending: list = []
    rng = np.random.default_rng(0)
    for kind, k, value in ops:
        if kind == 0:
            new = opt.ask(k)
            pending.extend(new)
            assert 1 <= len(new) <= k
        elif kind == 1 and pending:
            t = pending.pop(min(k, len(pending) - 1))
            opt.tell(t, [value, -value * k], constraints=[k - 6.0])
        elif kind == 2:
            x = opt.space.sample(1, rng)[0]
            opt.tell(opt.space.decode(x), [value, float(k)], constraints=[0.0])
    pending.extend(opt.ask(3))
    X = opt.history().X_all
    assert X.min() >= 0 and X.max() <= 1
    assert len(opt.strategy._P) <= opt.strategy.population_size


def test_single_objective_runs_like_ga():
    opt = hpo_core.Optimizer(common.REALS, strategy=NAME, seed=0)
    opt.minimize(common.sphere, n_trials=500)
    rand = hpo_core.Optimizer(common.REALS, strategy="random", seed=0)
    rand.minimize(common.sphere, n_trials=500)
    assert opt.best.value < rand.best.value


def test_mixed_space_two_objectives():
    opt = hpo_core.Optimizer(common.MIXED, strategy=NAME, direction=["minimize"] * 2, seed=0)
    front = opt.minimize(two_objectives, n_trials=300)
    assert len(front) >= 2
    h = opt.history()
    np.testing.assert_array_equal(opt.space.snap(h.X_all), h.X_all)


def test_every_parent_enters_the_same_number_of_tournaments():
    from hpo_core.strategies.nsga2 import NSGA2

    s = NSGA2(population_size=10)
    s.setup(hpo_core.Optimizer(ZDT_SPACE).space, np.random.default_rng(0))
    s._P = np.zeros((10, 10))
    C = s._contestants(25)
    assert C.shape == (25, 2)
    np.testing.assert_array_equal(np.bincount(C.ravel(), minlength=10), np.full(10, 5))
    assert not np.array_equal(C, s._contestants(25))  # drawn afresh


def test_a_better_front_wins_every_tournament_whatever_the_crowding():
    from types import SimpleNamespace

    from hpo_core.arrays.evo.pareto import crowding_distance
    from hpo_core.strategies.nsga2 import NSGA2

    # front 0: three points equal in objective space (the middle one has crowding 0); front 1:
    # one point (crowding infinite)
    F = np.array([[0.0, 1.0], [0.0, 1.0], [0.0, 1.0], [1.0, 2.0]])
    s = NSGA2(population_size=4)
    s.setup(hpo_core.Optimizer(ZDT_SPACE).space, np.random.default_rng(0))
    s._history = SimpleNamespace(Y_all=F, C_all=np.empty((4, 0)))
    s._merge(np.random.default_rng(1).random((4, 10)), np.arange(4))
    ranks = nondominated_ranks(s._F, s._V)
    crowd = crowding_distance(s._F, ranks)
    assert sorted(ranks.tolist()) == [0, 0, 0, 1] and 0.0 in crowd
    for a in range(4):
        for b in range(4):
            if ranks[a] < ranks[b]:
                assert s._f[a] < s._f[b]
            elif ranks[a] == ranks[b] and crowd[a] > crowd[b]:
                assert s._f[a] < s._f[b]


def test_children_repeating_a_parent_or_each_other_are_bred_again():
    # without crossover and with rare mutation, about a third of the children would copy a parent
    P, C = _children(crossover_rate=0.0, mutation_rate=0.1)
    S = np.concatenate([P, C])
    assert len(np.unique(S, axis=0)) == len(S)
    # where every child must repeat (a space of 2 points) breeding still ends, with lam children
    from hpo_core.strategies.nsga2 import NSGA2

    opt = hpo_core.Optimizer(
        {"k": hpo_core.Integer(0, 1)}, strategy=NSGA2(), direction=["minimize"] * 2, seed=0
    )
    opt.minimize(lambda p: [p["k"], 1 - p["k"]], n_trials=200)
    assert len(opt.pareto_front) >= 1
