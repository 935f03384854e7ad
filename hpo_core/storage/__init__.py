"""Where trials live: in memory (the default), in SQLite (shared by the processes of one
machine) or in PostgreSQL (shared by workers on many machines).

``Optimizer(space, storage="sqlite:///study.db", study="name")`` keeps every trial in the file,
``storage="postgresql://user:password@host:5432/database"`` in the database, alike:

- every ask and tell is one transaction, so nothing told is ever lost and nothing half-written;
- a new optimizer on the same file and study resumes the whole history (strategies rebuild
  their state from it; a resumed or second optimizer draws random numbers from its own stream,
  derived from the seed and its worker index, so workers do not repeat each other);
- several processes can share a study: an ask holds the write lock while it catches up with
  the other workers, proposes (seeing their pending trials) and records its own;
- with ``heartbeat_timeout=T``, each optimizer signals from a background thread that its
  pending trials are alive; a trial whose process died is marked failed by the next ask after
  T seconds, and its parameters are asked again once (``retry_stale=True``), the new trial
  carrying ``user_attrs["retry_of"]``.

Parameters are stored portably (a categorical as the index of its choice), so any choice
object works; ``user_attrs`` must hold JSON values.

Layout: base.py (the ``Store`` protocol the optimizer's books talk to, ``StoredTrial``), memory.py
(``MemoryStore``), sqlite.py (``SQLiteStorage``, a database file: schema and studies), sql_study.py
(one study of a SQL database: trials and queue, for SQLite and PostgreSQL alike), sql_studies.py
(the studies table of both), postgres.py (``PostgresStorage``: schema, transactions), pg_study.py
(its studies, in fewer round trips) and pg_connection.py (connecting, retrying, round trips).
Nothing here imports the optimizer or the strategies.
"""

from __future__ import annotations

import os

from hpo_core.storage.base import AskLost, ConnectionLost, StorageError, Store, StoredTrial
from hpo_core.storage.memory import MemoryStore
from hpo_core.storage.postgres import PostgresStorage, is_postgres_url
from hpo_core.storage.sqlite import SQLiteStorage, SQLiteStudy, parse_url

#: what a ``storage=`` argument may be: a URL or file path, or an open storage
StorageArg = str | os.PathLike[str] | SQLiteStorage | PostgresStorage

__all__ = [
    "AskLost",
    "ConnectionLost",
    "MemoryStore",
    "PostgresStorage",
    "SQLiteStorage",
    "SQLiteStudy",
    "StorageError",
    "Store",
    "StorageArg",
    "StoredTrial",
    "open_existing",
    "open_storage",
]


def open_storage(storage: StorageArg) -> SQLiteStorage | PostgresStorage:
    """The database a ``storage=`` argument names (a URL, a path, or an open storage)."""
    if isinstance(storage, (SQLiteStorage, PostgresStorage)):
        return storage
    if not isinstance(storage, (str, os.PathLike)):
        raise ValueError(
            "storage must be None, 'memory', 'sqlite:///path/to/file.db', a file path, "
            f"'postgresql://user:password@host:5432/database' or an open storage, got {storage!r}"
        )
    if is_postgres_url(storage):
        return PostgresStorage(str(storage))
    return SQLiteStorage(storage)


def open_existing(storage: StorageArg, read_only: bool = False) -> SQLiteStorage | PostgresStorage:
    """A storage that must exist already (reading a study never creates a file or a schema);
    with ``read_only`` nothing is ever written to it."""
    if isinstance(storage, (SQLiteStorage, PostgresStorage)):
        return storage
    if is_postgres_url(storage):
        return PostgresStorage(str(storage), read_only=True) if read_only else open_storage(storage)
    if not os.path.exists(parse_url(storage)):
        raise ValueError(f"no such storage file: {parse_url(storage)!r}")
    return SQLiteStorage(storage, read_only=read_only)
