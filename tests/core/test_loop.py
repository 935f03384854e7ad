from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import pytest

from hpo_core import Optimizer, Real
from tests import _objectives as obj

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

SPACE = {"x": Real(-5.0, 5.0)}


def test_process_pool_runs_trials_in_other_processes():
    opt = Optimizer(SPACE, seed=0)
    best = opt.minimize(obj.pid, n_trials=8, n_jobs=2)
    pids = {t.value for t in opt.trials}
    assert len(opt.trials) == 8 and all(t.state == "complete" for t in opt.trials)
    assert float(os.getpid()) not in pids and len(pids) == 2
    assert best.value == min(pids)


def test_any_executor_and_failures_with_traceback():
    opt = Optimizer(SPACE, seed=1)
    with ThreadPoolExecutor(3) as pool:
        opt.minimize(obj.fails_on_negative, n_trials=20, executor=pool, catch=(ArithmeticError,))
    failed = [t for t in opt.trials if t.state == "failed"]
    assert len(opt.trials) == 20 and failed
    assert all(t.params["x"] < 0 for t in failed)
    reason = failed[0].fail_reason
    assert "Traceback" in reason and "ArithmeticError: negative x" in reason
    assert "fails_on_negative" in reason  # the frame of the objective


def test_uncaught_failure_is_recorded_then_raised_and_nothing_left_pending():
    opt = Optimizer(SPACE, seed=0)
    with pytest.raises(KeyError):
        opt.minimize(obj.raises_key_error, n_trials=6, n_jobs=2, catch=(ValueError,))
    # the trials in flight when it failed were waited for and told: none is left pending
    assert 1 <= len(opt.trials) <= 2 and all(t.state == "failed" for t in opt.trials)
    assert all("KeyError: 'missing column'" in t.fail_reason for t in opt.trials)


def test_bad_parallel_arguments():
    opt = Optimizer(SPACE)
    with pytest.raises(ValueError, match="n_jobs must be"):
        opt.minimize(obj.quadratic, n_trials=2, n_jobs=0)
    with pytest.raises(ValueError, match="executor must be"):
        opt.minimize(obj.quadratic, n_trials=2, executor="pool")


def test_parallel_with_shared_storage(tmp_path):
    opt = Optimizer(SPACE, seed=0, storage=f"sqlite:///{tmp_path / 's.db'}")
    opt.minimize(obj.quadratic, n_trials=10, n_jobs=2)
    again = Optimizer(SPACE, storage=f"sqlite:///{tmp_path / 's.db'}")
    assert [t.state for t in again.trials] == ["complete"] * 10


def test_dask_cluster():
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        opt = Optimizer(SPACE, seed=0)
        opt.minimize(obj.fails_on_negative, n_trials=12, executor=client)
    assert len(opt.trials) == 12
    assert {t.state for t in opt.trials} <= {"complete", "failed"}
    failed = [t for t in opt.trials if t.state == "failed"]
    assert all("negative x" in t.fail_reason for t in failed)
    assert opt.best.value >= 0


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


def test_catch_takes_a_class_or_any_iterable_of_them():
    for catch in (ArithmeticError, [ArithmeticError], {ArithmeticError, KeyError}):
        opt = Optimizer(SPACE, seed=0)
        opt.minimize(obj.fails_on_negative, n_trials=10, catch=catch)
        assert {t.state for t in opt.trials} == {"complete", "failed"}
    opt = Optimizer(SPACE, seed=0)
    for bad in ("ValueError", 42, (ValueError, 3), [ValueError()]):
        with pytest.raises(TypeError, match="catch must be an exception class or an iterable"):
            opt.minimize(obj.quadratic, n_trials=2, catch=bad)
    assert opt.trials == []


def test_zero_trials_run_nothing_and_return_the_best_so_far():
    opt = Optimizer(SPACE, seed=0)
    with pytest.raises(ValueError, match="n_trials=0: no trial ran"):
        opt.minimize(obj.quadratic, n_trials=0)
    best = opt.minimize(obj.quadratic, n_trials=3)
    assert opt.minimize(obj.quadratic, n_trials=0) is best
    assert opt.minimize(obj.quadratic, n_trials=0, n_jobs=2) is best
    assert len(opt.trials) == 3


INTERRUPTED_RUN = """
import sys
from hpo_core import Optimizer, Real
from tests import _objectives as obj

opt = Optimizer({"x": Real(-5.0, 5.0)}, seed=0, storage=sys.argv[1])
try:
    opt.minimize(obj.sleeps_long, n_trials=6, n_jobs=2)
except KeyboardInterrupt:
    sys.exit(3)
"""


def _states(db):
    try:
        with sqlite3.connect(db) as con:
            return con.execute("SELECT state, fail_reason FROM trials ORDER BY number").fetchall()
    except sqlite3.OperationalError:  # not created yet
        return []


def _group_gone(pgid, within):
    end = time.monotonic() + within
    while time.monotonic() < end:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


def test_interrupt_of_the_parent_alone_returns_at_once_and_records_the_trials_in_flight(tmp_path):
    """SIGINT to the parent only (kill -INT, Jupyter's interrupt): the 30 s trials in flight
    are not waited for, they are recorded as failed, and their workers are gone."""
    db = tmp_path / "s.db"
    env = {**os.environ, "PYTHONPATH": ROOT}
    proc = subprocess.Popen(
        [sys.executable, "-c", INTERRUPTED_RUN, f"sqlite:///{db}"],
        cwd=ROOT,
        env=env,
        start_new_session=True,  # its workers can be cleaned up as a group should it hang
    )
    try:
        end = time.monotonic() + 60
        while time.monotonic() < end and proc.poll() is None:
            if sum(s == "pending" for s, _ in _states(db)) == 2:
                break
            time.sleep(0.1)
        time.sleep(0.5)  # the workers are in their trials
        assert proc.poll() is None
        start = time.monotonic()
        proc.send_signal(signal.SIGINT)  # to the parent alone
        assert proc.wait(timeout=20) == 3  # KeyboardInterrupt, after the bookkeeping
        elapsed = time.monotonic() - start
        assert _group_gone(proc.pid, within=2.0)  # no worker left sleeping in its trial
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # the workers too, should any be left
        except ProcessLookupError:
            pass
    print(f"exited {elapsed:.2f} s after SIGINT")
    assert elapsed < 5, elapsed  # the interpreter's exit does not wait for the workers either
    states = _states(db)
    assert [s for s, _ in states] == ["failed", "failed"]
    assert all(r.startswith("interrupted") for _, r in states)


def test_an_empty_storage_name_is_refused_not_a_throw_away_database(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for storage in ("", "sqlite:///", "  "):
        with pytest.raises(ValueError, match="storage must name a database file"):
            Optimizer(SPACE, storage=storage)
    assert list(tmp_path.iterdir()) == []
    assert Optimizer(SPACE, storage="memory").trials == []  # in memory, no file named memory
    assert list(tmp_path.iterdir()) == []
