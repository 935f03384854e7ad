"""The Optuna sampler as a backend: one regression test (at least) per point of what it must
do beyond Optuna's own sampler tests (several objectives and constraints, threads, the
exhausted grid, enqueued and early-failed trials, one state per study, reseeding, ±inf,
dynamic parameters)."""

from __future__ import annotations

import copy
import gc
import math
import pickle
import threading
import time
import warnings
import weakref

import pytest

optuna = pytest.importorskip("optuna")

from hpo_core import Optimizer, Real  # noqa: E402
from hpo_core.integrations._optuna_books import Track, track_seed  # noqa: E402
from hpo_core.integrations.optuna import Sampler  # noqa: E402
from hpo_core.strategies import StrategyFallbackWarning  # noqa: E402

optuna.logging.set_verbosity(optuna.logging.WARNING)
COMPLETE, FAIL = optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.FAIL


def books(sampler, study):
    return sampler._study_books(study)


def joint(sampler, study):
    """The hpo_core Optimizer of the study's joint (relative) search space."""
    return books(sampler, study).joint.opt


def sync(study):
    """Ask a new trial and sample its relative parameters: the books catch up with the study."""
    assert isinstance(study.ask().relative_params, dict)


def two_d(trial):
    return (trial.suggest_float("x", -2, 2) - 1) ** 2 + trial.suggest_float("y", -2, 2) ** 2


def two_objectives(trial):
    x, y = trial.suggest_float("x", 0, 1), trial.suggest_float("y", 0, 1)
    return x**2 + y, (1 - x) ** 2 + y


# ---------------------------------------------------------------------- 1. objectives, constraints
@pytest.mark.parametrize("strategy", ["nsga2", "bayes", "random", "sobol", "grid"])
def test_multi_objective_studies_are_sampled_by_the_strategy(strategy):
    sampler = Sampler(strategy, seed=0)
    study = optuna.create_study(directions=["minimize", "minimize"], sampler=sampler)
    study.optimize(two_objectives, n_trials=14)
    done = study.trials
    assert [t.state for t in done] == [COMPLETE] * len(done)
    sync(study)  # the next ask tells the strategy the last trial
    opt = joint(sampler, study)
    assert opt.directions == ["minimize", "minimize"]
    told = [t for t in opt.trials if t.state == "complete"]
    assert [list(t.values) for t in told] == [t.values for t in done]
    assert [t.params for t in told] == [t.params for t in done]


@pytest.mark.parametrize("strategy", ["tpe", "cmaes"])
def test_single_objective_strategies_refuse_several_objectives(strategy):
    study = optuna.create_study(directions=["minimize"] * 2, sampler=Sampler(strategy))
    with pytest.raises(ValueError, match=f"strategy '{strategy}' optimises a single objective"):
        study.optimize(two_objectives, n_trials=1)


@pytest.mark.parametrize("strategy", ["nsga2", "bayes", "tpe"])
def test_constraints_func_values_are_stored_and_told(strategy):
    def constraints(trial):
        return [trial.params["x"] - 0.5]  # feasible where x <= 0.5

    directions = ["minimize"] * (2 if strategy == "nsga2" else 1)
    sampler = Sampler(strategy, seed=0, constraints_func=constraints)
    study = optuna.create_study(directions=directions, sampler=sampler)
    obj = two_objectives if strategy == "nsga2" else (lambda t: -sum(two_objectives(t)))
    study.optimize(obj, n_trials=15)
    done = study.trials
    key = optuna.study._constrained_optimization._CONSTRAINTS_KEY
    for t in done:
        assert t.system_attrs[key] == (t.params["x"] - 0.5,)  # as Optuna's samplers store them
    sync(study)
    opt = joint(sampler, study)
    assert opt.constraints
    told = [t for t in opt.trials if t.state == "complete"]
    assert [t.constraints[0] for t in told] == [t.params["x"] - 0.5 for t in done]
    if strategy != "nsga2":  # the best feasible trial is the same in both books
        feasible = [t for t in done if t.params["x"] <= 0.5]
        assert opt.best.value == min(t.value for t in feasible)


