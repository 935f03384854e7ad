"""PostgreSQL storage: workers on many machines share a study through one database server.

The semantics are SQLite's, point for point: every ask and tell is a transaction, and each
transaction first locks its study's row (``SELECT ... FOR UPDATE``), so an ask sees every
trial other workers have asked, proposes, and records its own before anyone else can ask that
study (other studies of the database go on undisturbed). The tables live in a schema of their
own, ``hpo_core``, created on first use with a version row that later versions check.

A lost connection (a network cut, a server restart) is retried with backoff until the storage
timeout whenever that is safe: before a transaction begins, and for a read outside one. A
connection lost inside a transaction raises ``ConnectionLost``: the server rolled the step back
and nothing of it was recorded, so the optimizer runs the step once more on a new connection.
Needs psycopg 3 (``pip install hpo_core[postgres]``).
"""

from __future__ import annotations

import contextlib
import json
import random
import time
import urllib.parse
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

from hpo_core.storage.base import ConnectionLost, StorageError, StoredTrial
from hpo_core.storage.sql_study import SQLStudies, SQLStudy

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
#: what a server says when it refuses a connection for a while
_TRANSIENT = ("the database system is", "too many clients", "remaining connection slots")
T = TypeVar("T")


def is_postgres_url(storage: object) -> bool:
    return isinstance(storage, str) and storage.startswith(("postgresql://", "postgres://"))


def _redact(url: str) -> str:
    """The URL without its password, for messages."""
    parts = urllib.parse.urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


class PostgresStudy(SQLStudy):
    """One study of a ``PostgresStorage``: ``SQLStudy`` with fewer round trips to the server.

    A transaction on the study begins by bumping its sequence number (which takes the lock on
    its row) and learning whether its queue holds anything, in one statement: a step's
    ``_bump`` then costs nothing, and an ask on an empty queue does not read it."""

    storage: PostgresStorage

    def _bump(self) -> int:
        seq = self.storage.bumped
        if seq is None:  # not in a transaction of this study (does not happen in the books)
            sql = "UPDATE studies SET seq = seq + 1 WHERE id=? RETURNING seq"
            return int(self._ex(sql, (self.sid,)).fetchone()[0])
        return seq

    def now(self) -> float:
        """The server's clock (as this machine's clock plus the offset measured when it
        connected): workers on machines whose clocks disagree still judge heartbeats alike."""
        return time.time() + self.storage.clock_offset

    def changes(self, since: int) -> tuple[int, list[StoredTrial]]:
        seq, rows = super().changes(since)
        if self.storage.bumped is not None:
            seq -= 1  # this transaction's bump is its own until it commits (or rolls back)
        return seq, rows

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


