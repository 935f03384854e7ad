"""Work run in threads started together, for the tests of shared optimizers and stores."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable

__all__ = ["in_threads"]


def in_threads(
    n: int, work: Callable[[], object], switch_interval: float | None = None
) -> list[BaseException]:
    """Run ``work()`` in n threads started together; the exceptions they raised. With
    ``switch_interval`` (seconds), Python switches between them that often meanwhile."""
    if switch_interval is not None:
        interval = sys.getswitchinterval()
        sys.setswitchinterval(switch_interval)
        try:
            return in_threads(n, work)
        finally:
            sys.setswitchinterval(interval)
    errors: list[BaseException] = []
    start = threading.Barrier(n)

    def run() -> None:
        try:
            start.wait()
            work()
        except BaseException as err:  # collected for the caller to assert on
            errors.append(err)

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors
