"""Grid search: the Cartesian product of every dimension's grid values."""

from __future__ import annotations

import hashlib
import math
from typing import TYPE_CHECKING

import numpy as np

from hpo_core.strategies.base import History, SearchSpaceExhausted, Strategy, is_integer

if TYPE_CHECKING:
    from hpo_core.space import Space

__all__ = ["GridSearch"]


#: the largest grid whose shuffled order is held as an array (8 bytes a point)
HELD = 2**22


def _shuffled(index: int, size: int, keys: list[int]) -> int:
    """The index's place in a random order of range(size): a Feistel network of the keys'
    rounds on the smallest even number of bits that holds size (a bijection), walked again
    from its output until that falls below size (which keeps it a bijection of range(size))."""
    half = max(1, ((size - 1).bit_length() + 1) // 2)
    mask = (1 << half) - 1
    nbytes = (half + 7) // 8
    x = index
    while True:
        left, right = x >> half, x & mask
        for key in keys:
            digest = hashlib.blake2b(
                right.to_bytes(nbytes, "little"),
                digest_size=nbytes + 8,
                key=key.to_bytes(8, "little"),
            ).digest()
            left, right = right, left ^ (int.from_bytes(digest, "little") & mask)
        x = (left << half) | right
        if x < size:
            return x


class GridSearch(Strategy):
    """Every combination of the dimensions' grid values, each once.

    A ``Real`` is cut into ``grid_points`` values on its own scale (log where log), an
    ``Integer`` likewise (all its values when it has at most ``grid_points``), a ``Categorical``
    gives all its choices; so a space made only of lists is exactly scikit-learn's ParameterGrid
    (and a list of such dicts the union of their grids). In a conditional space only valid
    combinations are listed: an inactive parameter does not multiply the grid.
    Points already in the history (told as a warm start, or asked before) are skipped. The order
    is the product order over the parameters as the space lists them (last parameter fastest)
    or, with ``shuffle=True``, a random order. ParameterGrid sorts a dict's keys first; so does
    ``SearchCV`` (the drop-in gives GridSearchCV's order), while the ``Optimizer`` keeps the
    order the user wrote, so that it decides which parameter varies fastest.
    When every point has been handed out, ``propose`` raises ``SearchSpaceExhausted``.
    """

    name = "grid"
    finite = True
    multi_objective = True  # ignores the values

    def __init__(self, grid_points: int = 5, shuffle: bool = False) -> None:
        if not is_integer(grid_points) or grid_points < 2:
            raise ValueError(f"grid_points must be an integer >= 2, got {grid_points!r}")
        if not isinstance(shuffle, bool):
            raise ValueError(f"shuffle must be True or False, got {shuffle!r}")
        self.grid_points = int(grid_points)
        self.shuffle = shuffle

    def setup(self, space: Space, rng: np.random.Generator) -> None:
        super().setup(space, rng)
        self._axes = space.grid_axes(self.grid_points)
        self._sizes = [len(a) for a in self._axes]
        # conditional spaces: only valid combinations, listed; plain ones: a lazy product
        self._rows = list(space.iter_grid(self.grid_points)) if space.conditional else None
        self.size = len(self._rows) if self._rows is not None else math.prod(self._sizes)
        # a shuffled order: a permutation held in memory, or for a grid too large for that, a
        # keyed bijection of the indices computed one index at a time
        self._order = rng.permutation(self.size) if self.shuffle and self.size <= HELD else None
        self._keys = (
            rng.integers(0, 2**63, 4).tolist() if self.shuffle and self._order is None else []
        )
        self._cursor = 0
        self._seen: set[tuple[float, ...]] = set()
        self._seen_upto = 0

    def _point(self, index: int) -> np.ndarray:
        if self._order is not None:
            index = int(self._order[index])
        elif self._keys:
            index = _shuffled(index, self.size, self._keys)
        if self._rows is not None:
            return self._rows[index]
        row = np.empty(len(self._axes))
        for j in range(len(self._axes) - 1, -1, -1):
            index, r = divmod(index, self._sizes[j])
            row[j] = self._axes[j][r]
        return row

    def propose(self, history: History, n: int) -> np.ndarray:
        # remember every point the history holds, so warm-started points are not asked again
        for row in self.space.snap(history.X_all[self._seen_upto :]):
            self._seen.add(tuple(row))
        self._seen_upto = len(history)
        out: list[np.ndarray] = []
        while len(out) < n and self._cursor < self.size:
            row = self._point(self._cursor)
            self._cursor += 1
            key = tuple(self.space.snap(row[None, :])[0])
            if key not in self._seen:
                self._seen.add(key)
                out.append(row)
        if not out:
            raise SearchSpaceExhausted(f"all {self.size} grid points have been asked")
        return np.array(out)
