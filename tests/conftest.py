"""Shared set-up: Keras on PyTorch, SIGINT delivered, and storage URLs for the tests of every
store (a SQLite file, and a database of a throw-away PostgreSQL server started once for the
session, ``tests/pg_server.py``).

Without a PostgreSQL server binary the PostgreSQL cases skip, saying why; under CI (the
environment variable ``CI`` set) they fail instead, since ``.ci/run`` installs the server.
"""

from __future__ import annotations

import itertools
import os
import signal
from collections.abc import Iterator

import pytest

from tests.pg_server import PgServer, find_bin

# Keras reads its backend when first imported: the Keras tests run on PyTorch's CPU build
os.environ.setdefault("KERAS_BACKEND", "torch")

# a test run started as a background job of a script (`cmd &`) inherits SIGINT ignored, and so
# would every process it starts: the tests that interrupt a dashboard or an optimize loop with
# SIGINT need it delivered (a handled signal is reset to its default in a started program)
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

_names = itertools.count()


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    bindir = find_bin()
    if bindir is None:
        reason = (
            "no PostgreSQL server binary (initdb, pg_ctl) on PATH or in /usr/lib/postgresql/*/bin"
        )
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; CI must run the PostgreSQL storage tests")
        pytest.skip(f"{reason}: install postgresql to run the PostgreSQL storage tests")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("psycopg is not installed; CI installs hpo_core[postgres]")
        pytest.skip("psycopg is not installed: pip install 'hpo_core[postgres]'")
    server = PgServer(bindir)
    yield server
    server.stop()


@pytest.fixture
def pg_url(pg_server: PgServer) -> str:
    """A fresh database of the session's server."""
    return pg_server.create_db(f"t{os.getpid()}_{next(_names)}")


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request: pytest.FixtureRequest, tmp_path) -> str:
    """A new, empty storage of either kind, as the URL a user would give."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'study.db'}"
    return str(request.getfixturevalue("pg_url"))
