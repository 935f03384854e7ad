"""SQLite storage: one file, many processes, every ask and tell a transaction.

The database runs in WAL mode with a busy timeout; writers take the write lock at the start of
their transaction (``BEGIN IMMEDIATE``), so an ask sees every trial other workers have asked,
proposes, and records its own trials before anyone else can ask. Each change to a study bumps
the study's sequence number, so a worker catches up by reading only the rows changed since its
last look.

One ``SQLiteStorage`` holds one connection: threads that share it (optimizers given the same
open storage) take turns, each transaction and each statement outside one holding the
storage's lock.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from hpo_core.storage.base import StorageError
from hpo_core.storage.sql_studies import SQLStudies
from hpo_core.storage.sql_study import ADDED_COLUMNS, SQLStudy, changes_sql

__all__ = ["SQLiteStorage", "SQLiteStudy", "parse_url", "scheme_error"]

SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS hpo_core_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS studies (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    space TEXT NOT NULL,
    direction TEXT NOT NULL,
    created_at REAL NOT NULL,
    seq INTEGER NOT NULL DEFAULT 0,
    workers INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS trials (
    study_id INTEGER NOT NULL REFERENCES studies(id),
    number INTEGER NOT NULL,
    x BLOB NOT NULL,
    params TEXT NOT NULL,
    state TEXT NOT NULL,
    value REAL,
    intermediate TEXT NOT NULL DEFAULT '{}',
    user_attrs TEXT NOT NULL DEFAULT '{}',
    fail_reason TEXT,
    started_at REAL,
    finished_at REAL,
    heartbeat REAL,
    seq INTEGER NOT NULL,
    vals TEXT,
    constraints TEXT,
    PRIMARY KEY (study_id, number)
);
CREATE INDEX IF NOT EXISTS trials_seq ON trials (study_id, seq);
CREATE TABLE IF NOT EXISTS queue (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    study_id INTEGER NOT NULL REFERENCES studies(id),
    params TEXT NOT NULL,
    attrs TEXT NOT NULL DEFAULT '{}'
);
"""


def parse_url(url: str | os.PathLike[str]) -> str:
    """The file path of ``sqlite:///relative.db``, ``sqlite:////absolute.db`` or a plain path;
    ValueError naming the supported storages for a URL of another scheme."""
    text = os.fspath(url)
    if text.startswith("sqlite:///"):
        return text[len("sqlite:///") :]
    why = scheme_error(text)
    if why is not None:
        raise ValueError(
            f"storage {text!r} {why}; storage must be None, 'memory', "
            "'sqlite:///path/to/file.db', a file path or "
            "'postgresql://user:password@host:5432/database' (or postgres://)"
        )
    return text


def scheme_error(text: str) -> str | None:
    """What is wrong with a storage URL that neither SQLite nor PostgreSQL storage reads (a
    scheme other than ``sqlite:///`` and ``postgresql://``), None for those and plain paths."""
    if "://" not in text or text.startswith(("sqlite:///", "postgresql://", "postgres://")):
        return None
    scheme = text.partition("://")[0]
    if scheme == "sqlite":
        return "is no SQLite URL: give three slashes (sqlite:///relative.db) or four (absolute)"
    return f"has an unknown scheme {scheme + '://'!r}"


class SQLiteStudy(SQLStudy):
    """One study of a ``SQLiteStorage`` (``SQLStudy``'s SQL runs as it is in SQLite)."""


