"""Coarse-to-fine: explore the whole cube, then search a box around the best region.

A first phase spreads ``n_coarse`` points over the whole unit cube (Sobol by default). Then the
strategy takes the best points so far, fits a box around them (their bounding box, padded) and
runs an inner strategy (Bayesian optimisation when it is installed, else random search) in that
box. The inner strategy sees a space of its own, the box mapped onto its local unit cube, and only
the trials that lie in the box; its points are mapped back. When the best point found sits on a
side of the box that is not a side of the cube, that side moves out (the box widens), so a box
drawn too tight early on does not trap the search.

Categorical columns are never shrunk (their order means nothing); an integer column shrinks to
the values whose cells the box covers.

>>> from hpo_core import Optimizer
>>> from hpo_core.strategies.chain import CoarseToFine
>>> opt = Optimizer({"x": (-5.0, 5.0), "y": (-5.0, 5.0)},
...                 strategy=CoarseToFine(budget=40, inner="random"), seed=0)
>>> best = opt.optimize(lambda p: (p["x"] - 1) ** 2 + (p["y"] + 2) ** 2, n_trials=40)
>>> bool(best.value < 0.5), opt.strategy.box.shape
(True, (2, 2))
"""

from __future__ import annotations

import copy
import math

import numpy as np

from hpo_core.space import CATEGORICAL, INTEGER, Categorical, Dimension, Integer, Real, Space
from hpo_core.strategies.base import History, SearchSpaceExhausted, Strategy, is_integer, is_number

__all__ = ["CoarseToFine"]


def _inner_default() -> str:
    from hpo_core.strategies import STRATEGIES

    return "bayes" if "bayes" in STRATEGIES else "random"


