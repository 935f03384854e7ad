"""Pieces of the scikit-learn adapter: the splits every batch shares, seeds, fit failures."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
from sklearn.utils import check_random_state


def _all_fits_failed(err: ValueError) -> bool:
    text = str(err)
    return "All the" in text and "fits failed" in text


def _seed(random_state: Any) -> int | None:
    if random_state is None:
        return None
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        return int(random_state)
    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))


class _SameSplits:
    """A splitter that gives the splits of its first ``split`` call every time.

    BaseSearchCV calls ``cv.split`` once per ``evaluate_candidates`` call; a shuffling splitter
    without a fixed ``random_state`` would then give each batch of candidates other folds, which
    GridSearchCV (one call) never does. Keeping the first splits makes every candidate's score
    comparable, and saves re-splitting at each batch.
    """

    def __init__(self, cv: Any) -> None:
        self.cv = cv
        self._splits: list | None = None

    def split(self, X: Any, y: Any = None, groups: Any = None, **params: Any) -> list:
        if self._splits is None:
            if groups is not None:
                params["groups"] = groups
            self._splits = list(self.cv.split(X, y, **params))
        return self._splits

    def get_n_splits(self, X: Any = None, y: Any = None, groups: Any = None, **params: Any) -> int:
        if self._splits is not None:
            return len(self._splits)
        return self.cv.get_n_splits(X, y, groups, **params)
