"""The Store protocol, held by both stores: the queue, and the SQLite study's trial rows."""

from __future__ import annotations

import pickle
import subprocess
import sys

import numpy as np
import pytest

from hpo_core.space import Categorical, Integer, Real, Space
from hpo_core.storage import MemoryStore, SQLiteStorage, StoredTrial

SPACE = Space({"x": Real(0.0, 1.0), "n": Integer(1, 9), "k": Categorical(["a", object])})


@pytest.fixture(params=["memory", "sqlite"])
def store(request, tmp_path):
    if request.param == "memory":
        return MemoryStore()
    return SQLiteStorage(tmp_path / "s.db").open_study("s", "space", "minimize", SPACE)


def test_queue_is_first_in_first_out(store):
    with store.transaction():
        for i in range(3):
            store.enqueue({"x": i / 4, "n": i + 1, "k": "a"}, {"i": i})
    with store.transaction():
        first = store.pop_queue(2)
        rest = store.pop_queue(5)
    assert [a["i"] for _, a in first] == [0, 1]
    assert [a["i"] for _, a in rest] == [2]
    assert first[1][0] == {"x": 0.25, "n": 2, "k": "a"}
    with store.transaction():
        assert store.pop_queue(1) == []


def test_sqlite_rows_come_back_changed_since(tmp_path):
    study = SQLiteStorage(tmp_path / "s.db").open_study("s", "space", "minimize", SPACE)
    other = SQLiteStorage(tmp_path / "s.db").open_study("s", "space", "minimize", SPACE)
    assert (study.worker, other.worker) == (0, 1)
    choice = SPACE["k"].choices[1]
    rows = [({"x": 0.5, "n": 3, "k": choice}, SPACE.encode({"x": 0.5, "n": 3, "k": choice}), None)]
    with study.transaction():
        seq = study.insert_trials(0, rows, 10.0)
    seen, got = other.changes(0)
    assert seen == seq
    assert [r.number for r in got] == [0]
    assert got[0].params == rows[0][0] and got[0].params["k"] is choice
    np.testing.assert_array_equal(got[0].x, rows[0][1])
    assert got[0].state == "pending" and got[0].started_at == 10.0
    assert other.changes(seq) == (seq, [])
    done = StoredTrial(0, np.empty(0), {}, "complete", value=1.5, finished_at=11.0)
    with study.transaction():
        seq2 = study.finish_trial(done)
    _, got = other.changes(seq)
    assert [(r.number, r.state, r.value) for r in got] == [(0, "complete", 1.5)]
    with pytest.raises(ValueError, match="no longer pending"), study.transaction():
        study.finish_trial(done)
    assert other.changes(seq2)[1] == []  # the refused finish was rolled back


def test_memory_store_pickles_with_its_queue():
    store = MemoryStore()
    store.enqueue({"x": 0.1}, {})
    again = pickle.loads(pickle.dumps(store))
    with again.transaction():
        assert again.pop_queue(1) == [({"x": 0.1}, {})]


def test_storage_loads_neither_the_optimizer_nor_the_strategies():
    code = (
        "import sys, hpo_core.storage; "
        "print(sorted(m for m in sys.modules if m.startswith(('hpo_core.core', "
        "'hpo_core.strategies'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
