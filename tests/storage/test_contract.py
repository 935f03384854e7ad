"""The storage contract, held by SQLite and PostgreSQL alike: every case runs on both.

Resume, transactions, concurrent asks (threads and processes) that never duplicate a point,
heartbeats with stale retry and late results, read-only inspection that writes nothing, the
queue, damaged rows and foreign schema versions as clear ``StorageError``s.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from hpo_core import Optimizer
from hpo_core.space import Categorical, Integer, Real, Space
from hpo_core.storage import StorageError, StoredTrial, open_storage
from tests.threads import in_threads

ROOT = Path(__file__).resolve().parents[2]
SPACE = {"x": Real(-5.0, 5.0), "n": Integer(1, 8), "k": Categorical(["a", "b", None])}
GRID = {"a": list(range(10)), "b": ["p", "q", "r", "s"]}  # 40 points


def f(p: dict[str, Any]) -> float:
    return (p["x"] - 1.0) ** 2 + p["n"] + (p["k"] != "b")


def raw(url: str, sql: str, params: tuple = ()) -> list[tuple]:
    """Run SQL on the storage behind hpo_core's back (``?`` placeholders)."""
    if url.startswith("sqlite:///"):
        con = sqlite3.connect(url.removeprefix("sqlite:///"))
        try:
            rows = con.execute(sql, params).fetchall()
            con.commit()
            return rows
        finally:
            con.close()
    import psycopg

    with psycopg.connect(url, autocommit=True, options="-c search_path=hpo_core") as con:
        cur = con.execute(sql.replace("?", "%s"), params)
        return cur.fetchall() if cur.description else []


def snapshot(url: str) -> list[list[tuple]]:
    return [
        raw(url, "SELECT * FROM studies ORDER BY id"),
        raw(url, "SELECT * FROM trials ORDER BY study_id, number"),
        raw(url, "SELECT * FROM queue ORDER BY id"),
        raw(url, "SELECT * FROM " + ("hpo_core_meta" if "sqlite" in url else "meta")),
    ]


def run_study(url: str, n: int = 6, study: str = "s") -> Optimizer:
    opt = Optimizer(SPACE, seed=0, storage=url, study=study)
    for _ in range(n):
        t = opt.ask()
        opt.tell(t, f(t.params))
    return opt


def test_a_new_optimizer_resumes_the_whole_history(store_url):
    a = run_study(store_url)
    a.tell(a.ask(), state="failed")
    pending = a.ask()
    pending.report(0, 3.5)
    b = Optimizer(SPACE, seed=0, storage=store_url, study="s")
    assert b.to_records() == a.to_records()
    assert [t.state for t in b.trials][-2:] == ["failed", "pending"]
    assert b.trials[-1].intermediate == {0: 3.5}
    assert b.ask().params != a.ask().params  # another worker index, another stream
    assert Optimizer.load(store_url, study="s").best.value == a.best.value


def test_rows_come_back_changed_since_and_a_refused_finish_rolls_back(store_url):
    space = Space(SPACE)
    study = open_storage(store_url).open_study("s", "space", "minimize", space)
    other = open_storage(store_url).open_study("s", "space", "minimize", space)
    assert (study.worker, other.worker) == (0, 1)
    p = {"x": 0.5, "n": 3, "k": None}
    with study.transaction():
        seq = study.insert_trials(0, [(p, space.encode(p), {"tag": 1})], 10.0)
    seen, got = other.changes(0)
    assert seen == seq and [r.number for r in got] == [0]
    assert got[0].params == p and got[0].user_attrs == {"tag": 1}
    np.testing.assert_array_equal(got[0].x, space.encode(p))
    assert got[0].state == "pending" and got[0].started_at == 10.0
    assert other.changes(seq) == (seq, [])
    done = StoredTrial(0, np.empty(0), {}, "complete", value=1.5, finished_at=11.0)
    with study.transaction():
        seq2 = study.finish_trial(done)
    _, got = other.changes(seq)
    assert [(r.number, r.state, r.value) for r in got] == [(0, "complete", 1.5)]
    with pytest.raises(ValueError, match="no longer pending"), study.transaction():
        study.finish_trial(done)
    assert other.changes(seq2) == (seq2, [])  # the refused finish was rolled back
    with pytest.raises(KeyError), study.transaction():
        study.insert_trials(1, [(p, space.encode(p), None)], 12.0)
        raise KeyError("the step failed after writing")
    assert other.changes(seq2) == (seq2, [])  # and so was the failed step's insert


