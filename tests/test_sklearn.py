"""SearchCV: a drop-in for GridSearchCV / RandomizedSearchCV built on BaseSearchCV."""

from __future__ import annotations

import inspect
import pickle
import warnings

import numpy as np
import pytest
from scipy import stats
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.datasets import load_iris
from sklearn.exceptions import FitFailedWarning
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import GridSearchCV, GroupKFold, KFold, cross_val_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier
from sklearn.utils.estimator_checks import parametrize_with_checks

from hpo_core import Categorical, Integer, Real
from hpo_core.sklearn import SearchCV, _Subspace
from hpo_core.strategies import STRATEGIES
from hpo_core.strategies.random import RandomSearch

X_IRIS, Y_IRIS = load_iris(return_X_y=True)
X_IRIS = StandardScaler().fit_transform(X_IRIS)  # so that LogisticRegression converges fast
RNG = np.random.default_rng(0)
X_R = RNG.normal(size=(40, 3))
Y_R = X_R @ np.array([1.0, -2.0, 0.5]) + 0.1 * RNG.normal(size=40)


class Bowl(RegressorMixin, BaseEstimator):
    """A regressor whose score is a known function of its parameters (fast, deterministic)."""

    def __init__(self, a=0.0, b=0.0, fail_above=None, require_weight=False):
        self.a = a
        self.b = b
        self.fail_above = fail_above
        self.require_weight = require_weight

    def fit(self, X, y, sample_weight=None):
        if self.fail_above is not None and self.a > self.fail_above:
            raise ValueError("a is too large")
        if self.require_weight and sample_weight is None:
            raise ValueError("sample_weight was not passed")
        self.n_features_in_ = np.asarray(X).shape[1]
        self.fitted_ = True
        return self

    def predict(self, X):
        return np.zeros(len(X))

    def score(self, X, y, sample_weight=None):
        return -((self.a - 1.0) ** 2) - (self.b + 0.5) ** 2


BOWL_SPACE = {"a": Real(-3.0, 3.0), "b": Real(-3.0, 3.0)}


# ---------------------------------------------------------------------- grid parity
@pytest.mark.parametrize(
    "grid",
    [
        {"C": [0.01, 0.1, 1.0, 10.0], "fit_intercept": [True, False]},
        [{"C": [0.1, 1.0]}, {"C": [1.0], "class_weight": [None, "balanced"]}],
    ],
)
def test_grid_equals_gridsearchcv(grid):
    est = LogisticRegression(max_iter=500)
    ours = SearchCV(est, grid, strategy="grid", n_iter=None, cv=3).fit(X_IRIS, Y_IRIS)
    ref = GridSearchCV(est, grid, cv=3).fit(X_IRIS, Y_IRIS)
    assert ours.cv_results_["params"] == ref.cv_results_["params"]
    np.testing.assert_allclose(
        ours.cv_results_["mean_test_score"], ref.cv_results_["mean_test_score"]
    )
    assert ours.best_params_ == ref.best_params_
    assert ours.best_index_ == ref.best_index_


def test_grid_n_iter_caps_and_grid_stops_when_exhausted():
    grid = {"a": [0.0, 1.0, 2.0], "b": [0.0, -0.5]}
    capped = SearchCV(Bowl(), grid, strategy="grid", n_iter=4, cv=2).fit(X_R, Y_R)
    assert len(capped.cv_results_["params"]) == 4
    full = SearchCV(Bowl(), grid, strategy="grid", n_iter=50, cv=2).fit(X_R, Y_R)
    assert len(full.cv_results_["params"]) == 6
    assert full.best_params_ == {"a": 1.0, "b": -0.5}


def test_n_iter_none_needs_grid():
    with pytest.raises(ValueError, match="n_iter=None"):
        SearchCV(Bowl(), BOWL_SPACE, strategy="random", n_iter=None, cv=2).fit(X_R, Y_R)


def test_list_of_one_space_is_that_space():
    s = SearchCV(Bowl(), [BOWL_SPACE], strategy="random", n_iter=3, cv=2, random_state=0)
    assert len(s.fit(X_R, Y_R).cv_results_["params"]) == 3