@pytest.mark.parametrize("strategy", ["nsga2", "bayes"])
def test_constraints_set_by_the_trial_are_told_without_constraints_func(strategy):
    # Optuna 5's way (constraints_func is deprecated there): trial.set_constraint
    if not hasattr(optuna.trial.Trial, "set_constraint"):
        pytest.skip("trial.set_constraint is Optuna 5's")

    def obj(trial):
        x, y = trial.suggest_float("x", 0, 1), trial.suggest_float("y", 0, 1)
        trial.set_constraint("b", y - 0.9)
        trial.set_constraint("a", x - 0.5)  # feasible where x <= 0.5 and y <= 0.9
        return (x**2 + y, (1 - x) ** 2 + y) if strategy == "nsga2" else -x - y

    directions = ["minimize"] * (2 if strategy == "nsga2" else 1)
    sampler = Sampler(strategy, seed=0)
    study = optuna.create_study(directions=directions, sampler=sampler)
    study.optimize(obj, n_trials=12)
    sync(study)
    opt = joint(sampler, study)
    assert opt.constraints
    told = [t for t in opt.trials if t.state == "complete"]
    done = study.get_trials(states=(COMPLETE,))
    assert [t.constraints for t in told] == [
        [t.params["x"] - 0.5, t.params["y"] - 0.9] for t in done
    ]  # in the order of the constraints' names
    if strategy != "nsga2":
        feasible = [t for t in done if t.params["x"] <= 0.5 and t.params["y"] <= 0.9]
        assert opt.best.value == min(t.value for t in feasible)


# ---------------------------------------------------------------------- 2. threads
@pytest.mark.parametrize("strategy", ["nsga2", "cmaes", "bayes", "tpe", "de"])
def test_threaded_studies_have_no_failed_trial_nor_fallback(strategy):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", StrategyFallbackWarning)
        for seed in range(4):
            sampler = Sampler(strategy, seed=seed)
            study = optuna.create_study(sampler=sampler)
            study.optimize(two_d, n_trials=14, n_jobs=2, catch=())
            assert len(study.trials) == 14
            assert {t.state for t in study.trials} == {COMPLETE}
            done = {(t.params["x"], t.params["y"]): t.value for t in study.trials}
            sync(study)
            opt = joint(sampler, study)
            # every finished trial is in the books, once, with its params and value
            told = {(t.params["x"], t.params["y"]): t.value for t in opt.trials if t.value}
            assert told == done
            assert len(opt.trials) == 15  # and the trial just asked, pending
    assert not [w for w in caught if issubclass(w.category, StrategyFallbackWarning)]


