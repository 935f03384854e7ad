"""Helpers of the fault-injection suite: worker scripts and read-only media."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def python(folder: Path, source: str, *args: str, **popen: object) -> subprocess.Popen:
    """Start ``source`` as a script in a new Python process that imports this checkout."""
    script = folder / "script.py"
    if not script.exists():
        script.write_text(textwrap.dedent(source))
    return subprocess.Popen(  # type: ignore[call-overload]
        [sys.executable, str(script), *args], cwd=ROOT, env=ENV, **popen
    )


@contextmanager
def read_only(folder: Path) -> Iterator[list[str] | None]:
    """The command prefix that runs a command with ``folder`` read-only, or None if this
    machine cannot: as root (whom file modes do not stop) a private read-only bind mount,
    else the folder and its files made read-only by their modes (restored afterwards)."""
    if os.geteuid() != 0:
        paths = [folder, *folder.iterdir()]
        for p in paths:
            p.chmod(0o555 if p.is_dir() else 0o444)
        try:
            yield []
        finally:
            for p in paths:
                p.chmod(0o755 if p.is_dir() else 0o644)
        return
    unshare = shutil.which("unshare")
    mount = 'mount --bind "$0" "$0" && mount -o remount,ro,bind "$0" "$0" && exec "$@"'
    prefix = [str(unshare), "-m", "sh", "-c", mount, str(folder)]
    probe = f'! touch "{folder}/probe" 2>/dev/null'
    ok = unshare is not None and subprocess.run([*prefix, "sh", "-c", probe]).returncode == 0
    yield prefix if ok else None


def run(argv: Sequence[str], prefix: Sequence[str] = ()) -> subprocess.CompletedProcess[str]:
    """Run a command to its end in this checkout; its output as text."""
    return subprocess.run(
        [*prefix, *argv], capture_output=True, text=True, cwd=ROOT, env=ENV, timeout=120
    )
