"""Bookkeeping shared by the population-based strategies (GA, DE, CMA-ES): ask/tell in any order.

A generation hands out children from the current parents, ``lam`` at a time (one draw of the
generator per block, so the sequence does not depend on how asks are batched); asking for more
than ``lam`` breeds another block from the same parents. The generation closes once ``lam`` of
its children have been told, failures included (a failed or never-told child does not stall it);
the strategy then updates its parents from the children that completed. A strategy that sets
``_grow`` instead makes the generation as large as the number of its children asked before the
first of them is told, up to ``_grow * lam`` (a batch larger than ``lam`` is one large
generation, updated once when it is told), and the next generation at least as large as the
number of children still in flight when it opens (up to ``_grow * lam``). A child told after its
generation closed is handed to ``_late`` (GA and DE let it compete in the next selection, CMA-ES
injects it into the next update). A child still pending after ``max_age`` newer trials is
forgotten (and ignored if told later), so the work per ask stays bounded. Points told that were
never asked (a warm start, queued parameters, or another worker's results) go to ``_foreign``,
also when they were still pending when first read (they are looked at again on each ask, up to
``max_age`` newer trials). ``evaluations_used`` counts the complete children and foreign points
that have entered an update, so that nothing told is silently dropped.

The history is read incrementally: each ``propose`` looks only at the rows added since the
last one and at the children still in flight, so the cost per trial does not grow with the
history. Trial ids are row indices: the rows returned by ``propose`` become trials
``len(history), len(history) + 1, ...``, which is how children are matched with their results
(checked on the next ask against the recorded points: a proposal that did not become its trial
is forgotten).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from hpo_core.strategies.base import COMPLETE, PENDING, History, Strategy

if TYPE_CHECKING:
    from hpo_core.space import Space

__all__ = ["Generational"]


class Generational(Strategy):
    """Base of population-based strategies; subclasses implement the hooks below.

    Hooks
    -----
    _breed() -> (G, meta)
        A block of ``lam`` children: genotypes (lam, d), or wider with columns the strategy
        keeps for itself (CMA-ES: each sample's log step size), and an int array (lam,) of tags
        (``_grown()`` tells whether the block is for a batch larger than the generation).
    _express(G) -> X
        Genotypes (k, ...) to points on the unit cube (k, d); default ``space.snap``.
    _advance(G, meta, y, n_told)
        Close the generation: the complete children's genotypes (k, d), tags (k,), values (k,).
    _late(g, tag, y)
        A child of a closed generation completed (a hook that passes it to ``_join`` has it
        counted when the generation it joined closes).
    _foreign(x, y)
        A point that was not asked completed; x is its encoded point (d,).
    """

    #: children per generation (set in ``setup`` by subclasses)
    lam: int
    #: hand the hooks each trial's id (as a float) in place of its value ``y``: for strategies
    #: that read more than ``y`` from the history (several objectives, constraints)
    _by_id: bool = False
    #: a batch asked before any child of the generation is told joins the generation (its size
    #: becomes the number asked, up to ``_grow * lam``) instead of waiting for the next one
    _grow: int = 0
    #: a complete child of the open generation goes to ``_late`` as soon as it is read (steady
    #: state: blocks bred later in the generation already see it), not to ``_advance``
    _steady: bool = False

    def __init__(self, max_age: int | None = None) -> None:
        if max_age is not None and (not isinstance(max_age, int) or max_age < 1):
            raise ValueError(f"max_age must be None or an integer >= 1, got {max_age!r}")
        self.max_age = max_age

    def setup(self, space: Space, rng: np.random.Generator) -> None:
        super().setup(space, rng)
        self._seen = 0  # history rows looked at
        self._inflight: dict[int, tuple[int, np.ndarray, int]] = {}  # id -> (gen, genotype, tag)
        self._outside: set[int] = set()  # pending rows not asked here (queued, other workers)
        self._proposed: tuple[int, np.ndarray] | None = None  # (first id, points) of last ask
        self._gen = 0
        self._told = 0
        self._members: list[tuple[np.ndarray, int, float]] = []
        self._queue = np.empty((0, space.d))
        self._tags = np.empty(0, dtype=np.int64)
        self._points = self._queue
        self._next = 0
        self._size = 0  # children that close the current generation (set on the first ask)
        self._asked = 0  # children asked from the current generation
        self._wanted = 0  # children still to hand out in the ask that calls _breed
        self._opened = False  # whether one of them has been told
        self._used = 0  # complete points that entered an update
        self._joined = 0  # points passed to _join

    @property
    def generation(self) -> int:
        """Generations closed so far."""
        return self._gen

    @property
    def evaluations_used(self) -> int:
        """Complete trials (asked or told from elsewhere) that have entered an update so far;
        those waiting in the open generation are counted when it closes."""
        return self._used

    def _grown(self) -> bool:
        """Whether the block being bred is for a batch larger than what remains of the
        generation, asked before any child of the generation was told."""
        return not self._opened and self._asked + self._wanted > self.lam

    # ---------------------------------------------------------------- hooks
    def _express(self, G: np.ndarray) -> np.ndarray:
        return self.space.snap(G)

    def _late(self, g: np.ndarray, tag: int, y: float) -> None:  # noqa: B027 - optional hook
        pass

    def _foreign(self, x: np.ndarray, y: float) -> None:  # noqa: B027 - optional hook
        pass

    def _breed(self) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover - abstract
        raise NotImplementedError

    def _advance(self, G: np.ndarray, tags: np.ndarray, y: np.ndarray, n_told: int) -> None:
        raise NotImplementedError  # pragma: no cover - abstract

    # ---------------------------------------------------------------- ask
    def propose(self, history: History, n: int) -> np.ndarray:
        self._sync(history)
        t0 = len(history)
        out = []
        i = 0
        while i < n:
            if self._next >= len(self._queue):
                self._wanted = n - i
                self._queue, self._tags = self._breed()
                self._points = self._express(self._queue)  # once per block, not per ask
                self._next = 0
            k = min(n - i, len(self._queue) - self._next)
            for j in range(self._next, self._next + k):
                self._inflight[t0 + i] = (self._gen, self._queue[j], int(self._tags[j]))
                i += 1
            self._asked += k
            if self._grow and not self._opened:
                self._size = max(self._size, min(self._asked, self._grow * self.lam))
            out.append(self._points[self._next : self._next + k])
            self._next += k
        X = out[0] if len(out) == 1 else np.concatenate(out)
        self._proposed = (t0, X)
        return X

    def _sync(self, history: History) -> None:
        t = len(history)
        states, y_all, X_all = history.states, history.y_all, history.X_all
        # rows added since the last ask: ours (as proposed) or told from elsewhere; a proposal
        # whose trial was never created, or whose id went to another point, is forgotten
        if self._proposed is not None:
            t0, X = self._proposed
            self._proposed = None
            made = min(max(t - t0, 0), len(X))
            if made == 1:  # the usual single ask: one row, compared without numpy's overhead
                lost = [] if X_all[t0].tobytes() == X[0].tobytes() else [0]
            else:
                same = np.all(X_all[t0 : t0 + made] == X[:made], axis=1)
                lost = np.flatnonzero(~same).tolist()
            for i in lost + list(range(made, len(X))):
                self._inflight.pop(t0 + i, None)
        max_age = self.max_age if self.max_age is not None else max(1000, 20 * self.lam)
        if self._outside:  # rows from elsewhere that were pending when first read
            for tid in sorted(self._outside):
                s = int(states[tid])
                if s == COMPLETE:
                    self._outside.discard(tid)
                    self._foreign_row(tid, X_all, y_all)
                elif s != PENDING or tid < t - max_age:
                    self._outside.discard(tid)
        for tid in range(self._seen, t):
            if tid in self._inflight:
                continue
            s = int(states[tid])
            if s == COMPLETE:
                self._foreign_row(tid, X_all, y_all)
            elif s == PENDING:
                self._outside.add(tid)
        self._seen = t
        if not self._inflight:
            return
        if len(self._inflight) <= 64:  # the usual case: plain Python is faster than numpy here
            done, codes, stale, limit = [], [], [], t - max_age
            for tid in sorted(self._inflight):
                s = int(states[tid])
                if s != PENDING:
                    done.append(tid)
                    codes.append(s)
                elif tid < limit:
                    stale.append(tid)
        else:
            ids = np.fromiter(self._inflight, dtype=np.int64, count=len(self._inflight))
            st = states[ids]
            stale = ids[(st == PENDING) & (ids < t - max_age)].tolist()
            done_ids = np.sort(ids[st != PENDING])
            done, codes = done_ids.tolist(), states[done_ids].tolist()
        for tid in stale:
            del self._inflight[tid]  # pending too long: forgotten
        for tid, s in zip(done, codes, strict=True):
            gen, g, tag = self._inflight.pop(tid)
            y = float(tid if self._by_id else y_all[tid])
            if gen == self._gen:
                self._told += 1
                self._opened = True
                if s == COMPLETE and self._steady:
                    self._late(g, tag, y)
                    self._used += 1
                elif s == COMPLETE:
                    self._members.append((g, tag, y))
            elif s == COMPLETE:
                joined = self._joined
                self._late(g, tag, y)
                self._used += self._joined == joined
            if self._told >= max(self.lam, self._size):
                self._close()

    def _foreign_row(self, tid: int, X_all: np.ndarray, y_all: np.ndarray) -> None:
        """Hand a complete row that was not asked here to ``_foreign``, and count it."""
        joined = self._joined
        self._foreign(X_all[tid].copy(), float(tid if self._by_id else y_all[tid]))
        self._used += self._joined == joined

    def _close(self) -> None:
        members, n_told = self._members, self._told
        self._members, self._told = [], 0
        self._gen += 1
        self._queue = self._queue[:0]
        self._next = 0
        self._size, self._asked, self._opened = 0, 0, False
        self._used += len(members)
        if members:
            G = np.array([m[0] for m in members])
            tags = np.array([m[1] for m in members], dtype=np.int64)
            y = np.array([m[2] for m in members])
        else:
            G, tags, y = np.empty((0, self.space.d)), np.empty(0, np.int64), np.empty(0)
        self._advance(G, tags, y, n_told)
        if self._grow:  # the next generation waits for as many of the children in flight
            self._size = min(len(self._inflight), self._grow * self.lam)

    def _join(self, g: np.ndarray, tag: int, y: float) -> None:
        """Count a point as a complete member of the current generation."""
        self._told += 1
        self._joined += 1
        self._members.append((g, tag, y))
        if self._told >= max(self.lam, self._size):
            self._close()
