from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

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


def test_an_empty_storage_name_is_refused_not_a_throw_away_database(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for storage in ("", "sqlite:///", "  "):
        with pytest.raises(ValueError, match="storage must name a database file"):
            Optimizer(SPACE, storage=storage)
    assert list(tmp_path.iterdir()) == []
    assert Optimizer(SPACE, storage="memory").trials == []  # in memory, no file named memory
    assert list(tmp_path.iterdir()) == []