class SQLiteStorage(SQLStudies):
    """A study store in one SQLite file (created when missing, unless read-only).

    Parameters
    ----------
    path : str or PathLike
        The database file, or a ``sqlite:///`` URL.
    timeout : float, default 30
        Seconds to wait for another process's write lock before ``StorageError``.
    read_only : bool, default False
        Open an existing file for reading only: nothing is ever written to it (it may be a
        read-only file), studies are opened without registering a worker, and every write
        raises ``StorageError``.
    """

    study_class = SQLiteStudy

    def __init__(
        self, path: str | os.PathLike[str], timeout: float = 30.0, read_only: bool = False
    ) -> None:
        if not (isinstance(timeout, (int, float)) and timeout > 0):
            raise ValueError(f"timeout must be a number of seconds > 0, got {timeout!r}")
        if not isinstance(read_only, bool):
            raise ValueError(f"read_only must be True or False, got {read_only!r}")
        self.path = parse_url(path)
        self.name = self.path
        self.timeout = float(timeout)
        self.read_only = read_only
        #: held by a transaction, and by a statement outside one: threads take turns
        self.lock = threading.RLock()
        try:
            if read_only:
                if not os.path.exists(self.path):
                    raise StorageError(f"no such storage file: {self.path!r}")
                self._db = self._connect_read_only()
            else:
                self._db = sqlite3.connect(
                    self.path, timeout=self.timeout, isolation_level=None, check_same_thread=False
                )
            self._check_or_create()
        except sqlite3.DatabaseError as err:
            text = str(err)
            if (
                not read_only
                and os.path.exists(self.path)
                and ("readonly" in text or "unable to open" in text)
            ):
                raise StorageError(
                    f"{self.path!r} cannot be written ({text}: a read-only file, folder or file "
                    "system); open it with read_only=True to look at the study"
                ) from None
            raise StorageError(f"{self.path!r} is not a usable SQLite database: {err}") from None

    def _connect_read_only(self) -> sqlite3.Connection:
        """A connection that cannot write, also to a file on read-only media.

        A WAL database is read through its ``-shm`` index, which a reader must create when no
        writer has it open. Where it cannot (a read-only file system or folder), SQLite gives
        "unable to open database file"; no writer can have the study open then (a writer keeps
        the index), so the file is opened as immutable, which needs no index.
        """
        base = "file:" + urllib.parse.quote(os.path.abspath(self.path)) + "?mode=ro"
        for uri in (base, base + "&immutable=1"):
            db = sqlite3.connect(
                uri, uri=True, timeout=self.timeout, isolation_level=None, check_same_thread=False
            )
            try:
                db.execute("SELECT count(*) FROM sqlite_master").fetchone()
                return db
            except sqlite3.OperationalError as err:
                db.close()
                if "unable to open" not in str(err) or os.path.exists(self.path + "-shm"):
                    raise
        raise AssertionError("unreachable")  # the immutable connection needs no index

    def __getstate__(self) -> dict[str, Any]:
        return {"path": self.path, "timeout": self.timeout, "read_only": self.read_only}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(  # type: ignore[misc]
            state["path"], state["timeout"], state.get("read_only", False)
        )

    def close(self) -> None:
        with self.lock:
            self._db.close()

    def _check_or_create(self) -> None:
        tables = {
            r[0] for r in self._db.execute("SELECT name FROM sqlite_master WHERE type='table'")
        }
        if tables and "hpo_core_meta" not in tables:
            self._db.close()
            raise StorageError(
                f"{self.path!r} is a SQLite database of something else "
                f"(tables: {sorted(tables)}); give hpo_core a file of its own"
            )
        if self.read_only:
            if not tables:
                raise StorageError(f"{self.path!r} holds no hpo_core studies (an empty file)")
            self._check_version()
            # an older file is read as it is: its missing columns read as NULL
            self.changes_sql = changes_sql(self._trial_columns())
            return
        # only now, knowing the file is ours (or new), may anything be written to it; several
        # processes may create the file at once: each step waits out the others' locks
        self._retrying(lambda: self._db.execute("PRAGMA journal_mode=WAL"))
        self._db.execute("PRAGMA synchronous=NORMAL")
        with self.transaction():  # BEGIN IMMEDIATE: one creator at a time
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    self._db.execute(statement)  # IF NOT EXISTS: a second creator adds nothing
            self._add_columns()
            self._db.execute(
                "INSERT OR IGNORE INTO hpo_core_meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),)
            )
            self._check_version()

    def _check_version(self) -> None:
        row = self._db.execute("SELECT value FROM hpo_core_meta WHERE key='schema'").fetchone()
        if row is None or int(row[0]) != SCHEMA_VERSION:
            raise StorageError(
                f"{self.path!r} has schema version {None if row is None else row[0]}; "
                f"this hpo_core reads {SCHEMA_VERSION}"
            )

    def _retrying(self, step: Callable[[], object]) -> None:
        """Run a step that SQLite does not retry by itself while another connection holds a
        lock (changing the journal mode), until the storage timeout."""
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                step()
                return
            except sqlite3.OperationalError as err:
                locked = "locked" in str(err) or "busy" in str(err)
                if not locked or time.monotonic() > deadline:
                    raise
                time.sleep(0.02)

    def _add_columns(self) -> None:
        """Columns added since the first files (several objectives, constraints): added to an
        older file when it is opened for writing, so old readers ignore them (a file opened
        read-only stays as it is, and reads them as NULL)."""
        cols = self._trial_columns()
        for name in ADDED_COLUMNS:
            if name not in cols:
                try:
                    self._db.execute(f"ALTER TABLE trials ADD COLUMN {name} TEXT")
                except sqlite3.OperationalError as err:  # another process added it first
                    if "duplicate column" not in str(err):
                        raise

    def _trial_columns(self) -> set[str]:
        return {r[1] for r in self._db.execute("PRAGMA table_info(trials)")}

    @contextlib.contextmanager
    def transaction(self, study: int | None = None) -> Iterator[sqlite3.Connection]:
        """A write transaction holding the database's write lock (so every study's lock too)
        and the storage's lock (another thread's steps wait); rolled back on any error."""
        if self.read_only:
            raise StorageError(
                f"{self.path!r} was opened read-only: nothing can be asked, told or enqueued"
            )
        with self.lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as err:
                if "locked" in str(err) or "busy" in str(err):
                    raise StorageError(
                        f"{self.path!r} stayed locked by another process for more than "
                        f"{self.timeout:g} s (the storage timeout)"
                    ) from None
                raise StorageError(f"{self.path!r}: {err}") from None
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            else:
                self._db.execute("COMMIT")

    # ------------------------------------------------------------------ SQLDatabase
    def execute(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor | _Read:
        """Run a statement; outside a transaction its rows are read at once, under the
        storage's lock (a cursor read later could step inside another thread's transaction)."""
        with self.lock:
            cur = self._db.execute(sql, params)
            # in a transaction, it is this thread's: the others wait for the lock
            return cur if self._db.in_transaction else _Read(cur)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        with self.lock:
            self._db.executemany(sql, rows)

    def reopen(self) -> SQLiteStorage:
        """Another connection to the file (for another thread)."""
        return SQLiteStorage(self.path, self.timeout, self.read_only)


class _Read:
    """The answer of a statement run outside a transaction, read in full."""

    def __init__(self, cur: sqlite3.Cursor) -> None:
        self.rowcount = cur.rowcount
        self._rows = cur.fetchall()

    def fetchone(self) -> Any:
        return self._rows.pop(0) if self._rows else None

    def fetchall(self) -> list[Any]:
        rows, self._rows = self._rows, []
        return rows

    def __iter__(self) -> Iterator[Any]:
        return iter(self.fetchall())
