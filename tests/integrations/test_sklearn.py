"""SearchCV: a drop-in for GridSearchCV / RandomizedSearchCV built on BaseSearchCV."""

from __future__ import annotations

import inspect
import pickle
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import FitFailedWarning
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import GridSearchCV, GroupKFold, KFold, cross_val_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier
from sklearn.utils.estimator_checks import parametrize_with_checks

from hpo_core import Integer, Real
from hpo_core.sklearn import SearchCV
from hpo_core.strategies import STRATEGIES
from hpo_core.strategies.random import RandomSearch
from tests.integrations._sklearn_estimators import BOWL_SPACE, X_IRIS, X_R, Y_IRIS, Y_R, Bowl


def test_the_public_path_is_the_adapter():
    import hpo_core.integrations.sklearn as adapter

    assert SearchCV is adapter.SearchCV
    assert SearchCV.__module__ == "hpo_core.integrations.sklearn"


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


@pytest.mark.parametrize("error_score", [np.nan, -7.0])
@pytest.mark.parametrize("n_points", [1, 3])
def test_grid_lists_failed_candidates_as_gridsearchcv_does(error_score, n_points):
    # the failing candidates are the last ones of the grid: no later batch could carry them
    grid = [{"a": [-1.0, 0.0, 0.5, 1.0], "b": [0.0, 2.0]}, {}]
    est = Bowl(fail_above=0.2)
    kw = {"cv": 2, "error_score": error_score}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", (FitFailedWarning, UserWarning))
        ref = GridSearchCV(est, grid, **kw).fit(X_R, Y_R)
        s = SearchCV(est, grid, "grid", n_iter=None, n_points=n_points, **kw).fit(X_R, Y_R)
    assert s.cv_results_["params"] == ref.cv_results_["params"]
    np.testing.assert_array_equal(
        s.cv_results_["mean_test_score"], ref.cv_results_["mean_test_score"]
    )
    assert s.best_params_ == ref.best_params_
    (opt,) = s.optimizers_
    failed = [t.params for t in opt.trials if t.state == "failed"]
    told = [t.params for t in opt.trials if t.value == error_score]
    assert sorted(p["a"] for p in failed + told) == [0.5, 0.5, 1.0, 1.0]


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
# the checks feed invalid data on purpose (NaN, infinity, objects): the failed fits and scores
# they cause are expected, and warned of by scikit-learn and by SearchCV
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.FitFailedWarning")
@pytest.mark.filterwarnings("ignore:Scoring failed:UserWarning")
@pytest.mark.filterwarnings("ignore:One or more of the test scores are non-finite:UserWarning")
@pytest.mark.filterwarnings("ignore:invalid value encountered in cast:RuntimeWarning")
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


def test_grid_by_default_searches_the_whole_grid_as_gridsearchcv():
    grid = {"a": np.linspace(-2.0, 2.0, 30).tolist(), "b": [-0.5, 0.5]}  # 60 candidates
    ours = SearchCV(Bowl(), param_grid=grid, strategy="grid", cv=2).fit(X_R, Y_R)
    ref = GridSearchCV(Bowl(), grid, cv=2).fit(X_R, Y_R)
    assert ours.cv_results_["params"] == ref.cv_results_["params"]
    assert ours.best_params_ == ref.best_params_
    # other strategies evaluate 50 by default
    s = SearchCV(Bowl(), BOWL_SPACE, strategy="random", cv=2, random_state=0).fit(X_R, Y_R)
    assert len(s.cv_results_["params"]) == 50


class CountingBowl(Bowl):
    fits: list[float] = []

    def fit(self, X, y, sample_weight=None):
        CountingBowl.fits.append(self.a)
        return super().fit(X, y, sample_weight)


def test_a_candidate_whose_fits_all_fail_is_fitted_at_most_twice():
    CountingBowl.fits = []
    s = SearchCV(CountingBowl(fail_above=-5.0), BOWL_SPACE, "bayes", n_iter=10, cv=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", (FitFailedWarning, UserWarning))
        with pytest.raises(ValueError, match="fits failed"):
            s.fit(X_R, Y_R)
    assert len(CountingBowl.fits) <= 2 * 10 * 2
    assert max(CountingBowl.fits.count(a) for a in CountingBowl.fits) <= 2 * 2