class PostgresStorage(SQLStudies):
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
        self._pg = psycopg
        self.url = url
        self.name = _redact(url)
        self.timeout = float(timeout)
        self.read_only = read_only
        self._sql: dict[str, str] = {}
        self._in_transaction = False
        #: in a study's transaction: its bumped sequence number, and whether its queue holds
        #: anything (``PostgresStudy``)
        self.bumped: int | None = None
        self.queued_any = True
        #: the server's clock less this machine's (heartbeats are judged on the server's)
        self.clock_offset = 0.0
        self._conn: Any = None
        self._conn = self._with_backoff(self._connect)
        self._check_or_create()

    def __getstate__(self) -> dict[str, Any]:
        return {"url": self.url, "timeout": self.timeout, "read_only": self.read_only}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["url"], state["timeout"], state["read_only"])  # type: ignore[misc]

    def reopen(self) -> PostgresStorage:
        """Another connection to the database (for another thread)."""
        return PostgresStorage(self.url, self.timeout, self.read_only)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()

    # ------------------------------------------------------------------ connections
    def _connect(self) -> Any:
        options = f"-c search_path=hpo_core -c lock_timeout={int(self.timeout * 1000)}"
        if self.read_only:
            options += " -c default_transaction_read_only=on"
        conn: Any = self._pg.connect(
            self.url,
            autocommit=True,
            connect_timeout=max(1, int(min(self.timeout, 10))),
            options=options,
            application_name="hpo_core",
        )
        before = time.time()
        server = conn.execute("SELECT extract(epoch FROM clock_timestamp())").fetchone()[0]
        self.clock_offset = float(server) - (before + time.time()) / 2
        return conn

    def _with_backoff(self, step: Callable[[], T]) -> T:
        """Run ``step``, reconnecting with exponential backoff (0.05 s doubling to 2 s, with
        jitter) while the server cannot be reached, until the storage timeout."""
        deadline = time.monotonic() + self.timeout
        delay = 0.05
        while True:
            try:
                if self._conn is not None and self._conn.closed:
                    self._conn = self._connect()
                return step()
            except self._pg.OperationalError as err:
                refused = self._refused(err)
                if refused is not None:
                    raise refused from None
                if time.monotonic() + delay > deadline:
                    raise StorageError(
                        f"cannot reach the PostgreSQL server of {self.name} for "
                        f"{self.timeout:g} s (the storage timeout): {err}".strip()
                    ) from None
                if self._conn is not None:
                    self._conn.close()
                time.sleep(delay * (0.5 + random.random()))
                delay = min(2.0, delay * 2)

    def _unreachable(self, err: BaseException) -> bool:
        """Whether an error means the server is out of reach (a connection refused or lost, a
        server starting or shutting down) rather than a refused login or query."""
        conn = self._conn
        if conn is not None and not conn.closed and not conn.broken:
            return False
        state = getattr(err, "sqlstate", None)
        if state is not None:
            return bool(state.startswith(("08", "57P")))
        # a failed connection attempt: the server refused the login (FATAL) unless it was
        # starting, stopping or full
        text = str(err)
        if "resolve host" in text:  # a misspelt host name, most likely
            return False
        return "FATAL" not in text or any(w in text for w in _TRANSIENT)

    def _refused(self, err: BaseException) -> StorageError | None:
        """The error to raise for a refused statement or login; None when the server is only
        out of reach (so reconnecting may help)."""
        if isinstance(err, self._pg.errors.LockNotAvailable):
            return StorageError(
                f"a study of {self.name} stayed locked by another worker for more than "
                f"{self.timeout:g} s (the storage timeout)"
            )
        if not self._unreachable(err):
            return StorageError(f"{self.name}: {err}".strip())
        return None

    def _check_or_create(self) -> None:
        if self.read_only:
            found = self.execute(
                "SELECT count(*) FROM information_schema.tables "
                "WHERE table_schema='hpo_core' AND table_name='meta'"
            ).fetchone()[0]
            if not found:
                raise StorageError(f"{self.name} holds no hpo_core studies (no hpo_core schema)")
            self._check_version()
        else:
            with self.transaction(create=True):
                self._check_version()

    def _check_version(self) -> None:
        try:
            row = self.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
        except self._pg.errors.UndefinedTable:
            row = None
        if row is None or row[0] != str(SCHEMA_VERSION):
            raise StorageError(
                f"{self.name} has hpo_core schema version {None if row is None else row[0]}; "
                f"this hpo_core reads {SCHEMA_VERSION}"
            )

    # ------------------------------------------------------------------ SQLDatabase
    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """Run ``?``-placeholder SQL; a read outside a transaction survives a lost connection."""
        text = self._sql.get(sql)
        if text is None:
            text = self._sql[sql] = sql.replace("?", "%s")
        if self._in_transaction:
            return self._guard(lambda: self._conn.execute(text, params))
        return self._with_backoff(lambda: self._conn.execute(text, params))

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if len(rows) == 1:  # the common case, without a pipeline's extra round trip
            self.execute(sql, rows[0])
            return
        text = sql.replace("?", "%s")
        self._guard(lambda: self._conn.cursor().executemany(text, rows))

    def _guard(self, step: Callable[[], T]) -> T:
        """A statement inside a transaction: a lost connection is ``ConnectionLost``, another
        database error a ``StorageError``."""
        try:
            return step()
        except self._pg.OperationalError as err:
            refused = self._refused(err)
            if refused is not None:
                raise refused from None
            raise ConnectionLost(
                f"the connection to {self.name} was lost in the middle of a step ({err}); the "
                "server rolled the step back, nothing of it was recorded, and everything told "
                "before it is kept"
            ) from None

    @contextlib.contextmanager
    def transaction(self, study: int | None = None, create: bool = False) -> Iterator[Any]:
        """A write transaction holding study ``study``'s lock (a lock on its row), or the
        creation lock with ``create``; rolled back on any error."""
        if self.read_only:
            raise StorageError(
                f"{self.name} was opened read-only: nothing can be asked, told or enqueued"
            )
        if self._in_transaction:
            raise RuntimeError("a PostgresStorage transaction is already open on this connection")

        if create:  # the first workers create the schema one at a time
            lock = f"SELECT pg_advisory_xact_lock({_CREATE_LOCK}); {_SCHEMA}; {_VERSION_ROW}"
        elif study is not None:  # one round trip: begin, wait for the study's row, bump it
            sid = int(study)
            lock = (
                f"UPDATE studies SET seq = seq + 1 WHERE id={sid} "
                f"RETURNING seq, EXISTS (SELECT 1 FROM queue WHERE study_id={sid})"
            )
        else:  # opening a study: one at a time, so that two never create one name
            lock = f"SELECT pg_advisory_xact_lock({_CREATE_LOCK + 1})"

        def begin() -> None:
            try:
                cur = self._conn.execute(f"BEGIN; {lock}")
                if study is not None and not create:
                    cur.nextset()
                    self.bumped, self.queued_any = cur.fetchone()
            except BaseException:
                _rollback(self._conn)
                raise

        # nothing is done yet: a lost connection is safely retried on a new one
        self._with_backoff(begin)
        self._in_transaction = True
        try:
            yield self._conn
        except BaseException:
            self._end()
            _rollback(self._conn)
            raise
        self._end()
        try:
            self._conn.execute("COMMIT")
        except self._pg.OperationalError as err:
            raise StorageError(
                f"the connection to {self.name} was lost while a step was being committed "
                f"({err}); whether the server recorded it is unknown"
            ) from None

    def _end(self) -> None:
        self._in_transaction = False
        self.bumped = None
        self.queued_any = True


def _rollback(conn: Any) -> None:
    if not conn.closed:
        with contextlib.suppress(Exception):
            conn.execute("ROLLBACK")
