"""One study of a SQL database (SQLite or PostgreSQL): the ``Store`` an optimizer's books
talk to, written once for both databases.

Every method that writes runs inside the caller's transaction (the storage's ``transaction``,
holding the study's lock) except ``report`` and ``heartbeat``, which take their own. Each change
bumps the study's sequence number, so ``changes(since)`` reads only the rows changed after a
worker's last look.

The SQL is written with ``?`` placeholders; a storage's ``execute`` and ``executemany`` run it
in its own dialect. ``SQLStudies`` (sql_studies.py) holds what both storages do with the
studies table.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Collection, Mapping, Sequence
from typing import Any, Protocol

import numpy as np

from hpo_core.storage.base import (
    STALE_REASON,
    TRIAL_STATES,
    ParamCodec,
    StorageError,
    StoredTrial,
)

__all__ = ["ADDED_COLUMNS", "CHANGES", "SQLDatabase", "SQLStudy", "changes_sql"]

#: one statement: the study's sequence number and its rows changed after a number
CHANGES = (
    "SELECT s.seq, t.number, t.x, t.params, t.state, t.value, t.intermediate, "
    "t.user_attrs, t.fail_reason, t.started_at, t.finished_at, t.vals, t.constraints "
    "FROM studies s LEFT JOIN trials t ON t.study_id=s.id AND t.seq>? WHERE s.id=? "
    "ORDER BY t.number"
)
#: the columns of the trials table added since the first files (several objectives, constraints)
ADDED_COLUMNS = ("vals", "constraints")


def changes_sql(columns: Collection[str]) -> str:
    """``CHANGES`` for a trials table with ``columns``: an added column that an older file
    lacks (one opened read-only, which is not brought up to date) reads as NULL."""
    sql = CHANGES
    for name in ADDED_COLUMNS:
        if name not in columns:
            sql = sql.replace(f"t.{name}", "NULL", 1)
    return sql


class Cursor(Protocol):
    rowcount: int

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def __iter__(self) -> Any: ...


class SQLDatabase(Protocol):
    """What a study needs of its storage (``SQLiteStorage``, ``PostgresStorage``)."""

    #: how messages name the database (a file path, a URL without its password)
    name: str
    read_only: bool
    #: the statement that reads a study's changes (``CHANGES``, or ``changes_sql``'s variant)
    changes_sql: str

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor: ...

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None: ...

    def transaction(self, study: int | None = None) -> contextlib.AbstractContextManager[Any]: ...

    def reopen(self) -> SQLDatabase: ...

    def close(self) -> None: ...


class SQLStudy:
    """One study of a SQL storage: the ``Store`` that an optimizer's books talk to.

    Shared: other processes (and other optimizers of this process) may write the same study,
    so the books catch up inside each transaction.
    """

    shared = True
    lone_steps = False

    def __init__(self, storage: SQLDatabase, sid: int, worker: int, codec: ParamCodec) -> None:
        self.storage = storage
        self.sid = sid
        self.worker = worker
        self.codec = codec
        self._ex = storage.execute
        self._many = storage.executemany
        #: a write whose answer nobody reads: at once here; PostgreSQL's study sends it with
        #: the transaction's next round trip
        self._later = storage.executemany

    def transaction(self) -> contextlib.AbstractContextManager[Any]:
        return self.storage.transaction(self.sid)

    def reopen(self) -> SQLStudy:
        return type(self)(self.storage.reopen(), self.sid, self.worker, self.codec)

    def close(self) -> None:
        self.storage.close()

    def _bump(self) -> int:
        self._ex("UPDATE studies SET seq = seq + 1 WHERE id=?", (self.sid,))
        return int(self._ex("SELECT seq FROM studies WHERE id=?", (self.sid,)).fetchone()[0])

    # ------------------------------------------------------------------ trials
    def changes(self, since: int) -> tuple[int, list[StoredTrial]]:
        rows = self._ex(self.storage.changes_sql, (since, self.sid)).fetchall()
        return int(rows[0][0]), [self._decode(r[1:]) for r in rows if r[1] is not None]

    def _decode(self, r: Sequence[Any]) -> StoredTrial:
        """A row of the trials table as a StoredTrial; StorageError naming the trial when the
        row is not one hpo_core wrote (a damaged or hand-edited file)."""
        try:
            x = np.frombuffer(r[1], dtype=np.float64).copy()
            if r[3] not in TRIAL_STATES or len(x) != self.codec.d:
                raise ValueError(f"state {r[3]!r}, {len(x)} encoded values")
            return StoredTrial(
                number=int(r[0]),
                x=x,
                params=self.codec.from_portable(json.loads(r[2])),
                state=r[3],
                value=None if r[4] is None else float(r[4]),
                intermediate=(
                    {} if r[5] == "{}" else {int(k): float(v) for k, v in json.loads(r[5]).items()}
                ),
                user_attrs={} if r[6] == "{}" else dict(json.loads(r[6])),
                fail_reason=r[7],
                started_at=None if r[8] is None else float(r[8]),
                finished_at=None if r[9] is None else float(r[9]),
                values=None if r[10] is None else [float(v) for v in json.loads(r[10])],
                constraints=None if r[11] is None else [float(c) for c in json.loads(r[11])],
            )
        except (ValueError, TypeError, IndexError, KeyError, AttributeError) as err:
            raise StorageError(
                f"trial {r[0]!r} of study {self.sid} in {self.storage.name!r} is damaged "
                f"({type(err).__name__}: {err}); it was not written by hpo_core as it is"
            ) from None

    def insert_trials(
        self,
        first: int,
        rows: Sequence[tuple[Mapping[str, Any], np.ndarray, Mapping[str, Any] | None]],
        started_at: float,
    ) -> int:
        seq = self._bump()
        to_portable = self.codec.to_portable
        beat = self.now()
        self._later(
            "INSERT INTO trials (study_id, number, x, params, state, user_attrs, started_at, "
            "heartbeat, seq) VALUES (?, ?, ?, ?, 'pending', ?, ?, ?, ?)",
            _trial_rows(self.sid, first, rows, started_at, beat, seq, to_portable),
        )
        return seq

    def finish_trial(self, row: StoredTrial) -> int:
        seq = self._bump()
        cur = self._ex(
            "UPDATE trials SET state=?, value=?, intermediate=?, user_attrs=?, fail_reason=?, "
            "finished_at=?, vals=?, constraints=?, seq=? "
            "WHERE study_id=? AND number=? AND (state='pending' "
            "OR (state='failed' AND substr(fail_reason, 1, ?)=?))",
            (*_outcome(row), seq, self.sid, row.number, len(STALE_REASON), STALE_REASON),
        )
        if cur.rowcount != 1:
            raise ValueError(f"trial {row.number} is no longer pending in {self.storage.name!r}")
        return seq

    def copy_in(self, rows: Sequence[StoredTrial], workers: int) -> int:
        """Write whole trials as another store holds them (in a transaction), and count
        ``workers`` optimizers as having opened the study (so a resumed run draws the numbers
        it would have drawn there). Returns the new sequence number."""
        seq = self._bump()
        to_portable = self.codec.to_portable
        self._many(
            "INSERT INTO trials (study_id, number, x, params, started_at, heartbeat, state, "
            "value, intermediate, user_attrs, fail_reason, finished_at, vals, constraints, seq) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    self.sid,
                    r.number,
                    np.ascontiguousarray(r.x, dtype=np.float64).tobytes(),
                    json.dumps(to_portable(r.params, r.x)),
                    r.started_at,
                    r.finished_at or r.started_at,
                    *_outcome(r),
                    seq,
                )
                for r in rows
            ],
        )
        self._ex("UPDATE studies SET workers=? WHERE id=?", (workers, self.sid))
        return seq

    def ask_alone(
        self, params: Mapping[str, Any], x: np.ndarray, started_at: float, since: int
    ) -> tuple[int, list[StoredTrial], int] | None:
        raise NotImplementedError("this store asks in a transaction (lone_steps is False)")

    def report(self, number: int, intermediate: Mapping[int, float]) -> None:
        with self.transaction():
            seq = self._bump()
            self._ex(
                "UPDATE trials SET intermediate=?, heartbeat=?, seq=? "
                "WHERE study_id=? AND number=? AND state='pending'",
                (json.dumps(dict(intermediate)), self.now(), seq, self.sid, number),
            )

    def heartbeat(self, numbers: Sequence[int]) -> None:
        """No sequence bump: nothing a strategy sees changed."""
        if not numbers:
            return
        with self.transaction():
            self._many(
                "UPDATE trials SET heartbeat=? WHERE study_id=? AND number=? AND state='pending'",
                [(self.now(), self.sid, n) for n in numbers],
            )

    def now(self) -> float:
        """The clock heartbeats are written and compared in: this machine's (a store shared
        by several machines uses one clock for all of them)."""
        return time.time()

    def fail_stale(self, timeout: float) -> list[StoredTrial]:
        now = self.now()
        numbers = [
            r[0]
            for r in self._ex(
                "SELECT number FROM trials WHERE study_id=? AND state='pending' AND heartbeat<?",
                (self.sid, now - timeout),
            )
        ]
        if not numbers:
            return []
        seq = self._bump()
        reason = f"{STALE_REASON} {timeout:g} s: the worker running it stopped or paused"
        self._many(
            "UPDATE trials SET state='failed', fail_reason=?, finished_at=?, seq=? "
            "WHERE study_id=? AND number=?",
            [(reason, now, seq, self.sid, n) for n in numbers],
        )
        _, rows = self.changes(seq - 1)
        return [r for r in rows if r.number in numbers]

    # ------------------------------------------------------------------ queue
    def enqueue(self, params: Mapping[str, Any], attrs: Mapping[str, Any]) -> None:
        self._ex(
            "INSERT INTO queue (study_id, params, attrs) VALUES (?, ?, ?)",
            (self.sid, json.dumps(self.codec.to_portable(params)), _json_attrs(attrs)),
        )

    def pop_queue(self, n: int) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        rows = self._ex(
            "SELECT id, params, attrs FROM queue WHERE study_id=? ORDER BY id LIMIT ?",
            (self.sid, n),
        ).fetchall()
        if rows:
            self._many("DELETE FROM queue WHERE id=?", [(r[0],) for r in rows])
        return [(self.codec.from_portable(json.loads(r[1])), json.loads(r[2])) for r in rows]

    def queued(self) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        """The queue as it is, oldest first (nothing taken off it)."""
        rows = self._ex(
            "SELECT params, attrs FROM queue WHERE study_id=? ORDER BY id", (self.sid,)
        ).fetchall()
        return [(self.codec.from_portable(json.loads(r[0])), json.loads(r[1])) for r in rows]


def _outcome(row: StoredTrial) -> tuple[Any, ...]:
    """state, value, intermediate, user_attrs, fail_reason, finished_at, vals, constraints of
    a trial, as the trials table holds them."""
    return (
        row.state,
        row.value,
        json.dumps(row.intermediate),
        _json_attrs(row.user_attrs),
        row.fail_reason,
        row.finished_at,
        None if row.values is None else json.dumps([float(v) for v in row.values]),
        None if row.constraints is None else json.dumps([float(c) for c in row.constraints]),
    )


def _trial_rows(
    sid: int,
    first: int,
    rows: Sequence[tuple[Mapping[str, Any], np.ndarray, Mapping[str, Any] | None]],
    started_at: float,
    beat: float,
    seq: int,
    to_portable: Any,
) -> list[tuple[Any, ...]]:
    """The values of an insert of pending trials numbered ``first``, ``first + 1``, ...: study
    id, number, x, params, user_attrs, started_at, heartbeat and sequence number."""
    return [
        (
            sid,
            first + i,
            np.ascontiguousarray(x, dtype=np.float64).tobytes(),
            json.dumps(to_portable(p, x)),
            _json_attrs(a or {}),
            started_at,
            beat,
            seq,
        )
        for i, (p, x, a) in enumerate(rows)
    ]


def _json_attrs(attrs: Mapping[str, Any]) -> str:
    try:
        return json.dumps(attrs)
    except TypeError as err:
        raise TypeError(f"user_attrs must hold JSON values to be stored: {err}") from None
