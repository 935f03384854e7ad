"""A study file on read-only media (a read-only folder or file system, a shared disk mounted
read-only): it can be looked at, from Python and the command line, and nothing tries to write."""

from __future__ import annotations

import gc
import hashlib
import sys
from pathlib import Path

import pytest

from hpo_core import Optimizer
from tests.faults._tools import read_only, run

LOAD = """
import sys
from hpo_core import Optimizer
opt = Optimizer.load(sys.argv[1], read_only=True)
print(len(opt.trials), opt.best.id)
Optimizer.load(sys.argv[1])
"""


@pytest.fixture
def study(tmp_path: Path) -> Path:
    folder = tmp_path / "ro"
    folder.mkdir()
    db = folder / "s.db"
    opt = Optimizer({"x": (0.0, 1.0), "k": ["a", "b"]}, seed=0, storage=f"sqlite:///{db}")
    for _ in range(5):
        t = opt.ask()
        opt.tell(t, t.params["x"])
    del opt, t  # the last connection closes: the WAL is folded in and its index removed
    gc.collect()
    assert sorted(p.name for p in folder.iterdir()) == ["s.db"]
    return db


def test_a_study_on_read_only_media_is_read_and_never_written(study):
    before = hashlib.sha256(study.read_bytes()).hexdigest()
    best = Optimizer.load(study, read_only=True).best.id
    names = sorted(p.name for p in study.parent.iterdir())
    with read_only(study.parent) as prefix:
        if prefix is None:
            pytest.skip("this machine can neither mount a folder read-only nor drop privileges")
        for command in (["show"], ["best"], ["export", "--format", "csv"]):
            out = run([sys.executable, "-m", "hpo_core", *command, str(study)], prefix)
            assert out.returncode == 0, out.stderr
            assert out.stderr == ""
        assert (
            f'"id": {best}'
            in run([sys.executable, "-m", "hpo_core", "best", str(study)], prefix).stdout
        )
        out = run([sys.executable, "-c", LOAD, str(study)], prefix)
    assert out.stdout.split() == ["5", str(best)]
    # a writer is refused with what to do instead, not "not a usable SQLite database"
    assert "cannot be written" in out.stderr and "read_only=True" in out.stderr
    assert hashlib.sha256(study.read_bytes()).hexdigest() == before
    assert sorted(p.name for p in study.parent.iterdir()) == names
