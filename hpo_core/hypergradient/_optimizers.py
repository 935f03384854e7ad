"""SGD-HD, SGDN-HD and Adam-HD: numpy optimizers whose learning rate follows its hypergradient.

Each ``step(params, grads)`` follows Baydin et al. (2018), Algorithms 1-3:

1. ``h_t = g_t . d_{t-1}`` and the new rate ``alpha_t`` (see ``HypergradientController``);
2. the base optimizer's update per unit rate ``d_t`` (``-g_t`` for SGD, ``-(g_t + mu v_t)`` for
   Nesterov, ``-m_hat_t / (sqrt(v_hat_t) + eps)`` for Adam);
3. ``theta_t = theta_{t-1} + alpha_t d_t``, in place.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np

from hpo_core.hypergradient._checks import Rates, _all_finite, _as_list, _real
from hpo_core.hypergradient._controller import HypergradientController

__all__ = ["HypergradientSGD", "HypergradientAdam"]


class _HypergradientOptimizer:
    """Shared bookkeeping: the controller, the last direction, in-place updates, state."""

    def __init__(
        self,
        lr: Rates,
        beta: float,
        *,
        multiplicative: bool,
        lr_min: float,
        lr_max: float,
        groups: Sequence[Hashable] | None,
    ) -> None:
        self.controller = HypergradientController(
            lr, beta, multiplicative=multiplicative, lr_min=lr_min, lr_max=lr_max, groups=groups
        )
        self.t = 0  # steps taken (skipped steps not counted)
        self._direction: list[np.ndarray] | None = None
        self._state: dict[str, list[np.ndarray]] = {}

    # ---------------------------------------------------------------- rates
    @property
    def lr(self) -> float | np.ndarray:
        """Current rate (ndarray of shape (n_groups,) when there are several groups)."""
        return self.controller.lr

    @lr.setter
    def lr(self, value: Rates) -> None:
        self.controller.lr = value

    @property
    def lr_history(self) -> np.ndarray:
        """Initial rate, then the rate of each ``step`` call: shape (n+1,) or (n+1, n_groups)."""
        return self.controller.lr_history

    @property
    def beta(self) -> float:
        """Hypergradient learning rate."""
        return self.controller.beta

    @property
    def n_skipped(self) -> int:
        """Steps skipped because a gradient held NaN or inf."""
        return self.controller.n_skipped

    # ---------------------------------------------------------------- step
    def _directions(self, grads: list[np.ndarray]) -> list[np.ndarray]:  # pragma: no cover
        """Update the state (new arrays, never in place) and return ``d_t``, one per array."""
        raise NotImplementedError

    def _check(self, params: Any, grads: Any) -> tuple[list[np.ndarray], list[np.ndarray]]:
        if isinstance(params, np.ndarray):
            params = [params]
        params = list(params)
        for i, p in enumerate(params):
            if not isinstance(p, np.ndarray) or not np.issubdtype(p.dtype, np.floating):
                kind = f"ndarray of {p.dtype}" if isinstance(p, np.ndarray) else type(p).__name__
                raise ValueError(
                    f"params[{i}] must be a floating-point numpy array updated in place, got {kind}"
                )
            if not p.flags.writeable:
                raise ValueError(f"params[{i}] is read-only")
        g = _as_list(grads, "grads")
        if len(g) != len(params):
            raise ValueError(f"got {len(params)} parameter arrays but {len(g)} gradients")
        for i, (p, gi) in enumerate(zip(params, g, strict=True)):
            if p.shape != gi.shape:
                raise ValueError(f"grads[{i}] has shape {gi.shape} but params[{i}] {p.shape}")
        if self._direction is not None and len(self._direction) != len(params):
            raise ValueError(
                f"got {len(params)} parameter arrays, earlier steps had {len(self._direction)}"
            )
        return params, g

    def step(self, params: Sequence[np.ndarray], grads: Sequence[Any]) -> None:
        """Adapt the rate, then update ``params`` in place.

        Parameters
        ----------
        params : sequence of ndarray
            Parameter arrays (floating point, writeable), updated in place.
        grads : sequence of array
            Gradient of the loss at ``params``, same shapes.

        Notes
        -----
        A gradient holding NaN or inf, or a step or moment estimate that overflows, skips the
        whole step with a ``NonFiniteGradientWarning``: parameters, rate and optimizer state
        are left as they were. A hypergradient that overflows (huge but finite gradients, the
        additive rule) keeps the rate, with the warning, and the step is taken with it.
        """
        params, g = self._check(params, grads)
        ctrl = self.controller
        grp = ctrl._groups_for(len(params))
        if not _all_finite(g):
            ctrl._record_skip("non-finite gradient")
            return
        h = None
        new = ctrl.lrs
        if self._direction is not None:
            res = ctrl._propose(g, self._direction)
            if res is None:
                # huge but finite gradients: the hypergradient overflows, so the rate cannot be
                # adapted. It keeps its (finite, bounded) value and the step is taken with it;
                # skipping would freeze training for as long as the gradients stay this large
                ctrl._warn_kept("the hypergradient overflows")
            else:
                new, h = res
        saved = dict(self._state)  # _directions replaces state lists, never mutates the arrays
        self.t += 1
        d = self._directions(g)
        with np.errstate(over="ignore", invalid="ignore"):
            steps = [new[grp[k]] * dk for k, dk in enumerate(d)]
        # e.g. overflow in a moment estimate or in the step itself: undo and skip
        if not (_all_finite(steps) and self._state_finite()):
            self.t -= 1
            self._state = saved
            ctrl._record_skip("non-finite update")
            return
        ctrl._commit(new, h)
        for p, sk in zip(params, steps, strict=True):
            p += sk
        self._direction = d

    def _state_finite(self) -> bool:
        """Whether the optimizer's state (moment estimates) is finite after ``_directions``."""
        return True

    # ---------------------------------------------------------------- state
    def _options(self) -> dict[str, Any]:  # pragma: no cover
        raise NotImplementedError

    def state_dict(self) -> dict[str, Any]:
        """Options, rates and optimizer state (copies of the arrays)."""
        return {
            "type": type(self).__name__,
            "options": self._options(),
            "controller": self.controller.state_dict(),
            "t": self.t,
            "direction": None if self._direction is None else [a.copy() for a in self._direction],
            "buffers": {k: [a.copy() for a in v] for k, v in self._state.items()},
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what ``state_dict`` returned, options included."""
        if state.get("type") != type(self).__name__:
            raise ValueError(f"state is for {state.get('type')!r}, not {type(self).__name__}")
        self._set_options(**state["options"])
        self.controller.load_state_dict(state["controller"])
        self.t = int(state["t"])
        d = state["direction"]
        self._direction = None if d is None else [np.array(a) for a in d]
        self._state = {k: [np.array(a) for a in v] for k, v in state["buffers"].items()}

    def _set_options(self, *args: Any, **options: Any) -> None:  # pragma: no cover
        # each optimizer takes its own keywords (those ``_options`` returns); a signature of
        # ``*args: Any, **kwargs: Any`` is the one every override is compatible with
        raise NotImplementedError


class HypergradientSGD(_HypergradientOptimizer):
    """SGD whose learning rate adapts by hypergradient descent (SGD-HD; SGDN-HD with Nesterov).

    Parameters
    ----------
    lr : float or sequence of float
        Initial learning rate, > 0 (one per group with ``groups``).
    beta : float
        Hypergradient learning rate, >= 0 (in [0, 1) when multiplicative). The paper uses
        ``1e-3`` for SGD and SGDN on MNIST; the additive rule's scale depends on the gradients'.
    momentum : float, default 0
        Momentum ``mu`` in [0, 1): ``v_t = mu v_{t-1} + g_t``.
    nesterov : bool, default False
        Nesterov momentum (needs ``momentum > 0``): the step is ``-alpha (g_t + mu v_t)``;
        otherwise ``-alpha v_t``.
    multiplicative : bool, default False
        Multiplicative rule ``alpha_t = alpha_{t-1} (1 + beta cos(g_t, -d_{t-1}))``.
    lr_min, lr_max : float, default 0 and inf
        Bounds on the rate.
    groups : sequence of hashable, optional
        One label per parameter array: a separate rate per distinct label.

    Examples
    --------
    >>> import numpy as np
    >>> w = np.array([4.0])                       # minimise w**2 / 2, gradient w
    >>> opt = HypergradientSGD(lr=0.01, beta=0.01)
    >>> for _ in range(50):
    ...     opt.step([w], [w.copy()])
    >>> bool(opt.lr > 0.01), bool(abs(w[0]) < 4.0 * 0.99 ** 50)
    (True, True)
    """

    def __init__(
        self,
        lr: Rates = 0.01,
        beta: float = 1e-3,
        *,
        momentum: float = 0.0,
        nesterov: bool = False,
        multiplicative: bool = False,
        lr_min: float = 0.0,
        lr_max: float = math.inf,
        groups: Sequence[Hashable] | None = None,
    ) -> None:
        super().__init__(
            lr, beta, multiplicative=multiplicative, lr_min=lr_min, lr_max=lr_max, groups=groups
        )
        self._set_options(momentum=momentum, nesterov=nesterov)

    def _set_options(self, momentum: float, nesterov: bool) -> None:
        self.momentum = _real(
            "momentum", momentum, low=0.0, high=1.0, high_open=True, allowed="in [0, 1)"
        )
        if not isinstance(nesterov, bool):
            raise ValueError(f"nesterov must be True or False, got {nesterov!r}")
        if nesterov and self.momentum == 0.0:
            raise ValueError("nesterov=True needs momentum in (0, 1), got momentum=0")
        self.nesterov = nesterov

    def _options(self) -> dict[str, Any]:
        return {"momentum": self.momentum, "nesterov": self.nesterov}

    def _directions(self, grads: list[np.ndarray]) -> list[np.ndarray]:
        if self.momentum == 0.0:
            return [-g.astype(np.float64) for g in grads]
        mu = self.momentum
        v = self._state.get("velocity")
        v = [np.zeros(g.shape) for g in grads] if v is None else v
        v = [mu * vk + g for vk, g in zip(v, grads, strict=True)]
        self._state["velocity"] = v
        if self.nesterov:
            return [-(g + mu * vk) for vk, g in zip(v, grads, strict=True)]
        return [-vk for vk in v]


class HypergradientAdam(_HypergradientOptimizer):
    """Adam whose learning rate adapts by hypergradient descent (Adam-HD).

    Parameters
    ----------
    lr : float or sequence of float, default 1e-3
        Initial learning rate, > 0 (one per group with ``groups``).
    beta : float, default 1e-7
        Hypergradient learning rate, >= 0 (in [0, 1) when multiplicative). The paper uses
        ``1e-7`` on MNIST: Adam's hypergradient sums ``|g|`` over all parameters, so it is large.
    betas : tuple of float, default (0.9, 0.999)
        Decay rates of the first and second moment estimates, each in [0, 1).
    eps : float, default 1e-8
        Added to ``sqrt(v_hat)``, > 0.
    multiplicative, lr_min, lr_max, groups
        As for ``HypergradientSGD``.
    """

    def __init__(
        self,
        lr: Rates = 1e-3,
        beta: float = 1e-7,
        *,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        multiplicative: bool = False,
        lr_min: float = 0.0,
        lr_max: float = math.inf,
        groups: Sequence[Hashable] | None = None,
    ) -> None:
        super().__init__(
            lr, beta, multiplicative=multiplicative, lr_min=lr_min, lr_max=lr_max, groups=groups
        )
        self._set_options(betas=betas, eps=eps)

    def _set_options(self, betas: tuple[float, float], eps: float) -> None:
        try:
            b1, b2 = betas
        except (TypeError, ValueError):
            raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}") from None
        self.betas = (
            _real("betas[0]", b1, low=0.0, high=1.0, high_open=True, allowed="in [0, 1)"),
            _real("betas[1]", b2, low=0.0, high=1.0, high_open=True, allowed="in [0, 1)"),
        )
        self.eps = _real("eps", eps, low=0.0, low_open=True, allowed="a finite number > 0")

    def _options(self) -> dict[str, Any]:
        return {"betas": self.betas, "eps": self.eps}

    def _state_finite(self) -> bool:
        # the second moment squares the gradient: it overflows to inf for |g| above 1e154,
        # which would leave a zero direction (m / inf) for every later step
        return _all_finite(self._state["v"])

    def _directions(self, grads: list[np.ndarray]) -> list[np.ndarray]:
        b1, b2 = self.betas
        m = self._state.get("m") or [np.zeros(g.shape) for g in grads]
        v = self._state.get("v") or [np.zeros(g.shape) for g in grads]
        with np.errstate(over="ignore", invalid="ignore"):
            m = [b1 * mk + (1.0 - b1) * g for mk, g in zip(m, grads, strict=True)]
            v = [
                b2 * vk + (1.0 - b2) * np.square(g, dtype=np.float64)
                for vk, g in zip(v, grads, strict=True)
            ]
        self._state["m"], self._state["v"] = m, v
        c1, c2 = 1.0 - b1**self.t, 1.0 - b2**self.t
        return [-(mk / c1) / (np.sqrt(vk / c2) + self.eps) for mk, vk in zip(m, v, strict=True)]
