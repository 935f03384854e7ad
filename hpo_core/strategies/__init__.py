"""Search strategies, by name. Model-based ones are imported only when asked for."""

from __future__ import annotations

import importlib

from hpo_core.strategies.base import (
    History,
    SearchSpaceExhausted,
    Strategy,
    StrategyFallbackWarning,
)

__all__ = [
    "History",
    "SearchSpaceExhausted",
    "Strategy",
    "StrategyFallbackWarning",
    "STRATEGIES",
    "make_strategy",
]

#: name -> "module:Class"; a module is imported when its strategy is first asked for
STRATEGIES: dict[str, str] = {
    "random": "hpo_core.strategies.random:RandomSearch",
    "sobol": "hpo_core.strategies.sobol:SobolSearch",
    "grid": "hpo_core.strategies.grid:GridSearch",
    "bayes": "hpo_core.strategies.bayes:BayesianOptimization",
    "ga": "hpo_core.strategies.ga:GeneticAlgorithm",
    "de": "hpo_core.strategies.de:DifferentialEvolution",
    "cmaes": "hpo_core.strategies.cmaes:CMAES",
    "coarse-to-fine": "hpo_core.strategies.chain:CoarseToFine",
    "tpe": "hpo_core.strategies.tpe:TPE",
    "nsga2": "hpo_core.strategies.nsga2:NSGA2",
}


def make_strategy(strategy: str | Strategy) -> Strategy:
    """A strategy instance from a name in ``STRATEGIES`` or an instance (returned as is)."""
    if isinstance(strategy, Strategy):
        return strategy
    if not isinstance(strategy, str) or strategy not in STRATEGIES:
        raise ValueError(
            f"strategy must be one of {sorted(STRATEGIES)} or a Strategy instance, got {strategy!r}"
        )
    module, cls = STRATEGIES[strategy].split(":")
    return getattr(importlib.import_module(module), cls)()