def test_batch_size_follows_n_jobs():
    import joblib

    assert SearchCV(Bowl(), BOWL_SPACE, n_jobs=None)._batch_size() == 1
    assert SearchCV(Bowl(), BOWL_SPACE, n_jobs=2)._batch_size() == 2
    assert SearchCV(Bowl(), BOWL_SPACE, n_jobs=-1)._batch_size() == joblib.cpu_count()
    assert SearchCV(Bowl(), BOWL_SPACE, n_jobs=2, n_points=5)._batch_size() == 5
    with joblib.parallel_backend("threading"):
        s = SearchCV(Bowl(), BOWL_SPACE, "random", n_iter=5, n_jobs=2, cv=2, random_state=0)
        s.fit(X_R, Y_R)
    assert len(s.cv_results_["params"]) == 5
    assert all(t.state == "complete" for t in s.optimizers_[0].trials)


def test_list_of_spaces_is_a_choice_among_them():
    space = [
        {"a": Real(-3.0, 0.0), "fail_above": [None, 5.0]},
        {"a": Real(0.0, 3.0), "b": stats.norm(-0.5, 0.1)},  # b searched on its quantiles
    ]
    s = SearchCV(Bowl(), space, strategy="random", n_iter=16, cv=2, random_state=0)
    s.fit(X_R, Y_R)
    params = s.cv_results_["params"]
    first = [p for p in params if set(p) == {"a", "fail_above"}]
    second = [p for p in params if set(p) == {"a", "b"}]
    assert first and second and len(first) + len(second) == 16
    assert all(p["a"] <= 0.0 for p in first) and all(p["a"] >= 0.0 for p in second)
    assert all(-1.5 < p["b"] < 0.5 for p in second)


def test_one_parameter_two_distributions_in_a_list_is_an_error():
    space = [{"a": stats.norm(0, 1)}, {"a": stats.norm(0, 2)}]
    with pytest.raises(ValueError, match="two different distributions"):
        SearchCV(Bowl(), space, strategy="random", n_iter=2, cv=2).fit(X_R, Y_R)


# ---------------------------------------------------------------------- spaces
def test_random_honours_scipy_distributions():
    spec = {
        "g": stats.expon(scale=2.0),
        "k": stats.poisson(3.0),
        "c": stats.loguniform(1e-3, 1e1),
        "n": stats.randint(2, 5),
    }
    sub = _Subspace(spec, sort=False)
    from hpo_core import Optimizer

    opt = Optimizer(sub.space, strategy="random", seed=0)
    draws = [sub.params(t.params) for t in opt.ask(2000)]
    g = np.array([p["g"] for p in draws])
    assert stats.kstest(g, stats.expon(scale=2.0).cdf).pvalue > 0.01
    k = np.array([p["k"] for p in draws])
    assert all(type(p["k"]) is int for p in draws)
    assert abs(k.mean() - 3.0) < 0.2
    c = np.array([p["c"] for p in draws])
    assert c.min() >= 1e-3 and c.max() <= 1e1
    assert stats.kstest(np.log(c), stats.uniform(np.log(1e-3), np.log(1e4)).cdf).pvalue > 0.01
    assert {p["n"] for p in draws} == {2, 3, 4}


def test_spaces_of_every_kind():
    space = {
        "a": (-1.0, 2.0),  # a range
        "b": Real(-1.0, 0.0),
        "fail_above": [None, 10.0],  # a list of values
        "require_weight": (False,),  # a tuple of non-numbers is a list of values
    }
    s = SearchCV(Bowl(), space, strategy="sobol", n_iter=8, cv=2, random_state=0).fit(X_R, Y_R)
    for p in s.cv_results_["params"]:
        assert -1.0 <= p["a"] <= 2.0 and -1.0 <= p["b"] <= 0.0
        assert p["fail_above"] in (None, 10.0) and p["require_weight"] is False


def test_integer_and_categorical_dimensions():
    space = {"max_depth": Integer(1, 6), "criterion": Categorical(["gini", "entropy"])}
    s = SearchCV(DecisionTreeClassifier(random_state=0), space, "random", 6, cv=3, random_state=0)
    s.fit(X_IRIS, Y_IRIS)
    assert all(type(p["max_depth"]) is int for p in s.cv_results_["params"])
    assert s.best_score_ > 0.9


