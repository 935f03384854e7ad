"""The in-memory store: a study that lives and dies with its optimizer."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from hpo_core.storage.base import StoredTrial

__all__ = ["MemoryStore"]


class MemoryStore:
    """A study that only its own optimizer writes (``storage=None``, the default).

    The optimizer's books hold the trials of such a study themselves (their ``Trial`` objects
    are the record, and nothing else can change them), so this store keeps the one thing the
    books do not: the queue of enqueued parameters. Its transaction is a plain lock (nothing
    to roll back), it reports no changes, and its trial methods are the protocol's no-ops:
    the books write trials only to a shared store.
    """

    shared = False
    worker = 0
    lone_steps = False

    def __init__(self) -> None:
        self._queue: deque[tuple[dict[str, Any], dict[str, Any]]] = deque()
        self._seq = 0
        self._lock = threading.Lock()

    def __getstate__(self) -> dict[str, Any]:
        return {"_queue": self._queue, "_seq": self._seq}  # a lock does not pickle

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def transaction(self) -> threading.Lock:
        """The store's lock: nothing to roll back, as nothing is written here but the queue."""
        return self._lock

    def changes(self, since: int) -> tuple[int, list[StoredTrial]]:
        return self._seq, []

    def insert_trials(
        self,
        first: int,
        rows: Sequence[tuple[Mapping[str, Any], np.ndarray, Mapping[str, Any] | None]],
        started_at: float,
    ) -> int:
        self._seq += 1
        return self._seq

    def finish_trial(self, row: StoredTrial) -> int:
        self._seq += 1
        return self._seq

    def ask_alone(
        self, params: Mapping[str, Any], x: np.ndarray, started_at: float, since: int
    ) -> tuple[int, list[StoredTrial], int] | None:
        raise NotImplementedError("this store asks in a transaction (lone_steps is False)")

    def report(self, number: int, intermediate: Mapping[int, float]) -> None:
        return None

    def enqueue(self, params: Mapping[str, Any], attrs: Mapping[str, Any]) -> None:
        self._queue.append((dict(params), dict(attrs)))

    def pop_queue(self, n: int) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        if not self._queue:
            return []
        out: list[tuple[dict[str, Any], dict[str, Any]]] = []
        while self._queue and len(out) < n:
            out.append(self._queue.popleft())
        return out

    def fail_stale(self, timeout: float) -> list[StoredTrial]:
        return []

    def heartbeat(self, numbers: Sequence[int]) -> None:
        return None

    def reopen(self) -> MemoryStore:
        return self

    def close(self) -> None:
        return None
