"""Random search: independent uniform draws on each dimension's own scale (log where log)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from hpo_core.strategies.base import History, Strategy, is_integer

if TYPE_CHECKING:
    from hpo_core.space import Space

__all__ = ["RandomSearch"]


#: draws of a point in a discrete space before one that repeats the history is kept
TRIES = 100


class RandomSearch(Strategy):
    """Uniform random points on the unit cube (which is uniform on each dimension's scale).

    Draws are made in blocks of ``block`` points (one call of the generator each), so the
    sequence of points for a seed does not depend on how the asks are batched. In a space of
    integers and categories only, a draw that repeats a point of the history is passed over for
    the next (up to 100 in a row), so points are not repeated while others are left, as
    RandomizedSearchCV samples lists of values without replacement.
    """

    name = "random"
    multi_objective = True  # ignores the values
    reads_history = False  # nor the points, but in a discrete space (see setup)

    def __init__(self, block: int = 256) -> None:
        if not is_integer(block) or block < 1:
            raise ValueError(f"block must be an integer >= 1, got {block!r}")
        self.block = int(block)
        self._buffer = np.empty((0, 0))
        self._next = 0

    def setup(self, space: Space, rng: np.random.Generator) -> None:
        super().setup(space, rng)
        self.reads_history = space.discrete  # it passes over the points of the history there

    def propose(self, history: History, n: int) -> np.ndarray:
        if not self.space.discrete:
            return self._take(n)
        # a draw that repeats a point is passed over for the stream's next one (after 100 in a
        # row, the last is kept): what is asked follows the stream whatever the batches
        seen = {row.tobytes() for row in self.space.snap(history.X_all)}
        out: list[np.ndarray] = []
        skipped = 0
        while len(out) < n:
            X = self._take(n - len(out))
            for x, key in zip(X, map(np.ndarray.tobytes, self.space.snap(X)), strict=True):
                if key in seen and skipped < TRIES - 1:
                    skipped += 1
                    continue
                seen.add(key)
                out.append(x)
                skipped = 0
        return np.array(out)

    def _take(self, n: int) -> np.ndarray:
        """The stream's next n draws (blocks of ``block`` rows, each one call of the generator)."""
        out = []
        while n > 0:
            if self._next >= len(self._buffer):
                self._buffer = self.rng.random((self.block, self.space.d))
                self._next = 0
            take = min(n, len(self._buffer) - self._next)
            out.append(self._buffer[self._next : self._next + take])
            self._next += take
            n -= take
        return out[0] if len(out) == 1 else np.concatenate(out)
