"""hpo_core: hyperparameter optimization with an ask/tell core.

>>> from hpo_core import Optimizer, Real, Integer, Categorical

The public names load on first use, so ``import hpo_core.storage`` (or the command line's
``--help``) does not load the strategies and their numerical libraries.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0.dev0"

#: public name -> the module that defines it
_PUBLIC = {
    "Optimizer": "hpo_core.core",
    "Trial": "hpo_core.core",
    "TrialState": "hpo_core.core",
    "Space": "hpo_core.space",
    "Real": "hpo_core.space",
    "Integer": "hpo_core.space",
    "Categorical": "hpo_core.space",
    "Strategy": "hpo_core.strategies",
    "SearchSpaceExhausted": "hpo_core.strategies",
    "StrategyFallbackWarning": "hpo_core.strategies",
    "suggest": "hpo_core.integrations.suggest",
    "Pruner": "hpo_core.pruning",
    "MedianPruner": "hpo_core.pruning",
    "SuccessiveHalvingPruner": "hpo_core.pruning",
    "HyperbandPruner": "hpo_core.pruning",
    "TrialPruned": "hpo_core.pruning",
}

__all__ = [
    "Optimizer",
    "Trial",
    "TrialState",
    "Space",
    "Real",
    "Integer",
    "Categorical",
    "Strategy",
    "SearchSpaceExhausted",
    "StrategyFallbackWarning",
    "suggest",
    "Pruner",
    "MedianPruner",
    "SuccessiveHalvingPruner",
    "HyperbandPruner",
    "TrialPruned",
    "__version__",
]

if TYPE_CHECKING:
    from hpo_core.core import Optimizer, Trial, TrialState
    from hpo_core.integrations.suggest import suggest
    from hpo_core.pruning import (
        HyperbandPruner,
        MedianPruner,
        Pruner,
        SuccessiveHalvingPruner,
        TrialPruned,
    )
    from hpo_core.space import Categorical, Integer, Real, Space
    from hpo_core.strategies import SearchSpaceExhausted, Strategy, StrategyFallbackWarning


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'hpo_core' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
