"""The protocol between an optimizer's books and the store that keeps one study's trials.

A store knows rows, never Trials or strategies: a trial is a ``StoredTrial`` (its number, its
encoded point, its parameters, its state as a word, its outcome). The books
(``hpo_core.core.books``) hold the live trials and call the store at each step:

- ``ask``: inside ``transaction()``, catch up with ``changes``, take ``pop_queue``, propose,
  then ``insert_trials`` (so a shared store's other workers see the new pending trials the
  moment the transaction ends, and no two workers ever take the same number);
- ``tell``: inside ``transaction()``, catch up, then ``finish_trial`` (which refuses a trial
  that is no longer pending); a store with ``lone_steps`` takes ``finish_trial`` on its own,
  without the transaction and the catch-up (the next ask catches up), and the ask of one point
  of a strategy that does not read the history as ``ask_alone``;
- ``report``: ``report`` (intermediate values, outside a transaction of the caller's);
- ``enqueue``: ``enqueue`` inside ``transaction()``.

A store that only this optimizer writes (``shared = False``, the in-memory store) lets the
books skip the catch-up and the transaction; the books hold its trials themselves.

Every sequence number (``seq``) is the study's count of changes: ``changes(since)`` returns the
rows changed after ``since``, so a worker reads only what is new.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

__all__ = [
    "AskLost",
    "ConnectionLost",
    "ParamCodec",
    "STALE_REASON",
    "StorageError",
    "Store",
    "StoredTrial",
    "TRIAL_STATES",
]

#: the states a stored trial can be in (``TrialState``'s values)
TRIAL_STATES = ("pending", "complete", "failed", "pruned")
#: how the fail reason of a trial failed for a lost heartbeat begins: its worker may only have
#: been paused, and a result it tells later is still taken (``Store.finish_trial``)
STALE_REASON = "no heartbeat for"


class StorageError(RuntimeError):
    """The storage cannot be used: unreadable, foreign, or locked past its timeout."""


class ConnectionLost(StorageError):
    """The connection to a database server was lost inside a transaction: the server rolled
    it back, nothing of the step was recorded, and running the step again is safe."""


class AskLost(StorageError):
    """A trial's ask was lost in a crash of the database server before it reached the disk,
    and its number was given to another trial since: its outcome must be recorded as a new
    trial."""


@dataclass
class StoredTrial:
    """One trial as a store gives it back: ``params`` is the parameter dict (a store that
    writes them elsewhere keeps them portable with the study's ``ParamCodec``)."""

    number: int
    x: np.ndarray
    params: dict[str, Any]
    state: str
    value: float | None = None
    intermediate: dict[int, float] = field(default_factory=dict)
    user_attrs: dict[str, Any] = field(default_factory=dict)
    fail_reason: str | None = None
    started_at: float | None = None
    finished_at: float | None = None
    values: list[float] | None = None
    constraints: list[float] | None = None


class ParamCodec(Protocol):
    """Turns a parameter dict into the portable list a store keeps, and back (a ``Space``)."""

    #: the number of encoded values of a point
    d: int

    def to_portable(self, params: Mapping[str, Any], x: np.ndarray | None = None) -> list[Any]: ...

    def from_portable(self, values: Sequence[Any]) -> dict[str, Any]: ...


class Store(Protocol):
    """One study's trials, wherever they live (see the module docstring for the calls)."""

    #: whether other optimizers may write this study (the books then catch up before each step)
    shared: bool
    #: how many optimizers opened this study before this one (a worker index, for seeds)
    worker: int
    #: whether ``finish_trial`` runs on its own, outside a transaction (the books then tell
    #: without catching up first, and give the trial's x, params and started_at too), and
    #: ``ask_alone`` can be used
    lone_steps: bool

    def transaction(self) -> AbstractContextManager[Any]:
        """A write transaction holding the study's lock; rolled back on any error."""
        ...

    def changes(self, since: int) -> tuple[int, list[StoredTrial]]:
        """The study's sequence number and the trials changed after ``since``, by number."""
        ...

    def insert_trials(
        self,
        first: int,
        rows: Sequence[tuple[Mapping[str, Any], np.ndarray, Mapping[str, Any] | None]],
        started_at: float,
    ) -> int:
        """Record pending trials numbered ``first``, ``first + 1``, ... (in a transaction),
        one a row of (params, encoded point, user_attrs or None); returns the new sequence
        number."""
        ...

    def finish_trial(self, row: StoredTrial) -> int:
        """Record the outcome of pending trial ``row.number`` (in a transaction, or on its own
        where ``lone_steps``): its state, value(s), constraints, intermediate values, user_attrs,
        fail_reason and finished_at (its x, params and started_at are read only on its own, to
        record anew a trial whose ask a server crash lost; ``AskLost`` where its number was
        given to another trial since). A trial failed for a lost heartbeat (``STALE_REASON``)
        takes a late outcome too: its worker was only paused. ValueError when the trial is
        neither. Returns the new sequence number."""
        ...

    def ask_alone(
        self, params: Mapping[str, Any], x: np.ndarray, started_at: float, since: int
    ) -> tuple[int, list[StoredTrial], int] | None:
        """Where ``lone_steps``: record one pending trial at the next free number, a step of its
        own, and return the new sequence number, the trials changed after ``since`` (the new
        one among them) and the new trial's number; None, recording nothing, when the queue
        holds parameters (the books then ask in a transaction)."""
        ...

    def report(self, number: int, intermediate: Mapping[int, float]) -> None:
        """Keep the intermediate values of a pending trial (its own transaction)."""
        ...

    def enqueue(self, params: Mapping[str, Any], attrs: Mapping[str, Any]) -> None:
        """Queue parameters for the next ask of any worker (in a transaction)."""
        ...

    def pop_queue(self, n: int) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        """Up to n queued (params, attrs), oldest first, taken off the queue."""
        ...

    def fail_stale(self, timeout: float) -> list[StoredTrial]:
        """Mark pending trials without a heartbeat for ``timeout`` seconds failed (in a
        transaction); returns them as they are now."""
        ...

    def heartbeat(self, numbers: Sequence[int]) -> None:
        """Mark these pending trials alive (its own transaction)."""
        ...

    def reopen(self) -> Store:
        """Another handle on the same study, for another thread (heartbeats)."""
        ...

    def close(self) -> None:
        """Release the handle."""
        ...
