"""hpo_core: hyperparameter optimization with an ask/tell core.

>>> from hpo_core import Optimizer, Real, Integer, Categorical
"""

from __future__ import annotations

from hpo_core.integrations.suggest import suggest
from hpo_core.optimizer import Optimizer
from hpo_core.pruning import (
    HyperbandPruner,
    MedianPruner,
    Pruner,
    SuccessiveHalvingPruner,
    TrialPruned,
)
from hpo_core.space import Categorical, Integer, Real, Space
from hpo_core.strategies import SearchSpaceExhausted, Strategy, StrategyFallbackWarning
from hpo_core.trial import Trial, TrialState

__version__ = "0.1.0.dev0"

__all__ = [
    "Optimizer",
    "Space",
    "Real",
    "Integer",
    "Categorical",
    "Trial",
    "TrialState",
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
