"""One study of a ``PostgresStorage``: ``SQLStudy`` in fewer round trips, and a tell that
needs no transaction of the caller's.

An ask is two round trips: the first begins the transaction, takes the study's lock (bumping its
sequence number) and reads what changed since the worker's last look; the second records the new
trials and commits. An ask of random search is one statement (``ask_alone``): a call of the
server-side function ``ASK_FUNCTION``, which does the same in one transaction and saves
the client the work of three more statements. A tell is one round trip: one statement bumps the
sequence number and writes its outcome, a commit, and a flush that waits for the disk after the
lock is released (``finish_trial`` outside a transaction). Its write is an upsert that also
holds the trial's point, so the tell of a trial whose ask a server crash lost records the trial
anew; and a tell repeated after a lost connection recognises its own outcome instead of refusing
it.

A PostgreSQL text value cannot hold the NUL character (``"\\x00"``), which an exception's message
may (the raw output of a tool): each NUL of a failure reason is stored as the two characters
``\\0`` (``pg_text``); SQLite keeps the reason as it was told. Parameters, attributes and
values are stored as JSON, which escapes it, and a study name cannot hold it."""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from hpo_core.storage.base import STALE_REASON, AskLost, StoredTrial
from hpo_core.storage.pg_connection import ASYNC, FLUSH
from hpo_core.storage.sql_study import CHANGES, SQLStudy, _outcome

if TYPE_CHECKING:
    from hpo_core.storage.postgres import PostgresStorage

__all__ = ["ASK_FUNCTION", "CREATE_ASK_FUNCTION", "PostgresStudy", "pg_text"]

#: a tell: the outcome of a pending trial (or of one failed for a lost heartbeat), or the
#: whole trial where a server crash lost its ask; nothing where the trial is another one. Its
#: first part bumps the study's sequence number (taking its lock); the upsert finds the trial's
#: latest version whatever the statement's snapshot, so one statement does both
_TELL = (
    "WITH b AS (UPDATE studies SET seq = seq + 1 WHERE id=? RETURNING seq) "
    "INSERT INTO trials AS t (study_id, number, x, params, started_at, heartbeat, state, value, "
    "intermediate, user_attrs, fail_reason, finished_at, vals, constraints, seq) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, (SELECT seq FROM b)) "
    "ON CONFLICT (study_id, number) DO UPDATE SET state=excluded.state, value=excluded.value, "
    "intermediate=excluded.intermediate, user_attrs=excluded.user_attrs, "
    "fail_reason=excluded.fail_reason, finished_at=excluded.finished_at, vals=excluded.vals, "
    "constraints=excluded.constraints, seq=excluded.seq "
    "WHERE t.x = excluded.x AND (t.state='pending' "
    "OR (t.state='failed' AND substr(t.fail_reason, 1, ?)=?)) RETURNING seq"
)


#: an ask of a strategy that does not read the history, in one statement and one implicit
#: transaction (``PostgresStudy.ask_alone``): bump the study's sequence number (taking its
#: lock), unless the queue holds parameters record one pending trial at the next free number,
#: and return the new trial's number beside the study's rows changed since ``p_since``
#: (``CHANGES``). Its commit does not wait for the disk. Named with its version: a worker of a
#: later hpo_core adds its own beside it, and the tables are unchanged. Its plans are made for
#: each call's values (the read of changes must use the index on the sequence number)
_ASK_NAME = "hpo_core.ask_alone_v1"
#: its signature, as ``to_regprocedure`` and ``DROP FUNCTION`` name it
ASK_FUNCTION = f"{_ASK_NAME}(bigint,bytea,text,double precision,double precision,bigint)"
CREATE_ASK_FUNCTION = f"""
CREATE OR REPLACE FUNCTION {_ASK_NAME}(p_sid bigint, p_x bytea, p_params text,
    p_started double precision, p_beat double precision, p_since bigint)
RETURNS TABLE (new_number integer, seq bigint, number integer, x bytea, params text,
    state text, value double precision, intermediate text, user_attrs text, fail_reason text,
    started_at double precision, finished_at double precision, vals text, constraints text)
LANGUAGE plpgsql SET plan_cache_mode = force_custom_plan AS $$
DECLARE
    bumped bigint;
    n integer;
BEGIN
    PERFORM set_config('synchronous_commit', 'off', true);
    UPDATE hpo_core.studies s SET seq = s.seq + 1 WHERE s.id = p_sid RETURNING s.seq INTO bumped;
    IF EXISTS (SELECT 1 FROM hpo_core.queue q WHERE q.study_id = p_sid) THEN
        RETURN;
    END IF;
    INSERT INTO hpo_core.trials AS t (study_id, number, x, params, state, user_attrs,
        started_at, heartbeat, seq)
    SELECT p_sid, coalesce(max(o.number), -1) + 1, p_x, p_params, 'pending', '{{}}',
        p_started, p_beat, bumped FROM hpo_core.trials o WHERE o.study_id = p_sid
    RETURNING t.number INTO n;
    RETURN QUERY SELECT n, s.seq, t.number, t.x, t.params, t.state, t.value, t.intermediate,
        t.user_attrs, t.fail_reason, t.started_at, t.finished_at, t.vals, t.constraints
        FROM hpo_core.studies s LEFT JOIN hpo_core.trials t ON t.study_id = s.id
        AND t.seq > p_since WHERE s.id = p_sid ORDER BY t.number;
END $$"""
_ASK = f"SELECT * FROM {_ASK_NAME}(?, ?, ?, ?, ?, ?)"
_MINE = "SELECT number FROM trials WHERE study_id=%s AND started_at=%s AND x=%s"


