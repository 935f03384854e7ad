"""A study's steps one at a time, for threads that share an optimizer.

Threads sharing an optimizer share its books, its strategy and (with a shared store) its
connection, so its ask, tell, enqueue, sync and report each take the optimizer's lock. An
in-memory study needs it as much as a stored one: Python may switch threads between any two
bytecodes. With a database server, a step the server rolled back for a lost connection is run
once more, on a new connection.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

from hpo_core.storage import ConnectionLost

__all__ = ["STEPS", "take_turns", "without_turns"]

STEPS = ("ask", "tell", "enqueue", "sync", "report")


def take_turns(study: object) -> None:
    """Replace the steps of ``study`` by ones that hold one lock between them."""
    lock = threading.RLock()
    for name in STEPS:
        setattr(study, name, _serialised(getattr(study, name), lock))


def without_turns(state: dict[str, Any]) -> dict[str, Any]:
    """An object's ``__dict__`` without the locked steps (for pickling: a lock does not)."""
    return {k: v for k, v in state.items() if k not in STEPS}


def _serialised(step: Callable[..., Any], lock: threading.RLock) -> Callable[..., Any]:
    """``step`` (a bound method) run while holding ``lock``, once more when the connection to a
    database server was lost in the middle of it."""

    @functools.wraps(step)
    def run(*args: Any) -> Any:
        with lock:
            try:
                return step(*args)
            except ConnectionLost:
                # the server rolled the step back (a lost connection): it is safely run once
                # more, on a new connection (reconnecting waits out a restarting server)
                return step(*args)

    return run