# ---------------------------------------------------------------------- BaseSearchCV surface
def test_results_and_best_attributes_agree():
    s = SearchCV(Bowl(), BOWL_SPACE, strategy="random", n_iter=12, cv=2, random_state=0)
    s.fit(X_R, Y_R)
    res = s.cv_results_
    assert len(res["params"]) == 12
    i = int(np.argmax(res["mean_test_score"]))
    assert s.best_index_ == i
    assert s.best_params_ == res["params"][i]
    assert s.best_score_ == res["mean_test_score"][i]
    assert res["rank_test_score"][i] == 1
    assert s.best_estimator_.get_params()["a"] == s.best_params_["a"]
    # the optimizer saw the same scores
    (opt,) = s.optimizers_
    assert [t.value for t in opt.trials] == list(res["mean_test_score"])
    assert opt.best.params == s.best_params_


def test_same_seed_same_candidates_and_seeds_differ():
    def params(seed):
        s = SearchCV(Bowl(), BOWL_SPACE, "random", 5, cv=2, random_state=seed).fit(X_R, Y_R)
        return s.cv_results_["params"]

    assert params(3) == params(3)
    assert params(3) != params(4)
    # a RandomState instance is accepted as in scikit-learn
    assert len(params(np.random.RandomState(0))) == 5


@pytest.mark.parametrize("n_points", [1, 3])
def test_batches_count_candidates(n_points):
    s = SearchCV(Bowl(), BOWL_SPACE, "random", n_iter=7, n_points=n_points, cv=2, random_state=0)
    s.fit(X_R, Y_R)
    assert len(s.cv_results_["params"]) == 7 == len(s.optimizers_[0].trials)
    assert all(t.state == "complete" for t in s.optimizers_[0].trials)


def test_multimetric_refit_by_name():
    scoring = {"acc": "accuracy", "f1": "f1_macro"}
    s = SearchCV(
        LogisticRegression(max_iter=300),
        {"C": (1e-3, 1e2, "log")},
        strategy="random",
        n_iter=5,
        cv=3,
        scoring=scoring,
        refit="f1",
        random_state=0,
    ).fit(X_IRIS, Y_IRIS)
    res = s.cv_results_
    assert s.best_index_ == int(np.argmax(res["mean_test_f1"]))
    assert s.best_score_ == res["mean_test_f1"][s.best_index_]
    assert [t.value for t in s.optimizers_[0].trials] == list(res["mean_test_f1"])
    assert "mean_test_acc" in res


def test_multimetric_refit_callable_optimises_first_metric():
    def lowest_c(cv_results):
        return int(np.argmin([p["C"] for p in cv_results["params"]]))

    s = SearchCV(
        LogisticRegression(max_iter=300),
        {"C": (1e-3, 1e2, "log")},
        strategy="random",
        n_iter=4,
        cv=3,
        scoring=["accuracy", "f1_macro"],
        refit=lowest_c,
        random_state=0,
    ).fit(X_IRIS, Y_IRIS)
    assert s.best_index_ == lowest_c(s.cv_results_)
    assert [t.value for t in s.optimizers_[0].trials] == list(s.cv_results_["mean_test_accuracy"])
    assert hasattr(s, "best_estimator_") and not hasattr(s, "best_score_")


def test_pipeline_step_params_and_estimator_choice():
    pipe = Pipeline([("scale", StandardScaler()), ("clf", LogisticRegression())])
    space = {
        "scale__with_mean": [True, False],
        "clf": [LogisticRegression(max_iter=300), DecisionTreeClassifier(random_state=0)],
    }
    s = SearchCV(pipe, space, strategy="grid", n_iter=None, cv=3).fit(X_IRIS, Y_IRIS)
    ref = GridSearchCV(pipe, space, cv=3).fit(X_IRIS, Y_IRIS)
    np.testing.assert_allclose(s.cv_results_["mean_test_score"], ref.cv_results_["mean_test_score"])
    assert type(s.best_estimator_.named_steps["clf"]) is type(
        ref.best_estimator_.named_steps["clf"]
    )


