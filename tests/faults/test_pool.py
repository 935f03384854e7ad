"""Worker processes that die under a run (os._exit, SIGKILL as the out-of-memory killer sends),
a pool broken before the run, and an objective that cannot be sent to a worker at all."""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import pytest

from hpo_core import Optimizer, Real
from tests import _objectives as obj

SPACE = {"x": Real(-5.0, 5.0)}

DIED = "a worker process died"


def test_a_dead_worker_fails_its_trials_and_a_new_pool_goes_on():
    opt = Optimizer(SPACE, seed=0)
    for x in (-1.0, 1.0, 2.0, 3.0, -2.0, 4.0, 1.5, 2.5):  # two deaths, trials in between
        opt.enqueue({"x": x})
    best = opt.minimize(obj.dies_below_zero, n_trials=8, n_jobs=2)
    states = {t.params["x"]: t.state for t in opt.trials}
    assert len(opt.trials) == 8 and set(states.values()) == {"complete", "failed"}
    assert states[-1.0] == states[-2.0] == "failed"
    failed = [t for t in opt.trials if t.state == "failed"]
    assert all(DIED in t.fail_reason and "BrokenProcessPool" in t.fail_reason for t in failed)
    assert best.value >= 0 and best.value == min(t.value for t in opt.trials if t.value)


def test_workers_that_keep_dying_stop_the_run_with_nothing_left_pending():
    opt = Optimizer(SPACE, seed=0)
    with pytest.raises(RuntimeError, match="died 3 times in a row"):
        opt.minimize(obj.killed, n_trials=50, n_jobs=2)  # SIGKILL, as the OOM killer does
    assert 3 <= len(opt.trials) <= 6  # three pools of two, no more
    assert all(t.state == "failed" and DIED in t.fail_reason for t in opt.trials)


def test_a_broken_executor_of_the_caller_fails_the_trials_in_flight_and_raises():
    opt = Optimizer(SPACE, seed=0)
    with ProcessPoolExecutor(2) as pool:
        with pytest.raises(RuntimeError, match="is broken: a worker died"):
            opt.minimize(obj.killed, n_trials=10, executor=pool)
    assert 1 <= len(opt.trials) <= 2
    assert all(t.state == "failed" and DIED in t.fail_reason for t in opt.trials)
    # an executor broken before the run: the trial asked for it is failed, not left pending
    opt = Optimizer(SPACE, seed=0)
    with ProcessPoolExecutor(1) as pool:
        pool.submit(obj.killed, {}).exception()
        with pytest.raises(RuntimeError, match="is broken"):
            opt.minimize(obj.quadratic, n_trials=10, executor=pool)
    assert [t.state for t in opt.trials] == ["failed"]
    assert DIED in opt.trials[0].fail_reason


def test_an_objective_that_cannot_be_pickled_is_refused_before_any_trial():
    def nested(params):
        return params["x"]

    for objective in (lambda p: p["x"], nested):
        opt = Optimizer(SPACE, seed=0)
        with pytest.raises(TypeError, match=r"cannot be pickled.*ThreadPoolExecutor\(\.\.\.\)"):
            opt.minimize(objective, n_trials=50, n_jobs=2)
        assert opt.trials == []
    with ProcessPoolExecutor(2) as pool, pytest.raises(TypeError, match="cannot be pickled"):
        opt.minimize(lambda p: p["x"], n_trials=50, executor=pool)
    assert opt.trials == []
    with ThreadPoolExecutor(2) as pool:  # threads share the objective: no pickling
        opt.minimize(lambda p: p["x"] ** 2, n_trials=4, executor=pool)
    assert [t.state for t in opt.trials] == ["complete"] * 4
