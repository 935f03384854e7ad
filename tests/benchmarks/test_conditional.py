"""Conditional spaces in the benchmark harness: every library's translation gives exactly the
active parameters, every branch is reached, and a tiny run of each library is valid."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # benchmarks/ is not installed with the package
    sys.path.insert(0, str(ROOT))

from benchmarks import problems as P  # noqa: E402
from benchmarks import sklearn_tasks  # noqa: E402
from benchmarks import translate as T  # noqa: E402
from benchmarks.libs import lib_names, run_one, unavailable  # noqa: E402
from hpo_core.space import Categorical, Integer, Real, Space  # noqa: E402

#: a nested space: x for a, y shared by a and b, kernel for b with w (k2) and v (k1) below it,
#: u needing two parents that are not nested (model a and flag True), c with nothing
NESTED = {
    "model": Categorical(("a", "b", "c")),
    "flag": Categorical((False, True)),
    "x": Real(-1.0, 1.0, when={"model": "a"}),
    "y": Real(1e-3, 1e3, log=True, when={"model": ["a", "b"]}),
    "kernel": Categorical(("k1", "k2"), when={"model": "b"}),
    "w": Integer(1, 100, log=True, when={"kernel": "k2"}),
    "v": Integer(0, 5, when={"model": "b", "kernel": "k1"}),
    "u": Real(0.0, 1.0, when={"model": "a", "flag": True}),
}


def expected_nested(p: Mapping[str, Any]) -> set[str]:
    """The active names, written out by hand from the conditions above."""
    names = {"model", "flag"}
    if p["model"] == "a":
        names |= {"x", "y"} | ({"u"} if p["flag"] is True else set())
    elif p["model"] == "b":
        names |= {"y", "kernel", "w" if p["kernel"] == "k2" else "v"}
    return names


def expected_quadratic(p: Mapping[str, Any]) -> set[str]:
    return {"model", "x"} if p["model"] == "a" else {"model", "y", "z"}


CASES = [(NESTED, expected_nested), (P.COND_QUADRATIC_SPACE, expected_quadratic)]


def check_points(space: Mapping[str, Any], expected: Any, points: list[dict]) -> None:
    """Every point holds exactly its active params, each a valid value of its dimension,
    and together they reach every choice of every categorical (every branch)."""
    seen: dict[str, set] = {n: set() for n, d in space.items() if isinstance(d, Categorical)}
    for p in points:
        assert set(p) == expected(p), p
        assert list(p) == [n for n in space if n in p]  # in the order of the space
        for name, v in p.items():
            dim = space[name]
            if isinstance(dim, Categorical):
                seen[name].add(dim.index(v))
            else:
                assert dim.low <= v <= dim.high, (name, v)
                assert isinstance(v, int if isinstance(dim, Integer) else float), (name, v)
    for name, idx in seen.items():
        assert idx == set(range(len(space[name].choices))), f"{name}: branches {idx} reached"
    Space(dict(space)).encode(points[0])  # hpo_core accepts such a point as it is


def test_active_params_and_order() -> None:
    full = {"model": "b", "flag": True, "x": 0.0, "y": 1.0, "kernel": "k1", "w": 3, "v": 2, "u": 0}
    assert T.active_params(NESTED, full) == {
        "model": "b",
        "flag": True,
        "y": 1.0,
        "kernel": "k1",
        "v": 2,
    }
    assert T.active_params(NESTED, {**full, "model": "c"}) == {"model": "c", "flag": True}
    order = T.parents_first(NESTED)
    for name, dim in NESTED.items():
        for parent, _ in dim.when or ():
            assert order.index(parent) < order.index(name)
    flat = P.get_problem("branin").space
    assert not T.is_conditional(flat) and T.is_conditional(NESTED)
    cyc = {"a": Categorical((0, 1), when={"b": 0}), "b": Categorical((0, 1), when={"a": 0})}
    with pytest.raises(ValueError, match="cycle"):
        T.parents_first(cyc)


@pytest.mark.parametrize(("space", "expected"), CASES)
def test_flat_decoding(space: dict, expected: Any) -> None:
    """cma, scipy-de and plain-random decode unit-cube points with hpo_core's Space."""
    rng = np.random.default_rng(0)
    sp = Space(space)
    check_points(space, expected, [sp.decode(u) for u in rng.random((300, sp.d))])


@pytest.mark.skipif(importlib.util.find_spec("skopt") is None, reason="needs scikit-optimize")
@pytest.mark.parametrize(("space", "expected"), CASES)
def test_skopt_flat(space: dict, expected: Any) -> None:
    from skopt.space import Space as SkSpace

    dims = T.skopt_dimensions(space)
    assert [d.name for d in dims] == list(space)  # the flat space: every dimension
    xs = SkSpace(dims).rvs(300, random_state=0)
    check_points(space, expected, [T.from_skopt(space, x) for x in xs])


@pytest.mark.skipif(importlib.util.find_spec("hyperopt") is None, reason="needs hyperopt")
@pytest.mark.parametrize(("space", "expected"), CASES)
def test_hyperopt_tree(space: dict, expected: Any) -> None:
    from hyperopt.pyll.stochastic import sample

    hs = T.hyperopt_space(space)
    assert set(hs) == {n for n, d in space.items() if not d.when}  # the rest hang below
    rng = np.random.default_rng(0)
    raw = [sample(hs, rng=rng) for _ in range(300)]
    assert all(isinstance(r["model"], dict) for r in raw)  # a tree, not a flat dict
    check_points(space, expected, [T.from_hyperopt(space, r) for r in raw])