def test_error_score_nan_records_failed_trials():
    est = Bowl(fail_above=0.0)
    s = SearchCV(est, {"a": Real(-1.0, 1.0)}, "random", n_iter=10, cv=2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", (FitFailedWarning, UserWarning))
        s.fit(X_R, Y_R)
    trials = s.optimizers_[0].trials
    assert len(trials) == 10
    assert all((t.state == "failed") == (t.params["a"] > 0.0) for t in trials)
    assert any(t.state == "failed" for t in trials)
    # a batch whose fits all failed is evaluated again with the next one, so failed candidates
    # are in cv_results_ with error_score, as in GridSearchCV (but the last ones, with no next)
    res = s.cv_results_
    assert sum(t.state == "complete" for t in trials) < len(res["params"]) <= 10
    for p, score in zip(res["params"], res["mean_test_score"], strict=True):
        assert np.isnan(score) == (p["a"] > 0.0)
    assert s.best_params_["a"] <= 0.0


def test_every_fit_failing_raises_scikit_learns_error():
    s = SearchCV(Bowl(fail_above=-5.0), BOWL_SPACE, "random", n_iter=3, cv=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FitFailedWarning)
        with pytest.raises(ValueError, match="fits failed"):
            s.fit(X_R, Y_R)


def test_error_score_number_is_told_and_raise_raises():
    est = Bowl(fail_above=0.0)
    s = SearchCV(est, {"a": Real(-1.0, 1.0)}, "random", 10, cv=2, random_state=0, error_score=-99)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FitFailedWarning)
        s.fit(X_R, Y_R)
    trials = s.optimizers_[0].trials
    assert all(t.state == "complete" for t in trials)
    assert all((t.value == -99.0) == (t.params["a"] > 0.0) for t in trials)
    assert -99.0 in s.cv_results_["mean_test_score"]
    s = SearchCV(est, {"a": Real(0.5, 1.0)}, "random", 3, cv=2, error_score="raise")
    with pytest.raises(ValueError, match="a is too large"):
        s.fit(X_R, Y_R)


def test_fit_params_and_groups():
    s = SearchCV(Bowl(require_weight=True), BOWL_SPACE, "random", 3, cv=2, error_score="raise")
    s.fit(X_R, Y_R, sample_weight=np.ones(len(Y_R)))
    assert s.best_estimator_.fitted_
    groups = np.repeat(np.arange(5), 30)
    grid = {"C": [0.1, 1.0]}
    ours = SearchCV(LogisticRegression(max_iter=300), grid, "grid", None, cv=GroupKFold(5))
    ours.fit(X_IRIS, Y_IRIS, groups=groups)
    ref = GridSearchCV(LogisticRegression(max_iter=300), grid, cv=GroupKFold(5))
    ref.fit(X_IRIS, Y_IRIS, groups=groups)
    np.testing.assert_allclose(
        ours.cv_results_["mean_test_score"], ref.cv_results_["mean_test_score"]
    )


def test_clone_get_params_set_params_and_pickle():
    s = SearchCV(Ridge(), {"alpha": (1e-2, 1e2, "log")}, strategy="sobol", n_iter=3, cv=2)
    params = s.get_params()
    assert params["strategy"] == "sobol" and params["n_iter"] == 3 and params["estimator__alpha"]
    c = clone(s)
    assert c.get_params()["search_space"] == s.get_params()["search_space"]
    c.set_params(n_iter=4, estimator__fit_intercept=False)
    assert c.n_iter == 4 and c.estimator.fit_intercept is False and s.estimator.fit_intercept
    c.fit(X_R, Y_R)
    assert len(c.cv_results_["params"]) == 4
    again = pickle.loads(pickle.dumps(c))
    np.testing.assert_allclose(again.predict(X_R), c.predict(X_R))


def test_strategy_instance_is_copied_so_refit_works():
    strategy = RandomSearch()
    s = SearchCV(Bowl(), BOWL_SPACE, strategy=strategy, n_iter=3, cv=2, random_state=0)
    first = s.fit(X_R, Y_R).cv_results_["params"]
    assert s.fit(X_R, Y_R).cv_results_["params"] == first
    assert not getattr(strategy, "_bound", False)


def test_unknown_strategy_is_a_clear_error():
    with pytest.raises(ValueError, match="strategy must be one of"):
        SearchCV(Bowl(), BOWL_SPACE, strategy="annealing", n_iter=2, cv=2).fit(X_R, Y_R)


def test_predict_and_score_delegate_to_best_estimator():
    s = SearchCV(
        LogisticRegression(max_iter=300),
        {"C": (1e-2, 1e2, "log")},
        "random",
        3,
        cv=3,
        random_state=0,
    )
    s.fit(X_IRIS, Y_IRIS)
    best = s.best_estimator_
    np.testing.assert_array_equal(s.predict(X_IRIS), best.predict(X_IRIS))
    np.testing.assert_allclose(s.predict_proba(X_IRIS), best.predict_proba(X_IRIS))
    np.testing.assert_allclose(s.decision_function(X_IRIS), best.decision_function(X_IRIS))
    assert s.score(X_IRIS, Y_IRIS) == best.score(X_IRIS, Y_IRIS)
    np.testing.assert_array_equal(s.classes_, best.classes_)


