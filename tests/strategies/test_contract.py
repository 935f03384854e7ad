"""The contract every registered strategy keeps (valid points, seeds, pending, failures)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from hpo_core import Categorical, Integer, Optimizer, Real, SearchSpaceExhausted
from hpo_core.strategies import STRATEGIES, StrategyFallbackWarning

SPACE = {
    "x": Real(-5.0, 5.0),
    "lr": Real(1e-4, 1.0, log=True),
    "n": Integer(1, 64, log=True),
    "k": Categorical(["a", "b", "c"]),
}


def objective(p):
    return (p["x"] - 1.0) ** 2 + abs(np.log10(p["lr"]) + 2) + p["n"] / 64 + (p["k"] != "b")


def valid(params):
    return (
        set(params) == set(SPACE)
        and type(params["x"]) is float
        and -5.0 <= params["x"] <= 5.0
        and type(params["lr"]) is float
        and 1e-4 <= params["lr"] <= 1.0
        and type(params["n"]) is int
        and 1 <= params["n"] <= 64
        and params["k"] in ("a", "b", "c")
    )


def run(strategy, seed, n=25, batch=1):
    opt = Optimizer(SPACE, strategy=strategy, seed=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("error", StrategyFallbackWarning)
        while len(opt.trials) < n:
            try:
                trials = opt.ask(batch)
            except SearchSpaceExhausted:
                break
            for t in trials:
                opt.tell(t, objective(t.params))
    return opt


@pytest.fixture(params=sorted(STRATEGIES))
def strategy(request):
    return request.param


def test_valid_points(strategy):
    opt = run(strategy, seed=0)
    assert len(opt.trials) > 0
    assert all(valid(t.params) for t in opt.trials)


def test_same_seed_same_sequence(strategy):
    a = [t.params for t in run(strategy, seed=7).trials]
    b = [t.params for t in run(strategy, seed=7).trials]
    assert a == b


def test_different_seed_different_sequence(strategy):
    if strategy == "grid":
        pytest.skip("an unshuffled grid is the same for every seed")
    a = [t.params for t in run(strategy, seed=1).trials]
    b = [t.params for t in run(strategy, seed=2).trials]
    assert a != b


def test_batch_is_diverse(strategy):
    opt = run(strategy, seed=0, n=12)
    batch = opt.ask(6)
    keys = {tuple(sorted(t.params.items())) for t in batch}
    assert len(keys) == len(batch) == 6
    # nor do they repeat anything still pending
    more = opt.ask(3)
    keys2 = {tuple(sorted(t.params.items())) for t in more}
    assert not keys & keys2


def test_failures_and_nans_tolerated(strategy):
    opt = Optimizer(SPACE, strategy=strategy, seed=0)
    for i in range(20):
        t = opt.ask()
        if i % 3 == 0:
            opt.tell(t, exception=RuntimeError("crash"))
        elif i % 3 == 1:
            opt.tell(t, float("nan"))
        else:
            opt.tell(t, objective(t.params))
    assert valid(opt.ask().params)


def test_never_told_trials_do_not_block(strategy):
    opt = Optimizer(SPACE, strategy=strategy, seed=0)
    for i in range(20):
        t = opt.ask()
        if i % 2:
            opt.tell(t, objective(t.params))
    assert valid(opt.ask().params)


def test_warm_start(strategy):
    opt = Optimizer(SPACE, strategy=strategy, seed=0)
    rng = np.random.default_rng(0)
    for _ in range(10):
        p = {"x": float(rng.uniform(-5, 5)), "lr": 0.01, "n": 8, "k": "b"}
        opt.tell(p, objective(p))
    trials = opt.ask(3)
    assert all(valid(t.params) for t in trials)


def test_maximize_runs(strategy):
    opt = Optimizer(SPACE, strategy=strategy, direction="maximize", seed=0)
    best = opt.minimize(lambda p: -objective(p), n_trials=15)
    assert best.value == max(t.value for t in opt.trials if t.state == "complete")


CONDITIONAL = {
    "model": Categorical(["svc", "forest"]),
    "C": Real(1e-3, 1e3, log=True, when={"model": "svc"}),
    "kernel": Categorical(["linear", "rbf"], when={"model": "svc"}),
    "gamma": Real(1e-4, 1.0, log=True, when={"kernel": "rbf"}),
    "trees": Integer(10, 300, log=True, when={"model": "forest"}),
}


def conditional_objective(p):
    if p["model"] == "forest":
        return abs(np.log10(p["trees"]) - 2.0)
    return abs(np.log10(p["C"])) + (abs(np.log10(p["gamma"]) + 2) if "gamma" in p else 0.5)


def test_conditional_space(strategy):
    opt = Optimizer(CONDITIONAL, strategy=strategy, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", StrategyFallbackWarning)
        for _ in range(6):
            try:
                batch = opt.ask(4)
            except SearchSpaceExhausted:
                break
            for t in batch:
                opt.tell(t, conditional_objective(t.params))
    for t in opt.trials:
        p = t.params
        assert ("trees" in p) == (p["model"] == "forest")
        assert ("kernel" in p) == ("C" in p) == (p["model"] == "svc")
        assert ("gamma" in p) == (p.get("kernel") == "rbf")
    h = opt.history()
    assert np.all(h.X_all[~opt.space.active(h.X_all)] == 0.5)


def test_finite_strategies_end_by_themselves():
    from hpo_core.strategies import make_strategy

    finite = sorted(name for name in STRATEGIES if make_strategy(name).finite)
    assert finite == ["grid"]
    for name in finite:
        opt = Optimizer({"k": ["a", "b", "c"], "n": Integer(1, 2)}, strategy=name, seed=0)
        assert len(opt.ask(10)) == 6
        with pytest.raises(SearchSpaceExhausted):
            opt.ask()


@pytest.mark.parametrize("name", ["random", "sobol", "tpe", "bayes", "ga", "de", "cmaes", "nsga2"])
def test_a_batch_in_a_small_discrete_space_repeats_no_point(name):
    space = {"n": Integer(1, 10), "c": Categorical(["a", "b"])}  # 20 points
    for seed in range(8):
        opt = Optimizer(space, strategy=name, seed=seed)
        first = [tuple(t.params.values()) for t in opt.ask(4)]
        second = [tuple(t.params.values()) for t in opt.ask(4)]  # the first still pending
        assert len(set(first + second)) == 8


@pytest.mark.parametrize("name", ["random", "tpe"])
def test_random_draws_in_a_discrete_space_visit_every_point_before_repeating(name):
    opt = Optimizer({"n": Integer(1, 10), "c": Categorical(["a", "b"])}, strategy=name, seed=0)
    seen = set()
    for _ in range(10):  # the random phase of TPE: its first 10 trials
        t = opt.ask()
        seen.add(tuple(t.params.values()))
        opt.tell(t, float(t.params["n"]))
    assert len(seen) == 10
