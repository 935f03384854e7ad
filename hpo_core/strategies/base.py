"""The one interface every search strategy implements.

A strategy proposes encoded points (rows on the unit cube ``[0, 1]^d``) from the encoded
history. It never sees trials, parameter dicts or user objects: the ``Optimizer`` keeps the
books (ids, states, validation, failures) and translates.

Notation: ``d`` dimensions; ``n`` complete trials; ``m`` pending trials. Values ``y`` are always
to be *minimised* (the optimizer negates them for ``direction="maximize"``).

Several objectives (``direction=[...]``) arrive as ``History.Y`` (n, k), every column to be
minimised, with ``y`` its first column; a strategy that uses them sets the class attribute
``multi_objective = True`` (the optimizer refuses a study with several objectives otherwise).
Constraints (``constraints=True``) arrive as ``History.C`` (n, c), satisfied where ``<= 0``. A
strategy that models them sets ``handles_constraints = True``; every other one sees, in a
constrained study, ``y`` in the order of constrained domination: ``sign(v) log(1 + |v|)`` of
a feasible trial's value v, and ``1000 + log(1 + violation)`` for an infeasible one (after every
feasible trial, the smaller total violation ``sum max(c, 0)`` first). Order-based strategies
(GA, DE, CMA-ES, TPE) thereby prefer feasible points unchanged.
"""

from __future__ import annotations

import numbers
import warnings
from abc import ABC, abstractmethod
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from hpo_core.space import Space

__all__ = [
    "History",
    "Strategy",
    "SearchSpaceExhausted",
    "StrategyFallbackWarning",
    "is_integer",
    "is_number",
]


def is_integer(value: object) -> bool:
    """Whether an option's value is an integer (numpy's too), bools excluded."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def is_number(value: object) -> bool:
    """Whether an option's value is a real number (numpy's too), bools excluded."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


PENDING, COMPLETE, FAILED, PRUNED = 0, 1, 2, 3


class SearchSpaceExhausted(Exception):
    """A finite strategy (the grid) has handed out every point it has."""


class StrategyFallbackWarning(UserWarning):
    """A strategy could not propose from its model and fell back to random points."""


class History:
    """The encoded trial history, as strategies see it during one ``propose`` call.

    Views, computed on first access, of the optimizer's arrays; valid for the call it is passed
    to (the optimizer updates its arrays afterwards).

    Attributes
    ----------
    X_all : ndarray of shape (t, d)
        Every trial's encoded point, in trial-id order (row i is trial i).
    y_all : ndarray of shape (t,)
        Values to minimise; NaN where a trial has no value.
    states : ndarray of shape (t,)
        0 pending, 1 complete, 2 failed, 3 pruned.
    Y_all : ndarray of shape (t, k)
        The k objectives, each to minimise (NaN where a trial has no values); ``y_all`` is its
        first column. One column in a single-objective study.
    C_all : ndarray of shape (t, c)
        Constraint values, satisfied where ``<= 0`` (NaN where not told); c = 0 without
        constraints. Complete trials of a constrained study always have them.
    """

    def __init__(
        self,
        X: np.ndarray,
        y: np.ndarray,
        states: np.ndarray,
        t: int,
        Y: np.ndarray | None = None,
        C: np.ndarray | None = None,
    ) -> None:
        self._arrays = (X, y, states)
        self._t = t
        self._Y = Y
        self._C = C

    def __len__(self) -> int:
        return self._t

    @cached_property
    def X_all(self) -> np.ndarray:
        return self._arrays[0][: self._t]

    @cached_property
    def y_all(self) -> np.ndarray:
        return self._arrays[1][: self._t]

    @cached_property
    def states(self) -> np.ndarray:
        return self._arrays[2][: self._t]

    @cached_property
    def complete(self) -> np.ndarray:
        """Ids (row indices) of complete trials, shape (n,)."""
        return np.flatnonzero(self.states == COMPLETE)

    @cached_property
    def pending(self) -> np.ndarray:
        """Ids of pending trials, shape (m,)."""
        return np.flatnonzero(self.states == PENDING)

    @cached_property
    def Y_all(self) -> np.ndarray:
        if self._Y is None:
            return self.y_all[:, None]
        return self._Y[: self._t]

    @cached_property
    def C_all(self) -> np.ndarray:
        if self._C is None:
            return np.empty((self._t, 0))
        return self._C[: self._t]

    @property
    def Y(self) -> np.ndarray:
        """Complete trials' objectives to minimise, shape (n, k)."""
        return self.Y_all[self.complete]

    @property
    def C(self) -> np.ndarray:
        """Complete trials' constraint values, shape (n, c) (feasible where all ``<= 0``)."""
        return self.C_all[self.complete]

    @property
    def feasible(self) -> np.ndarray:
        """Whether each complete trial satisfies every constraint, shape (n,)."""
        return np.all(self.C <= 0.0, axis=1)

    @property
    def X(self) -> np.ndarray:
        """Complete trials' points, shape (n, d)."""
        return self.X_all[self.complete]

    @property
    def y(self) -> np.ndarray:
        """Complete trials' values to minimise, shape (n,)."""
        return self.y_all[self.complete]

    @property
    def X_pending(self) -> np.ndarray:
        """Pending trials' points, shape (m, d): asked and not yet told (this or other workers)."""
        return self.X_all[self.pending]

    @property
    def X_failed(self) -> np.ndarray:
        """Failed trials' points, shape (k, d)."""
        return self.X_all[self.states == FAILED]


