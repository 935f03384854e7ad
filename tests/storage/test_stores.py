"""The Store protocol, held by both stores: the queue, and the SQLite study's trial rows."""

from __future__ import annotations

import pickle
import subprocess
import sys

import pytest

from hpo_core.space import Categorical, Integer, Real, Space
from hpo_core.storage import MemoryStore, SQLiteStorage

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
