"""One study as the optimizer runs it: the books, the store, the strategy, each step once.

``ask``, ``tell``, ``enqueue`` and ``report``, once for every store. With a shared store
(SQLite, PostgreSQL) each step is a transaction that first catches up with what other workers
wrote (``sync``): an ask proposes seeing every worker's pending trials and records its own
before anyone else can ask; a tell refuses a trial another worker told already. The in-memory
store has nothing to catch up with. Threads sharing an optimizer take its steps in turn.
"""

from __future__ import annotations

import numbers
import threading
import time
import warnings
import weakref
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from hpo_core.core.books import Books
from hpo_core.core.outcomes import Objectives, Told, direction_text
from hpo_core.core.trial import Trial, TrialState
from hpo_core.core.turns import take_turns, without_turns
from hpo_core.space import Space
from hpo_core.space.serialize import legacy_space_fingerprint, space_fingerprint
from hpo_core.storage import (
    AskLost,
    MemoryStore,
    StorageError,
    Store,
    StoredTrial,
    open_storage,
)
from hpo_core.strategies import SearchSpaceExhausted, Strategy

if TYPE_CHECKING:
    from hpo_core.storage import StorageArg

__all__ = ["Study", "open_store"]

_Point = tuple[dict[str, Any], np.ndarray, dict[str, Any] | None]  # params, x, user_attrs


