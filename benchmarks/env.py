"""The header that goes with every benchmark table: versions, machine, command, date.

``python -m benchmarks.env`` prints it as markdown.
"""

from __future__ import annotations

import datetime
import importlib
import importlib.metadata
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

__all__ = ["environment", "header", "limit_threads"]

_PACKAGES = (
    "hpo_core",
    "numpy",
    "scipy",
    "numba",
    "sklearn",
    "optuna",
    "hyperopt",
    "skopt",
    "cma",
    "cmaes",
    "torch",
    "greenlet",
    "matplotlib",
)


_DISTRIBUTIONS = {"sklearn": "scikit-learn", "skopt": "scikit-optimize"}


def _version(name: str) -> str:
    """The installed version, read from package metadata (no import: torch takes seconds)."""
    if name == "hpo_core":  # run from a source tree, maybe not installed
        try:
            return str(importlib.import_module(name).__version__)
        except Exception:
            return "?"
    try:
        return importlib.metadata.version(_DISTRIBUTIONS.get(name, name))
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_gb() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                return round(int(line.split()[1]) / 1024**2, 1)
    except OSError:
        pass
    return None


def _git_commit() -> str:
    root = Path(__file__).resolve().parent.parent
    try:
        out = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
        )
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=5,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    commit = out.stdout.strip() or "unknown"
    return commit + ("+dirty" if dirty.stdout.strip() else "")


_THREAD_VARS = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "NUMBA_NUM_THREADS",
)


def limit_threads(n: int) -> None:
    """Give every library ``n`` threads for the rest of the process (and its children).

    Environment variables for what is not loaded yet (torch, numba, OpenMP) and threadpoolctl
    for BLAS libraries already loaded. On a small shared machine, libraries that start one
    thread per core slow each other down many times over (oversubscription).
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"threads must be an integer >= 1, got {n!r}")
    for var in _THREAD_VARS:
        os.environ[var] = str(n)
    from threadpoolctl import threadpool_limits

    threadpool_limits(n)
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(n)
    if "numba" in sys.modules:
        numba = sys.modules["numba"]
        numba.set_num_threads(min(n, numba.config.NUMBA_NUM_THREADS))


def environment() -> dict[str, Any]:
    """Versions, machine and date, as a JSON-ready dict."""
    threads = {k: os.environ[k] for k in _THREAD_VARS if k in os.environ}
    return {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "python": sys.version.split()[0],
        "versions": {p: _version(p) for p in _PACKAGES},
        "commit": _git_commit(),
        "platform": platform.platform(),
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "memory_gb": _memory_gb(),
        "threads": threads,
    }


def header(command: str | None = None, env: dict[str, Any] | None = None) -> str:
    """A markdown header: the command, the date, versions and the machine."""
    env = environment() if env is None else env
    lines = []
    if command:
        lines += ["```", command, "```", ""]
    lines.append(f"- date: {env['date']}; hpo_core commit {env['commit']}")
    vers = ", ".join(f"{k} {v}" for k, v in env["versions"].items())
    lines.append(f"- Python {env['python']}; {vers}")
    mem = f", {env['memory_gb']} GB" if env.get("memory_gb") else ""
    lines.append(f"- machine: {env['cpu']}, {env['cores']} cores{mem}; {env['platform']}")
    if env.get("threads"):
        lines.append(f"- threads: {env['threads']}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(header())
