from __future__ import annotations

import math
import time

import numpy as np
import pytest

from hpo_core import Categorical, Integer, Optimizer, Real, SearchSpaceExhausted, Trial
from hpo_core.strategies.random import RandomSearch

SPACE = {"x": Real(-5.0, 5.0), "n": Integer(1, 8), "k": Categorical(["a", "b", "c"])}


def f(p):
    return (p["x"] - 1.0) ** 2 + p["n"] + (p["k"] != "b")


def test_ask_tell_loop_and_best():
    opt = Optimizer(SPACE, seed=1)
    values = []
    for _ in range(30):
        t = opt.ask()
        assert t.state == "pending" and isinstance(t, Trial)
        values.append(f(t.params))
        opt.tell(t, values[-1])
    assert opt.best.value == min(values)
    assert opt.best.state == "complete"
    assert [t.id for t in opt.trials] == list(range(30))
    assert all(t.duration is not None and t.duration >= 0 for t in opt.trials)


def test_params_are_plain_python_values():
    opt = Optimizer(SPACE, seed=0)
    for t in opt.ask(20):
        assert type(t.params["x"]) is float
        assert type(t.params["n"]) is int
        assert t.params["k"] in ("a", "b", "c") and type(t.params["k"]) is str


def test_ask_n_gives_n_pending_trials():
    opt = Optimizer(SPACE, seed=0)
    batch = opt.ask(5)
    assert len(batch) == 5 and all(t.state == "pending" for t in batch)
    assert len({t.id for t in batch}) == 5
    for t in batch:
        opt.tell(t.id, 1.0)  # by id
    assert all(t.state == "complete" for t in opt.trials)


@pytest.mark.parametrize("n", [0, -1, 1.5, True, "2"])
def test_bad_n(n):
    with pytest.raises(ValueError, match="n must be"):
        Optimizer(SPACE).ask(n)


def test_failures_are_recorded():
    opt = Optimizer(SPACE, seed=0)
    a, b, c, d = opt.ask(4)
    opt.tell(a, exception=RuntimeError("diverged"))
    opt.tell(b, float("nan"))
    opt.tell(c, state="failed")
    opt.tell(d, float("inf"))
    assert [t.state for t in opt.trials] == ["failed"] * 4
    assert "RuntimeError: diverged" in a.fail_reason
    assert "nan" in b.fail_reason and "inf" in d.fail_reason
    assert c.fail_reason
    with pytest.raises(ValueError, match="no complete trial.*4 failed.*diverged"):
        _ = opt.best


def test_tell_errors():
    opt = Optimizer(SPACE, seed=0)
    t = opt.ask()
    with pytest.raises(TypeError, match="real number"):
        opt.tell(t, "0.5")
    with pytest.raises(TypeError, match="real number"):
        opt.tell(t, True)
    with pytest.raises(ValueError, match="value is required"):
        opt.tell(t)
    with pytest.raises(ValueError, match="unknown trial id 7"):
        opt.tell(7, 1.0)
    with pytest.raises(ValueError, match="state must be"):
        opt.tell(t, 1.0, state="done")
    assert t.state == "pending"  # none of the errors changed it
    opt.tell(t, 1.0)
    with pytest.raises(ValueError, match="already complete"):
        opt.tell(t, 2.0)
    other = Optimizer(SPACE).ask()
    with pytest.raises(ValueError, match="does not belong"):
        opt.tell(other, 1.0)


def test_tell_numpy_values():
    opt = Optimizer(SPACE, seed=0)
    t = opt.tell(opt.ask(), np.float32(0.25))
    assert t.value == 0.25 and type(t.value) is float


def test_warm_start_tell_params():
    opt = Optimizer(SPACE, seed=0)
    t = opt.tell({"x": 1, "n": 1, "k": "b"}, 1.0)
    assert t.state == "complete" and t.params == {"x": 1.0, "n": 1, "k": "b"}
    assert type(t.params["x"]) is float
    assert opt.best is t
    with pytest.raises(ValueError, match="parameter 'n'.*outside"):
        opt.tell({"x": 1.0, "n": 99, "k": "b"}, 1.0)
    assert len(opt.trials) == 1
    opt.ask()  # the strategy takes the told point in its stride


def test_pruned_keeps_last_value():
    opt = Optimizer(SPACE, seed=0)
    t = opt.ask()
    t.report(0, 3.0)
    t.report(1, 2.0)
    opt.tell(t, state="pruned")
    assert t.state == "pruned" and t.value == 2.0
    with pytest.raises(ValueError, match="pending"):
        t.report(2, 1.0)


def test_report_validation():
    t = Optimizer(SPACE).ask()
    with pytest.raises(ValueError, match="step"):
        t.report(-1, 1.0)
    with pytest.raises(ValueError, match="finite"):
        t.report(0, float("nan"))


