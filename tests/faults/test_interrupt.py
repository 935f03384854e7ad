"""Ctrl-C that reaches the parent alone while worker processes run their trials."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time

from tests.faults._tools import ENV, ROOT

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
    proc = subprocess.Popen(
        [sys.executable, "-c", INTERRUPTED_RUN, f"sqlite:///{db}"],
        cwd=ROOT,
        env=ENV,
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
