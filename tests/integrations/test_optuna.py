from __future__ import annotations

import math
import warnings

import pytest

optuna = pytest.importorskip("optuna")

from hpo_core import Categorical, Integer, Optimizer, Real  # noqa: E402
from hpo_core.integrations.optuna import Sampler  # noqa: E402
from hpo_core.strategies import STRATEGIES, StrategyFallbackWarning  # noqa: E402

optuna.logging.set_verbosity(optuna.logging.WARNING)


def objective(trial):
    x = trial.suggest_float("x", -5.0, 5.0)
    lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
    n = trial.suggest_int("n", 1, 64, log=True)
    k = trial.suggest_int("k", 0, 20, step=4)
    q = trial.suggest_float("q", 0.0, 1.0, step=0.25)
    act = trial.suggest_categorical("act", ["relu", "tanh", None])
    value = (x - 1) ** 2 + abs(math.log10(lr) + 3) + n / 64 + k / 20 + q + (act != "tanh")
    if act == "relu":  # a dynamic parameter: sampled independently
        value += trial.suggest_float("slope", 0.0, 0.1)
    return value


def run(seed, n=30, direction="minimize", strategy="random"):
    study = optuna.create_study(sampler=Sampler(strategy, seed=seed), direction=direction)
    study.optimize(objective, n_trials=n)
    return study


def test_mixed_space_values_in_range():
    study = run(0)
    assert len(study.trials) == 30
    for t in study.trials:
        p = t.params
        assert -5 <= p["x"] <= 5 and 1e-5 <= p["lr"] <= 1e-1
        assert type(p["n"]) is int and 1 <= p["n"] <= 64
        assert p["k"] in (0, 4, 8, 12, 16, 20)
        assert p["q"] in (0.0, 0.25, 0.5, 0.75, 1.0)
        assert p["act"] in ("relu", "tanh", None)
        assert ("slope" in p) == (p["act"] == "relu")


def test_same_seed_same_trials():
    a = [t.params for t in run(3, n=15).trials]
    b = [t.params for t in run(3, n=15).trials]
    assert a == b


def test_history_is_told_to_the_strategy():
    sampler = Sampler("random", seed=0)
    study = optuna.create_study(sampler=sampler, direction="maximize")
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=12)
    opt = sampler._study_books(study).joint.opt
    assert opt.direction == "maximize"
    # all but the first trial (relative sampling starts once the space is known) are in the books
    told = [t for t in opt.trials if t.state == "complete"]
    assert len(told) == 11
    assert opt.best.value == study.best_value


def test_failed_and_pruned_trials_are_recorded():
    sampler = Sampler("random", seed=0)
    study = optuna.create_study(sampler=sampler)

    def obj(trial):
        x = trial.suggest_float("x", 0, 1)
        if trial.number % 3 == 1:
            raise ValueError("bad")
        if trial.number % 3 == 2:
            trial.report(0.5, 0)
            raise optuna.TrialPruned()
        return x

    study.optimize(obj, n_trials=10, catch=(ValueError,))
    states = [t.state for t in sampler._study_books(study).joint.opt.trials]
    assert "failed" in states and "pruned" in states and "complete" in states


def test_bad_strategy():
    with pytest.raises(ValueError, match="strategy must be one of"):
        Sampler("magic")
    with pytest.raises(TypeError, match="constraints_func must be None or callable"):
        Sampler("nsga2", constraints_func=[0.0])
    with pytest.raises(TypeError, match="strategy_options must be None or a dict"):
        Sampler("nsga2", strategy_options="population_size=10")
    with pytest.raises(ValueError, match="grid_points"):  # options are checked up front too
        Sampler("grid", strategy_options={"grid_points": 1})
    for seed in (True, 1.5, -1):  # up front, not in every trial
        with pytest.raises(ValueError, match=rf"seed must be None or an integer >= 0, got {seed}"):
            Sampler("bayes", seed=seed)


def static_objective(trial):
    x = trial.suggest_float("x", -5.0, 5.0)
    lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
    n = trial.suggest_int("n", 1, 64, log=True)
    q = trial.suggest_float("q", 0.0, 1.0, step=0.25)
    act = trial.suggest_categorical("act", ["relu", "tanh", None])
    return (x - 1) ** 2 + abs(math.log10(lr) + 3) + n / 64 + q + (act != "tanh")


#: the space the sampler sees for static_objective: Optuna's names in order, q as its grid index
STATIC_SPACE = {
    "act": Categorical(("relu", "tanh", None)),
    "lr": Real(1e-5, 1e-1, log=True),
    "n": Integer(1, 64, log=True),
    "q": Integer(0, 4),
    "x": Real(-5.0, 5.0),
}


@pytest.mark.parametrize("strategy", ["bayes", "tpe", "cmaes"])
def test_model_based_strategies(strategy):
    if strategy not in STRATEGIES:
        pytest.skip(f"{strategy} is not available")
    with warnings.catch_warnings():
        warnings.simplefilter("error", StrategyFallbackWarning)  # the model, never random points
        study = optuna.create_study(sampler=Sampler(strategy, seed=0))
        study.optimize(static_objective, n_trials=25)
        # every trial but the first (sampled before the search space is known) is what an
        # Optimizer with the same strategy and seed asks when told the same values
        opt = Optimizer(STATIC_SPACE, strategy=strategy, seed=0)
        first, *rest = study.trials
        opt.tell({**first.params, "q": round(first.params["q"] / 0.25)}, first.value)
        for t in rest:
            ours = opt.ask()
            assert t.params == {**ours.params, "q": 0.25 * ours.params["q"]}
            opt.tell(ours, t.value)
    assert len(study.trials) == 25
    assert study.best_value == opt.best.value


def _grid_objective(trial):
    return trial.suggest_categorical("x", [1, 2, 3]) + trial.suggest_int("k", 0, 1)


def test_an_exhausted_grid_stops_the_study_cleanly_as_optunas_grid_sampler():
    study = optuna.create_study(sampler=Sampler("grid", seed=0))
    study.optimize(_grid_objective, n_trials=20)  # no exception: the study is stopped
    states = {t.state for t in study.trials}
    assert states == {optuna.trial.TrialState.COMPLETE}
    points = {(t.params["x"], t.params["k"]) for t in study.trials}
    assert points == {(x, k) for x in (1, 2, 3) for k in (0, 1)}
    # the trial that found the grid exhausted got a valid point, then the study stopped
    assert len(study.trials) == 7
    assert study.trials[-1].params == study.best_params
    # optimizing again runs one trial and stops, as GridSampler does
    study.optimize(_grid_objective, n_trials=20)
    assert len(study.trials) == 8
    assert all(t.state == optuna.trial.TrialState.COMPLETE for t in study.trials)
    # ask and tell: a valid point, and telling it is not an error
    trial = study.ask()
    study.tell(trial, _grid_objective(trial))
    assert study.trials[-1].state == optuna.trial.TrialState.COMPLETE


@pytest.mark.parametrize("strategy", ["random", "tpe"])
def test_a_choice_listed_twice_is_one_choice_as_in_optuna(strategy):
    # Optuna takes ["adam", "sgd", "adam"] (it stores a choice by its first index)
    study = optuna.create_study(sampler=Sampler(strategy, seed=0))
    study.optimize(lambda t: len(t.suggest_categorical("opt", ["adam", "sgd", "adam"])), 12)
    assert {t.state for t in study.trials} == {optuna.trial.TrialState.COMPLETE}
    assert {t.params["opt"] for t in study.trials} == {"adam", "sgd"}
