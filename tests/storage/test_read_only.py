"""Reading a study never changes it; creating one from several workers at once is race-free."""

from __future__ import annotations

import hashlib
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from hpo_core import Optimizer
from hpo_core.cli import main
from hpo_core.storage import SQLiteStorage, StorageError

SPACE = {"x": (0.0, 1.0), "k": ["a", "b"]}
ROOT = Path(__file__).resolve().parents[2]


def _study(path: Path, n: int = 6) -> None:
    opt = Optimizer(SPACE, seed=0, storage=f"sqlite:///{path}", study="s")
    for _ in range(n):
        t = opt.ask()
        opt.tell(t, t.params["x"])


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_load_read_only_writes_nothing_and_refuses_writes(tmp_path):
    db = tmp_path / "s.db"
    _study(db)
    before = _digest(db)
    opt = Optimizer.load(db, read_only=True)
    assert len(opt.trials) == 6 and opt.best.value == min(t.value for t in opt.trials)
    with pytest.raises(StorageError, match="opened read-only"):
        opt.ask()
    with pytest.raises(StorageError, match="opened read-only"):
        opt.tell({"x": 0.5, "k": "a"}, 1.0)
    with pytest.raises(StorageError, match="opened read-only"):
        opt.enqueue({"x": 0.5, "k": "a"})
    assert _digest(db) == before
    assert len(Optimizer.load(db, read_only=True).trials) == 6  # the refused writes left nothing


def test_looking_at_a_study_does_not_change_the_next_resumed_run(tmp_path):
    a, b = tmp_path / "a.db", tmp_path / "b.db"
    _study(a)
    _study(b)
    for command in (["show"], ["best"], ["export", "--format", "json"]):
        out = subprocess.run(
            [sys.executable, "-m", "hpo_core", *command, str(a)],
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        assert out.returncode == 0, out.stderr
    resumed_a = Optimizer(SPACE, seed=0, storage=f"sqlite:///{a}", study="s").ask()
    resumed_b = Optimizer(SPACE, seed=0, storage=f"sqlite:///{b}", study="s").ask()
    assert resumed_a.params == resumed_b.params  # the same worker index: nothing registered


def test_read_only_storage_needs_an_existing_hpo_core_file(tmp_path):
    with pytest.raises(StorageError, match="no such storage file"):
        SQLiteStorage(tmp_path / "missing.db", read_only=True)
    assert not (tmp_path / "missing.db").exists()
    with pytest.raises(ValueError, match="read_only must be True or False"):
        SQLiteStorage(tmp_path / "x.db", read_only="yes")


#: the trials table as hpo_core wrote it before several objectives and constraints
_OLD_TRIALS = """
CREATE TABLE trials (
    study_id INTEGER NOT NULL REFERENCES studies(id),
    number INTEGER NOT NULL,
    x BLOB NOT NULL,
    params TEXT NOT NULL,
    state TEXT NOT NULL,
    value REAL,
    intermediate TEXT NOT NULL DEFAULT '{}',
    user_attrs TEXT NOT NULL DEFAULT '{}',
    fail_reason TEXT,
    started_at REAL,
    finished_at REAL,
    heartbeat REAL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (study_id, number)
)"""


def _old_file(path: Path) -> None:
    """A study file in the layout of the first hpo_core files (no vals, no constraints)."""
    _study(path)
    columns = (
        "study_id, number, x, params, state, value, intermediate, user_attrs, fail_reason, "
        "started_at, finished_at, heartbeat, seq"
    )
    con = sqlite3.connect(path)
    with con:
        con.execute("ALTER TABLE trials RENAME TO new_trials")
        con.execute(_OLD_TRIALS)
        con.execute(f"INSERT INTO trials SELECT {columns} FROM new_trials")
        con.execute("DROP TABLE new_trials")
        con.execute("CREATE INDEX trials_seq ON trials (study_id, seq)")
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()


def test_an_older_file_is_read_as_it_is(tmp_path, capsys):
    old, copied = tmp_path / "old.db", tmp_path / "copied.db"
    _old_file(old)
    before = _digest(old)
    opt = Optimizer.load(old, read_only=True)
    assert len(opt.trials) == 6 and opt.best.value == min(t.value for t in opt.trials)
    for command in (["show"], ["best"], ["export", "--format", "csv"]):
        assert main([*command, str(old)]) == 0, capsys.readouterr().err
    assert main(["copy", str(old), str(copied)]) == 0, capsys.readouterr().err
    assert Optimizer.load(copied, read_only=True).to_records() == opt.to_records()
    assert _digest(old) == before
    # opened for writing, it gains the columns and goes on
    resumed = Optimizer(SPACE, seed=0, storage=f"sqlite:///{old}", study="s")
    t = resumed.ask()
    resumed.tell(t, 0.5)
    assert len(Optimizer.load(old, read_only=True).trials) == 7