class Study:
    """The books of one study kept in step with its store (internal to the core)."""

    def __init__(
        self,
        books: Books,
        strategy: Strategy,
        store: Store,
        heartbeat_timeout: float | None = None,
        retry_stale: bool = True,
    ) -> None:
        self.books = books
        self.strategy = strategy
        self.store = store
        self.shared = store.shared
        self.heartbeat_timeout = heartbeat_timeout
        self.retry_stale = retry_stale
        self.seq = 0
        #: ids of this optimizer's pending trials (heartbeats keep them alive)
        self.mine: set[int] = set()
        #: parameters this optimizer enqueued and has not asked yet (another worker of a shared
        #: store may enqueue too, so a shared store's queue is always read)
        self._queued = 0
        take_turns(self)  # threads that share the optimizer: a step at a time
        self._beats: threading.Thread | None = None
        self._spare: np.ndarray | None = None  # proposed for an ask the queue answered
        self.sync()

    def __getstate__(self) -> dict[str, Any]:
        return without_turns(self.__dict__)  # a lock does not pickle: taken anew on loading

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        take_turns(self)

    # ------------------------------------------------------------------ reading
    def sync(self) -> None:
        """Catch up with every change other workers made since the last look."""
        if not self.shared:
            return
        seq, rows = self.store.changes(self.seq)
        for row in rows:
            self._apply(row)
        self.seq = seq

    def _apply(self, row: StoredTrial) -> None:
        books = self.books
        if row.number < len(books.trials):
            t = books.trials[row.number]
        else:
            t = books.new_trial(row.x, row.params, row.started_at)
        t.intermediate.clear()
        t.intermediate.update(row.intermediate)
        t.user_attrs.update(row.user_attrs)
        late = books.stale(t) and row.state != "failed"  # a paused worker's result, told late
        if row.state != "pending" and (t.state is TrialState.PENDING or late):
            values = row.values
            if values is None and row.value is not None:
                values = [row.value]
            books.record(
                t, TrialState(row.state), values, row.fail_reason, row.finished_at, row.constraints
            )
            self.mine.discard(t.id)

    # ------------------------------------------------------------------ ask
    def propose(
        self, k: int, ahead: list[np.ndarray] | None = None, fixed: dict[str, Any] | None = None
    ) -> np.ndarray:
        """Up to k new encoded points from the strategy, checked (first a point left over by an
        ask the queue answered); ``ahead``: queued trials' points made first in the same ask;
        ``fixed`` goes in before the imputation, so a fixed parent wakes its children."""
        space = self.books.space
        spare, self._spare = self._spare, None
        if spare is not None:
            if fixed and space.conditional:
                spare = space.impute(space.fix(spare, fixed, self.strategy.rng))
            if k == len(spare):
                return spare
            return np.concatenate([spare, self.propose(k - 1, [*(ahead or ()), *spare], fixed)])
        history = self.books.history(ahead)
        X = self.strategy.propose(history, k)
        if type(X) is not np.ndarray or X.dtype != np.float64:
            X = np.asarray(X, dtype=float)
        if X.ndim != 2 or X.shape[1] != space.d or not 1 <= len(X) <= k:
            raise RuntimeError(
                f"{type(self.strategy).__name__}.propose returned shape {X.shape}, "
                f"expected (1..{k}, {space.d})"
            )
        if space.conditional:  # inactive columns imputed: the history never holds leftovers
            X = space.impute(space.fix(X, fixed, self.strategy.rng) if fixed else X)
        if space.discrete and not fixed:  # a batch repeats no pending point (while others are left)
            X = space.distinct(X, history.X_pending, self.strategy.rng)
        return X

    def ask(self, k: int, fixed: dict[str, Any] | None = None) -> list[Trial]:
        """k new pending trials: queued parameters first, then the strategy's points (with
        the ``fixed`` parameters' values in place of the strategy's)."""
        if self.heartbeat_timeout is not None:
            self._fail_stale()
        if fixed:  # before the strategy proposes: its points are not spent on an error
            self.books.space.check_fixed(fixed)
        books, store, shared = self.books, self.store, self.shared
        now = time.time()
        trials = None
        if shared and k == 1 and store.lone_steps and not self.strategy.reads_history:
            trials = self._lone_ask(fixed, now)
        if trials is None:
            if shared:
                with store.transaction():
                    self.sync()
                    new = self._new_points(k, fixed)
                    self.seq = store.insert_trials(len(books.trials), new, now)
            else:  # nobody else writes the study: no transaction, nothing to catch up with
                new = self._new_points(k, fixed)
            if len(new) == 1:  # the common case, without a comprehension's frame
                plain, x, attrs = new[0]
                trials = [books.new_trial(x, plain, now, attrs)]
            else:
                trials = [books.new_trial(x, plain, now, attrs) for plain, x, attrs in new]
        if shared:
            for t in trials:
                t._sink = self.report
                self.mine.add(t.id)
            self._start_beats()
        return trials

    def _new_points(self, k: int, fixed: dict[str, Any] | None = None) -> list[_Point]:
        """(plain params, encoded point, user_attrs) of k new trials: queued parameters first,
        then the strategy's points."""
        books = self.books
        new: list[_Point] = []
        if self.shared or self._queued:
            for queued, queued_attrs in self.store.pop_queue(k):
                plain, x = books.params_and_x(queued)
                new.append((plain, x, queued_attrs))
            self._queued = max(0, self._queued - len(new))
        while len(new) < k:  # a strategy may give fewer than asked: asked again for the rest
            try:
                X = self.propose(k - len(new), [x for _, x, _ in new], fixed)
            except SearchSpaceExhausted:
                if new:  # a grid at its end: what was left
                    break
                raise
            new += self._proposed(X, fixed)
        return new

    def _proposed(self, X: np.ndarray, fixed: dict[str, Any] | None) -> list[_Point]:
        """(plain params, encoded point, None) of the strategy's points X."""
        books = self.books
        decode = books.space.decode
        if fixed:  # re-encoded: the point is the one evaluated, validated as a tell's
            return [(*books.params_and_x({**decode(x), **fixed}), None) for x in X]
        if len(X) == 1:  # one trial is the common case
            return [(decode(X[0]), X[0], None)]
        return [(decode(x), x, None) for x in X]

    def _lone_ask(self, fixed: dict[str, Any] | None, now: float) -> list[Trial] | None:
        """One trial of a strategy that does not read the history, proposed and then recorded
        by the store on its own at the next free number (no lock held while proposing); None
        when the queue holds parameters (asked in a transaction)."""
        X = self.propose(1, fixed=fixed)
        ((plain, x, _),) = self._proposed(X, fixed)
        got = self.store.ask_alone(plain, x, now, self.seq)
        if got is None:
            self._spare = X  # for the next proposal: the strategy does not read the history
            return None
        seq, rows, number = got
        for row in rows:
            self._apply(row)
        self.seq = seq
        if not np.array_equal(self.books.X[number], x):  # a crash lost trials seen here
            raise StorageError(
                f"trial {number} of this study is not the one this optimizer knows by that id: "
                "the database server crashed and lost asks it had seen; open the study again"
            )
        return [self.books.trials[number]]

    def enqueue(self, params: Mapping[str, Any], attrs: Mapping[str, Any]) -> None:
        self.books.params_and_x(params)  # validated now
        with self.store.transaction():
            self.store.enqueue(dict(params), dict(attrs))
        self._queued += 1

    # ------------------------------------------------------------------ tell
    def tell(self, trial: Trial | int | Mapping[str, Any], told: Told) -> Trial:
        """Record a checked outcome (``Objectives.check``) of a trial, or of a params dict as
        a new trial; the store first, then the books."""
        state, values, reason, cons = told
        books, store, shared = self.books, self.store, self.shared
        if shared and store.lone_steps and not isinstance(trial, Mapping):
            return self._lone_steps(trial, told)
        now = time.time()
        t: Trial | None = None
        with store.transaction():
            if shared:
                self.sync()
            if type(trial) is not Trial and isinstance(trial, Mapping):
                # a result from elsewhere: a new trial, in the books once the store has it
                plain, x = books.params_and_x(trial)
                number = len(books.trials)
                if shared:
                    store.insert_trials(number, [(plain, x, None)], now)
            else:
                # after catching up: raises if another worker told it (a result told late
                # over a presumed death is kept: the worker was only paused)
                t = books.resolve(trial, late=shared)
                number = t.id
                if values is None:
                    values = books.settle(t, state)
            if shared:
                row = _row(number, t, state, values, reason, now, cons)
                self.seq = store.finish_trial(row)
                self.mine.discard(number)
        if t is None:
            t = books.new_trial(x, plain, now)
        books.record(t, state, values, reason, now, cons)
        return t

    def _lone_steps(self, trial: Trial | int, told: Told) -> Trial:
        """A tell the store takes on its own: no lock and no catch-up (the next ask catches
        up); the store refuses a trial that another worker told meanwhile."""
        state, values, reason, cons = told
        books, now = self.books, time.time()
        t = books.resolve(trial, late=True)
        if values is None:
            values = books.settle(t, state)
        row = _row(t.id, t, state, values, reason, now, cons)
        row.x, row.params, row.started_at = books.X[t.id], t.params, t.started_at
        try:
            self.store.finish_trial(row)
        except AskLost as err:  # the outcome is kept, as a new trial
            self.mine.discard(t.id)
            books.record(t, TrialState.FAILED, None, str(err), now)
            new = self.tell(dict(t.params), told)
            warnings.warn(f"{err}: its outcome is recorded as trial {new.id}", stacklevel=4)
            return new
        except ValueError:
            self.sync()  # another worker told it: the books' own message says so
            books.resolve(trial, late=True)
            raise
        self.mine.discard(t.id)
        books.record(t, state, values, reason, now, cons)
        return t

    def report(self, trial: Trial) -> None:
        self.store.report(trial.id, dict(trial.intermediate))

    # ------------------------------------------------------------------ heartbeats
    def _fail_stale(self) -> None:
        assert self.heartbeat_timeout is not None
        store = self.store
        with store.transaction():
            for row in store.fail_stale(self.heartbeat_timeout):
                if self.retry_stale and "retry_of" not in row.user_attrs:
                    store.enqueue(row.params, {"retry_of": row.number})

    def _start_beats(self) -> None:
        if self.heartbeat_timeout is None or self._beats is not None:
            return
        self._beats = threading.Thread(
            target=_beat_loop,
            args=(weakref.ref(self), self.store.reopen()),
            name="hpo_core-heartbeat",
            daemon=True,
        )
        self._beats.start()