def test_threads_with_their_own_optimizers_never_ask_one_grid_point_twice(store_url):
    def worker() -> None:
        opt = Optimizer(GRID, strategy="grid", seed=0, storage=store_url, study="g")
        for _ in range(10):
            t = opt.ask()
            opt.tell(t, t.params["a"])

    assert in_threads(4, worker) == []
    trials = Optimizer.load(store_url, study="g", read_only=True).trials
    assert [t.id for t in trials] == list(range(40))
    assert len({(t.params["a"], t.params["b"]) for t in trials}) == 40
    assert all(t.state == "complete" for t in trials)


def test_optimizers_given_one_open_storage_take_turns_from_threads(store_url):
    storage = open_storage(store_url)  # one connection for all of them
    grid = Optimizer(GRID, strategy="grid", seed=0, storage=storage, study="g")
    rand = Optimizer(SPACE, strategy="random", seed=0, storage=storage, study="r")
    tpe = Optimizer(SPACE, strategy="tpe", seed=0, storage=storage, study="t")

    def worker(opt: Optimizer) -> None:
        for _ in range(10):
            t = opt.ask()
            opt.tell(t, t.params["a"] if opt is grid else f(t.params))
            opt.trials  # noqa: B018 (a read between the steps of the other threads)

    workers = [lambda o=o: worker(o) for o in (grid, grid, rand, rand, tpe, tpe)]
    assert in_threads(6, lambda: workers.pop()(), switch_interval=1e-5) == []
    for name, opt in (("g", grid), ("r", rand), ("t", tpe)):
        trials = Optimizer.load(store_url, study=name, read_only=True).trials
        assert [t.id for t in trials] == list(range(20))
        assert all(t.state == "complete" for t in trials)
        assert opt.to_records() == Optimizer.load(store_url, study=name).to_records()
    assert len({(t.params["a"], t.params["b"]) for t in grid.trials}) == 20


GRID_WORKER = """
import sys
from hpo_core import Optimizer
opt = Optimizer({grid!r}, strategy="grid", seed=0, storage=sys.argv[1], study="g")
for _ in range(10):
    t = opt.ask()
    opt.tell(t, t.params["a"])
"""


def test_processes_never_ask_one_grid_point_twice(store_url, tmp_path):
    script = tmp_path / "grid_worker.py"
    script.write_text(GRID_WORKER.format(grid=GRID))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    workers = [
        subprocess.Popen([sys.executable, str(script), store_url], env=env) for _ in range(4)
    ]
    assert [w.wait(timeout=120) for w in workers] == [0, 0, 0, 0]
    trials = Optimizer.load(store_url, study="g", read_only=True).trials
    assert [t.id for t in trials] == list(range(40))
    assert len({(t.params["a"], t.params["b"]) for t in trials}) == 40


RANDOM_WORKER = """
import sys
from hpo_core import Optimizer
opt = Optimizer({{"x": (0.0, 1.0)}}, seed=int(sys.argv[2]), storage=sys.argv[1], study="r")
for _ in range(15):
    t = opt.ask()
    opt.tell(t, t.params["x"])
ids = [t.id for t in opt.trials]
assert ids == list(range(len(ids))), ids
"""


def test_random_workers_which_need_no_lock_to_propose_number_every_trial_once(store_url, tmp_path):
    script = tmp_path / "random_worker.py"
    script.write_text(RANDOM_WORKER.format())
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    workers = [
        subprocess.Popen([sys.executable, str(script), store_url, str(i)], env=env)
        for i in range(4)
    ]
    assert [w.wait(timeout=120) for w in workers] == [0, 0, 0, 0]
    trials = Optimizer.load(store_url, study="r", read_only=True).trials
    assert [t.id for t in trials] == list(range(60))
    assert all(t.state == "complete" and t.value == t.params["x"] for t in trials)
    assert len({t.params["x"] for t in trials}) == 60