class CoarseToFine(Strategy):
    """A space-filling phase, then an inner strategy in a box around the best points.

    Parameters
    ----------
    coarse : str or Strategy, default "sobol"
        The strategy of the first phase (a name in ``STRATEGIES`` or an unused instance); a
        finite one (the grid) that runs out of points ends the first phase there.
    inner : str, Strategy or None, default None
        The strategy run inside the box, created through ``make_strategy`` each time the box
        changes (an instance is copied). None: ``"bayes"`` when registered, else ``"random"``.
    n_coarse : int or None, default None
        Trials of the first phase. None: ``ceil(coarse_fraction * budget)`` when ``budget`` is
        given, else ``max(8, 2 * d + 2)``.
    budget : int or None, default None
        Total number of trials planned (only used to size the first phase).
    coarse_fraction : float in (0, 1), default 0.3
    top_fraction : float in (0, 1], default 0.2
        The box bounds the best ``max(min_top, ceil(top_fraction * n))`` of ``n`` complete trials.
    min_top : int >= 1, default 3
    padding : float >= 0, default 0.25
        Each side of the bounding box moves out by this fraction of its width.
    min_width : float in (0, 1], default 0.1
        A real or integer side narrower than this (on the unit cube) is widened around its middle.
    edge : float in [0, 0.5), default 0.05
        The best point is "on the edge" when it is within ``edge`` times the box width of a side.
    widen : float > 0, default 1.0
        A side the best point sits on moves out by ``widen`` times the box width.
    """

    name = "coarse-to-fine"

    def __init__(
        self,
        coarse: str | Strategy = "sobol",
        inner: str | Strategy | None = None,
        n_coarse: int | None = None,
        budget: int | None = None,
        coarse_fraction: float = 0.3,
        top_fraction: float = 0.2,
        min_top: int = 3,
        padding: float = 0.25,
        min_width: float = 0.1,
        edge: float = 0.05,
        widen: float = 1.0,
    ) -> None:
        for name, k in (("n_coarse", n_coarse), ("budget", budget)):
            if k is not None and (not is_integer(k) or k < 1):
                raise ValueError(f"{name} must be None or an integer >= 1, got {k!r}")
        if not is_integer(min_top) or min_top < 1:
            raise ValueError(f"min_top must be an integer >= 1, got {min_top!r}")
        checks = (
            ("coarse_fraction", coarse_fraction, lambda v: 0.0 < v < 1.0, "in (0, 1)"),
            ("top_fraction", top_fraction, lambda v: 0.0 < v <= 1.0, "in (0, 1]"),
            ("padding", padding, lambda v: 0.0 <= v < math.inf, ">= 0 (finite)"),
            ("min_width", min_width, lambda v: 0.0 < v <= 1.0, "in (0, 1]"),
            ("edge", edge, lambda v: 0.0 <= v < 0.5, "in [0, 0.5)"),
            ("widen", widen, lambda v: 0.0 < v < math.inf, "> 0 (finite)"),
        )
        for name, number, ok, allowed in checks:
            if not is_number(number) or not ok(number):
                raise ValueError(f"{name} must be a number {allowed}, got {number!r}")
        for name, spec in (("coarse", coarse), ("inner", inner)):
            if not (spec is None and name == "inner") and not isinstance(spec, (str, Strategy)):
                raise ValueError(f"{name} must be a strategy name or a Strategy, got {spec!r}")
        self.coarse = coarse
        self.inner = inner
        self.n_coarse = None if n_coarse is None else int(n_coarse)
        self.budget = None if budget is None else int(budget)
        self.coarse_fraction = float(coarse_fraction)
        self.top_fraction = float(top_fraction)
        self.min_top = int(min_top)
        self.padding = float(padding)
        self.min_width = float(min_width)
        self.edge = float(edge)
        self.widen = float(widen)

    # ------------------------------------------------------------------ set-up
    def _new(self, spec: str | Strategy) -> Strategy:
        from hpo_core.strategies import make_strategy

        if isinstance(spec, Strategy):
            return copy.deepcopy(spec)
        return make_strategy(spec)

    def setup(self, space: Space, rng: np.random.Generator) -> None:
        super().setup(space, rng)
        if self.n_coarse is not None:
            self._n_coarse = self.n_coarse
        elif self.budget is not None:
            self._n_coarse = max(1, math.ceil(self.coarse_fraction * self.budget))
        else:
            self._n_coarse = max(8, 2 * space.d + 2)
        self._coarse = self._new(self.coarse)
        self._coarse.setup(space, rng)
        self._inner_spec = _inner_default() if self.inner is None else self.inner
        self._dims = [space[n] for n in space.names]
        self._shrink = np.array([k != CATEGORICAL for k in space.kinds])
        #: the current box on the unit cube, shape (2, d) (lows, highs); None before the fine phase
        self.box: np.ndarray | None = None
        self._inner: Strategy | None = None
        self._local: Space | None = None

    # ------------------------------------------------------------------ the box
    def _active(self, X: np.ndarray) -> np.ndarray:
        """Which entries of X (n, d) are active (all of them in a space without conditions)."""
        if getattr(self.space, "conditional", False):
            return self.space.active(X)
        return np.ones(X.shape, dtype=bool)

    def _initial_box(self, X: np.ndarray, y: np.ndarray) -> np.ndarray:
        k = min(len(y), max(self.min_top, math.ceil(self.top_fraction * len(y))))
        top = X[np.argsort(y, kind="stable")[:k]]
        act = self._active(top)
        # a column inactive in every top point keeps its whole range
        lo = np.where(act.any(axis=0), np.where(act, top, np.inf).min(axis=0), 0.0)
        hi = np.where(act.any(axis=0), np.where(act, top, -np.inf).max(axis=0), 1.0)
        # an integer value owns a cell of width 1/levels: cover the whole cell
        half = np.where(self.space.kinds == INTEGER, 0.5 / np.maximum(self.space.levels, 1), 0.0)
        lo, hi = lo - half, hi + half
        pad = self.padding * (hi - lo)
        lo, hi = lo - pad, hi + pad
        short = (hi - lo) < self.min_width
        mid = 0.5 * (lo + hi)
        lo = np.where(short, mid - 0.5 * self.min_width, lo)
        hi = np.where(short, mid + 0.5 * self.min_width, hi)
        # keep the width when the box is pushed against a side of the cube
        lo, hi = np.where(hi > 1.0, lo - (hi - 1.0), lo), np.where(lo < 0.0, hi - lo, hi)
        lo, hi = np.clip(lo, 0.0, 1.0), np.clip(hi, 0.0, 1.0)
        lo = np.where(self._shrink, lo, 0.0)
        hi = np.where(self._shrink, hi, 1.0)
        return np.vstack([lo, hi])

    def _widened(self, box: np.ndarray, best: np.ndarray) -> np.ndarray | None:
        assert self._local is not None  # a box is set
        lo, hi = box
        width = hi - lo
        tol = self.edge * width + 1e-12
        act = self._active(best[None, :])[0] & self._shrink
        # the sides as the box offers them: an integer's outermost values (the centres of their
        # cells lie inside the box), and whether the dimension has values beyond them
        first, last, room_lo, room_hi = lo.copy(), hi.copy(), lo > 0.0, hi < 1.0
        for j, (dim, ldim) in enumerate(
            zip(self._dims, self._local.dimensions.values(), strict=True)
        ):
            if isinstance(dim, Integer):
                v0, v1 = ldim.decode(0.0), ldim.decode(1.0)
                first[j], last[j] = dim.encode(v0), dim.encode(v1)
                room_lo[j], room_hi[j] = v0 > dim.low, v1 < dim.high
        low_edge = act & room_lo & (best - first <= tol)
        high_edge = act & room_hi & (last - best <= tol)
        if not (low_edge.any() or high_edge.any()):
            return None
        lo = np.where(low_edge, np.maximum(0.0, lo - self.widen * width), lo)
        hi = np.where(high_edge, np.minimum(1.0, hi + self.widen * width), hi)
        return np.vstack([lo, hi])

    def _set_box(self, box: np.ndarray) -> None:
        self.box = box
        dims = {}
        for j, (name, dim) in enumerate(zip(self.space.names, self._dims, strict=True)):
            dims[name] = self._local_dim(dim, box[0, j], box[1, j])
        # internal names (a list of sub-spaces' hidden column too), so not Space(dims), which
        # refuses that column's name from users
        self._local = Space._from_parts(dims, {})
        self._inner = self._new(self._inner_spec)
        self._inner.setup(self._local, self.rng)

    @staticmethod
    def _local_dim(dim: Dimension, a: float, b: float) -> Dimension:
        # conditions carry over: their parents are categoricals, which the box keeps whole
        when = dict(dim.when) if getattr(dim, "when", None) else None
        if dim.kind == CATEGORICAL:
            return dim
        if isinstance(dim, Integer):
            v0, v1 = dim.decode(a), dim.decode(b)
            v0 += dim.encode(v0) < a  # the values whose cell centres the box covers
            v1 -= dim.encode(v1) > b
            if v0 >= v1:
                value = dim.decode(0.5 * (a + b)) if v0 > v1 else v0
                return Categorical((value,), when=when)
            return Integer(v0, v1, log=dim.log, when=when)
        return Real(0.0, 1.0, when=when)

    # ------------------------------------------------------------------ mapping
    def _to_global(self, U: np.ndarray) -> np.ndarray:
        assert self.box is not None and self._local is not None  # fine phase: _set_box ran
        lo, hi = self.box
        X = lo + U * (hi - lo)
        for j, (dim, ldim) in enumerate(
            zip(self._dims, self._local.dimensions.values(), strict=True)
        ):
            if dim.kind == INTEGER:  # reals and categoricals (kept whole) map linearly
                X[:, j] = [dim.encode(ldim.decode(float(u))) for u in U[:, j]]
        return self.space.snap(X)

    def _to_local(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Local coordinates of the rows of X and a mask of the rows inside the box."""
        assert self.box is not None and self._local is not None  # fine phase: _set_box ran
        lo, hi = self.box
        width = np.where(hi > lo, hi - lo, 1.0)
        U = (X - lo) / width
        act = self._active(X)
        U[~act] = 0.5  # an inactive entry is imputed in the local space too
        inside = np.all((U >= -1e-9) & (U <= 1 + 1e-9), axis=1)
        for j, (dim, ldim) in enumerate(
            zip(self._dims, self._local.dimensions.values(), strict=True)
        ):
            if dim.kind != INTEGER:
                continue
            for i in np.flatnonzero(inside & act[:, j]):
                try:
                    U[i, j] = ldim.encode(dim.decode(float(X[i, j])))
                except ValueError:
                    inside[i] = False
        return np.clip(U, 0.0, 1.0), inside

    def _local_history(self, history: History) -> History:
        X = history.X_all
        keep = ~np.isnan(X).any(axis=1)
        U, inside = self._to_local(np.where(keep[:, None], X, 0.0))
        rows = np.flatnonzero(inside & keep)
        return History(U[rows], history.y_all[rows].copy(), history.states[rows].copy(), len(rows))

    # ------------------------------------------------------------------ propose
    def propose(self, history: History, n: int) -> np.ndarray:
        complete = history.complete
        if len(history) < self._n_coarse or len(complete) == 0:
            k = n if len(complete) == 0 else min(n, self._n_coarse - len(history))
            try:
                return self._coarse.propose(history, k)
            except SearchSpaceExhausted:
                if len(complete) == 0:
                    raise
                self._n_coarse = len(history)  # a finite first phase ends with its points
        X, y = history.X, history.y
        ok = ~np.isnan(X).any(axis=1) & np.isfinite(y)
        X, y = X[ok], y[ok]
        if len(y) == 0:
            return self._coarse.propose(history, n)
        if self.box is None:
            self._set_box(self._initial_box(X, y))
        else:
            wider = self._widened(self.box, X[np.argmin(y)])
            if wider is not None:
                self._set_box(wider)
        assert self._inner is not None  # _set_box ran, now or when the box was first set
        U = np.asarray(self._inner.propose(self._local_history(history), n), dtype=float)
        return self._to_global(U)
