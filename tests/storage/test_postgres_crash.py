"""What a crash of the PostgreSQL server may and may not lose: told results are on disk when a
tell returns; an ask is not waited for, and the tell of a trial whose ask a crash lost records
it anew (or, where its number was given to another trial since, as a new trial).

The server here is durable, as a user runs it (fsync and synchronous commit on), and writes
asynchronous commits to its log only every 10 s, so that a crash right after an ask loses it.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from hpo_core import Optimizer
from hpo_core.space import Space
from hpo_core.storage import PostgresStorage, StorageError, StoredTrial
from tests.pg_server import PgServer, find_bin

SPACE = {"x": (0.0, 1.0), "k": ["a", "b"]}


@pytest.fixture(scope="module")
def durable(pg_server: PgServer) -> Iterator[PgServer]:  # pg_server: skips without a server
    bindir = find_bin()
    assert bindir is not None
    server = PgServer(bindir, fsync=True, options="-c wal_writer_delay=10000")
    yield server
    server.stop()


@pytest.fixture
def url(durable: PgServer, request: pytest.FixtureRequest) -> str:
    return durable.create_db(request.node.name.removeprefix("test_")[:40])


def _rows(url: str) -> list[tuple]:
    import psycopg

    with psycopg.connect(url, autocommit=True) as con:
        return con.execute(
            "SELECT number, state, value FROM hpo_core.trials ORDER BY number"
        ).fetchall()


def _told(opt: Optimizer, n: int) -> None:
    for _ in range(n):
        t = opt.ask()
        opt.tell(t, t.params["x"])


def test_a_result_told_is_on_disk_when_the_tell_returns(durable, url):
    opt = Optimizer(SPACE, seed=0, storage=url, study="s")
    _told(opt, 3)
    durable.crash()
    assert [r[1] for r in _rows(url)] == ["complete"] * 3
    assert [r[2] for r in _rows(url)] == [t.value for t in opt.trials]


def test_the_tell_of_a_trial_whose_ask_a_crash_lost_records_it_anew(durable, url):
    opt = Optimizer(SPACE, seed=0, storage=url, study="s")
    _told(opt, 2)
    t = opt.ask()
    durable.crash()
    assert len(_rows(url)) == 2  # the ask was not on disk yet
    opt.tell(t, 0.5)
    trials = Optimizer.load(url, read_only=True).trials
    assert [u.state for u in trials] == ["complete"] * 3
    assert trials[2].params == t.params and trials[2].value == 0.5
    _told(opt, 1)  # and the study goes on
    assert len(Optimizer.load(url, read_only=True).trials) == 4


def test_a_lost_ask_whose_number_was_given_again_is_told_as_a_new_trial(durable, url):
    opt = Optimizer(SPACE, seed=0, storage=url, study="s")
    _told(opt, 2)
    t = opt.ask()
    durable.crash()
    other = Optimizer(SPACE, seed=1, storage=url, study="s")
    taken = other.ask()
    assert taken.id == t.id and taken.params != t.params
    with pytest.warns(UserWarning, match=f"trial {t.id} .* lost with its ask .* as trial 3"):
        new = opt.tell(t, 0.5)
    assert new.id == 3 and new.params == t.params and new.value == 0.5
    trials = Optimizer.load(url, read_only=True).trials
    assert trials[2].params == taken.params and trials[2].state == "pending"
    assert trials[3].params == t.params and trials[3].value == 0.5  # nothing told is lost


def test_a_tell_sent_twice_recognises_its_own_outcome(url):
    space = Space(SPACE)
    study = PostgresStorage(url).open_study("s", "space", "minimize", space)
    p = {"x": 0.5, "k": "a"}
    with study.transaction():
        study.insert_trials(0, [(p, space.encode(p), None)], 10.0)
    done = StoredTrial(0, space.encode(p), p, "complete", value=1.5, started_at=10.0)
    done.finished_at = 11.0
    first = study.finish_trial(done)  # on its own: no transaction
    assert study.finish_trial(done) == first  # as after a connection lost before the answer
    with pytest.raises(ValueError, match="no longer pending"):
        study.finish_trial(StoredTrial(0, np.asarray(done.x), p, "failed", finished_at=12.0))
    assert study.changes(0)[1][0].value == 1.5


def test_an_optimizer_that_saw_asks_a_crash_lost_says_so_and_nothing_told_is_lost(durable, url):
    a = Optimizer(SPACE, seed=0, storage=url, study="s")
    b = Optimizer(SPACE, seed=1, storage=url, study="s")
    _told(a, 2)
    lost = a.ask()
    assert b.ask().id == 3  # b has seen a's ask
    durable.crash()
    with pytest.raises(StorageError, match="crashed and lost asks it had seen; open the study"):
        b.ask()  # the server gave number 2 again, to b's new trial
    with pytest.warns(UserWarning, match="as trial 3"):
        a.tell(lost, 0.5)
    trials = Optimizer(SPACE, seed=2, storage=url, study="s").trials
    assert [t.state for t in trials] == ["complete", "complete", "pending", "complete"]
    assert trials[3].params == lost.params and trials[3].value == 0.5
