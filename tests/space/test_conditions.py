from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as hs
from hypothesis.extra.numpy import arrays
from sklearn.model_selection import ParameterGrid

from hpo_core import Categorical, Integer, Optimizer, Real, SearchSpaceExhausted, Space
from hpo_core.space import INACTIVE

SVC = {
    "kernel": Categorical(["linear", "rbf", "poly"]),
    "C": Real(1e-3, 1e3, log=True),
    "gamma": Real(1e-4, 1.0, log=True, when={"kernel": ["rbf", "poly"]}),
    "degree": Integer(2, 5, when={"kernel": "poly"}),
}

MODELS = {
    "model": ["svc", "forest"],
    "kernel": Categorical(["linear", "rbf"], when={"model": "svc"}),
    "gamma": Real(1e-4, 1.0, log=True, when={"kernel": "rbf"}),
    "trees": Integer(10, 500, log=True, when={"model": "forest"}),
}


def test_inactive_parameters_are_absent_and_imputed():
    space = Space(SVC)
    x = space.encode({"kernel": "linear", "C": 1.0})
    assert space.decode(x) == {"kernel": "linear", "C": 1.0}
    assert x[2] == INACTIVE and x[3] == INACTIVE
    p = {"kernel": "poly", "C": 10.0, "gamma": 0.01, "degree": 3}
    q = space.decode(space.encode(p))
    assert q.keys() == p.keys() and q["kernel"] == "poly" and q["degree"] == 3
    assert q["gamma"] == pytest.approx(0.01) and q["C"] == pytest.approx(10.0)
    assert space.active(space.encode(p)[None]).tolist() == [[True, True, True, True]]


def test_encode_errors_for_missing_and_inactive():
    space = Space(SVC)
    with pytest.raises(ValueError, match="'gamma' is missing"):
        space.encode({"kernel": "rbf", "C": 1.0})
    with pytest.raises(ValueError, match=r"\['degree'\] are not active"):
        space.encode({"kernel": "rbf", "C": 1.0, "gamma": 0.1, "degree": 3})


def test_chains_of_conditions():
    space = Space(MODELS)
    rows = space.sample(500, np.random.default_rng(0))
    for row in rows:
        p = space.decode(row)
        assert ("kernel" in p) == (p["model"] == "svc")
        assert ("gamma" in p) == (p.get("kernel") == "rbf")
        assert ("trees" in p) == (p["model"] == "forest")
        assert np.allclose(space.encode(p), row, rtol=0, atol=1e-12)


@pytest.mark.parametrize(
    "spec, match",
    [
        ({"a": Real(0, 1, when={"b": ["x"]})}, "names 'b', which is not a parameter"),
        ({"b": (0.0, 1.0), "a": Real(0, 1, when={"b": [0.5]})}, "parent 'b' must be a Categorical"),
        ({"b": ["x", "y"], "a": Real(0, 1, when={"b": ["z"]})}, "impossible condition, 'z'"),
        (
            {
                "a": Categorical(["p", "q"], when={"b": "u"}),
                "b": Categorical(["u", "v"], when={"a": "p"}),
            },
            "cycle: 'a' -> 'b' -> 'a'",
        ),
        ({"a": Categorical(["p"], when={"a": "p"})}, "cycle"),
    ],
)
def test_bad_conditions(spec, match):
    with pytest.raises(ValueError, match=match):
        Space(spec)


def test_bad_when_values():
    with pytest.raises(ValueError, match="lists no value"):
        Real(0, 1, when={"k": []})
    with pytest.raises(ValueError, match="non-empty dict"):
        Real(0, 1, when=["k"])


def test_grid_lists_only_valid_combinations():
    space = Space({**SVC, "C": [0.1, 1.0]})
    rows = list(space.iter_grid(4))
    # linear: 2 C; rbf: 2 C x 4 gamma; poly: 2 C x 4 gamma x 4 degree
    assert len(rows) == 2 + 8 + 32
    decoded = [tuple(sorted(space.decode(r).items())) for r in rows]
    assert len(set(decoded)) == len(rows)


def test_list_of_dicts_is_parameter_grid():
    grids = [
        {"kernel": ["linear"], "C": [1, 10, 100]},
        {"kernel": ["rbf"], "C": [1, 10], "gamma": [1e-3, 1e-4]},
        {"kernel": ["poly"], "degree": [2, 3]},
    ]
    opt = Optimizer(grids, strategy="grid")
    seen = []
    while True:
        try:
            seen += [tuple(sorted(t.params.items())) for t in opt.ask(4)]
        except SearchSpaceExhausted:
            break
    assert sorted(seen) == sorted(tuple(sorted(p.items())) for p in ParameterGrid(grids))


def test_list_of_dicts_with_distributions_and_shared_params():
    space = Space(
        [
            {"kernel": ["linear"], "C": (1e-2, 1e2, "log")},
            {"kernel": ["rbf"], "C": (1e-2, 1e2, "log"), "gamma": (1e-4, 1.0, "log")},
        ]
    )
    assert space.params == ("kernel", "C", "gamma")
    assert "C" in space.names  # defined alike in both: one dimension
    opt = Optimizer(space, seed=0)
    for t in opt.ask(50):
        assert set(t.params) == (
            {"kernel", "C", "gamma"} if t.params["kernel"] == "rbf" else {"kernel", "C"}
        )
    t = opt.tell({"kernel": "rbf", "C": 1.0, "gamma": 0.5}, 0.9)
    assert t.params == {"kernel": "rbf", "C": 1.0, "gamma": 0.5}
    with pytest.raises(ValueError, match="fits none of the sub-spaces"):
        opt.tell({"kernel": "linear", "C": 1.0, "gamma": 0.5}, 0.9)