class PostgresStudy(SQLStudy):
    """One study of a ``PostgresStorage`` (see the module docstring).

    A transaction on the study begins by bumping its sequence number (which takes the lock on
    its row) and learning whether its queue holds anything, in the round trip of its first
    statement: a step's ``_bump`` then costs nothing, and an ask on an empty queue does not
    read it."""

    storage: PostgresStorage
    #: ``finish_trial`` runs on its own, outside a transaction (``Store``)
    lone_steps = True

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self._restarts = self.storage.restarts
        self._later = self.storage.later  # new trials go with the commit's round trip

    def _bump(self) -> int:
        storage = self.storage
        if storage.bumped is None and storage._bump_at is None:
            # outside a study's transaction: none in the books; the storage's own transaction
            # of a copy, which creates the study and writes its trials
            sql = "UPDATE studies SET seq = seq + 1 WHERE id=? RETURNING seq"
            return int(self._ex(sql, (self.sid,)).fetchone()[0])
        return storage.step_seq()

    def now(self) -> float:
        """The server's clock (as this machine's clock plus the offset measured when it
        connected): workers on machines whose clocks disagree still judge heartbeats alike."""
        return time.time() + self.storage.clock_offset

    def _since(self, since: int) -> int:
        if self._restarts != self.storage.restarts:
            # the server started anew: a crash may have lost changes already read, and the
            # numbers after them are given again; read everything once more
            self._restarts, since = self.storage.restarts, 0
        return since

    def changes(self, since: int) -> tuple[int, list[StoredTrial]]:
        with self.storage.lock:  # whether in a transaction is this thread's question
            seq, rows = super().changes(self._since(since))
            if self.storage.bumped is not None:
                seq -= 1  # this transaction's bump is its own until it commits (or rolls back)
            return seq, rows

    def finish_trial(self, row: StoredTrial) -> int:
        """In a transaction, as ``SQLStudy.finish_trial``. Outside one, a step of its own in
        one round trip that returns once the outcome is on disk; ``row`` then carries the
        trial's x, params and started_at, to record the trial anew where a server crash lost
        its ask (``AskLost`` where the trial's number was given to another trial since)."""
        with self.storage.lock:  # whether in a transaction is this thread's question
            return self._finish(_safe(row))

    def _finish(self, row: StoredTrial) -> int:
        if self.storage._in_transaction:
            self.storage.durable = True
            return super().finish_trial(row)
        self.storage.writable()
        x = np.ascontiguousarray(row.x, dtype=np.float64).tobytes()
        values = (
            *(self.sid, self.sid, row.number, x),
            json.dumps(self.codec.to_portable(row.params, row.x)),
            *(row.started_at, self.now(), *_outcome(row)),
            *(len(STALE_REASON), STALE_REASON),
        )
        storage = self.storage

        def tell() -> Any:
            batch = [("BEGIN", ()), ASYNC, (_TELL, values), ("COMMIT", ())]
            return storage.send(batch + FLUSH)[2].fetchone()

        done = storage._with_backoff(tell)
        if done is not None:
            return int(done[0])
        found = self._ex(
            "SELECT x, state, finished_at, seq FROM trials WHERE study_id=? AND number=?",
            (self.sid, row.number),
        ).fetchone()
        if found is not None and bytes(found[0]) != x:
            raise AskLost(
                f"trial {row.number} of {storage.name!r} was lost with its ask in a crash of the "
                "server, and its number was given to another trial since"
            )
        if found is not None and (found[1], found[2]) == (row.state, row.finished_at):
            return int(found[3])  # told already, by this very call before a lost connection
        raise ValueError(f"trial {row.number} is no longer pending in {storage.name!r}")

    def ask_alone(
        self, params: Mapping[str, Any], x: np.ndarray, started_at: float, since: int
    ) -> tuple[int, list[StoredTrial], int] | None:
        """One round trip, the study's lock held only on the server. Sent again after a lost
        connection, it first looks for its own trial (by point and start time)."""
        storage, sid = self.storage, self.sid
        storage.writable()
        xb = np.ascontiguousarray(x, dtype=np.float64).tobytes()
        portable = json.dumps(self.codec.to_portable(params, x))
        tries = 0

        def ask() -> list[Any]:
            nonlocal tries
            tries += 1
            conn = storage._conn
            if tries > 1 and (found := conn.execute(_MINE, (sid, started_at, xb)).fetchone()):
                changed = conn.execute(CHANGES.replace("?", "%s"), (since, sid)).fetchall()
                return [(found[0], *r) for r in changed]
            # one statement, one implicit transaction: the function takes the lock first, and
            # each of its later statements reads with a snapshot taken after it
            values = (sid, xb, portable, started_at, self.now(), since)
            return list(storage.send([(_ASK, values)])[0].fetchall())

        since = self._since(since)
        rows = storage._with_backoff(ask)
        if not rows:  # the queue holds parameters
            return None
        decode = self._decode
        return int(rows[0][1]), [decode(r[2:]) for r in rows if r[2] is not None], rows[0][0]

    def copy_in(self, rows: Sequence[StoredTrial], workers: int) -> int:
        self.storage.durable = True
        return super().copy_in([_safe(r) for r in rows], workers)

    def report(self, number: int, intermediate: Mapping[int, float]) -> None:
        with self.transaction():
            self.storage.durable = True
            self._ex(
                "UPDATE trials SET intermediate=?, heartbeat=?, seq=? "
                "WHERE study_id=? AND number=? AND state='pending'",
                (json.dumps(dict(intermediate)), self.now(), self._bump(), self.sid, number),
            )

    def pop_queue(self, n: int) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        if not self.storage.queued_any:
            return []
        rows = self._ex(
            "DELETE FROM queue WHERE id IN (SELECT id FROM queue WHERE study_id=? ORDER BY id "
            "LIMIT ?) RETURNING id, params, attrs",
            (self.sid, n),
        ).fetchall()
        rows.sort(key=lambda r: r[0])
        return [(self.codec.from_portable(json.loads(r[1])), json.loads(r[2])) for r in rows]

    def enqueue(self, params: Mapping[str, Any], attrs: Mapping[str, Any]) -> None:
        self.storage.durable = True
        super().enqueue(params, attrs)
        self.storage.queued_any = True

    def heartbeat(self, numbers: Sequence[int]) -> None:
        """One statement, outside the study's lock: a beat never waits for other workers'
        asks (nor, on a busy server, outlives the timeout in their queue)."""
        if numbers:
            self._ex(
                "UPDATE trials SET heartbeat=? WHERE study_id=? AND number = ANY(?) "
                "AND state='pending'",
                (self.now(), self.sid, list(numbers)),
            )


def pg_text(text: str) -> str:
    """``text`` as a PostgreSQL text value can hold it: each NUL character (which it cannot
    hold) replaced by the two characters ``\\0``."""
    return text.replace("\x00", "\\0")


def _safe(row: StoredTrial) -> StoredTrial:
    """``row`` with a failure reason PostgreSQL can store (``pg_text``)."""
    if row.fail_reason is None or "\x00" not in row.fail_reason:
        return row
    return dataclasses.replace(row, fail_reason=pg_text(row.fail_reason))
