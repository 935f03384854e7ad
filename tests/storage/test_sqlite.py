from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from hpo_core import Categorical, Integer, Optimizer, Real
from hpo_core.storage import SQLiteStorage, StorageError

SPACE = {"x": Real(-5.0, 5.0), "n": Integer(1, 8), "k": Categorical(["a", "b", None])}
ROOT = Path(__file__).resolve().parents[2]


def f(p):
    return (p["x"] - 1.0) ** 2 + p["n"] + (p["k"] != "b")


def url(tmp_path, name="study.db"):
    return f"sqlite:///{tmp_path / name}"


def test_resume_whole_history(tmp_path):
    a = Optimizer(SPACE, seed=0, storage=url(tmp_path), study="s")
    for _ in range(5):
        t = a.ask()
        t.report(0, 9.0)
        t.user_attrs["host"] = "a"
        a.tell(t, f(t.params))
    a.tell(a.ask(), exception=RuntimeError("boom"))
    pending = a.ask()
    before = a.to_records()

    b = Optimizer(SPACE, seed=0, storage=url(tmp_path), study="s")
    assert b.to_records() == before
    assert b.best.params == a.best.params
    assert b.trials[0].intermediate == {0: 9.0} and b.trials[0].user_attrs == {"host": "a"}
    # the pending trial of the first optimizer can be told by the second, once
    b.tell(pending.id, 1.0)
    with pytest.raises(ValueError, match="already complete"):
        a.tell(pending, 2.0)
    # numbering goes on, and the resumed optimizer does not repeat the first one's points
    t = b.ask()
    assert t.id == 7
    assert t.params not in [r["params"] for r in before]


def test_tell_params_and_enqueue_persist(tmp_path):
    a = Optimizer(SPACE, storage=url(tmp_path))
    a.tell({"x": 0.25, "n": 2, "k": None}, 3.0)
    a.enqueue({"x": 1.0, "n": 1, "k": "b"}, {"source": "expert"})
    b = Optimizer(SPACE, storage=url(tmp_path))
    t = b.ask()  # the queue is shared
    assert t.params == {"x": 1.0, "n": 1, "k": "b"} and t.user_attrs == {"source": "expert"}
    assert b.trials[0].params == {"x": 0.25, "n": 2, "k": None}
    assert a.ask().params != t.params  # taken once


def test_other_workers_pending_trials_are_seen(tmp_path):
    grid = {"a": [1, 2, 3, 4, 5, 6]}
    a = Optimizer(grid, strategy="grid", storage=url(tmp_path))
    b = Optimizer(grid, strategy="grid", storage=url(tmp_path))
    got = [t.params["a"] for t in a.ask(2) + b.ask(2) + a.ask(2)]
    assert sorted(got) == [1, 2, 3, 4, 5, 6]
    assert len(b.history().X_pending) == 6


def test_same_space_and_direction_required(tmp_path):
    Optimizer(SPACE, storage=url(tmp_path), study="s")
    with pytest.raises(ValueError, match="exists with another space"):
        Optimizer({"x": Real(0.0, 1.0)}, storage=url(tmp_path), study="s")
    with pytest.raises(ValueError, match="direction='minimize'"):
        Optimizer(SPACE, storage=url(tmp_path), study="s", direction="maximize")
    Optimizer({"x": Real(0.0, 1.0)}, storage=url(tmp_path), study="other")
    assert SQLiteStorage(tmp_path / "study.db").study_names() == ["s", "other"]


def test_foreign_and_unreadable_files(tmp_path):
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE customers (id INTEGER)")
    before = other.read_bytes()
    with pytest.raises(StorageError, match="of something else.*customers"):
        Optimizer(SPACE, storage=other)
    assert other.read_bytes() == before
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all, just text" * 100)
    with pytest.raises(StorageError, match="not a usable SQLite database"):
        Optimizer(SPACE, storage=f"sqlite:///{junk}")
    unknown = "'mysql://host/db' has an unknown scheme 'mysql://'; storage must be.*postgresql://"
    with pytest.raises(ValueError, match=unknown):
        Optimizer(SPACE, storage="mysql://host/db")
    with pytest.raises(ValueError, match="'sqlite://s.db' is no SQLite URL: give three slashes"):
        Optimizer(SPACE, storage="sqlite://s.db")
    with pytest.raises(ValueError, match="heartbeat_timeout needs a storage"):
        Optimizer(SPACE, heartbeat_timeout=5)


def test_locked_database_times_out_without_writing(tmp_path):
    opt = Optimizer(SPACE, storage=SQLiteStorage(tmp_path / "s.db", timeout=0.2))
    opt.tell(opt.ask(), 1.0)
    blocker = sqlite3.connect(tmp_path / "s.db", isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StorageError, match="locked by another process for more than 0.2 s"):
            opt.ask()
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert len(opt.trials) == 1
    assert opt.ask().id == 1


def test_reports_persist(tmp_path):
    a = Optimizer(SPACE, storage=url(tmp_path))
    t = a.ask()
    t.report(0, 5.0)
    t.report(1, 4.0)
    b = Optimizer(SPACE, storage=url(tmp_path))
    assert b.trials[0].intermediate == {0: 5.0, 1: 4.0}
    a.tell(t, state="pruned")
    assert Optimizer(SPACE, storage=url(tmp_path)).trials[0].value == 4.0


def test_load_reads_the_space_from_the_storage(tmp_path):
    a = Optimizer(SPACE, direction="maximize", storage=url(tmp_path), study="s")
    a.minimize(f, n_trials=5)
    b = Optimizer.load(url(tmp_path))
    assert b.space == a.space and b.direction == "maximize"
    assert b.to_records() == a.to_records()
    Optimizer(SPACE, storage=url(tmp_path), study="t")
    with pytest.raises(ValueError, match=r"name the study.*\['s', 't'\]"):
        Optimizer.load(url(tmp_path))
    with pytest.raises(ValueError, match="no such storage file"):
        Optimizer.load(tmp_path / "missing.db")
