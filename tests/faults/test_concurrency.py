"""Several workers at once on one study file: creating it together (threads and processes)
and one storage-backed Optimizer shared by threads; one in-memory Optimizer shared by threads."""

from __future__ import annotations

import pickle
import time

import pytest

from hpo_core import Optimizer
from tests.faults._tools import python
from tests.threads import in_threads

SPACE = {"x": (0.0, 1.0), "k": ["a", "b"]}


def test_many_workers_create_one_new_study_file_at_once(tmp_path):
    db = tmp_path / "new.db"

    def worker() -> None:
        opt = Optimizer(SPACE, seed=0, storage=f"sqlite:///{db}", study="s")
        for _ in range(3):
            t = opt.ask()
            opt.tell(t, t.params["x"])

    assert in_threads(6, worker) == []
    trials = Optimizer.load(db, read_only=True).trials
    assert len(trials) == 18 and sorted(t.id for t in trials) == list(range(18))
    assert all(t.state == "complete" for t in trials)


CREATOR = """
import sys, time
from hpo_core import Optimizer
db, start = sys.argv[1], float(sys.argv[2])
time.sleep(max(0.0, start - time.time()))  # every process starts at the same moment
opt = Optimizer({"x": (0.0, 1.0), "k": ["a", "b"]}, seed=0, storage=db, study="s")
for _ in range(3):
    t = opt.ask()
    opt.tell(t, t.params["x"])
"""


def test_many_processes_create_one_new_study_file_at_once(tmp_path):
    db = tmp_path / "new.db"
    start = time.time() + 3.0  # after the interpreters have started and imported
    workers = [python(tmp_path, CREATOR, f"sqlite:///{db}", str(start)) for _ in range(4)]
    assert [w.wait(timeout=120) for w in workers] == [0] * 4
    trials = Optimizer.load(db, read_only=True).trials
    assert sorted(t.id for t in trials) == list(range(12))
    assert all(t.state == "complete" for t in trials)


def test_threads_share_one_storage_backed_optimizer(tmp_path):
    opt = Optimizer(SPACE, seed=0, storage=f"sqlite:///{tmp_path / 's.db'}", study="s")

    def worker() -> None:
        for _ in range(25):
            t = opt.ask()
            t.report(0, 1.0)
            opt.tell(t, t.params["x"])
            _ = opt.trials

    assert in_threads(4, worker) == []
    trials = Optimizer.load(tmp_path / "s.db", read_only=True).trials
    assert [t.id for t in trials] == list(range(100))
    assert all(t.state == "complete" and t.intermediate == {0: 1.0} for t in trials)
    assert len(opt.trials) == 100


@pytest.mark.parametrize("strategy", ["random", "tpe", "cmaes", "de"])
def test_threads_share_one_in_memory_optimizer(strategy):
    opt = Optimizer(SPACE, strategy=strategy, seed=0)

    def worker() -> None:
        for _ in range(60):
            t = opt.ask()
            t.report(0, 1.0)
            opt.tell(t, t.params["x"])

    # threads switch between almost any two bytecodes
    assert in_threads(4, worker, switch_interval=1e-6) == []
    assert [t.id for t in opt.trials] == list(range(240))
    assert all(t.state == "complete" and t.intermediate == {0: 1.0} for t in opt.trials)


def test_an_in_memory_optimizer_pickles_and_its_copy_takes_turns_too():
    opt = Optimizer(SPACE, strategy="cmaes", seed=0)
    for _ in range(5):
        t = opt.ask()
        opt.tell(t, t.params["x"])
    again = pickle.loads(pickle.dumps(opt))
    assert again.ask().params == opt.ask().params  # the same state, the same next ask

    def worker() -> None:
        for _ in range(40):
            t = again.ask()
            again.tell(t, t.params["x"])

    assert in_threads(4, worker, switch_interval=1e-6) == []
    assert [t.id for t in again.trials] == list(range(166))
