"""The learning-rate controller: hypergradient in, next learning rate out.

Notation (Baydin et al., 2018, "Online Learning Rate Adaptation with Hypergradient Descent"):

==================  ==========================================================================
``g_t``             gradient of the loss at the parameters ``theta_{t-1}``
``u_t``             the parameter update of step t, ``theta_t = theta_{t-1} + u_t``
``d_t``             ``du_t / dalpha``: the update per unit learning rate (``-g_t`` for SGD)
``h_t``             hypergradient ``g_t . d_{t-1}``: the derivative of the loss at
                    ``theta_{t-1}`` with respect to the learning rate of the previous step
``alpha_t``         learning rate used for step t
``beta``            hypergradient learning rate
==================  ==========================================================================

Additive rule: ``alpha_t = alpha_{t-1} - beta h_t``.
Multiplicative rule: ``alpha_t = alpha_{t-1} (1 - beta h_t / (|g_t| |d_{t-1}|))``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np

from hpo_core.hypergradient._checks import Rates, _all_finite, _as_list, _is_real, _real, _unit

__all__ = ["HypergradientController", "NonFiniteGradientWarning"]


class NonFiniteGradientWarning(RuntimeWarning):
    """A gradient held NaN or inf: the step was skipped and the learning rate kept. Also when
    only the hypergradient overflowed (huge finite gradients): the rate is kept, and the
    optimizers still take the step with it."""


class HypergradientController:
    """Online learning-rate adaptation by hypergradient descent, for any training loop.

    The controller holds only the learning rate(s). Each step it takes the current gradient and
    the previous parameter update (or the update per unit learning rate) and returns the
    learning rate to use for the step about to be taken. It works with any optimizer whose
    update is proportional to the learning rate (SGD, momentum, Nesterov, Adam, RMSprop, ...).

    Parameters
    ----------
    lr : float or sequence of float
        Initial learning rate, > 0; a sequence gives one initial rate per group.
    beta : float
        Hypergradient learning rate, >= 0 (0 keeps the rate fixed). With
        ``multiplicative=True`` it must be in [0, 1).
    multiplicative : bool, default False
        Use the multiplicative rule, which scales the rate by ``1 + beta * cos`` where ``cos`` is
        the cosine between the current gradient and the previous descent direction; it does not
        depend on the scale of the gradients.
    lr_min, lr_max : float, default 0 and inf
        Bounds the rate is clipped to after each update, ``0 <= lr_min < lr_max``.
    groups : sequence of hashable, optional
        One label per parameter array; arrays with the same label share a rate, adapted from
        the hypergradient restricted to them. Default: one rate for all arrays.

    Attributes
    ----------
    lr : float or ndarray of shape (n_groups,)
        The current rate (an array when there are several groups).
    lr_history : ndarray of shape (n_updates + 1,) or (n_updates + 1, n_groups)
        The initial rate followed by the rate returned by each ``update`` call.
    n_skipped : int
        Number of updates skipped because of a NaN or infinite gradient or hypergradient.

    Examples
    --------
    >>> import numpy as np
    >>> ctrl = HypergradientController(lr=0.1, beta=0.01)
    >>> ctrl.update([np.array([1.0, 0.0])])  # first step: nothing to compare with yet
    0.1
    >>> ctrl.update([np.array([1.0, 0.0])], prev_update=[np.array([-0.1, 0.0])])
    0.11
    """

    def __init__(
        self,
        lr: Rates,
        beta: float,
        *,
        multiplicative: bool = False,
        lr_min: float = 0.0,
        lr_max: float = math.inf,
        groups: Sequence[Hashable] | None = None,
    ) -> None:
        if not isinstance(multiplicative, bool):
            raise ValueError(f"multiplicative must be True or False, got {multiplicative!r}")
        self.multiplicative = multiplicative
        if multiplicative:
            self.beta = _real(
                "beta",
                beta,
                low=0.0,
                high=1.0,
                high_open=True,
                allowed="in [0, 1) for the multiplicative rule",
            )
        else:
            self.beta = _real("beta", beta, low=0.0, allowed="a finite number >= 0")
        self.lr_min = _real("lr_min", lr_min, low=0.0, allowed="a finite number >= 0")
        if not _is_real(lr_max) or not (float(lr_max) > self.lr_min):
            raise ValueError(f"lr_max must be a number > lr_min={self.lr_min}, got {lr_max!r}")
        self.lr_max = float(lr_max)
        if groups is None:
            self._labels: list[Hashable] = [None]
            self._group_of: np.ndarray | None = None
        else:
            if isinstance(groups, str | bytes) or not isinstance(groups, Sequence | np.ndarray):
                msg = f"groups must be a sequence of labels, one per array, got {groups!r}"
                raise ValueError(msg)
            if len(groups) == 0:
                raise ValueError("groups must hold at least one label")
            labels: list[Hashable] = []
            index: dict[Hashable, int] = {}
            for g in groups:
                key = g.item() if isinstance(g, np.generic) else g
                try:
                    hash(key)
                except TypeError:  # a list or an array row
                    raise ValueError(f"groups must hold hashable labels, got {g!r}") from None
                if key not in index:
                    index[key] = len(labels)
                    labels.append(key)
            self._labels = labels
            self._group_of = np.array(
                [index[g.item() if isinstance(g, np.generic) else g] for g in groups], dtype=np.intp
            )
        self._lrs = self._check_lr(lr)
        self._history: list[np.ndarray] = [self._lrs.copy()]
        self._used = self._lrs.copy()  # the rates returned last, i.e. applied to the last update
        self.n_skipped = 0
        self.last_hypergradient: np.ndarray | None = None

    # ----------------------------------------------------------------- properties
    @property
    def n_groups(self) -> int:
        """Number of learning rates."""
        return len(self._labels)

    @property
    def group_labels(self) -> list[Hashable]:
        """The group labels in order of first appearance (``[None]`` without groups)."""
        return list(self._labels)

    @property
    def lr(self) -> float | np.ndarray:
        """The current rate: a float, or an ndarray of shape (n_groups,) with several groups."""
        return float(self._lrs[0]) if self._group_of is None else self._lrs.copy()

    @lr.setter
    def lr(self, value: Rates) -> None:
        # the next update starts from this rate; the history keeps the rates actually returned
        self._lrs = self._check_lr(value)
        if len(self._history) == 1:
            self._history[0] = self._lrs.copy()
            self._used = self._lrs.copy()

    @property
    def lrs(self) -> np.ndarray:
        """The current rates as an ndarray of shape (n_groups,)."""
        return self._lrs.copy()

    @property
    def lr_history(self) -> np.ndarray:
        """Initial rate, then one row per update: shape (n+1,) or (n+1, n_groups)."""
        h = np.array(self._history)
        return h[:, 0] if self._group_of is None else h

    def _check_lr(self, lr: Any) -> np.ndarray:
        if _is_real(lr):
            vals = [lr] * self.n_groups
        elif isinstance(lr, str | bytes):
            raise ValueError(f"lr must be a number > 0 or a sequence of them, got {lr!r}")
        else:
            try:
                vals = list(lr)
            except TypeError:
                msg = f"lr must be a number > 0 or a sequence of them, got {lr!r}"
                raise ValueError(msg) from None
            if len(vals) != self.n_groups:
                raise ValueError(f"lr has {len(vals)} values but there are {self.n_groups} groups")
        out = np.array(
            [_real("lr", v, low=0.0, low_open=True, allowed="a finite number > 0") for v in vals],
            dtype=np.float64,
        )
        if np.any(out < self.lr_min) or np.any(out > self.lr_max):
            raise ValueError(
                f"lr must lie in [lr_min, lr_max] = [{self.lr_min}, {self.lr_max}], got {lr!r}"
            )
        return out

    # ----------------------------------------------------------------- math
    def _groups_for(self, n: int) -> np.ndarray:
        if self._group_of is None:
            return np.zeros(n, dtype=np.intp)
        if n != len(self._group_of):
            raise ValueError(f"got {n} arrays but groups has {len(self._group_of)} labels")
        return self._group_of

    def hypergradient(self, grads: Sequence[Any], direction: Sequence[Any]) -> np.ndarray:
        """The derivative of the loss with respect to the previous step's learning rate.

        Parameters
        ----------
        grads : sequence of array
            Current gradient ``g_t``, one array per parameter array.
        direction : sequence of array
            Previous update per unit learning rate ``d_{t-1} = u_{t-1} / alpha_{t-1}``, same
            shapes (``-g_{t-1}`` for plain SGD).

        Returns
        -------
        h : ndarray of shape (n_groups,)
            ``h_t = g_t . d_{t-1}`` summed over each group's arrays (float64).
        """
        g = _as_list(grads, "grads")
        d = _as_list(direction, "direction")
        return self._dots(g, d)[0]

    def _dots(self, g: list[np.ndarray], d: list[np.ndarray]) -> tuple[np.ndarray, ...]:
        if len(g) != len(d):
            raise ValueError(f"grads has {len(g)} arrays but the direction has {len(d)}")
        grp = self._groups_for(len(g))
        h = np.zeros(self.n_groups)
        gg = np.zeros(self.n_groups)
        dd = np.zeros(self.n_groups)
        for k, (a, b) in enumerate(zip(g, d, strict=True)):
            if a.shape != b.shape:
                raise ValueError(f"grads[{k}] has shape {a.shape} but the direction {b.shape}")
            a64 = a.ravel().astype(np.float64, copy=False)
            b64 = b.ravel().astype(np.float64, copy=False)
            h[grp[k]] += a64 @ b64
            if self.multiplicative:
                gg[grp[k]] += a64 @ a64
                dd[grp[k]] += b64 @ b64
        return h, gg, dd

    def _record_skip(self, why: str, stacklevel: int = 3) -> float | np.ndarray:
        warnings.warn(
            f"{why}: step skipped, learning rate kept at {self._lrs.tolist()}",
            NonFiniteGradientWarning,
            stacklevel=stacklevel,
        )
        self.n_skipped += 1
        self._history.append(self._lrs.copy())
        return self.lr

    def _warn_kept(self, why: str, stacklevel: int = 3) -> None:
        warnings.warn(
            f"{why}: learning rate kept at {self._lrs.tolist()}, step taken",
            NonFiniteGradientWarning,
            stacklevel=stacklevel,
        )

    def _propose(
        self, g: list[np.ndarray], d: list[np.ndarray]
    ) -> tuple[np.ndarray, np.ndarray | None] | None:
        """The next rates and the hypergradient, or None when either is not finite.

        The multiplicative rule needs only the cosine between ``g`` and ``d``: when their dot
        products overflow (huge but finite gradients) it is computed on ``g`` and ``d`` divided
        by their largest magnitudes, so the rule never overflows (the hypergradient itself is
        then not representable and given as None).
        """
        with np.errstate(over="ignore", invalid="ignore"):
            h, gg, dd = self._dots(g, d)
            h_out: np.ndarray | None = h
            if self.multiplicative:
                if not (np.isfinite(h).all() and np.isfinite(gg).all() and np.isfinite(dd).all()):
                    h, gg, dd = self._dots(_unit(g), _unit(d))
                    h_out = None
                norm = np.sqrt(gg) * np.sqrt(dd)
                cos = np.divide(h, norm, out=np.zeros_like(h), where=norm > 0)
                new = self._lrs * (1.0 - self.beta * cos)
            else:
                new = self._lrs - self.beta * h
        if not (np.all(np.isfinite(h)) and np.all(np.isfinite(new))):
            return None
        return np.clip(new, self.lr_min, self.lr_max), h_out

    def _commit(self, new: np.ndarray, h: np.ndarray | None) -> None:
        if h is not None:
            self.last_hypergradient = h
        self._lrs = new
        self._used = new.copy()
        self._history.append(new.copy())

    def update(
        self,
        grads: Sequence[Any],
        prev_update: Sequence[Any] | None = None,
        *,
        direction: Sequence[Any] | None = None,
    ) -> float | np.ndarray:
        """Adapt the rate from the current gradient and return the rate for the next step.

        Parameters
        ----------
        grads : sequence of array
            Current gradient ``g_t``, one array per parameter array (a single ndarray is taken
            as one array).
        prev_update : sequence of array, optional
            The parameter change of the previous step, ``theta_{t-1} - theta_{t-2}``, made with
            the rate this controller returned last. Omit it on the first step. A group whose
            rate has reached 0 learns nothing from it (its rate stays 0): keep ``lr_min > 0``
            or pass ``direction`` if the rate may reach 0.
        direction : sequence of array, optional
            Instead of ``prev_update``: the previous update per unit rate ``d_{t-1}``.

        Returns
        -------
        lr : float or ndarray of shape (n_groups,)
            The rate to use now. Unchanged (with a ``NonFiniteGradientWarning``) when ``grads``
            or the previous update holds NaN or inf: skip the step in that case.
        """
        if prev_update is not None and direction is not None:
            raise ValueError("pass prev_update or direction, not both")
        g = _as_list(grads, "grads")
        self._groups_for(len(g))
        if not _all_finite(g):
            return self._record_skip("non-finite gradient")
        if prev_update is None and direction is None:  # first step
            self._commit(self._lrs.copy(), None)
            return self.lr
        if direction is not None:
            d = _as_list(direction, "direction")
        else:
            d = _as_list(prev_update, "prev_update")
            grp = self._groups_for(len(d))
            # a zero rate leaves no information on the direction: that group's h is 0
            scale = np.divide(1.0, self._used, out=np.zeros_like(self._used), where=self._used > 0)
            d = [a * scale[grp[k]] for k, a in enumerate(d)]
        if not _all_finite(d):
            return self._record_skip("non-finite previous update")
        res = self._propose(g, d)
        if res is None:
            return self._record_skip("non-finite hypergradient")
        self._commit(*res)
        return self.lr

    # ----------------------------------------------------------------- state
    def state_dict(self) -> dict[str, Any]:
        """Options and state as plain Python values and arrays (a copy)."""
        return {
            "lr": self._lrs.copy(),
            "used": self._used.copy(),
            "history": np.array(self._history),
            "n_skipped": self.n_skipped,
            "beta": self.beta,
            "multiplicative": self.multiplicative,
            "lr_min": self.lr_min,
            "lr_max": self.lr_max,
            "groups": None if self._group_of is None else [self._labels[i] for i in self._group_of],
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what ``state_dict`` returned (options included)."""
        missing = {
            "lr",
            "used",
            "history",
            "n_skipped",
            "beta",
            "multiplicative",
            "lr_min",
            "lr_max",
            "groups",
        } - set(state)
        if missing:
            raise ValueError(f"state is missing keys {sorted(missing)}")
        lr = np.array(state["lr"], dtype=np.float64).reshape(-1)
        lr_min, lr_max = float(state["lr_min"]), float(state["lr_max"])
        if not (np.all(lr >= lr_min) and np.all(lr <= lr_max)):  # NaN fails too
            raise ValueError(f"state lr {lr.tolist()} is outside [{lr_min}, {lr_max}]")
        fresh = HypergradientController(
            np.maximum(lr, np.finfo(float).tiny),  # a rate clipped to 0 is a valid state
            state["beta"],
            multiplicative=state["multiplicative"],
            lr_min=state["lr_min"],
            lr_max=state["lr_max"],
            groups=state["groups"],
        )
        hist = np.asarray(state["history"], dtype=np.float64)
        if hist.ndim != 2 or hist.shape[1] != fresh.n_groups:
            msg = f"state history has shape {hist.shape}, expected (n, {fresh.n_groups})"
            raise ValueError(msg)
        self.__dict__.update(fresh.__dict__)
        self._lrs = lr
        self._used = np.array(state["used"], dtype=np.float64)
        self._history = [row.copy() for row in hist]
        self.n_skipped = int(state["n_skipped"])
