"""What is told, enqueued or stored comes back exactly as given (ints beyond 2**53 included)."""

from __future__ import annotations

import pytest

from hpo_core import Integer, Optimizer, Space

BIG = 123456789012345678  # not a float: the nearest is 123456789012345680
SPACE = {"a": Integer(0, 2**62), "b": Integer(1, 10**18, log=True), "c": (0, 9)}
GIVEN = {"a": BIG, "b": 987654321098765432, "c": 7}


def test_told_and_enqueued_ints_are_kept_exactly():
    opt = Optimizer(SPACE, seed=0)
    opt.tell(dict(GIVEN), 1.0)
    assert opt.trials[-1].params == GIVEN
    assert all(type(v) is int for v in opt.trials[-1].params.values())
    opt.enqueue({**GIVEN, "a": BIG + 1})
    assert opt.ask().params == {**GIVEN, "a": BIG + 1}


def test_ints_survive_json_and_sqlite(tmp_path):
    opt = Optimizer(SPACE, seed=0)
    opt.tell(dict(GIVEN), 1.0)
    back = Optimizer.from_json(opt.to_json())
    assert back.trials[-1].params == GIVEN
    db = tmp_path / "s.db"
    stored = Optimizer(SPACE, seed=0, storage=db)
    stored.tell(dict(GIVEN), 1.0)
    stored.enqueue({**GIVEN, "c": 3})
    again = Optimizer(SPACE, seed=0, storage=db)
    assert again.trials[-1].params == GIVEN
    assert again.ask().params == {**GIVEN, "c": 3}
    assert Optimizer.load(db).trials[0].params == GIVEN


def test_portable_params_keep_the_given_int():
    space = Space(SPACE)
    assert space.from_portable(space.to_portable(GIVEN)) == GIVEN


def test_ordinary_ints_are_still_the_decoded_ones():
    opt = Optimizer({"c": (0, 9)}, seed=0)
    opt.tell({"c": 4.0}, 1.0)
    assert opt.trials[-1].params == {"c": 4} and type(opt.trials[-1].params["c"]) is int


def test_integer_ranges_too_wide_for_levels_are_refused_naming_the_bounds():
    with pytest.raises(ValueError, match=r"\[0, 1180591620717411303424\]"):
        Integer(0, 2**70)
    with pytest.raises(ValueError, match="parameter 'n'.*1180591620717411303424"):
        Space({"n": (0, 2**70)})
    widest = Space({"n": Integer(-(2**62), 2**62 - 2)})
    assert widest.levels[0] == 2**63 - 1
    assert widest.decode(widest.encode({"n": 2**62 - 2})) == {"n": 2**62 - 2}
