"""A pruner for the Keras tests: deterministic, so a test knows which trials it stops."""

from __future__ import annotations

from hpo_core.pruning import Pruner


class PruneFromStep(Pruner):
    """Prunes every trial but the first once it has reported ``step``."""

    def __init__(self, step: int) -> None:
        self.step = step

    def prune(self, trial, trials, direction="minimize"):
        return trial.id > 0 and max(trial.intermediate) >= self.step
