"""The Keras callbacks of ``hpo_core.integrations.keras`` (import them from there).

``PruningCallback`` serves ``model.fit`` under an hpo_core ``Optimizer``;
``OraclePruningCallback`` (from ``Oracle.pruning_callback()``) serves a KerasTuner search whose
oracle is ``hpo_core.integrations.keras.Oracle``.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import keras
from keras_tuner import errors as kt_errors

from hpo_core.core import Optimizer, Trial
from hpo_core.pruning import TrialPruned

if TYPE_CHECKING:
    from hpo_core.integrations.keras import Oracle

__all__ = ["OraclePruningCallback", "PruningCallback"]


def _unvalidated(name: str, logs: Mapping[str, Any]) -> bool:
    """Whether ``logs`` are those of an epoch that ran no validation (``validation_freq`` > 1
    in ``model.fit``) and ``name`` is a validation metric: no ``val_*`` key at all."""
    return name.startswith("val_") and not any(str(k).startswith("val_") for k in logs)


class PruningCallback(keras.callbacks.Callback):
    """Report ``logs[monitor]`` to an hpo_core trial after each epoch; prune on request.

    After epoch ``e`` (Keras counts from 0) the callback calls ``trial.report(e + 1, value)``,
    so steps count the epochs trained, and then ``optimizer.should_prune(trial)``. When that
    is True it stops the training and raises ``TrialPruned``: inside ``Optimizer.optimize``
    (an objective taking the trial) the trial is recorded as pruned with its last value; in a
    loop of your own, catch it and ``tell(trial, state="pruned")``.

    Parameters
    ----------
    optimizer : Optimizer
        The optimizer that asked ``trial`` (its ``pruner`` decides).
    trial : Trial
        The pending trial being trained.
    monitor : str, default "val_loss"
        The key of Keras's epoch logs to report (a validation metric: ``model.fit`` needs
        ``validation_data`` or ``validation_split`` for ``val_*`` keys). An epoch that runs
        no validation (``validation_freq`` > 1) reports nothing; a ``fit`` in which no epoch
        had the key raises ``KeyError`` at its end.
    """

    def __init__(self, optimizer: Optimizer, trial: Trial, monitor: str = "val_loss") -> None:
        super().__init__()
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"optimizer must be an hpo_core Optimizer, got {optimizer!r}")
        if not isinstance(trial, Trial):
            raise TypeError(f"trial must be an hpo_core Trial (from optimizer.ask), got {trial!r}")
        if not isinstance(monitor, str) or not monitor:
            raise ValueError(f"monitor must be a key of Keras's epoch logs, got {monitor!r}")
        self.optimizer = optimizer
        self.trial = trial
        self.monitor = monitor
        #: the epoch count at which the trial was pruned, or None
        self.pruned_at: int | None = None
        self._missing: str | None = None  # why no epoch so far had the monitor

    def on_train_begin(self, logs: Mapping[str, Any] | None = None) -> None:
        self._missing = None

    def on_epoch_end(self, epoch: int, logs: Mapping[str, Any] | None = None) -> None:
        logs = logs or {}
        if self.monitor not in logs:
            missing = (
                f"PruningCallback: monitor {self.monitor!r} is not in the logs of epoch "
                f"{epoch + 1}; they have {sorted(logs)!r} (val_* keys need validation_data "
                "or validation_split in model.fit)"
            )
            if not _unvalidated(self.monitor, logs):
                raise KeyError(missing)
            if self._missing != "":  # an epoch without validation, and none had it so far
                self._missing = missing
            return
        self._missing = ""
        value = float(logs[self.monitor])
        if not math.isfinite(value):
            self.model.stop_training = True
            raise ValueError(
                f"PruningCallback: {self.monitor} is {value} after epoch {epoch + 1}: the "
                "training diverged"
            )
        self.trial.report(epoch + 1, value)
        if self.optimizer.should_prune(self.trial):
            self.model.stop_training = True
            self.pruned_at = epoch + 1
            raise TrialPruned(
                f"trial {self.trial.id} pruned after epoch {epoch + 1} ({self.monitor}={value:g})"
            )

    def on_train_end(self, logs: Mapping[str, Any] | None = None) -> None:
        if self._missing:  # not one epoch had it: no validation ran
            raise KeyError(self._missing)


class OraclePruningCallback(keras.callbacks.Callback):
    """Prune the trials of a KerasTuner search run by an hpo_core ``Oracle`` with a pruner.

    Get one from ``oracle.pruning_callback()`` and pass it to the tuner's search:
    ``tuner.search(x, y, validation_data=..., epochs=9, callbacks=[cb])``. KerasTuner copies
    the callbacks for every trial (``copy.deepcopy``); a copy of this one shares the oracle.
    After epoch ``e`` (Keras counts from 0) it reports the objective's value in the epoch logs
    (``"val_loss"`` for ``objective="val_loss"``) as step ``e + 1`` of the oracle's running trial
    for ``tuner_id``, and when ``oracle.should_prune`` says so it stops the training
    (``model.stop_training = True``). KerasTuner then ends the trial as usual (its score is its
    best epoch's value, as for any trial), and the oracle records it as pruned in hpo_core's
    books.

    Parameters
    ----------
    oracle : Oracle
        The ``hpo_core.integrations.keras.Oracle`` of the tuner (built with a ``pruner``).
    tuner_id : str or None
        The id of the tuner whose running trial this callback serves; None: the environment
        variable ``KERASTUNER_TUNER_ID`` or ``"tuner0"``, as KerasTuner's tuners do.
    """

    def __init__(self, oracle: Oracle, tuner_id: str | None = None) -> None:
        super().__init__()
        if tuner_id is None:
            tuner_id = os.environ.get("KERASTUNER_TUNER_ID", "tuner0")
        if not isinstance(tuner_id, str) or not tuner_id:
            raise ValueError(f"tuner_id must be None or a non-empty string, got {tuner_id!r}")
        self.oracle = oracle
        self.tuner_id = tuner_id
        #: the KerasTuner trial id being trained, and the epoch count at which it was pruned
        self.trial_id: str | None = None
        self.pruned_at: int | None = None

    def __deepcopy__(self, memo: dict[int, Any]) -> OraclePruningCallback:
        return type(self)(self.oracle, self.tuner_id)  # the oracle is shared, never copied

    def on_train_begin(self, logs: Mapping[str, Any] | None = None) -> None:
        # KerasTuner retries a trial after most errors; a FatalError stops the search at once
        trial = self.oracle.ongoing_trials.get(self.tuner_id)
        if trial is None:
            running = sorted(self.oracle.ongoing_trials)
            raise kt_errors.FatalRuntimeError(
                f"OraclePruningCallback: its Oracle runs no trial for tuner {self.tuner_id!r} "
                f"(running: {running!r}); pass it to tuner.search(callbacks=[...]) of a tuner "
                "built with oracle= this very Oracle (and, with several tuners, tuner_id= the "
                "tuner's tuner_id)"
            )
        self.trial_id, self.pruned_at = trial.trial_id, None

    def on_epoch_end(self, epoch: int, logs: Mapping[str, Any] | None = None) -> None:
        trial_id = self.trial_id
        if trial_id is None:
            raise RuntimeError("OraclePruningCallback: on_epoch_end before on_train_begin")
        oracle = self.oracle
        if oracle.is_pruned(trial_id):  # another execution of a pruned trial
            self.model.stop_training = True
            return
        logs = logs or {}
        objective = oracle.objective
        if not objective.has_value(logs):
            raise kt_errors.FatalValueError(
                f"OraclePruningCallback: the objective {objective.name!r} is not in the logs of "
                f"epoch {epoch + 1}; they have {sorted(logs)!r} (val_* keys need "
                "validation_data or validation_split in tuner.search)"
            )
        value = float(objective.get_value(logs))
        if not math.isfinite(value):
            return  # KerasTuner fails a trial whose score is NaN; nothing to compare
        oracle._report(trial_id, epoch + 1, value)
        if oracle.should_prune(trial_id):
            self.model.stop_training = True
            self.pruned_at = epoch + 1