class Strategy(ABC):
    """Base class of search strategies.

    Subclasses implement ``propose``; they may override ``setup`` (calling ``super().setup``)
    to prepare state that depends on the space. Options are constructor arguments, validated
    there. An instance serves one optimizer.
    """

    #: the name ``Optimizer(strategy=...)`` knows it by
    name: str = ""
    #: whether the strategy has a finite set of points and ends by itself (SearchSpaceExhausted)
    finite: bool = False
    #: whether the strategy accepts several objectives (``History.Y`` with k > 1)
    multi_objective: bool = False
    #: whether the strategy reads ``History.C`` itself (else it sees ``y`` ranked by feasibility)
    handles_constraints: bool = False
    #: whether proposals depend on the history (pending trials included); one that does not
    #: is asked on a shared store without holding the study's lock while it proposes
    reads_history: bool = True

    space: Space
    rng: np.random.Generator

    def setup(self, space: Space, rng: np.random.Generator) -> None:
        """Bind the strategy to a space and the optimizer's random generator (once)."""
        if getattr(self, "_bound", False):
            raise ValueError(
                f"this {type(self).__name__} instance already serves an optimizer; "
                "pass a new instance to each Optimizer"
            )
        self._bound = True
        self.space = space
        self.rng = rng

    @abstractmethod
    def propose(self, history: History, n: int) -> np.ndarray:
        """Return up to ``n`` new points, shape (k, d) with 1 <= k <= n, on the unit cube (the
        optimizer asks again for the rest, with these points pending).

        Pending points (``history.X_pending``) are trials in flight: a batch must not repeat
        them. Raise ``SearchSpaceExhausted`` when there is nothing left to propose.
        """

    def fallback(self, n: int, reason: str) -> np.ndarray:
        """n random points, with the one warning every strategy gives when its model fails."""
        warnings.warn(
            f"{type(self).__name__} fell back to random points: {reason}",
            StrategyFallbackWarning,
            stacklevel=3,
        )
        return self.space.sample(n, self.rng)

    def __repr__(self) -> str:
        opts = ", ".join(
            f"{k}={v!r}"
            for k, v in vars(self).items()
            if not k.startswith("_") and k not in ("space", "rng")
        )
        return f"{type(self).__name__}({opts})"