@pytest.mark.skipif(importlib.util.find_spec("hyperopt") is None, reason="needs hyperopt")
def test_hyperopt_tree_has_only_tree_params() -> None:
    """Below model=b the tree offers kernel and y, below kernel=k2 only w: a parameter is
    sampled only where its (nested) parents make it active."""
    from hyperopt.pyll.stochastic import sample

    rng = np.random.default_rng(1)
    for _ in range(100):
        r = sample(T.hyperopt_space(NESTED), rng=rng)["model"]
        keys = set(r) - {"model"}
        if r["model"] == 1:
            assert keys == {"y", "kernel"}
            assert set(r["kernel"]) == {"kernel", "w" if r["kernel"]["kernel"] == 1 else "v"}
        elif r["model"] == 2:
            assert keys == set()


@pytest.mark.skipif(importlib.util.find_spec("optuna") is None, reason="needs optuna")
@pytest.mark.parametrize(("space", "expected"), CASES)
def test_optuna_define_by_run(space: dict, expected: Any) -> None:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    points = []
    for _ in range(300):
        trial = study.ask()
        p = T.optuna_suggest(trial, space)
        assert set(trial.params) == set(p)  # only the active ones were suggested
        study.tell(trial, 0.0)
        points.append(p)
    check_points(space, expected, points)


def test_problems_check_active() -> None:
    f = P.get_problem("cond-quadratic")
    assert f({"model": "b", "y": 20.0, "z": 4}) == pytest.approx(0.0) == f.optimum
    assert f({"model": "a", "x": 1.0}) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="not active"):
        f({"model": "a", "x": 1.0, "y": 10.0})
    with pytest.raises(ValueError, match="missing"):
        f({"model": "b", "y": 10.0})
    assert "cond-quadratic" in P.problem_names() and "model-digits" in P.problem_names()
    assert P.SUITES["conditional"] == ("cond-quadratic", "model-digits")
    assert "model-digits" in P.SUITES["sklearn"]


def test_model_digits_estimators() -> None:
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.svm import SVC

    space = P.get_problem("model-digits").space
    assert T.is_conditional(space)
    rng = np.random.default_rng(0)
    sp = Space(space)
    kinds = {"svc": SVC, "rf": RandomForestClassifier, "logreg": LogisticRegression}
    for u in rng.random((30, sp.d)):
        p = sp.decode(u)
        est = sklearn_tasks._model(p)
        assert isinstance(est, kinds[p["model"]])
        assert all(n == "model" or n.startswith(p["model"] + "_") for n in p)
        if p["model"] == "rf":
            assert est.n_jobs == 1 and est.n_estimators == p["rf_n_estimators"]
    with pytest.raises(ValueError, match="not active"):
        sklearn_tasks._model({"model": "logreg", "logreg_C": 1.0, "svc_C": 1.0})
    # one cheap evaluation: the logistic regression branch
    value = P.get_problem("model-digits")({"model": "logreg", "logreg_C": 1.0})
    assert 0.0 <= value < 0.2


SLOW_LIBS = {"hpo_core:bayes", "hpo_core:tpe", "hpo_core:cmaes", "skopt-gp", "optuna-gp"}
LIBS = lib_names()


def _lib_param(lib: str) -> Any:
    return pytest.param(lib, marks=pytest.mark.slow) if lib in SLOW_LIBS else lib


@pytest.mark.parametrize("lib", [_lib_param(lib) for lib in LIBS])
def test_tiny_run_each_library(lib: str) -> None:
    """The objective raises for any wrong set of params, so status ok means every point the
    library proposed was passed on with exactly its active parameters."""
    why = unavailable(lib)
    if why is not None:
        pytest.skip(why)
    problem = P.get_problem("cond-quadratic")
    budget = 25 if lib in SLOW_LIBS else 12
    rec = run_one(lib, problem, 0, budget)
    assert rec["status"] == "ok", rec.get("note")
    assert 1 <= rec["n_trials"] <= budget
    best = rec["best_params"]
    assert set(best) == expected_quadratic(best)
    assert problem(best) == pytest.approx(rec["best"][-1])


@pytest.mark.skipif(importlib.util.find_spec("hyperopt") is None, reason="needs hyperopt")
@pytest.mark.parametrize("name", ["branin", "cond-quadratic"])
def test_hyperopt_warm_start_replays_told_points(name: str) -> None:
    """The scaling mode's warm start: Hyperopt evaluates the told points first, as given (flat
    and tree spaces), then exactly ``repeats`` suggestions of its own."""
    from benchmarks import speed

    base = P.get_problem(name)
    seen: list[dict] = []
    problem = P.Problem(name, base.space, lambda p: seen.append(dict(p)) or base(p))
    told, values = speed.told_points(base, 6)
    times = speed._hyperopt_times(problem, told, values, 2)
    assert len(times) == 2 and len(seen) == 8
    assert seen[:6] == told


def test_grid_fills_the_budget_on_a_conditional_space() -> None:
    """4 points per axis: 4 for branch a, 4 x 4 for b = 20 valid combinations."""
    from benchmarks.libs import grid_points_for

    space = Space(P.COND_QUADRATIC_SPACE)
    assert grid_points_for(space, 20) == 4
    assert grid_points_for(space, 29) == 4 and grid_points_for(space, 30) == 5
    rec = run_one("hpo_core:grid", P.get_problem("cond-quadratic"), 0, 20)
    assert rec["status"] == "ok" and rec["n_trials"] == 20
    assert grid_points_for(Space(P.get_problem("branin").space), 30) == 5  # 25 <= 30 < 36
