"""Keras and KerasTuner: a pruning callback for ``model.fit`` and a KerasTuner oracle.

>>> from hpo_core.integrations.keras import Oracle, PruningCallback   # doctest: +SKIP
>>> tuner = keras_tuner.Tuner(oracle=Oracle("bayes", objective="val_loss", max_trials=20),
...                           hypermodel=build_model, directory="runs")  # doctest: +SKIP

``PruningCallback`` reports a monitored value to an hpo_core trial after every epoch and stops
the training with ``TrialPruned`` when the optimizer's pruner says so. ``Oracle`` is a
``keras_tuner.Oracle`` whose trials are asked of an hpo_core strategy: a KerasTuner user keeps
``build_model(hp)`` and the tuner and swaps only the oracle. Needs ``keras>=3`` and
``keras-tuner>=1.4`` (``pip install 'hpo_core[keras]'``) and one of Keras's backends.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from typing import Any

try:
    import keras
    import keras_tuner
    from keras_tuner.src.engine import trial as kt_trial
except ImportError as err:  # pragma: no cover - exercised only without keras
    raise ImportError(
        "hpo_core.integrations.keras needs keras>=3 and keras-tuner>=1.4 and a Keras backend "
        "(PyTorch, JAX or TensorFlow): pip install 'hpo_core[keras]'"
    ) from err

import numpy as np

from hpo_core.core import Optimizer, Trial
from hpo_core.integrations import _keras_space as ks
from hpo_core.pruning import TrialPruned
from hpo_core.space import Categorical
from hpo_core.strategies import SearchSpaceExhausted, make_strategy

__all__ = ["Oracle", "PruningCallback"]

_RUNNING = kt_trial.TrialStatus.RUNNING
_STOPPED = kt_trial.TrialStatus.STOPPED
_COMPLETED = kt_trial.TrialStatus.COMPLETED
_FAILED = kt_trial.TrialStatus.FAILED


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
        ``validation_data`` or ``validation_split`` for ``val_*`` keys).
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

    def on_epoch_end(self, epoch: int, logs: Mapping[str, Any] | None = None) -> None:
        logs = logs or {}
        if self.monitor not in logs:
            raise KeyError(
                f"PruningCallback: monitor {self.monitor!r} is not in the logs of epoch "
                f"{epoch + 1}; they have {sorted(logs)!r} (val_* keys need validation_data "
                "or validation_split in model.fit)"
            )
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


class Oracle(keras_tuner.Oracle):
    """A KerasTuner oracle that asks an hpo_core strategy for each trial.

    ``keras_tuner.Tuner(oracle=Oracle("bayes", objective="val_loss", max_trials=20),
    hypermodel=build_model, ...)`` runs the usual KerasTuner search. The hyperparameters that
    ``build_model(hp)`` declares become an hpo_core space (see ``_keras_space`` for each kind,
    conditions included) as they appear; a parameter new to the space takes its default in
    the trials run before it appeared, as with KerasTuner's own oracles. When the space grows
    the hpo_core optimizer is built again and told every finished trial (a warm start).

    The direction follows the objective as KerasTuner infers it (``"val_loss"`` minimised,
    ``"val_accuracy"`` maximised, a ``keras_tuner.Objective`` as given). A search resumed from
    its project directory (the tuner's ``overwrite=False``) rebuilds the optimizer from the
    oracle's saved trials and continues their numbering. With ``storage`` (an hpo_core SQLite
    file) the finished trials are also written to study ``study`` there, for ``hpo-core show``
    and ``Optimizer.load``; if the space grows after trials were stored, they are written again
    to ``<study>-2`` (then ``-3``, ...), a study whose space holds the new parameters.

    Parameters
    ----------
    strategy : str, default "bayes"
        A name in ``hpo_core.strategies.STRATEGIES``.
    objective, max_trials, hyperparameters, allow_new_entries, tune_new_entries,
    max_retries_per_trial, max_consecutive_failed_trials
        As for KerasTuner's oracles (``max_trials`` defaults to 10).
    seed : int or None
        Seeds the strategy (the optimizer built after ``k`` finished trials draws from
        ``SeedSequence([seed, k])``, so a rebuilt optimizer does not replay the first asks).
    storage : str, path or None
        An hpo_core storage (``"sqlite:///file.db"`` or a path) that mirrors the trials.
    study : str, default "keras"
        The study's name in ``storage``.
    strategy_options : dict, optional
        Options passed to the strategy's class.
    """

    def __init__(
        self,
        strategy: str = "bayes",
        objective: Any = None,
        max_trials: int = 10,
        seed: int | None = None,
        storage: str | os.PathLike[str] | None = None,
        study: str = "keras",
        strategy_options: Mapping[str, Any] | None = None,
        hyperparameters: Any = None,
        allow_new_entries: bool = True,
        tune_new_entries: bool = True,
        max_retries_per_trial: int = 0,
        max_consecutive_failed_trials: int = 3,
    ) -> None:
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
            raise ValueError(f"seed must be None or an integer >= 0, got {seed!r}")
        if not isinstance(study, str) or not study:
            raise ValueError(f"study must be a non-empty string, got {study!r}")
        make_strategy(strategy)  # an unknown name fails now, listing the names, not at a trial
        super().__init__(
            objective=objective,
            max_trials=max_trials,
            hyperparameters=hyperparameters,
            allow_new_entries=allow_new_entries,
            tune_new_entries=tune_new_entries,
            seed=seed,
            max_retries_per_trial=max_retries_per_trial,
            max_consecutive_failed_trials=max_consecutive_failed_trials,
        )
        self.strategy = strategy
        self.strategy_options = dict(strategy_options or {})
        self.hpo_seed = seed
        self.storage = storage
        self.study = study
        self._params: list[ks.Param] = []
        self._key: tuple[str, ...] | None = None
        self._opt: Optimizer | None = None
        self._record: Optimizer | None = None
        self._ours: dict[str, Trial] = {}  # KerasTuner trial id -> hpo_core trial

    # ------------------------------------------------------------------ the optimizer
    @property
    def direction(self) -> str:
        """``"maximize"`` or ``"minimize"``, from the objective."""
        return "maximize" if self.objective.direction == "max" else "minimize"

    @property
    def optimizer(self) -> Optimizer:
        """The hpo_core optimizer of the current space (built on first use)."""
        self._sync_space()
        assert self._opt is not None
        return self._opt

    def _finished(self) -> list[Any]:
        return [
            self.trials[i]
            for i in self.end_order
            if i in self.trials and self.trials[i].status in (_COMPLETED, _FAILED)
        ]

    def _sync_space(self) -> None:
        """Build the optimizer when there is none or the space has grown."""
        params = ks.translate(self.hyperparameters.space)
        key = tuple(f"{p.key}:{p.dim!r}" for p in params)
        if self._opt is not None and key == self._key:
            return
        self._params, self._key = params, key
        finished = self._finished()
        seed = self.hpo_seed
        if seed is not None and finished:
            seed = int(np.random.SeedSequence([seed, len(finished)]).generate_state(1)[0])
        cls = type(make_strategy(self.strategy))
        space = ks.space_of(params) or {"<none>": Categorical((0,))}
        opt = Optimizer(
            space, strategy=cls(**self.strategy_options), direction=self.direction, seed=seed
        )
        self._opt, self._ours = opt, {}
        for t in finished:
            self._tell(opt, None, t)
        for t in self.ongoing_trials.values():  # running elsewhere: pending
            opt.enqueue(self._hpo_params(t.hyperparameters.values))
            self._ours[t.trial_id] = opt.ask()
        if self.storage is not None:
            self._open_record(space, finished)

    def _hpo_params(self, values: Mapping[str, Any]) -> dict[str, Any]:
        ours = ks.to_hpo(self._params, values)
        return ours if ks.space_of(self._params) else {"<none>": 0}

    def _tell(self, opt: Optimizer, ours: Trial | None, t: Any) -> None:
        target: Trial | dict[str, Any] = (
            ours if ours is not None else self._hpo_params(t.hyperparameters.values)
        )
        score = t.score
        if t.status == _COMPLETED and score is not None and math.isfinite(float(score)):
            opt.tell(target, float(score))
        else:
            opt.tell(target, state="failed")

    def _open_record(self, space: Mapping[str, Any], finished: list[Any]) -> None:
        """Open the stored study of this space and write the finished trials it lacks."""
        name, k = self.study, 2
        while True:
            try:
                record = Optimizer(
                    space, direction=self.direction, storage=self.storage, study=name
                )
                break
            except ValueError as err:
                if "space" not in str(err) and "direction" not in str(err):
                    raise
                name, k = f"{self.study}-{k}", k + 1
        for t in finished[len(record.trials) :]:
            self._tell(record, None, t)
        self._record = record

    def _active(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """The values KerasTuner keeps for a trial: those of active hyperparameters."""
        hps = self.hyperparameters.copy()
        hps.values = dict(values)
        return {n: v for n, v in values.items() if hps.is_active(n)}

    # ------------------------------------------------------------------ KerasTuner's hooks
    def populate_space(self, trial_id: str) -> dict[str, Any]:
        self._sync_space()
        opt = self._opt
        assert opt is not None
        for _ in range(self._max_collisions + 1):
            try:
                ours = opt.ask()
            except SearchSpaceExhausted:
                return {"status": _STOPPED, "values": None}
            values = self._active(ks.to_keras(self._params, ours.params))
            if not self._duplicate(values):
                self._ours[trial_id] = ours
                return {"status": _RUNNING, "values": values}
            # asked before: the same configuration has the earlier trial's outcome
            earlier = next(
                (
                    t
                    for t in self.trials.values()
                    if self._compute_values_hash(t.hyperparameters.values)
                    == self._compute_values_hash(values)
                    and t.status == _COMPLETED
                    and t.score is not None
                ),
                None,
            )
            if earlier is None:
                opt.tell(ours, state="failed")
            else:
                opt.tell(ours, float(earlier.score))
        return {"status": _STOPPED, "values": None}

    def end_trial(self, trial: Any) -> None:
        super().end_trial(trial)
        t = self.trials[trial.trial_id]
        if t.status not in (_COMPLETED, _FAILED):
            return  # sent for a retry: still pending
        opt, ours = self._opt, self._ours.pop(trial.trial_id, None)
        if opt is not None and (ours is None or ours.state == "pending"):
            self._tell(opt, ours, t)
        if self._record is not None:
            self._tell(self._record, None, t)

    def reload(self) -> None:
        super().reload()
        self._opt, self._record, self._key, self._ours = None, None, None, {}
