"""Random search: independent uniform draws on each dimension's own scale (log where log)."""

from __future__ import annotations

import numbers

import numpy as np

from hpo_core.strategies.base import History, Strategy

__all__ = ["RandomSearch"]


def _integer(value: object) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


class RandomSearch(Strategy):
    """Uniform random points on the unit cube (which is uniform on each dimension's scale).

    Draws are made in blocks of ``block`` points (one call of the generator each), so the
    sequence of points for a seed does not depend on how the asks are batched. In a space of
    integers and categories only, a draw that repeats a point of the history is drawn again
    (up to 100 times), so points are not repeated while others are left, as
    RandomizedSearchCV samples lists of values without replacement.
    """

    name = "random"
    multi_objective = True  # ignores the values
    reads_history = False  # nor the points

    def __init__(self, block: int = 256) -> None:
        if not _integer(block) or block < 1:
            raise ValueError(f"block must be an integer >= 1, got {block!r}")
        self.block = int(block)
        self._buffer = np.empty((0, 0))
        self._next = 0

    def propose(self, history: History, n: int) -> np.ndarray:
        out = []
        while n > 0:
            if self._next >= len(self._buffer):
                self._buffer = self.rng.random((self.block, self.space.d))
                self._next = 0
            take = min(n, len(self._buffer) - self._next)
            out.append(self._buffer[self._next : self._next + take])
            self._next += take
            n -= take
        X = out[0] if len(out) == 1 else np.concatenate(out)
        return self.space.distinct(X, history.X_all, self.rng) if self.space.discrete else X
