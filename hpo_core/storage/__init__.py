"""Where trials live: in memory (the default) or in SQLite, shared by processes.

``Optimizer(space, storage="sqlite:///study.db", study="name")`` keeps every trial in the file:

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
"""

from __future__ import annotations

import json
import os
import threading
import time
import weakref
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from hpo_core._objectives import direction_text
from hpo_core._records import space_to_json
from hpo_core.storage.sqlite import SQLiteStorage, StorageError, StoredTrial
from hpo_core.trial import Trial, TrialState

if TYPE_CHECKING:
    from hpo_core.optimizer import Optimizer

__all__ = ["SQLiteStorage", "StorageError", "StudyLink", "open_existing"]


def open_existing(path: str | os.PathLike[str]) -> SQLiteStorage:
    """A storage that must exist already (reading a study never creates a file)."""
    from hpo_core.storage.sqlite import parse_url

    if not os.path.exists(parse_url(path)):
        raise ValueError(f"no such storage file: {parse_url(path)!r}")
    return SQLiteStorage(path)


def space_fingerprint(space: Any) -> str:
    """A text that two optimizers' spaces share exactly when they are the same space."""
    return json.dumps(space_to_json(space), default=repr)


class StudyLink:
    """Binds an Optimizer's books to one study of a storage (internal to the Optimizer)."""

    def __init__(
        self,
        opt: Optimizer,
        storage: str | os.PathLike[str] | SQLiteStorage,
        study: str,
        heartbeat_timeout: float | None,
        retry_stale: bool,
    ) -> None:
        if not isinstance(study, str) or not study:
            raise ValueError(f"study must be a non-empty string, got {study!r}")
        if heartbeat_timeout is not None and not (
            isinstance(heartbeat_timeout, (int, float)) and heartbeat_timeout > 0
        ):
            raise ValueError(
                "heartbeat_timeout must be None or a number of seconds > 0, "
                f"got {heartbeat_timeout!r}"
            )
        if not isinstance(retry_stale, bool):
            raise ValueError(f"retry_stale must be True or False, got {retry_stale!r}")
        self.opt = opt
        self.storage = storage if isinstance(storage, SQLiteStorage) else SQLiteStorage(storage)
        self.heartbeat_timeout = heartbeat_timeout
        self.retry_stale = retry_stale
        self.sid, self.worker = self.storage.open_study(
            study, space_fingerprint(opt.space), direction_text(opt.direction, opt.constraints)
        )
        self.study = study
        self.seq = 0
        self.mine: set[int] = set()
        self._beats: threading.Thread | None = None
        self.sync()

    # ------------------------------------------------------------------ conversions
    def portable(self, params: Mapping[str, Any]) -> list:
        return self.opt.space.to_portable(params)

    def plain(self, values: list) -> dict[str, Any]:
        return self.opt.space.from_portable(values)

    # ------------------------------------------------------------------ reading
    def sync(self) -> None:
        """Catch up with every change other workers made since the last look."""
        seq, rows = self.storage.changes(self.sid, self.seq)
        for row in rows:
            self._apply(row)
        self.seq = seq

    def _apply(self, row: StoredTrial) -> None:
        opt = self.opt
        if row.number < len(opt._trials):
            t = opt._trials[row.number]
        else:
            t = opt._new_trial(row.x, self.plain(row.params), row.started_at)
        t.intermediate.clear()
        t.intermediate.update(row.intermediate)
        t.user_attrs.update(row.user_attrs)
        if row.state != "pending" and t.state is TrialState.PENDING:
            opt._record(
                t,
                TrialState(row.state),
                row.value,
                row.fail_reason,
                row.finished_at,
                row.values,
                row.constraints,
            )
            self.mine.discard(t.id)

    # ------------------------------------------------------------------ writing
    def ask(self, k: int) -> list[Trial]:
        opt, store = self.opt, self.storage
        if self.heartbeat_timeout is not None:
            with store.transaction():
                for row in store.fail_stale(self.sid, self.heartbeat_timeout):
                    if self.retry_stale and "retry_of" not in row.user_attrs:
                        store.enqueue(self.sid, row.params, {"retry_of": row.number})
        now = time.time()
        with store.transaction():
            self.sync()
            xs, params, attrs = [], [], []
            for values, a in store.pop_queue(self.sid, k):
                p, x = opt._params_and_x(self.plain(values))
                xs.append(x)
                params.append(p)
                attrs.append(a)
            if len(xs) < k:
                for x in opt._propose(k - len(xs)):
                    xs.append(x)
                    params.append(opt.space.decode(x))
                    attrs.append({})
            first = len(opt._trials)
            self.seq = store.insert_trials(
                self.sid, first, xs, [self.portable(p) for p in params], attrs, now
            )
        trials = []
        for x, p, a in zip(xs, params, attrs, strict=True):
            t = opt._new_trial(x, p, now)
            t.user_attrs.update(a)
            t._sink = self.report
            self.mine.add(t.id)
            trials.append(t)
        self._start_beats()
        return trials

    def tell(
        self,
        trial: Trial | int | Mapping[str, Any],
        state: TrialState,
        value: float | None,
        reason: str | None,
        values: Sequence[float] | None = None,
        constraints: Sequence[float] | None = None,
    ) -> Trial:
        opt, store = self.opt, self.storage
        now = time.time()
        with store.transaction():
            self.sync()
            if isinstance(trial, Mapping):
                p, x = opt._params_and_x(trial)
                number = len(opt._trials)
                store.insert_trials(self.sid, number, [x], [self.portable(p)], [{}], now)
                intermediate: dict[int, float] = {}
                attrs: dict[str, Any] = {}
            else:
                t = opt._resolve(trial)  # after catching up: raises if another worker told it
                number, intermediate, attrs = t.id, t.intermediate, t.user_attrs
            if state is TrialState.PRUNED and value is None and intermediate:
                value = intermediate[max(intermediate)]
            self.seq = store.finish_trial(
                self.sid,
                number,
                state.value,
                value,
                intermediate,
                attrs,
                reason,
                now,
                values if opt._mo is not None and opt._mo.m > 1 else None,
                constraints,
            )
        if isinstance(trial, Mapping):
            t = opt._new_trial(x, p, now)
        opt._record(t, state, value, reason, now, values, constraints)
        self.mine.discard(t.id)
        return t

    def report(self, trial: Trial) -> None:
        self.storage.report(self.sid, trial.id, dict(trial.intermediate))

    def enqueue(self, params: dict[str, Any], attrs: dict[str, Any]) -> None:
        with self.storage.transaction():
            self.storage.enqueue(self.sid, self.portable(params), attrs)

    # ------------------------------------------------------------------ heartbeats
    def _start_beats(self) -> None:
        if self.heartbeat_timeout is None or self._beats is not None:
            return
        self._beats = threading.Thread(
            target=_beat_loop,
            args=(weakref.ref(self), self.storage.path, self.storage.timeout),
            name="hpo_core-heartbeat",
            daemon=True,
        )
        self._beats.start()


def _beat_loop(ref: weakref.ref, path: str, timeout: float) -> None:
    """Heartbeats of one optimizer's pending trials, on a connection of the thread's own; ends
    when the optimizer is gone."""
    store = SQLiteStorage(path, timeout)
    try:
        while True:
            link = ref()
            if link is None:
                return
            interval = max(0.05, link.heartbeat_timeout / 4)
            sid, mine = link.sid, list(link.mine)
            del link
            try:
                store.heartbeat(sid, mine)
            except StorageError:
                pass  # a busy database: the next beat tries again
            time.sleep(interval)
    finally:
        store.close()
