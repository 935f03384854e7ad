"""A throw-away PostgreSQL server for the tests and benchmarks: ``initdb`` in a temporary
folder, ``pg_ctl start`` on a unix socket there (no TCP port), removed at ``stop``.

``initdb`` refuses to run as root: as root the cluster belongs to the ``postgres`` OS user and
every server command runs as that user.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

__all__ = ["PgServer", "find_bin"]


def find_bin() -> Path | None:
    """The folder of ``initdb``, ``pg_ctl`` and ``postgres``: on PATH, else the newest
    ``/usr/lib/postgresql/*/bin``; None when there is no server."""
    initdb = shutil.which("initdb")
    if initdb and shutil.which("pg_ctl"):
        return Path(initdb).parent
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    return Path(found[-1]).parent if found else None


class PgServer:
    """A server of its own: ``url(db)`` is the URL of database ``db`` (``create_db`` first)."""

    def __init__(self, bindir: Path, fsync: bool = False, options: str = "") -> None:
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="hpo-pg-"))
        self.data = self.root / "data"
        self.user = "postgres" if os.geteuid() == 0 else None
        if self.user:
            shutil.chown(self.root, self.user)
        self._run("initdb", "-D", str(self.data), "-U", "hpo", "-A", "trust", "--no-sync")
        opts = f"-k {self.root} -c listen_addresses='' -c max_connections=200"
        if not fsync:  # a test server's data need not survive a power cut
            opts += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        self.opts = f"{opts} {options}"
        self._start()

    def _start(self) -> None:
        log = str(self.root / "log")
        self._run("pg_ctl", "-D", str(self.data), "-l", log, "-o", self.opts, "-w", "start")

    def _run(self, tool: str, *args: str) -> None:
        cmd = [str(self.bindir / tool), *args]
        if self.user:
            cmd = ["runuser", "-u", self.user, "--", *cmd]
        subprocess.run(cmd, check=True, capture_output=True, cwd=self.root)

    def url(self, db: str = "postgres") -> str:
        return f"postgresql://hpo@/{db}?host={self.root}"

    def create_db(self, name: str) -> str:
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def restart(self) -> None:
        log = str(self.root / "log")
        self._run("pg_ctl", "-D", str(self.data), "-l", log, "-m", "fast", "-w", "restart")

    def crash(self) -> None:
        """Stop the server as a crash would (``-m immediate``: no checkpoint, what was not
        written to its log is lost) and start it again (it recovers from its log)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        self._start()

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