def _row(
    number: int,
    t: Trial | None,
    state: TrialState,
    values: Any,
    reason: str | None,
    at: float,
    cons: Any,
) -> StoredTrial:
    """The outcome of trial ``number`` (``t``, or a new trial when None) as the store takes it."""
    single = values is not None and len(values) == 1
    return StoredTrial(
        number=number,
        x=np.empty(0),
        params={},
        state=state.value,
        value=values[0] if single else None,
        intermediate={} if t is None else dict(t.intermediate),
        user_attrs={} if t is None else dict(t.user_attrs),
        fail_reason=reason,
        finished_at=at,
        values=None if values is None or single else list(values),
        constraints=None if cons is None else list(cons),
    )


def _beat_loop(ref: weakref.ref[Study], store: Store) -> None:
    """Heartbeats of one optimizer's pending trials, on a store handle of the thread's own;
    ends when the optimizer is gone."""
    try:
        while True:
            study = ref()
            if study is None:
                return
            interval = max(0.05, (study.heartbeat_timeout or 1.0) / 4)
            mine = list(study.mine)
            del study
            try:
                store.heartbeat(mine)
            except StorageError:
                pass  # a busy database: the next beat tries again
            time.sleep(interval)
    finally:
        store.close()


def open_store(
    space: Space,
    objectives: Objectives,
    storage: StorageArg | None,
    study: str,
    heartbeat_timeout: float | None,
) -> Store:
    """The store of ``storage=``: in memory, or study ``study`` of a database."""
    if heartbeat_timeout is not None and (
        isinstance(heartbeat_timeout, bool)
        or not isinstance(heartbeat_timeout, numbers.Real)
        or not heartbeat_timeout > 0
    ):
        raise ValueError(
            f"heartbeat_timeout must be None or a number of seconds > 0, got {heartbeat_timeout!r}"
        )
    if storage is None or (isinstance(storage, str) and storage == "memory"):
        if heartbeat_timeout is not None:
            raise ValueError("heartbeat_timeout needs a storage shared by workers (storage=...)")
        return MemoryStore()
    if isinstance(storage, str) and not storage.removeprefix("sqlite:///").strip():
        # sqlite3 would open a throw-away database for an empty name: nothing would be kept
        raise ValueError(
            "storage must name a database file ('sqlite:///study.db', a path), or be None or "
            f"'memory' for a study kept in memory; got {storage!r}"
        )
    if not isinstance(study, str) or not study or "\x00" in study:
        raise ValueError(f"study must be a non-empty string without NUL characters, got {study!r}")
    db = open_storage(storage)
    text = direction_text(objectives.direction, objectives.constrained)
    fingerprint = space_fingerprint(space)
    try:
        return db.open_study(study, fingerprint, text, space)
    except ValueError as err:
        legacy = legacy_space_fingerprint(space)  # a study stored by an earlier version
        if legacy == fingerprint:
            raise
        try:
            return db.open_study(study, legacy, text, space)
        except ValueError:
            raise err from None
