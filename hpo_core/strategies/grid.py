"""Grid search: the Cartesian product of every dimension's grid values."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from hpo_core.strategies.base import History, SearchSpaceExhausted, Strategy

if TYPE_CHECKING:
    from hpo_core.space import Space

__all__ = ["GridSearch"]


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
        if isinstance(grid_points, bool) or not isinstance(grid_points, int) or grid_points < 2:
            raise ValueError(f"grid_points must be an integer >= 2, got {grid_points!r}")
        if not isinstance(shuffle, bool):
            raise ValueError(f"shuffle must be True or False, got {shuffle!r}")
        self.grid_points = grid_points
        self.shuffle = shuffle

    def setup(self, space: Space, rng: np.random.Generator) -> None:
        super().setup(space, rng)
        self._axes = space.grid_axes(self.grid_points)
        self._sizes = [len(a) for a in self._axes]
        # conditional spaces: only valid combinations, listed; plain ones: a lazy product
        self._rows = list(space.iter_grid(self.grid_points)) if space.conditional else None
        self.size = len(self._rows) if self._rows is not None else math.prod(self._sizes)
        self._order = rng.permutation(self.size) if self.shuffle else None
        self._cursor = 0
        self._seen: set[tuple[float, ...]] = set()
        self._seen_upto = 0

    def _point(self, index: int) -> np.ndarray:
        if self._order is not None:
            index = int(self._order[index])
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