def test_nested_cross_validation():
    space = {"C": (1e-1, 1e1, "log")}
    inner = SearchCV(LogisticRegression(max_iter=300), space, "random", 3, cv=3, random_state=0)
    scores = cross_val_score(inner, X_IRIS, Y_IRIS, cv=KFold(3, shuffle=True, random_state=0))
    assert scores.shape == (3,) and np.all(scores > 0.8)


def test_train_test_gap():
    s = SearchCV(
        DecisionTreeClassifier(random_state=0),
        {"max_depth": Integer(1, 8)},
        "random",
        5,
        cv=3,
        random_state=0,
        return_train_score=True,
    ).fit(X_IRIS, Y_IRIS)
    i = s.best_index_
    res = s.cv_results_
    assert s.best_train_test_gap_ == pytest.approx(
        res["mean_train_score"][i] - res["mean_test_score"][i]
    )
    no_train = SearchCV(Bowl(), BOWL_SPACE, "random", 2, cv=2).fit(X_R, Y_R)
    with pytest.raises(AttributeError, match="return_train_score"):
        no_train.best_train_test_gap_  # noqa: B018


def test_coarse_to_fine_through_searchcv():
    s = SearchCV(Bowl(), BOWL_SPACE, "coarse-to-fine", n_iter=20, cv=2, random_state=0)
    s.fit(X_R, Y_R)
    assert len(s.cv_results_["params"]) == 20
    opt = s.optimizers_[0]
    lo, hi = opt.strategy.box
    assert np.all(hi - lo < 1.0)  # the box shrank
    last = opt.space.encode(opt.trials[-1].params)
    assert np.all((lo - 1e-9 <= last) & (last <= hi + 1e-9))


@pytest.mark.skipif("bayes" not in STRATEGIES, reason="the bayes strategy is not installed")
def test_default_bayes_strategy():
    s = SearchCV(Bowl(), BOWL_SPACE, n_iter=15, cv=2, random_state=0).fit(X_R, Y_R)
    assert s.strategy == "bayes" and len(s.cv_results_["params"]) == 15
    assert s.best_score_ > -0.5


# ---------------------------------------------------------------------- scikit-learn's checks
def _expected_failed_checks(estimator):
    if isinstance(estimator.estimator, Ridge):
        return {
            "check_supervised_y_2d": "BaseSearchCV does not pass on its estimator's "
            "multi_output tag; GridSearchCV(Ridge()) fails this check alike"
        }
    return {}


# scikit-learn >= 1.6 takes the expected failures; older versions run every check
_XFAIL = (
    {"expected_failed_checks": _expected_failed_checks}
    if "expected_failed_checks" in inspect.signature(parametrize_with_checks).parameters
    else {}
)


@parametrize_with_checks(
    [
        SearchCV(LogisticRegression(), {"C": [0.1, 1.0]}, strategy="grid", n_iter=2, cv=2),
        SearchCV(Ridge(), {"alpha": (0.1, 10.0, "log")}, "random", 2, cv=2, random_state=0),
    ],
    **_XFAIL,
)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


class FoldProbe(Bowl):
    """Scores the sum of the first feature over the test fold: which fold it was given."""

    def score(self, X, y, sample_weight=None):
        return float(np.sum(X[:, 0]))


def test_every_batch_sees_the_same_splits():
    X = np.arange(60.0)[:, None]
    y = np.zeros(60)
    cv = KFold(3, shuffle=True)  # no random_state: each split() call shuffles anew
    s = SearchCV(FoldProbe(), BOWL_SPACE, "random", n_iter=5, n_points=1, cv=cv, random_state=0)
    s.fit(X, y)
    for k in range(3):
        assert len(set(s.cv_results_[f"split{k}_test_score"])) == 1


def test_empty_dict_in_a_grid_list_is_the_estimator_as_is():
    grid = [{}, {"a": [1.0, 2.0]}]
    s = SearchCV(Bowl(), grid, strategy="grid", n_iter=None, cv=2).fit(X_R, Y_R)
    ref = GridSearchCV(Bowl(), grid, cv=2).fit(X_R, Y_R)
    assert s.cv_results_["params"] == ref.cv_results_["params"]
    np.testing.assert_allclose(s.cv_results_["mean_test_score"], ref.cv_results_["mean_test_score"])
