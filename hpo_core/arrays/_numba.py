"""numba settings shared by every compiled kernel.

Kernels are declared as ``@numba.njit(**JIT)``. ``cache=True`` writes the compiled machine code
next to the module (or to ``NUMBA_CACHE_DIR``) so that only the first process pays the compile
time; set ``HPO_CORE_NUMBA_CACHE=0`` to turn caching off (read-only installs, debugging). No
``fastmath``: the kernels must handle inf, NaN and ill-conditioning. Nothing here imports numba:
``import hpo_core`` stays fast, modules that hold kernels import it.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import TypedDict

CACHE: bool = os.environ.get("HPO_CORE_NUMBA_CACHE", "1").strip().lower() not in {
    "0",
    "false",
    "no",
}


class JitOptions(TypedDict):
    """The keyword arguments every ``numba.njit`` of the package takes."""

    cache: bool
    nogil: bool


JIT: JitOptions = {"cache": CACHE, "nogil": True}


@contextlib.contextmanager
def numba_threads(n: int) -> Iterator[None]:
    """Run the enclosed block with ``n`` numba threads, restoring the previous count after."""
    import numba

    most = numba.config.NUMBA_NUM_THREADS  # type: ignore[attr-defined]
    if not 1 <= n <= most:
        raise ValueError(
            f"n must be between 1 and {most} (the size of numba's thread pool), got {n}"
        )
    previous = numba.get_num_threads()
    numba.set_num_threads(n)
    try:
        yield
    finally:
        numba.set_num_threads(previous)