def test_maximize():
    opt = Optimizer({"x": (0.0, 1.0)}, direction="maximize", seed=3)
    best = opt.minimize(lambda p: p["x"], n_trials=50)
    assert best.value == max(t.value for t in opt.trials)
    assert best.value > 0.9
    # the strategy sees values to minimise
    assert np.allclose(opt.history().y, [-t.value for t in opt.trials])


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"direction": "up"}, "direction must be one of"),
        ({"seed": -1}, "seed must be"),
        ({"seed": 1.5}, "seed must be"),
        ({"strategy": "nope"}, "strategy must be one of"),
    ],
)
def test_bad_constructor_args(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Optimizer(SPACE, **kwargs)


def test_minimize_catches_and_records():
    opt = Optimizer(SPACE, seed=0)
    calls = []

    def objective(p):
        calls.append(p)
        if len(calls) % 3 == 0:
            raise ArithmeticError("bad point")
        return f(p)

    seen = []
    best = opt.minimize(objective, n_trials=12, callbacks=[lambda o, t: seen.append(t.id)])
    assert len(opt.trials) == 12 and seen == list(range(12))
    assert sum(t.state == "failed" for t in opt.trials) == 4
    assert best is opt.best


def test_minimize_propagates_uncaught_after_recording():
    opt = Optimizer(SPACE, seed=0)

    def objective(p):
        raise KeyError("oops")

    with pytest.raises(KeyError):
        opt.minimize(objective, n_trials=5, catch=(ValueError,))
    assert len(opt.trials) == 1 and opt.trials[0].state == "failed"
    assert "KeyError" in opt.trials[0].fail_reason


def test_minimize_bad_return_value_is_recorded():
    opt = Optimizer(SPACE, seed=0)
    with pytest.raises(TypeError, match="must return a real number"):
        opt.minimize(lambda p: "high", n_trials=3)
    assert opt.trials[0].state == "failed"


def test_minimize_needs_a_stop():
    with pytest.raises(ValueError, match="n_trials or timeout"):
        Optimizer(SPACE).minimize(f)
    with pytest.raises(ValueError, match="timeout"):
        Optimizer(SPACE).minimize(f, timeout=0)


def test_minimize_timeout_stops():
    def slow(p):
        time.sleep(0.05)
        return f(p)

    opt = Optimizer(SPACE, seed=0)
    start = time.time()
    opt.minimize(slow, timeout=0.3)
    trials = opt.trials
    # each trial takes at least 0.05 s and none starts after the deadline (checked between trials)
    assert 1 <= len(trials) <= 0.3 / 0.05 + 1
    assert all(t.state == "complete" for t in trials)
    assert max(t.started_at for t in trials) <= start + 0.3 + 0.05


def test_minimize_grid_stops_when_exhausted():
    opt = Optimizer({"a": [1, 2, 3], "b": ["x", "y"]}, strategy="grid")
    opt.minimize(lambda p: p["a"])
    assert len(opt.trials) == 6
    with pytest.raises(SearchSpaceExhausted):
        opt.ask()


def test_minimize_progress_bar(capsys):
    opt = Optimizer(SPACE, seed=0)
    opt.minimize(f, n_trials=5, progress=True)
    err = capsys.readouterr().err
    assert "5/5" in err and "best=" in err


def test_same_seed_same_asks_and_strategy_instance_once():
    from hpo_core.strategies.random import RandomSearch

    s = RandomSearch()
    Optimizer(SPACE, strategy=s)
    with pytest.raises(ValueError, match="already serves"):
        Optimizer(SPACE, strategy=s)


def test_history_arrays():
    opt = Optimizer(SPACE, seed=0)
    ts = opt.ask(4)
    opt.tell(ts[0], 2.0)
    opt.tell(ts[2], exception=ValueError("x"))
    h = opt.history()
    assert h.X.shape == (1, 3) and h.y.tolist() == [2.0]
    assert h.X_pending.shape == (2, 3) and h.X_failed.shape == (1, 3)
    assert np.all((h.X_all >= 0) & (h.X_all <= 1))
    assert math.isnan(h.y_all[1])


def test_minimize_none_returned_fails_the_trial_before_raising():
    opt = Optimizer(SPACE, seed=0)
    with pytest.raises(ValueError, match="must return a real number: value is required"):
        opt.minimize(lambda p: None, n_trials=3)
    assert [t.state for t in opt.trials] == ["failed"]
    assert "value is required" in opt.trials[0].fail_reason


def test_values_and_exceptions_of_the_wrong_kind_are_refused_or_recorded_clearly():
    opt = Optimizer(SPACE, seed=0)
    t = opt.ask()
    assert opt.tell(t, 10**400).state == "failed"  # beyond float range: a non-finite value
    assert "returned inf" in t.fail_reason
    t = opt.ask()
    with pytest.raises(TypeError, match="exception must be the exception the objective raised"):
        opt.tell(t, exception="boom")
    assert t.state == "pending"  # refused: nothing recorded


def test_optimize_runs_either_direction_and_minimize_is_its_former_name():
    assert Optimizer.minimize is Optimizer.optimize
    runs = {}
    for name in ("optimize", "minimize"):
        opt = Optimizer({"x": (0.0, 1.0)}, direction="maximize", seed=0)
        runs[name] = getattr(opt, name)(lambda p: p["x"], n_trials=8)
    assert runs["optimize"].value == runs["minimize"].value > 0.5


def test_ask_with_fixed_parameters_records_them_and_the_strategys_others():
    opt = Optimizer({"x": (0.0, 10.0), "y": (0.0, 1.0), "k": [1, 2, 3]}, seed=0)
    ref = Optimizer({"x": (0.0, 10.0), "y": (0.0, 1.0), "k": [1, 2, 3]}, seed=0).ask()
    t = opt.ask(fixed={"x": 5.0, "k": 3})
    assert t.params == {"x": 5.0, "y": ref.params["y"], "k": 3}
    row = opt.history().X_all[0]  # the encoded point is the one evaluated, not the proposal
    assert row[0] == 0.5 and row[1] == pytest.approx(opt.space.encode(ref.params)[1])
    opt.tell(t, 1.0)
    assert opt.best.params["x"] == 5.0
    with pytest.raises(ValueError, match="'x'"):
        opt.ask(fixed={"x": 50.0})
    with pytest.raises(ValueError, match="unknown parameter"):
        opt.ask(fixed={"z": 1.0})
    assert len(opt.trials) == 1  # a refused ask records nothing


def test_grid_batch_after_queued_parameters_asks_each_point_once():
    opt = Optimizer({"c": Categorical(["a", "b", "c"])}, strategy="grid")
    opt.enqueue({"c": "a"})
    asked = [t.params["c"] for t in opt.ask(3)]
    assert sorted(asked) == ["a", "b", "c"]


def test_best_of_equal_values_is_the_first_by_id_whatever_the_order_told():
    opt = Optimizer({"x": Real(0.0, 1.0)}, seed=0)
    a, b = opt.ask(2)
    opt.tell(b, 1.0)
    opt.tell(a, 1.0)
    assert opt.best.id == a.id
    assert Optimizer.from_json(opt.to_json()).best.id == a.id


def test_fixed_conditional_parameters_are_checked_before_the_strategy_proposes():
    space = {
        "model": Categorical(["svc", "forest"]),
        "C": Real(1e-3, 1e3, log=True, when={"model": "svc"}),
        "n": Real(0.0, 1.0, when={"model": "forest"}),
    }
    opt = Optimizer(space, strategy="cmaes", seed=0)
    for _ in range(5):
        with pytest.raises(ValueError, match="'C' is active only when 'model' is one of"):
            opt.ask(fixed={"C": 1.0})
    with pytest.raises(ValueError, match="'C' is not active when 'model' is 'forest'"):
        opt.ask(fixed={"model": "forest", "C": 1.0})
    assert opt.trials == []  # nothing was asked
    for _ in range(5):
        t = opt.ask(fixed={"model": "svc", "C": 1.0})
        assert t.params == {"model": "svc", "C": 1.0}
        opt.tell(t, 1.0)


class _Pairs(RandomSearch):
    """A strategy that proposes at most two points per call."""

    def propose(self, history, n):
        return super().propose(history, min(n, 2))


def test_a_strategy_that_proposes_fewer_is_asked_again_for_the_rest():
    opt = Optimizer({"x": Real(0.0, 1.0)}, strategy=_Pairs(), seed=0)
    batch = opt.ask(5)
    assert len(batch) == 5 and len({t.params["x"] for t in batch}) == 5


@pytest.mark.parametrize("strategy", ["random", "tpe", "cmaes", "de"])
def test_a_fixed_parent_wakes_its_children_with_values_from_their_range(strategy):
    space = {
        "model": Categorical(["svc", "forest"]),
        "C": Real(1e-3, 1e3, log=True, when={"model": "svc"}),
        "n": Real(0.0, 1.0, when={"model": "forest"}),
    }
    opt = Optimizer(space, strategy=strategy, seed=0)
    cs = []
    for _ in range(12):
        t = opt.ask(fixed={"model": "svc"})
        assert set(t.params) == {"model", "C"} and t.params["model"] == "svc"
        cs.append(t.params["C"])
        opt.tell(t, abs(math.log10(t.params["C"])))
    assert len(set(cs)) > 6  # not one imputed value
