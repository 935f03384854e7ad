"""The ask/tell core: the Optimizer and the books it keeps.

optimizer.py holds the ``Optimizer`` (its public API only); books.py the trials, their
encoded arrays, the best and the one record path; outcomes.py the checks every tell goes
through; study.py each step (ask, tell, enqueue, report) against the study's store, once for
every store; loop.py ``minimize`` (serial, or many trials in flight on an executor) and
pool.py the executor side of it (worker failures, dead pools, interrupts); records.py
trials as plain records and studies as JSON; trial.py the ``Trial``.
"""

from __future__ import annotations

from hpo_core.core.optimizer import Optimizer
from hpo_core.core.trial import Trial, TrialState

__all__ = ["Optimizer", "Trial", "TrialState"]