def test_strategies_see_imputed_columns():
    opt = Optimizer(SVC, seed=0)
    for t in opt.ask(100):
        opt.tell(t, 1.0)
    h = opt.history()
    act = opt.space.active(h.X_all)
    assert np.all(h.X_all[~act] == INACTIVE)
    assert (~act).any()


def test_conditional_study_roundtrips_json_and_storage(tmp_path):
    grids = [{"kernel": ["linear"], "C": [1, 10]}, {"kernel": ["rbf"], "C": [5], "gamma": [0.1]}]
    opt = Optimizer(grids, strategy="grid", storage=f"sqlite:///{tmp_path / 's.db'}")
    opt.minimize(lambda p: p["C"], n_trials=10)
    again = Optimizer.from_json(opt.to_json())
    assert again.space == opt.space
    assert [t.params for t in again.trials] == [t.params for t in opt.trials]
    resumed = Optimizer(grids, strategy="grid", storage=f"sqlite:///{tmp_path / 's.db'}")
    assert [t.params for t in resumed.trials] == [t.params for t in opt.trials]


@given(arrays(np.float64, 4, elements=hs.floats(0.0, 1.0)))
def test_decode_encode_property(row):
    space = Space(MODELS)
    p = space.decode(row)
    again = space.decode(space.encode(p))
    assert again.keys() == p.keys()
    for k, v in p.items():
        assert again[k] == (pytest.approx(v, rel=1e-9) if isinstance(v, float) else v)


@given(arrays(np.float64, 4, elements=hs.floats(0.0, 1.0)))
def test_portable_values_of_a_proposal_are_those_of_its_params(row):
    # a store writes a proposal's portable values from the point it was decoded from
    space = Space(MODELS)
    x = space.impute(row[None, :])[0]
    params = space.decode(x)
    assert space.to_portable(params, x) == space.to_portable(params)
    assert space.from_portable(space.to_portable(params, x)) == params


def test_list_of_dicts_shared_child_of_a_parent_defined_differently():
    # gamma is written alike in both dicts, but its parent kernel has other choices in each:
    # gamma must be active for kernel="rbf" in either dict
    space = Space(
        [
            {"kernel": ["rbf", "poly"], "gamma": Real(0.1, 1.0, when={"kernel": "rbf"})},
            {
                "kernel": ["rbf", "linear"],
                "gamma": Real(0.1, 1.0, when={"kernel": "rbf"}),
                "C": (1, 5),
            },
        ]
    )
    p = {"kernel": "rbf", "gamma": 0.5, "C": 3}
    assert space.decode(space.encode(p)) == p
    for row in space.sample(200, np.random.default_rng(0)):
        q = space.decode(row)
        assert ("gamma" in q) == (q["kernel"] == "rbf")


def test_list_of_dicts_condition_on_a_parent_of_another_dict_is_refused():
    # k exists only when the first dict is picked: g of the second could never be active
    subs = [{"k": ["a", "b"]}, {"g": Real(0.0, 1.0, when={"k": "a"}), "c": [1, 2]}]
    with pytest.raises(ValueError, match="sub-space 1: parameter 'g': its condition names 'k'"):
        Space(subs)


def test_when_takes_a_numpy_array_of_values_as_a_list():
    space = Space(
        {"k": np.array(["a", "b", "c"]), "g": Real(0.0, 1.0, when={"k": np.array(["a", "b"])})}
    )
    assert space["g"].when == (("k", ("a", "b")),)
    assert space.decode(space.encode({"k": "b", "g": 0.5})) == {"k": "b", "g": 0.5}


def test_fixing_a_parameter_the_dicts_of_a_list_define_differently():
    grids = [
        {"kernel": ["linear"], "C": (0.1, 10.0)},
        {"kernel": ["rbf"], "C": (0.1, 10.0), "gamma": (1e-3, 1.0)},
    ]
    opt = Optimizer(grids, seed=0)
    with pytest.raises(ValueError, match="'kernel' is defined differently by the dicts"):
        opt.ask(fixed={"kernel": "rbf"})
    assert opt.trials == []  # refused before anything was asked
    # a value that every dict takes is fixed in each of them
    opt = Optimizer([{"k": ["a", "b"]}, {"k": ["a", "c"], "x": (0.0, 1.0)}], seed=0)
    assert all(t.params["k"] == "a" for t in opt.ask(10, fixed={"k": "a"}))
    with pytest.raises(ValueError, match="not every dict can take it as 'b'"):
        opt.ask(fixed={"k": "b"})
    # a dict without the parameter: it could not be fixed there
    opt = Optimizer([{"k": [1]}, {"k": [1.0]}, {"x": (0.0, 1.0)}], seed=0)
    with pytest.raises(ValueError, match="'k' is defined differently"):
        opt.ask(fixed={"k": 1})