@pytest.mark.parametrize("strategy", ["bayes", "nsga2"])
def test_two_threads_asking_at_once_tell_each_finished_trial_once(strategy, monkeypatch):
    params = Track._params

    def slow_params(self, trial):  # each thread's catching up takes a while: they overlap
        time.sleep(0.001)
        return params(self, trial)

    monkeypatch.setattr(Track, "_params", slow_params)
    sampler = Sampler(strategy, seed=0)
    study = optuna.create_study(sampler=sampler)
    errors = []

    def worker(barrier):
        try:
            trial = study.ask()
            barrier.wait()
            study.tell(trial, two_d(trial))  # both sample relative params at once
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    for _ in range(6):
        barrier = threading.Barrier(2)
        threads = [threading.Thread(target=worker, args=(barrier,)) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert errors == []
    sync(study)
    opt = joint(sampler, study)
    done = sorted((t.params["x"], t.params["y"]) for t in study.trials if t.value is not None)
    assert sorted((t.params["x"], t.params["y"]) for t in opt.trials if t.value) == done


# ---------------------------------------------------------------------- 3. an exhausted grid
def test_an_exhausted_grid_stops_a_threaded_study_cleanly():
    study = optuna.create_study(sampler=Sampler("grid", seed=0))
    grid = lambda t: t.suggest_categorical("x", [1, 2, 3]) + t.suggest_int("k", 0, 1)  # noqa: E731
    study.optimize(grid, n_trials=40, n_jobs=2, catch=())  # no exception
    assert {t.state for t in study.trials} == {COMPLETE}
    assert len(study.trials) < 12
    points = {(t.params["x"], t.params["k"]) for t in study.trials}
    assert points == {(x, k) for x in (1, 2, 3) for k in (0, 1)}


# ---------------------------------------------------------------------- 4. enqueued trials
@pytest.mark.parametrize("strategy", ["bayes", "random"])
def test_a_partly_enqueued_trial_is_recorded_with_the_studys_params(strategy):
    sampler = Sampler(strategy, seed=0)
    study = optuna.create_study(sampler=sampler)
    study.optimize(two_d, n_trials=4)
    study.enqueue_trial({"x": 0.25})
    study.optimize(two_d, n_trials=2)
    enq = study.trials[4]
    assert enq.params["x"] == 0.25
    sync(study)
    opt = joint(sampler, study)
    assert [t.state for t in opt.trials].count("failed") == 0  # no proposal left unrun
    ours = [t for t in opt.trials if t.state == "complete"]
    assert ours[4].params == enq.params and ours[4].value == enq.value
    assert [t.params for t in ours] == [t.params for t in study.trials[:-1]]


def test_a_running_trial_enqueued_outside_the_distribution_does_not_stop_the_others():
    # Optuna runs an enqueued value outside the distribution (it only warns); while such a
    # trial runs, the other trials are still sampled, and it is never told to the strategy
    sampler = Sampler("bayes", seed=0)
    study = optuna.create_study(sampler=sampler)
    study.optimize(two_d, n_trials=3)
    study.enqueue_trial({"x": 10.0, "y": 0.0})
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Fixed parameter x", UserWarning)
        outside = study.ask()
        assert outside.suggest_float("x", -2, 2) == 10.0  # running
        assert outside.suggest_float("y", -2, 2) == 0.0
    other = study.ask()
    assert -2 <= other.suggest_float("x", -2, 2) <= 2
    study.tell(other, 1.0)
    study.tell(outside, 0.0)
    sync(study)
    told = [t.params["x"] for t in joint(sampler, study).trials if t.state != "pending"]
    assert 10.0 not in told and len(told) == 4


def test_a_trial_enqueued_off_a_stepped_grid_is_not_told_as_a_point_of_the_grid():
    # Optuna runs k = 3 and q = 0.3 (it only warns); no index of the grids stands for them
    sampler = Sampler("random", seed=0)
    study = optuna.create_study(sampler=sampler)

    def obj(t):
        return t.suggest_int("k", 0, 20, step=4) + t.suggest_float("q", 0, 1, step=0.25)

    study.optimize(obj, n_trials=3)
    study.enqueue_trial({"k": 3, "q": 0.3})
    study.enqueue_trial({"k": 8, "q": 0.5})  # on the grids: told as index 2 and 2
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Fixed parameter", UserWarning)
        study.optimize(obj, n_trials=2)
    assert [t.params for t in study.trials[3:]] == [{"k": 3, "q": 0.3}, {"k": 8, "q": 0.5}]
    sync(study)
    told = [(t.params, t.value) for t in joint(sampler, study).trials if t.state != "pending"]
    assert len(told) == 4 and told[-1] == ({"k": 2, "q": 2}, 8.5)
    assert 3.3 not in [v for _, v in told]


# ---------------------------------------------------------------------- 5. failed early
def test_trials_that_fail_before_suggesting_every_parameter_are_not_left_pending():
    sampler = Sampler("bayes", seed=0)
    study = optuna.create_study(sampler=sampler)

    def obj(trial):
        x = trial.suggest_float("x", -2, 2)
        if trial.number % 2 and trial.number > 1:
            raise ValueError("fails before y")
        return x**2 + trial.suggest_float("y", -2, 2) ** 2

    study.optimize(obj, n_trials=20, catch=(ValueError,))
    sync(study)  # syncs the books with the last trial
    states = [t.state for t in joint(sampler, study).trials]
    assert states.count("pending") == 1  # the trial just asked, and no other
    assert states.count("failed") == 9 and states.count("complete") == 11


@pytest.mark.parametrize("how", ["pickle", "deepcopy"])
def test_a_pickled_sampler_resumes_its_study(how, tmp_path):
    # Optuna's way to save and resume a study: the sampler pickled, the study on a storage
    storage = f"sqlite:///{tmp_path / 'study.db'}"
    sampler = Sampler("bayes", seed=0)
    study = optuna.create_study(storage=storage, study_name="s", sampler=sampler)
    study.optimize(two_d, n_trials=6)
    if how == "pickle":
        restored = pickle.loads(pickle.dumps(sampler))
    else:
        restored = copy.deepcopy(sampler)
    assert (restored.strategy, restored.seed) == ("bayes", 0)
    again = optuna.load_study(study_name="s", storage=storage, sampler=restored)
    again.optimize(two_d, n_trials=3)
    assert [t.state for t in again.trials] == [COMPLETE] * 9
    sync(again)
    told = [t for t in joint(restored, again).trials if t.state == "complete"]
    assert len(told) == 9  # every trial of the study, those before the pickle too


# ---------------------------------------------------------------------- 6. one state per study
def test_a_sampler_reused_for_a_second_study_keeps_each_studys_trials_apart():
    sampler = Sampler("bayes", seed=0)
    first = optuna.create_study(sampler=sampler)
    first.optimize(two_d, n_trials=12)
    second = optuna.create_study(sampler=sampler)
    second.optimize(lambda t: -two_d(t), n_trials=5)
    opt = joint(sampler, second)
    assert len(opt.trials) == 5  # the second study's trials only (the last one pending)
    values = [t.value for t in opt.trials if t.state == "complete"]
    assert values == [t.value for t in second.trials[:4]]
    assert len(joint(sampler, first).trials) == 12  # the first study's books are its own


def test_a_study_made_again_under_a_deleted_ones_name_starts_with_books_of_its_own():
    storage = optuna.storages.InMemoryStorage()
    sampler = Sampler("bayes", seed=0)
    old = optuna.create_study(storage=storage, study_name="s", sampler=sampler)
    old.optimize(two_d, n_trials=6)
    optuna.delete_study(study_name="s", storage=storage)
    new = optuna.create_study(storage=storage, study_name="s", sampler=sampler)
    new.optimize(lambda t: -two_d(t), n_trials=3)
    opt = joint(sampler, new)
    assert len(opt.trials) == 3  # the new study's trials only (the last one pending)
    assert [t.value for t in opt.trials[:2]] == [t.value for t in new.trials[:2]]


def test_a_sampler_lets_a_storage_and_its_books_go():
    sampler = Sampler("random", seed=0)
    storage = optuna.storages.InMemoryStorage()
    optuna.create_study(storage=storage, sampler=sampler).optimize(two_d, n_trials=3)
    gone = weakref.ref(storage)
    del storage
    gc.collect()
    assert gone() is None and len(sampler._studies) == 0


# ---------------------------------------------------------------------- 7. reseed_rng
@pytest.mark.parametrize("strategy", ["random", "cmaes", "bayes"])
def test_reseed_rng_reseeds_the_strategy_too(strategy):
    a, b = Sampler(strategy, seed=0), Sampler(strategy, seed=0)
    sa, sb = optuna.create_study(sampler=a), optuna.create_study(sampler=b)
    sa.optimize(two_d, n_trials=3)
    sb.optimize(two_d, n_trials=3)
    assert [t.params for t in sa.trials] == [t.params for t in sb.trials]
    b.reseed_rng()
    sa.optimize(two_d, n_trials=3)
    sb.optimize(two_d, n_trials=3)
    for ta, tb in zip(sa.trials[3:], sb.trials[3:], strict=True):
        assert ta.params["x"] != tb.params["x"] and ta.params["y"] != tb.params["y"]


# ---------------------------------------------------------------------- 8. ±inf
def test_infinite_values_stay_complete_and_are_told_clipped_to_the_finite_range():
    sampler = Sampler("random", seed=0)
    study = optuna.create_study(sampler=sampler)
    values = iter([5.0, 3.0, math.inf, 1.0, -math.inf, 2.0])
    study.optimize(lambda t: t.suggest_float("x", 0, 1) * 0 + next(values), n_trials=6)
    assert {t.state for t in study.trials} == {COMPLETE}  # Optuna's semantics
    sync(study)
    told = [t.value for t in joint(sampler, study).trials if t.state == "complete"]
    # +inf as the worst finite value so far (5.0), -inf as the best (1.0)
    assert told == [5.0, 3.0, 5.0, 1.0, 1.0, 2.0]


def test_infinite_values_with_several_objectives_are_clipped_per_objective():
    sampler = Sampler("nsga2", seed=0)
    study = optuna.create_study(directions=["minimize", "maximize"], sampler=sampler)
    values = iter([(1.0, 2.0), (3.0, 4.0), (math.inf, -math.inf), (2.0, 3.0)])
    study.optimize(lambda t: (t.suggest_float("x", 0, 1), next(values))[1], n_trials=4)
    sync(study)
    told = [t.values for t in joint(sampler, study).trials if t.state == "complete"]
    assert [list(v) for v in told] == [[1.0, 2.0], [3.0, 4.0], [3.0, 2.0], [2.0, 3.0]]


# ---------------------------------------------------------------------- 9. dynamic parameters
def dynamic(trial):
    x = trial.suggest_float("x", -2, 2)
    if trial.number % 3 == 2:  # never in the intersection search space: trial 0 lacks it
        return x**2 + (trial.suggest_float("slope", 0, 1) - 0.3) ** 2
    return x**2 + 0.5


@pytest.mark.parametrize("strategy", ["tpe", "bayes", "cmaes", "ga", "de", "nsga2", "sobol"])
def test_dynamic_parameters_are_sampled_by_the_strategy_not_random_search(strategy, monkeypatch):
    sampler = Sampler(strategy, seed=0)

    def refuse(*args):
        raise AssertionError("Optuna's RandomSampler was asked")

    monkeypatch.setattr(sampler._independent, "sample_independent", refuse)
    study = optuna.create_study(sampler=sampler)
    study.optimize(dynamic, n_trials=20, catch=())
    with_slope = [t for t in study.trials if "slope" in t.params]
    assert len(with_slope) == 6
    # the slopes are what an Optimizer on slope alone asks when told the same trials in turn
    opt = Optimizer({"slope": Real(0.0, 1.0)}, strategy=strategy, seed=track_seed(0, "slope"))
    for t in with_slope:
        ours = opt.ask()
        assert ours.params["slope"] == t.params["slope"]
        opt.tell(ours, t.value)


def with_relu_slope(trial):
    x = trial.suggest_float("x", -2, 2)
    if trial.suggest_categorical("act", ["relu", "tanh", "gelu"]) == "relu":
        return x**2 + (trial.suggest_float("slope", 0, 1) - 0.3) ** 2
    return x**2 + 0.5


@pytest.mark.parametrize("strategy", ["bayes", "tpe"])
def test_a_parameter_that_follows_a_categorical_is_a_conditional_dimension(strategy):
    sampler = Sampler(strategy, seed=0)
    study = optuna.create_study(sampler=sampler)
    study.optimize(with_relu_slope, n_trials=25)
    sync(study)
    track = books(sampler, study).joint
    assert track.conditions == {"slope": ("act", ("relu",))}
    assert track.opt.space["slope"].when == (("act", ("relu",)),)
    # the slopes of the trials since the condition was found are the joint strategy's asks
    asked = {t.params["x"]: t.params for t in track.opt.trials}
    relu = [t for t in study.trials[-10:] if t.params.get("act") == "relu"]
    assert relu and all(asked[t.params["x"]] == t.params for t in relu)


def test_a_conditional_parameter_whose_parent_is_fixed_by_partial_fixed_sampler():
    # PartialFixedSampler asks for the relative search space without the parameters it fixes:
    # a parameter that follows a fixed categorical is sampled, not made conditional on it
    sampler = Sampler("bayes", seed=0)
    study = optuna.create_study(sampler=sampler)
    study.optimize(with_relu_slope, n_trials=12)
    assert books(sampler, study).joint.conditions == {"slope": ("act", ("relu",))}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        study.sampler = optuna.samplers.PartialFixedSampler({"act": "relu"}, sampler)
    study.optimize(with_relu_slope, n_trials=4)
    fixed = study.trials[-4:]
    assert [t.state for t in fixed] == [COMPLETE] * 4
    assert all(t.params["act"] == "relu" and "slope" in t.params for t in fixed)


def test_inferred_conditions_need_the_exact_pattern_and_one_distribution():
    from hpo_core.integrations._optuna_books import infer_conditions

    cat = optuna.distributions.CategoricalDistribution(["a", "b", "c"])
    real = optuna.distributions.FloatDistribution(0, 1)

    def trial(params, dists):
        return optuna.create_trial(params=params, distributions=dists, value=0.0)

    joint = {"c": cat}
    trials = [
        trial({"c": "a", "y": 0.5}, {"c": cat, "y": real}),
        trial({"c": "b", "y": 0.2}, {"c": cat, "y": real}),
        trial({"c": "c"}, {"c": cat}),
    ]
    assert infer_conditions(trials, joint) == {"y": (real, "c", ("a", "b"))}
    # y missing once where its parent would have it: no condition (left to its own track)
    assert infer_conditions([*trials, trial({"c": "a"}, {"c": cat})], joint) == {}
    # y's range changed between trials: no condition either
    other = optuna.distributions.FloatDistribution(0, 2)
    assert (
        infer_conditions([*trials, trial({"c": "b", "y": 1.5}, {"c": cat, "y": other})], joint)
        == {}
    )