HANGING_WORKER = """
import sys, time
from hpo_core import Optimizer, Real, Integer, Categorical
SPACE = {"x": Real(-5.0, 5.0), "n": Integer(1, 8), "k": Categorical(["a", "b", None])}
opt = Optimizer(SPACE, seed=0, storage=sys.argv[1], study="shared", heartbeat_timeout=0.5)
done = 0
def objective(p):
    global done
    done += 1
    if done == 3:
        print("hanging", flush=True)
        time.sleep(600)
    return p["x"]
opt.minimize(objective, n_trials=10)
"""


def test_a_killed_workers_trial_fails_by_heartbeat_and_is_retried_once(store_url, tmp_path):
    script = tmp_path / "hanging_worker.py"
    script.write_text(HANGING_WORKER)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    w = subprocess.Popen(
        [sys.executable, str(script), store_url], stdout=subprocess.PIPE, text=True, env=env
    )
    assert w.stdout is not None and w.stdout.readline().strip() == "hanging"
    os.kill(w.pid, signal.SIGKILL)
    w.wait(timeout=30)
    w.stdout.close()
    opt = Optimizer(SPACE, storage=store_url, study="shared", heartbeat_timeout=0.5)
    assert [t.state for t in opt.trials] == ["complete", "complete", "pending"]
    hung = opt.trials[2]
    time.sleep(0.7)
    retry = opt.ask()
    assert hung.state == "failed" and "no heartbeat" in (hung.fail_reason or "")
    assert retry.params == hung.params and retry.user_attrs == {"retry_of": 2}
    opt.tell(retry, 1.0)
    alive = opt.ask()  # kept alive by this optimizer's heartbeat thread
    time.sleep(1.0)
    other = Optimizer(SPACE, storage=store_url, study="shared", heartbeat_timeout=0.5)
    other.ask()
    assert alive.state == "pending" and other.trials[alive.id].state == "pending"
    assert sum("retry_of" in t.user_attrs for t in other.trials) == 1  # retried once


def test_a_paused_workers_late_result_is_kept(store_url):
    paused = Optimizer(SPACE, seed=0, storage=store_url, study="s")  # no heartbeats
    trial = paused.ask()
    time.sleep(0.3)
    other = Optimizer(SPACE, seed=1, storage=store_url, study="s", heartbeat_timeout=0.2)
    retry = other.ask()
    assert other.trials[trial.id].state == "failed"
    assert retry.user_attrs["retry_of"] == trial.id and retry.params == trial.params
    told = paused.tell(trial, 0.25)
    assert told.state == "complete" and told.value == 0.25
    seen = Optimizer.load(store_url, study="s", read_only=True).trials
    assert seen[trial.id].state == "complete" and seen[trial.id].value == 0.25
    assert seen[retry.id].state == "pending"
    other.ask()
    assert other.trials[trial.id].state == "complete"  # the other worker catches up
    with pytest.raises(ValueError, match="already complete"):
        paused.tell(trial, 0.3)


