"""SearchCV search spaces: grids as GridSearchCV, distributions as RandomizedSearchCV, lists."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.tree import DecisionTreeClassifier

from hpo_core import Categorical, Integer, Real
from hpo_core.integrations._sklearn_space import _Subspace
from hpo_core.integrations.sklearn import SearchCV
from tests.integrations._sklearn_estimators import (
    BOWL_SPACE,
    X_IRIS,
    X_R,
    Y_IRIS,
    Y_R,
    Bowl,
    FoldProbe,
)


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


def test_a_finite_strategy_of_any_name_searches_grids_in_turn():
    from hpo_core.strategies.grid import GridSearch
    from hpo_core.strategies.random import RandomSearch

    class Grid(GridSearch):
        name = "my-grid"

    grid = [{"a": [0.0, 1.0]}, {"b": [0.0, -0.5, 1.0]}]
    s = SearchCV(Bowl(), grid, strategy=Grid(), n_iter=None, cv=2).fit(X_R, Y_R)
    ref = GridSearchCV(Bowl(), grid, cv=2).fit(X_R, Y_R)
    assert s.cv_results_["params"] == ref.cv_results_["params"]
    assert len(s.optimizers_) == 2

    class Named(RandomSearch):
        name = "grid"  # a name is not a property: this one never ends

    with pytest.raises(ValueError, match="n_iter=None"):
        SearchCV(Bowl(), BOWL_SPACE, strategy=Named(), n_iter=None, cv=2).fit(X_R, Y_R)


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
    # the same distribution written twice is one
    space = [{"a": stats.norm(0, 1), "b": [0.0]}, {"a": stats.norm(0, 1), "b": [1.0]}]
    s = SearchCV(Bowl(), space, strategy="random", n_iter=6, cv=2, random_state=0)
    assert len(s.fit(X_R, Y_R).cv_results_["params"]) == 6


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
    s = SearchCV(Bowl(), space, strategy="sobol", n_iter=8, cv=2, random_state=0)
    with pytest.warns(
        UserWarning, match=r"search_space\['a'\] = \(-1.0, 2.0\) is read as the range"
    ):
        s.fit(X_R, Y_R)
    for p in s.cv_results_["params"]:
        assert -1.0 <= p["a"] <= 2.0 and -1.0 <= p["b"] <= 0.0
        assert p["fail_above"] in (None, 10.0) and p["require_weight"] is False
    assert len({p["a"] for p in s.cv_results_["params"]}) == 8


def test_scikit_learns_names_read_a_tuple_as_its_values_as_scikit_learn_does():
    grid = {"a": (-1.0, 2.0), "b": [0.0]}
    ref = GridSearchCV(Bowl(), grid, cv=2).fit(X_R, Y_R)
    s = SearchCV(Bowl(), param_grid=grid, strategy="grid", n_iter=None, cv=2).fit(X_R, Y_R)
    assert s.cv_results_["params"] == ref.cv_results_["params"]  # two values, not five
    s = SearchCV(Bowl(), param_distributions=grid, strategy="random", n_iter=2, cv=2).fit(X_R, Y_R)
    assert {p["a"] for p in s.cv_results_["params"]} == {-1.0, 2.0}
    for kwargs in ({}, {"search_space": grid, "param_grid": grid}):
        with pytest.raises(ValueError, match="give the search space once, as search_space"):
            SearchCV(Bowl(), cv=2, **kwargs).fit(X_R, Y_R)


def test_integer_and_categorical_dimensions():
    space = {"max_depth": Integer(1, 6), "criterion": Categorical(["gini", "entropy"])}
    s = SearchCV(DecisionTreeClassifier(random_state=0), space, "random", 6, cv=3, random_state=0)
    s.fit(X_IRIS, Y_IRIS)
    assert all(type(p["max_depth"]) is int for p in s.cv_results_["params"])
    assert s.best_score_ > 0.9


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


def test_a_discrete_distribution_of_fractions_keeps_its_values():
    alphas = stats.rv_discrete(values=([0.0, 0.02, 0.5], [0.4, 0.3, 0.3]))()
    s = SearchCV(Bowl(), param_distributions={"a": alphas}, strategy="random", n_iter=12, cv=2)
    s.fit(X_R, Y_R)
    drawn = {p["a"] for p in s.cv_results_["params"]}
    assert drawn <= {0.0, 0.02, 0.5} and len(drawn) > 1
    assert all(type(a) is float for a in drawn)


def test_repeated_values_of_a_list_are_searched_once():
    grid = {"a": np.linspace(1, 3, 5).astype(int), "b": [0.0, 0.0]}  # [1 1 2 2 3]
    s = SearchCV(Bowl(), param_grid=grid, strategy="grid", cv=2).fit(X_R, Y_R)
    assert s.cv_results_["params"] == [{"a": a, "b": 0.0} for a in (1, 2, 3)]


@pytest.mark.parametrize(
    ("space", "size"),
    [
        ({"a": [0.0, 0.5, 1.0, 1.5], "b": [-0.5, 0.0]}, 8),
        ({"a": Integer(1, 6), "b": Categorical([-0.5, 0.0])}, 12),
    ],
)
def test_n_iter_beyond_a_finite_space_is_cut_to_its_size_with_a_warning(space, size):
    match = f"total space of parameters {size} is smaller than n_iter=20"
    with pytest.warns(UserWarning, match=match):
        s = SearchCV(Bowl(), param_distributions=space, strategy="random", n_iter=20, cv=2)
        s.fit(X_R, Y_R)
    params = [tuple(sorted(p.items())) for p in s.cv_results_["params"]]
    assert len(params) == len(set(params)) == size


def test_a_randint_of_one_value_is_that_value():
    s = SearchCV(
        Bowl(),
        param_distributions={"a": stats.randint(3, 4), "b": stats.uniform(0, 1)},
        strategy="random",
        n_iter=3,
        cv=2,
    ).fit(X_R, Y_R)
    assert [p["a"] for p in s.cv_results_["params"]] == [3, 3, 3]
