"""The stable public path of ``hpo_core.arrays.gp``: ``fit``, ``Surrogate`` and ``warmup``."""

from __future__ import annotations

from hpo_core.arrays.gp import Surrogate, fit, warmup

__all__ = ["Surrogate", "fit", "warmup"]
