"""The connection of a ``PostgresStorage``: connecting, retrying with backoff, telling a
server out of reach from a refused statement, and sending several statements in one round trip.

A round trip is the cost that counts on a busy machine: each one waits for the server process
to be scheduled, run and answer. ``send`` puts any number of statements in one pipeline
(psycopg 3's pipeline mode), so a step's statements travel together and their answers come
back together; statements that recur are prepared on the server after their first uses
(psycopg's ``prepare_threshold``), but for those whose plan depends on their values.

Threads that share one storage (optimizers given the same open storage) take turns on its
connection: a transaction, and each round trip outside one, holds the storage's ``lock``.
"""

from __future__ import annotations

import random
import re
import threading
import time
import urllib.parse
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from hpo_core.storage.base import ConnectionLost, StorageError

__all__ = ["ASYNC", "FLUSH", "PgConnection", "Rows", "Statement", "redact"]

#: what a server says when it refuses a connection for a while
_TRANSIENT = ("the database system is", "too many clients", "remaining connection slots")
#: what libpq says, before any attempt to connect, of a parameter of the URL it cannot take
#: (``invalid sslmode value: "requir"``, ``invalid integer value "x" for connection option
#: "port"``, ``could not parse network address``): no reconnecting can help
_INVALID = re.compile(r"invalid .*value|invalid connection option|could not parse network address")
T = TypeVar("T")
#: a statement with ``?`` placeholders and its parameters
Statement = tuple[str, Sequence[Any]]


#: a step's commit does not wait for the disk (``FLUSH`` waits, after the study's lock is gone);
#: for the rest of its transaction, whether begun by BEGIN or the implicit one of a pipeline
#: without BEGIN (statements up to the pipeline's end, committed there), where SET LOCAL would
#: not apply
ASYNC: Statement = ("SELECT set_config('synchronous_commit', 'off', true)", ())
#: a statement that writes a message of a few bytes to the server's log and nothing else, sent
#: last in a pipeline after an explicit COMMIT: the pipeline's end commits it durably (the
#: session's synchronous_commit), so the server flushes its log up to it, and every commit
#: before it on this connection is on disk when the round trip returns (a transaction that
#: writes nothing to the log would not be flushed); it locks nothing
FLUSH: list[Statement] = [("SELECT pg_logical_emit_message(true, 'hpo_core', 'flush')", ())]


class Rows(list[Sequence[Any]]):
    """The parameters of a statement run once a row (``PgConnection.send``)."""


def redact(url: str) -> str:
    """The URL without its password, for messages."""
    parts = urllib.parse.urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


class PgConnection:
    """One connection to a PostgreSQL server, reconnected while the server is out of reach.

    Attributes
    ----------
    clock_offset : float
        The server's clock less this machine's, measured when it connected.
    restarts : int
        How many times the server was found started anew on reconnecting (a crash may have
        lost the commits it had not yet flushed to disk).
    """

    url: str
    name: str
    timeout: float
    read_only: bool

    def _init_connection(self, psycopg: Any) -> None:
        #: held by a transaction and by each round trip: threads take turns on the connection
        self.lock = threading.RLock()
        self._pg = psycopg
        self._sql: dict[str, tuple[str, bool | None]] = {}
        self.clock_offset = 0.0
        self.restarts = 0
        self._started: Any = None
        self._conn: Any = None
        self._conn = self._with_backoff(self._connect)

    def close(self) -> None:
        with self.lock:
            if self._conn is not None:
                self._conn.close()

    def __del__(self) -> None:  # a storage dropped without close: no connection left open
        conn = getattr(self, "_conn", None)
        if conn is not None and not conn.closed:
            try:
                conn.close()
            except Exception:  # noqa: S110 - the interpreter may be shutting down
                pass

    def _connect(self) -> Any:
        options = f"-c search_path=hpo_core -c lock_timeout={int(self.timeout * 1000)}"
        if self.read_only:
            options += " -c default_transaction_read_only=on"
        try:
            conn: Any = self._pg.connect(
                self.url,
                autocommit=True,
                connect_timeout=max(1, int(min(self.timeout, 10))),
                options=options,
                application_name="hpo_core",
            )
        except self._pg.ProgrammingError as err:  # a URL that libpq cannot parse
            raise StorageError(f"{self.name}: {str(err).strip()}") from None
        before = time.time()
        server, started = conn.execute(
            "SELECT extract(epoch FROM clock_timestamp()), pg_postmaster_start_time()"
        ).fetchone()
        self.clock_offset = float(server) - (before + time.time()) / 2
        if self._started is not None and started != self._started:
            self.restarts += 1
        self._started = started
        return conn

    def _with_backoff(self, step: Callable[[], T]) -> T:
        """Run ``step``, reconnecting with exponential backoff (0.05 s doubling to 2 s, with
        jitter) while the server cannot be reached, until the storage timeout; a refused
        statement is a ``StorageError``."""
        with self.lock:
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
                except self._pg.DatabaseError as err:
                    raise self.refused_statement(err) from err

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
        if "resolve host" in text or _INVALID.search(text):  # a misspelt host name or parameter
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
        except self._pg.DatabaseError as err:
            raise self.refused_statement(err) from err

    def refused_statement(self, err: BaseException) -> StorageError:
        """The error to raise for a statement the server refused for its data or its text
        (not for a lost connection): the step it belongs to was rolled back."""
        return StorageError(
            f"{self.name} refused a statement ({type(err).__name__}: {str(err).strip()}); "
            "the step was rolled back"
        )

    def send(self, statements: Sequence[Statement]) -> list[Any]:
        """Run statements in order, in one round trip; their cursors (on the first error the
        rest are skipped and the error raised). A statement whose parameters are ``Rows`` runs
        once a row."""
        with self.lock:
            conn = self._conn
            if len(statements) == 1 and type(statements[0][1]) is not Rows:
                text, prepare = self._text(statements[0][0])
                return [conn.execute(text, statements[0][1], prepare=prepare)]
            cursors = []
            with conn.pipeline():
                for sql, params in statements:
                    text, prepare = self._text(sql)
                    cur = conn.cursor()
                    if type(params) is Rows:
                        cur.executemany(text, params)
                    else:
                        cur.execute(text, params, prepare=prepare)
                    cursors.append(cur)
            return cursors

    def _text(self, sql: str) -> tuple[str, bool | None]:
        """The psycopg text of ``?``-placeholder SQL, and whether to prepare it: a statement
        whose plan depends on its values (changed since a number, heartbeats older than a
        time) is planned anew each time, so that it uses the indexes (a generic plan would
        scan the whole study each step)."""
        known = self._sql.get(sql)
        if known is None:
            custom = "seq>" in sql or "heartbeat<" in sql
            known = self._sql[sql] = (sql.replace("?", "%s"), False if custom else None)
        return known
