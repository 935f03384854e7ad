"""Choices come back as the very values listed after JSON and storages (tuples included)."""

from __future__ import annotations

import json

from hpo_core import Categorical, Optimizer, Real, Space
from hpo_core.space.serialize import legacy_space_fingerprint, value_from_json, value_to_json
from hpo_core.storage import SQLiteStorage

SHAPES = [(64, 64), (128,), [1, 2], {"__tuple__": [1]}, ((1, 2), "a"), "x"]


def _space():
    return {"shape": Categorical(SHAPES), "lr": Real(0.1, 1.0, when={"shape": [(64, 64)]})}


def test_values_round_trip_through_json_text():
    for v in [*SHAPES, {"k": (1, [2, (3,)])}, {"__dict__": 1}, None, 1.5]:
        back = value_from_json(json.loads(json.dumps(value_to_json(v))))
        assert back == v and type(back) is type(v)


def test_tuple_choices_survive_to_json_and_from_json():
    opt = Optimizer(_space(), seed=0)
    for shape in SHAPES:
        opt.tell({"shape": shape, **({"lr": 0.5} if shape == (64, 64) else {})}, 1.0)
    back = Optimizer.from_json(opt.to_json())
    assert back.space == opt.space
    got = [t.params["shape"] for t in back.trials]
    assert got == SHAPES and [type(g) for g in got] == [type(s) for s in SHAPES]
    assert back.trials[0].params == {"shape": (64, 64), "lr": 0.5}


def test_files_written_with_tuples_as_lists_still_read():
    opt = Optimizer({"shape": Categorical([[64, 64], [128]])}, seed=0)
    opt.tell({"shape": [64, 64]}, 1.0)
    old = opt.to_json()  # what tuple choices used to be written as
    assert Optimizer.from_json(old).trials[0].params == {"shape": [64, 64]}


def test_tuple_choices_survive_a_storage(tmp_path):
    db = tmp_path / "s.db"
    opt = Optimizer(_space(), seed=0, storage=db)
    opt.tell({"shape": (128,)}, 1.0)
    loaded = Optimizer.load(db)
    assert loaded.space == Space(_space())
    assert loaded.trials[0].params == {"shape": (128,)}
    assert Optimizer(_space(), seed=0, storage=db).trials[0].params == {"shape": (128,)}


def test_a_study_stored_by_an_earlier_version_reopens(tmp_path):
    db = tmp_path / "old.db"
    space = Space(_space())
    SQLiteStorage(db).open_study("default", legacy_space_fingerprint(space), "minimize", space)
    opt = Optimizer(_space(), seed=0, storage=db)
    opt.tell({"shape": (64, 64), "lr": 0.2}, 1.0)
    assert Optimizer(_space(), seed=0, storage=db).trials[0].params["shape"] == (64, 64)


def test_dicts_with_keys_other_than_strings_survive_json_and_storages(tmp_path):
    # scikit-learn's class_weight: json.dumps would turn the keys 0 and 1 into "0" and "1"
    weights = [None, "balanced", {0: 1, 1: 5}, {(1, 2): [3], None: 1.5}, {"__items__": [[1, 2]]}]
    for v in weights:
        back = value_from_json(json.loads(json.dumps(value_to_json(v))))
        assert back == v and type(back) is type(v)
    opt = Optimizer({"class_weight": weights}, seed=0, storage=tmp_path / "s.db")
    for w in weights:
        opt.tell({"class_weight": w}, 1.0)
    for back in (Optimizer.from_json(opt.to_json()), Optimizer.load(tmp_path / "s.db")):
        assert back.space == opt.space
        assert [t.params["class_weight"] for t in back.trials] == weights
