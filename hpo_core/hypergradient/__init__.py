"""Hypergradient descent: adapt the learning rate online while a model trains.

Baydin et al. (2018), "Online Learning Rate Adaptation with Hypergradient Descent", ICLR.
The derivative of the loss with respect to the previous step's learning rate is the dot product
of the current gradient with the previous update per unit rate (``-g_{t-1}`` for SGD), so the
rate can follow its own gradient at the cost of one dot product per step.

- ``HypergradientSGD`` (SGD-HD; SGDN-HD with ``momentum``, ``nesterov=True``) and
  ``HypergradientAdam`` (Adam-HD): numpy optimizers, ``opt.step(params, grads)`` in place.
- ``HypergradientController``: only the rate, to drive any framework's optimizer.

Nothing here imports a deep-learning framework.
"""

from __future__ import annotations

from hpo_core.hypergradient._controller import HypergradientController, NonFiniteGradientWarning
from hpo_core.hypergradient._optimizers import HypergradientAdam, HypergradientSGD

__all__ = [
    "HypergradientController",
    "HypergradientSGD",
    "HypergradientAdam",
    "NonFiniteGradientWarning",
]
