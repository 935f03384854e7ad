"""Reading a study never changes it; creating one from several workers at once is race-free."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

from hpo_core import Optimizer
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
