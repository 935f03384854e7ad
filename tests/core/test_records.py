from __future__ import annotations

import json

import pytest

from hpo_core import Categorical, Integer, Optimizer, Real

SPACE = {"x": Real(-5.0, 5.0), "n": Integer(1, 100, log=True), "k": Categorical(["a", "b", None])}


def _study():
    opt = Optimizer(SPACE, seed=0, direction="maximize")
    a, b, c, d = opt.ask(4)
    a.report(0, 0.5)
    a.user_attrs["note"] = "first"
    opt.tell(a, 1.5)
    opt.tell(b, exception=RuntimeError("out of memory"))
    c.report(0, 0.1)
    c.report(3, 0.2)
    opt.tell(c, state="pruned")
    opt.tell({"x": 0.5, "n": 10, "k": None}, 2.5)
    return opt  # d stays pending


def test_records_roundtrip():
    opt = _study()
    records = opt.to_records()
    assert [r["state"] for r in records] == ["complete", "failed", "pruned", "pending", "complete"]
    again = Optimizer.from_trials(SPACE, records, direction="maximize")
    assert again.to_records() == records
    assert again.best.params == {"x": 0.5, "n": 10, "k": None}


def test_json_roundtrip(tmp_path):
    opt = _study()
    path = tmp_path / "study.json"
    text = opt.to_json(path, indent=2)
    assert json.loads(path.read_text()) == json.loads(text)
    for source in (text, path, str(path)):
        again = Optimizer.from_json(source, seed=1)
        assert again.direction == "maximize" and again.space == opt.space
        assert again.to_records() == opt.to_records()
    # the restored optimizer goes on asking
    assert again.ask().id == 5


def test_from_trials_minimal_records_and_errors():
    opt = Optimizer.from_trials(SPACE, [{"params": {"x": 1.0, "n": 3, "k": "a"}, "value": 0.3}])
    assert opt.best.value == 0.3 and opt.trials[0].state == "complete"
    with pytest.raises(ValueError, match="record 1.*parameter 'n'.*outside"):
        Optimizer.from_trials(
            SPACE,
            [
                {"params": {"x": 1.0, "n": 3, "k": "a"}, "value": 1.0},
                {"params": {"x": 1.0, "n": 300, "k": "a"}, "value": 1.0},
            ],
        )
    with pytest.raises(ValueError, match="record 0 has no 'params'"):
        Optimizer.from_trials(SPACE, [{"value": 1.0}])
    with pytest.raises(ValueError, match="record 0: state must be"):
        Optimizer.from_trials(SPACE, [{"params": {"x": 1.0, "n": 3, "k": "a"}}])
    with pytest.raises(ValueError, match="unknown keys"):
        Optimizer.from_trials(SPACE, [{"params": {}, "valu": 1.0}])


def test_json_errors():
    with pytest.raises(ValueError, match="not an hpo_core study"):
        Optimizer.from_json('{"a": 1}')
    opt = Optimizer({"f": Categorical([object()])})
    opt.tell(opt.ask(), 1.0)
    with pytest.raises(TypeError, match="JSON values"):
        opt.to_json()


def test_to_dataframe():
    pd = pytest.importorskip("pandas")
    df = _study().to_dataframe()
    assert isinstance(df, pd.DataFrame)
    assert list(df.index) == [0, 1, 2, 3, 4]
    assert {"params_x", "params_n", "params_k", "state", "value"} <= set(df.columns)
    assert df.loc[4, "params_n"] == 10


def test_from_json_says_what_it_was_given(tmp_path):
    import json

    import pytest

    from hpo_core import Optimizer

    with pytest.raises(ValueError, match="nor the path of a file: 'hello' \\(no such file\\)"):
        Optimizer.from_json("hello")
    with pytest.raises(ValueError, match="got ''"):
        Optimizer.from_json("")
    with pytest.raises(ValueError, match="a directory"):
        Optimizer.from_json(str(tmp_path))
    opt = Optimizer({"x": (0.0, 1.0)}, seed=0)
    opt.tell(opt.ask(), 1.0)
    text = opt.to_json()
    (tmp_path / "bom.json").write_text("\ufeff" + text, encoding="utf-8")
    assert len(Optimizer.from_json(tmp_path / "bom.json").trials) == 1
    doc = json.loads(text)
    del doc["trials"]
    with pytest.raises(ValueError, match="has no 'trials'"):
        Optimizer.from_json(json.dumps(doc))


def test_records_with_times_or_dicts_of_the_wrong_kind_are_refused():
    import pytest

    from hpo_core import Optimizer

    space = {"x": (0.0, 1.0)}
    for bad, match in [
        ({"started_at": "yesterday"}, "record 0: started_at must be None or seconds"),
        ({"finished_at": float("nan")}, "record 0: finished_at must be"),
        ({"intermediate": [1, 2]}, "record 0: intermediate must be a dict"),
        ({"user_attrs": "x"}, "record 0: user_attrs must be a dict"),
    ]:
        with pytest.raises(ValueError, match=match):
            Optimizer.from_trials(space, [{"params": {"x": 0.5}, "value": 1.0, **bad}])


@pytest.mark.parametrize("strategy", ["random", "tpe", "sobol", "de"])
def test_a_run_restored_with_its_seed_does_not_ask_its_first_points_again(strategy):
    space = {"x": Real(0.0, 1.0), "n": Integer(1, 100)}
    first = Optimizer(space, strategy=strategy, seed=3)
    for t in first.ask(4):
        first.tell(t, t.params["x"])
    text = first.to_json()
    restored = Optimizer.from_json(text, strategy=strategy, seed=3)
    asked = [t.params for t in restored.ask(4)]
    assert not any(p in [t.params for t in first.trials] for p in asked)
    again = Optimizer.from_json(text, strategy=strategy, seed=3)
    assert [t.params for t in again.ask(4)] == asked  # still reproducible