def test_read_only_inspection_writes_nothing_and_refuses_writes(store_url):
    run_study(store_url)
    before = snapshot(store_url)
    opt = Optimizer.load(store_url, read_only=True)
    assert len(opt.trials) == 6 and opt.best.value == min(t.value for t in opt.trials)
    for step in (
        opt.ask,
        lambda: opt.tell({"x": 0.5, "n": 2, "k": "a"}, 1.0),
        lambda: opt.enqueue({"x": 0.5, "n": 2, "k": "a"}),
    ):
        with pytest.raises(StorageError, match="opened read-only"):
            step()
    for command in (["show"], ["best"], ["export", "--format", "json"]):
        out = subprocess.run(
            [sys.executable, "-m", "hpo_core", *command, store_url],
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        assert out.returncode == 0, out.stderr
    assert snapshot(store_url) == before


def test_enqueued_parameters_go_to_the_next_ask_of_any_worker(store_url):
    a = Optimizer(SPACE, seed=0, storage=store_url, study="s")
    b = Optimizer(SPACE, seed=0, storage=store_url, study="s")
    a.enqueue({"x": 0.5, "n": 2, "k": None}, user_attrs={"why": "a guess"})
    a.enqueue({"x": -1.0, "n": 7, "k": "a"})
    first, second = b.ask(), a.ask()
    assert first.params == {"x": 0.5, "n": 2, "k": None}
    assert first.user_attrs == {"why": "a guess"}
    assert second.params == {"x": -1.0, "n": 7, "k": "a"}
    assert a.ask().params not in (first.params, second.params)  # the queue is empty


def test_an_evolution_strategy_learns_from_the_other_workers_trials(store_url):
    # interleaved as real workers are: the other's trial is pending when one first reads it
    space = {"x": Real(-5.0, 5.0), "y": Real(-5.0, 5.0)}
    a = Optimizer(space, strategy="de", seed=0, storage=store_url, study="s")
    b = Optimizer(space, strategy="de", seed=1, storage=store_url, study="s")
    for _ in range(20):
        ta, tb = a.ask(), b.ask()
        a.tell(ta, ta.params["x"] ** 2 + ta.params["y"] ** 2)
        b.tell(tb, tb.params["x"] ** 2 + tb.params["y"] ** 2)
    a.ask(), b.ask()
    assert a.strategy.evaluations_used == b.strategy.evaluations_used == 40


@pytest.mark.parametrize(
    ("column", "bad"),
    [("params", "not json"), ("state", "exploded"), ("x", b"\x00\x01"), ("intermediate", "[1]")],
)
def test_a_damaged_row_is_a_storage_error_naming_the_trial(store_url, column, bad):
    run_study(store_url, n=3)
    raw(store_url, f"UPDATE trials SET {column}=? WHERE number=1", (bad,))
    with pytest.raises(StorageError, match="trial 1 of study .* is damaged"):
        Optimizer.load(store_url, read_only=True)


@pytest.mark.parametrize("bad", ["cut", "[1]", '{"x": 1}', '{"x": {"type": "pie"}}'])
def test_a_damaged_space_is_a_storage_error_naming_the_study(store_url, bad):
    run_study(store_url, n=1)
    space = raw(store_url, "SELECT space FROM studies")[0][0]
    raw(store_url, "UPDATE studies SET space=?", (space[:20] if bad == "cut" else bad,))
    where = store_url.removeprefix("sqlite:///") if "sqlite" in store_url else "postgresql://"
    message = f"the space of study 's' in '{where}.* is damaged"
    for read_only in (False, True):
        with pytest.raises(StorageError, match=message):
            Optimizer.load(store_url, read_only=read_only)


def test_a_database_of_another_schema_version_is_refused(store_url):
    run_study(store_url, n=1)
    meta = "hpo_core_meta" if store_url.startswith("sqlite") else "meta"
    raw(store_url, f"UPDATE {meta} SET value='99' WHERE key='schema'")
    for read_only in (False, True):
        with pytest.raises(StorageError, match="schema version 99; this hpo_core reads 1"):
            Optimizer.load(store_url, read_only=read_only)
    with pytest.raises(StorageError, match="schema version 99"):
        Optimizer(SPACE, storage=store_url, study="s")


def test_a_failure_reason_with_a_nul_character_is_recorded(store_url):
    def objective(p: dict[str, Any]) -> float:
        if p["x"] < 0.0:
            raise ValueError("the tool printed 'a\x00b'")  # the raw output of a subprocess
        return p["x"]

    opt = Optimizer(SPACE, strategy="random", seed=0, storage=store_url, study="s")
    opt.optimize(objective, n_trials=8)
    trials = Optimizer.load(store_url, read_only=True).trials
    assert len(trials) == 8 and "pending" not in [t.state for t in trials]
    failed = [t.fail_reason for t in trials if t.state == "failed"]
    # PostgreSQL text cannot hold NUL: it is stored as the two characters \0
    told = "a\x00b" if store_url.startswith("sqlite") else "a\\0b"
    assert failed and failed == [f"ValueError: the tool printed '{told}'"] * len(failed)
    with pytest.raises(ValueError, match="study must be a non-empty string without NUL"):
        Optimizer(SPACE, storage=store_url, study="a\x00b")
