"""PostgreSQL storage: workers on many machines share a study through one database server.

The semantics are SQLite's, point for point: every ask and tell is a transaction, and a step
that must see every other worker's trials first locks its study's row (an update of its
sequence number), so an ask sees every trial other workers have asked, proposes, and records
its own before anyone else can ask that study (other studies of the database go on
undisturbed). The tables live in a schema of their own, ``hpo_core``, created on first use with
a version row that later versions check, beside one function (``pg_study.ASK_FUNCTION``: random
search's ask in one statement), which a worker adds to a database that an earlier hpo_core created.

What is durable when: a step that records something told (a tell, an enqueue, intermediate
values) returns only once the server has flushed it to disk, as PostgreSQL's own commits do; but
the study's lock is released before that flush (the commit itself is asynchronous and a second
transaction, writing only a message to the log, waits for the flush), so workers wait for each
other's disk only where they must. An ask's commit is not waited for: a server crash (not a
clean restart) may lose the last asks, which held nothing told; the tell of such a trial records
it anew from what its worker holds (``pg_study.py``), and the first tell or flush after the ask
makes it durable too.

A lost connection (a network cut, a server restart) is retried with backoff until the storage
timeout whenever that is safe: before a transaction begins, for a read outside one, and for a
tell (which recognises its own outcome when it was recorded before the connection went). A
connection lost inside a transaction raises ``ConnectionLost``: the server rolled the step back
and nothing of it was recorded, so the optimizer runs the step once more on a new connection.
Needs psycopg 3 (``pip install hpo_core[postgres]``). Connections and round trips:
``pg_connection.py``; one study's steps: ``pg_study.py``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any

from hpo_core.storage.base import StorageError
from hpo_core.storage.pg_connection import ASYNC, FLUSH, PgConnection, Rows, Statement, redact
from hpo_core.storage.pg_study import ASK_FUNCTION, CREATE_ASK_FUNCTION, PostgresStudy
from hpo_core.storage.sql_studies import SQLStudies

__all__ = ["PostgresStorage", "PostgresStudy", "is_postgres_url"]

SCHEMA_VERSION = 1
#: the advisory lock key under which the first workers create the schema one at a time (and
#: the next one, under which studies are opened one at a time)
_CREATE_LOCK = 0x6870_6F5F_636F_7265 & 0x7FFF_FFFF_FFFF_FFF0
_SCHEMA = """
CREATE SCHEMA IF NOT EXISTS hpo_core;
CREATE TABLE IF NOT EXISTS hpo_core.meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS hpo_core.studies (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    space TEXT NOT NULL,
    direction TEXT NOT NULL,
    created_at DOUBLE PRECISION NOT NULL,
    seq BIGINT NOT NULL DEFAULT 0,
    workers INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS hpo_core.trials (
    study_id BIGINT NOT NULL REFERENCES hpo_core.studies(id),
    number INTEGER NOT NULL,
    x BYTEA NOT NULL,
    params TEXT NOT NULL,
    state TEXT NOT NULL,
    value DOUBLE PRECISION,
    intermediate TEXT NOT NULL DEFAULT '{}',
    user_attrs TEXT NOT NULL DEFAULT '{}',
    fail_reason TEXT,
    started_at DOUBLE PRECISION,
    finished_at DOUBLE PRECISION,
    heartbeat DOUBLE PRECISION,
    seq BIGINT NOT NULL,
    vals TEXT,
    constraints TEXT,
    PRIMARY KEY (study_id, number)
);
CREATE INDEX IF NOT EXISTS trials_seq ON hpo_core.trials (study_id, seq);
CREATE INDEX IF NOT EXISTS trials_pending ON hpo_core.trials (study_id, heartbeat)
    WHERE state = 'pending';
CREATE TABLE IF NOT EXISTS hpo_core.queue (
    id BIGSERIAL PRIMARY KEY,
    study_id BIGINT NOT NULL REFERENCES hpo_core.studies(id),
    params TEXT NOT NULL,
    attrs TEXT NOT NULL DEFAULT '{}'
)
"""
_VERSION_ROW = (
    f"INSERT INTO hpo_core.meta VALUES ('schema', '{SCHEMA_VERSION}') ON CONFLICT DO NOTHING"
)


def is_postgres_url(storage: object) -> bool:
    return isinstance(storage, str) and storage.startswith(("postgresql://", "postgres://"))


class PostgresStorage(PgConnection, SQLStudies):
    """A study store in a PostgreSQL database (its schema created on first use).

    Parameters
    ----------
    url : str
        ``postgresql://user:password@host:5432/database`` (or ``postgres://``); any libpq
        parameter may follow as a query (``?sslmode=require``, ``?host=/a/socket/folder``).
    timeout : float, default 30
        Seconds to wait for a study's lock held by another worker, and to keep reconnecting to
        a server that is unreachable or restarting, before ``StorageError``.
    read_only : bool, default False
        Read only: the session is read-only on the server, nothing is created, studies are
        opened without registering a worker, and every write raises ``StorageError``.
    """

    study_class = PostgresStudy

    def __init__(self, url: str, timeout: float = 30.0, read_only: bool = False) -> None:
        if not is_postgres_url(url):
            raise ValueError(f"url must begin with postgresql:// or postgres://, got {url!r}")
        if not (isinstance(timeout, (int, float)) and timeout > 0):
            raise ValueError(f"timeout must be a number of seconds > 0, got {timeout!r}")
        if not isinstance(read_only, bool):
            raise ValueError(f"read_only must be True or False, got {read_only!r}")
        try:
            import psycopg
        except ImportError:
            raise ImportError(
                "a postgresql:// storage needs psycopg 3: pip install 'hpo_core[postgres]'"
            ) from None
        self.url = url
        self.name = redact(url)
        self.timeout = float(timeout)
        self.read_only = read_only
        self._in_transaction = False
        #: in a study's transaction: the statements not sent yet (they go with the next one),
        #: where its bump is among them, whether anything was sent, and whether the step
        #: records something told (its commit then waits for the disk)
        self._queue: list[Statement] = []
        self._bump_at: int | None = None
        self._begun = False
        self.durable = False
        #: in a study's transaction: its bumped sequence number, and whether its queue holds
        #: anything (``PostgresStudy``)
        self.bumped: int | None = None
        self.queued_any = True
        self._init_connection(psycopg)
        self._check_or_create()

    def __getstate__(self) -> dict[str, Any]:
        return {"url": self.url, "timeout": self.timeout, "read_only": self.read_only}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["url"], state["timeout"], state["read_only"])  # type: ignore[misc]

    def reopen(self) -> PostgresStorage:
        """Another connection to the database (for another thread)."""
        return PostgresStorage(self.url, self.timeout, self.read_only)

    def _check_or_create(self) -> None:
        found, function = self.execute(
            "SELECT count(*), to_regprocedure(?) IS NOT NULL FROM information_schema.tables "
            "WHERE table_schema='hpo_core' AND table_name='meta'",
            (ASK_FUNCTION,),
        ).fetchone()
        if self.read_only or (found and function):  # no DDL on a schema in use
            if not found:
                raise StorageError(f"{self.name} holds no hpo_core studies (no hpo_core schema)")
            self._check_version()
            return
        with self.transaction(create=True):
            if not found:
                schema: list[Statement] = [(s, ()) for s in _SCHEMA.split(";")]
                self._step([*schema, (_VERSION_ROW, ())])
            self._check_version()
            # a database of an earlier hpo_core gains the function (its tables are the same)
            self._step([(CREATE_ASK_FUNCTION, ())])

    def _check_version(self) -> None:
        try:
            row = self.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
        except StorageError as err:
            if not isinstance(err.__cause__, self._pg.errors.UndefinedTable):
                raise
            row = None
        if row is None or row[0] != str(SCHEMA_VERSION):
            raise StorageError(
                f"{self.name} has hpo_core schema version {None if row is None else row[0]}; "
                f"this hpo_core reads {SCHEMA_VERSION}"
            )

    # ------------------------------------------------------------------ SQLDatabase
    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """Run ``?``-placeholder SQL; a read outside a transaction survives a lost connection.
        In a study's transaction, the statements queued before it go in the same round trip."""
        with self.lock:  # another thread's transaction is not this statement's
            if self._in_transaction:
                return self._step([(sql, params)])[0]
            return self._with_backoff(lambda: self.send([(sql, params)])[0])

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        with self.lock:
            if self._in_transaction:
                self._step([(sql, Rows(rows))])
            else:
                self._with_backoff(lambda: self.send([(sql, Rows(rows))]))

    def later(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """Run a write whose answer nobody reads with the transaction's next round trip (at
        the latest its commit); outside a transaction, now."""
        with self.lock:
            if self._in_transaction:
                self._queue.append((sql, Rows(rows)))
            else:
                self.executemany(sql, rows)

    def step_seq(self) -> int:
        """The sequence number this study's transaction bumped to (sending its beginning now
        if it has not gone yet)."""
        if self._bump_at is not None:
            self._step([])
        assert self.bumped is not None, "not in a study's transaction"
        return self.bumped

    def _step(self, statements: list[Statement]) -> list[Any]:
        """Send the queued statements and ``statements`` in one round trip; the cursors of
        ``statements``. The first round trip of a transaction (which begins it) is retried on
        a new connection when the old one is lost: nothing was done yet."""
        queue, self._queue = self._queue, []
        batch = queue + statements
        if self._begun:
            cursors = self._guard(lambda: self.send(batch))
        else:
            self._begun = True
            cursors = self._with_backoff(lambda: self.send(batch))
        if self._bump_at is not None:
            self.bumped, self.queued_any = cursors[self._bump_at].fetchone()
            self._bump_at = None
        return cursors[len(queue) :]

    def writable(self) -> None:
        """StorageError when the storage was opened read-only."""
        if self.read_only:
            raise StorageError(
                f"{self.name} was opened read-only: nothing can be asked, told or enqueued"
            )

    @contextlib.contextmanager
    def transaction(self, study: int | None = None, create: bool = False) -> Iterator[Any]:
        """A write transaction holding study ``study``'s lock (a lock on its row), or the
        creation lock with ``create``, and the storage's lock (another thread's steps on this
        connection wait); rolled back on any error. A study's transaction begins with its
        first statement (in the same round trip) and ends in one more."""
        self.writable()
        with self.lock:
            yield from self._transaction(study, create)

    def _transaction(self, study: int | None, create: bool) -> Iterator[Any]:
        if self._in_transaction:
            raise RuntimeError("a PostgresStorage transaction is already open on this connection")
        if study is not None and not create:
            sid = int(study)
            bump = (
                f"UPDATE studies SET seq = seq + 1 WHERE id={sid} "
                f"RETURNING seq, EXISTS (SELECT 1 FROM queue WHERE study_id={sid})"
            )
            self._queue = [("BEGIN", ()), ASYNC, (bump, ())]
            self._bump_at = 2
        else:  # the first workers create the schema, and open studies, one at a time
            lock = f"SELECT pg_advisory_xact_lock({_CREATE_LOCK + (not create)})"
            self._queue = [("BEGIN", ()), (lock, ())]
            self._step([])
        self._in_transaction = True
        try:
            yield self._conn
        except BaseException:
            begun = self._begun
            self._end()
            if begun:
                _rollback(self._conn)
            raise
        self._commit()

    def _commit(self) -> None:
        queue, durable, begun = self._queue, self.durable, self._begun
        self._end()
        if not begun and len(queue) == 3:  # nothing was done: nothing to commit
            return
        batch = queue + [("COMMIT", ())] + (FLUSH if durable else [])
        try:
            self.send(batch)
        except self._pg.OperationalError as err:
            refused = self._refused(err)
            if refused is not None:
                _rollback(self._conn)
                raise refused from None
            raise StorageError(
                f"the connection to {self.name} was lost while a step was being committed "
                f"({err}); whether the server recorded it is unknown"
            ) from None
        except self._pg.DatabaseError as err:
            _rollback(self._conn)
            raise self.refused_statement(err) from err
        except BaseException:
            _rollback(self._conn)
            raise

    def _end(self) -> None:
        self._in_transaction = False
        self._queue = []
        self._bump_at = None
        self._begun = False
        self.durable = False
        self.bumped = None
        self.queued_any = True


def _rollback(conn: Any) -> None:
    if not conn.closed:
        with contextlib.suppress(Exception):
            conn.execute("ROLLBACK")
