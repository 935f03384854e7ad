"""Worker processes of one study: a worker stopped (SIGSTOP: a laptop closed, a VM paused) with
a trial in hand, around the heartbeats that tell the other workers who is alive, and workers
sharing a study. A worker killed (SIGKILL) and a late result told by a paused worker are in the
storage contract (tests/storage/test_contract.py), for every store."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

from hpo_core import Categorical, Integer, Optimizer, Real
from tests.faults._tools import python

SPACE = {"x": Real(-5.0, 5.0), "n": Integer(1, 8), "k": Categorical(["a", "b", None])}

# a worker of study "shared": n trials, the one numbered hang_at (from 1) sleeps for good;
# the trials after `go` exists in its folder take no time, those before wait for it
WORKER = """
import os, sys, time
from hpo_core import Optimizer, Real, Integer, Categorical
SPACE = {"x": Real(-5.0, 5.0), "n": Integer(1, 8), "k": Categorical(["a", "b", None])}
db, n, hang_at, go = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
opt = Optimizer(SPACE, seed=0, storage=db, study="shared", heartbeat_timeout=0.5)
done = 0
def objective(p):
    global done
    done += 1
    if done == hang_at:
        print("hanging", flush=True)
        time.sleep(600)
    print("in trial", flush=True)
    while not os.path.exists(go):
        time.sleep(0.02)
    return (p["x"] - 1.0) ** 2 + p["n"]
opt.minimize(objective, n_trials=n)
print("finished", flush=True)
"""


def url(folder: Path) -> str:
    return f"sqlite:///{folder / 'study.db'}"


def worker(folder: Path, n: int, hang_at: int = 0, go: bool = True) -> subprocess.Popen:
    if go:
        (folder / "go").touch()
    args = (url(folder), str(n), str(hang_at), str(folder / "go"))
    return python(folder, WORKER, *args, stdout=subprocess.PIPE, text=True)


def _stop_between_writes(pid: int, db: Path) -> None:
    """SIGSTOP the worker at a moment it holds no write lock of the file. A SQLite file's lock
    is held by the process that took it, stopped or not: a worker stopped inside one of its
    heartbeat's few-millisecond writes holds up the others until it wakes."""
    for _ in range(100):
        os.kill(pid, signal.SIGSTOP)
        con = sqlite3.connect(db, timeout=0.05)
        try:
            con.execute("BEGIN IMMEDIATE")
            con.rollback()
            return
        except sqlite3.OperationalError:  # caught in a heartbeat: let it finish and try again
            os.kill(pid, signal.SIGCONT)
            time.sleep(0.01)
        finally:
            con.close()
    raise AssertionError("the worker always held the file's write lock")


def test_a_stopped_worker_wakes_up_keeps_its_result_and_finishes_its_run(tmp_path):
    w = worker(tmp_path, 3, go=False)
    try:
        assert w.stdout.readline().strip() == "in trial"  # trial 0 in hand
        _stop_between_writes(w.pid, tmp_path / "study.db")  # no more heartbeats
        time.sleep(1.0)
        other = Optimizer(SPACE, storage=url(tmp_path), study="shared", heartbeat_timeout=0.5)
        retry = other.ask()  # fails the silent trial and asks its parameters again
        assert other.trials[0].state == "failed" and retry.user_attrs == {"retry_of": 0}
        other.tell(retry, 100.0)
        (tmp_path / "go").touch()
        os.kill(w.pid, signal.SIGCONT)
        assert w.wait(timeout=60) == 0
    finally:
        w.kill()
    assert w.stdout.read().split() == ["in", "trial", "in", "trial", "finished"]
    trials = Optimizer.load(tmp_path / "study.db", read_only=True).trials
    assert [t.state for t in trials] == ["complete"] * 4  # the late result is kept
    assert trials[0].value != 100.0 and trials[0].params == trials[retry.id].params
    assert trials[retry.id].value == 100.0  # the retry's own result stands beside it


def test_processes_share_a_study(tmp_path):
    n_workers = 3
    workers = [worker(tmp_path, 15) for _ in range(n_workers)]
    for w in workers:
        assert w.wait(timeout=120) == 0
        w.stdout.close()
    opt = Optimizer(SPACE, storage=url(tmp_path), study="shared")
    trials = opt.trials
    assert [t.id for t in trials] == list(range(15 * n_workers))
    assert all(t.state == "complete" for t in trials)
    # workers with the same seed draw from different streams
    assert len({tuple(sorted(t.params.items(), key=str)) for t in trials}) == 15 * n_workers
