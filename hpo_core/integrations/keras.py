"""Keras and KerasTuner: a pruning callback for ``model.fit`` and a KerasTuner oracle.

>>> from hpo_core.integrations.keras import Oracle, PruningCallback   # doctest: +SKIP
>>> tuner = keras_tuner.Tuner(oracle=Oracle("bayes", objective="val_loss", max_trials=20),
...                           hypermodel=build_model, directory="runs")  # doctest: +SKIP

``PruningCallback`` reports a monitored value to an hpo_core trial after every epoch and stops
the training with ``TrialPruned`` when the optimizer's pruner says so. ``Oracle`` is a
``keras_tuner.Oracle`` whose trials are asked of an hpo_core strategy: a KerasTuner user keeps
``build_model(hp)`` and the tuner and swaps only the oracle; with ``pruner=`` its
``pruning_callback()``, passed to ``tuner.search``, stops unpromising trials. Needs ``keras>=3`` and
``keras-tuner>=1.4`` (``pip install 'hpo_core[keras]'``) and one of Keras's backends.
"""

from __future__ import annotations

import copy
import math
import os
from collections.abc import Mapping
from typing import Any

try:
    import keras  # noqa: F401 - the error below names what is missing
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
from hpo_core.integrations._keras_callbacks import OraclePruningCallback, PruningCallback
from hpo_core.pruning import Pruner
from hpo_core.space import Categorical
from hpo_core.strategies import SearchSpaceExhausted, make_strategy

__all__ = ["Oracle", "OraclePruningCallback", "PruningCallback"]

_RUNNING = kt_trial.TrialStatus.RUNNING
_STOPPED = kt_trial.TrialStatus.STOPPED
_COMPLETED = kt_trial.TrialStatus.COMPLETED
_FAILED = kt_trial.TrialStatus.FAILED


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
    to ``<study>-2`` (then ``-3``, ...), a study whose space holds the new parameters; so are
    they when the study holds another search's trials (one run with ``overwrite=True``).

    With a ``pruner`` (e.g. ``SuccessiveHalvingPruner``), ``tuner.search(...,
    callbacks=[oracle.pruning_callback()])`` reports the objective after every epoch and stops
    the trials the pruner rejects. KerasTuner sees a pruned trial as completed, with its best
    epoch's value; hpo_core's books (the strategy, ``optimizer.trials``, the storage) hold it as
    pruned with its last reported value, so model-based strategies learn from complete trials
    only. The reports and the pruned marks are saved with the oracle's state and survive a
    resumed search.

    Parameters
    ----------
    strategy : str, default "bayes"
        A name in ``hpo_core.strategies.STRATEGIES``.
    objective, max_trials, hyperparameters, allow_new_entries, tune_new_entries,
    max_retries_per_trial, max_consecutive_failed_trials
        As for KerasTuner's oracles (``max_trials`` defaults to 10).
    seed : int or None
        Seeds the strategy (the optimizer built once ``k`` trials have started, a trial waiting
        for a retry included, draws from ``SeedSequence([seed, k])``, so a rebuilt optimizer
        does not replay the first asks).
    storage : str, path or None
        An hpo_core storage (``"sqlite:///file.db"`` or a path) that mirrors the trials.
    study : str, default "keras"
        The study's name in ``storage``.
    strategy_options : dict, optional
        Options passed to the strategy's class.
    pruner : Pruner or None
        Decides which trials to stop (see ``hpo_core.pruning``); each optimizer the oracle
        builds gets its own copy. Needs ``pruning_callback()`` in the search's callbacks.
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
        pruner: Pruner | None = None,
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
        if pruner is not None and not isinstance(pruner, Pruner):
            raise TypeError(
                f"pruner must be None or an hpo_core Pruner (e.g. SuccessiveHalvingPruner()), "
                f"got {pruner!r}"
            )
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
        self.pruner = pruner
        self._reports: dict[str, dict[int, float]] = {}  # KerasTuner trial id -> step: value
        self._pruned: set[str] = set()  # KerasTuner trial ids

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
        if seed is not None and self.trials:  # every trial started, a retried one included
            seed = int(np.random.SeedSequence([seed, len(self.trials)]).generate_state(1)[0])
        cls = type(make_strategy(self.strategy))
        space = ks.space_of(params) or {"<none>": Categorical((0,))}
        pruner = None if self.pruner is None else copy.deepcopy(self.pruner)
        opt = Optimizer(
            space,
            strategy=cls(**self.strategy_options),
            direction=self.direction,
            seed=seed,
            pruner=pruner,
        )
        self._opt, self._ours = opt, {}
        for t in finished:
            self._tell(opt, None, t)
        for t in self.ongoing_trials.values():  # running elsewhere: pending
            self._ours[t.trial_id] = self._replay(opt, t)
        if self.storage is not None:
            self._open_record(space, finished)

    def _hpo_params(self, values: Mapping[str, Any]) -> dict[str, Any]:
        ours = ks.to_hpo(self._params, values)
        return ours if ks.space_of(self._params) else {"<none>": 0}

    def _replay(self, opt: Optimizer, t: Any) -> Trial:
        """A new pending hpo_core trial of ``t``'s parameters, with ``t``'s reports."""
        opt.enqueue(self._hpo_params(t.hyperparameters.values))
        ours = opt.ask()
        for step, value in sorted(self._reports.get(t.trial_id, {}).items()):
            ours.report(step, value)
        return ours

    def _tell(self, opt: Optimizer, ours: Trial | None, t: Any) -> None:
        """Tell ``opt`` how KerasTuner trial ``t`` ended (as a new trial when ``ours`` is None)."""
        reports = self._reports.get(t.trial_id)
        target: Trial | dict[str, Any]
        if ours is not None:
            target = ours
        elif reports:
            target = self._replay(opt, t)
        else:
            target = self._hpo_params(t.hyperparameters.values)
        score = t.score
        if t.status == _COMPLETED and score is not None and math.isfinite(float(score)):
            if t.trial_id in self._pruned:  # its last report, as a pruned trial keeps
                last = reports[max(reports)] if reports else float(score)
                opt.tell(target, last, state="pruned")
            else:
                opt.tell(target, float(score))
        else:
            opt.tell(target, state="failed")

    def _open_record(self, space: Mapping[str, Any], finished: list[Any]) -> None:
        """Open the stored study of this space whose trials are the first finished ones (another
        search's, e.g. before ``overwrite=True``, are left as they are) and write the rest."""
        name, k = self.study, 2
        while True:
            try:
                record = Optimizer(
                    space, direction=self.direction, storage=self.storage, study=name
                )
                stored = [t.params for t in record.trials]
                ours = [self._hpo_params(t.hyperparameters.values) for t in finished]
                if stored == ours[: len(stored)]:
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
            else:  # as the earlier trial was told: a pruned one with its last report
                self._tell(opt, ours, earlier)
        return {"status": _STOPPED, "values": None}

    @keras_tuner.synchronized  # the lock KerasTuner's own create_trial holds
    def create_trial(self, tuner_id: str) -> Any:
        trial = super().create_trial(tuner_id)
        if trial.status == _RUNNING:
            self._sync_space()
            if trial.trial_id not in self._ours:  # retried after a resume: pending again
                assert self._opt is not None
                self._ours[trial.trial_id] = self._replay(self._opt, trial)
        return trial

    def end_trial(self, trial: Any) -> None:
        try:
            super().end_trial(trial)
        finally:  # also when it stops the search (too many consecutive failures)
            self._ended(trial.trial_id)

    def _ended(self, trial_id: str) -> None:
        """Tell the optimizer and the storage how KerasTuner ended trial ``trial_id``."""
        t = self.trials[trial_id]
        if t.status not in (_COMPLETED, _FAILED):
            self._pruned.discard(t.trial_id)  # sent for a retry: still pending, trained again
            return
        opt, ours = self._opt, self._ours.pop(trial_id, None)
        if opt is not None and (ours is None or ours.state == "pending"):
            self._tell(opt, ours, t)
        if self._record is not None:
            self._tell(self._record, None, t)

    def update_trial(self, trial_id: str, metrics: Mapping[str, Any], step: int = 0) -> Any:
        """KerasTuner's record of a trial's metrics. With a pruner, the objective's value is
        also reported to the hpo_core trial as step ``step + 1`` (KerasTuner's steps are 0-based
        epochs), so a tuner that calls ``update_trial`` after every epoch and then
        ``should_prune`` feeds the pruner as ``pruning_callback()`` does."""
        trial = super().update_trial(trial_id, metrics, step)
        if self.pruner is None or trial_id in self._pruned:
            return trial
        if self.objective.has_value(metrics):
            value = float(self.objective.get_value(metrics))
            if math.isfinite(value) and trial.status == _RUNNING:
                self._report(trial_id, int(step) + 1, value)
        return trial

    def reload(self) -> None:
        super().reload()
        self._opt, self._record, self._key, self._ours = None, None, None, {}

    def get_state(self) -> dict[str, Any]:
        state = super().get_state()
        state["hpo_core"] = {
            "reports": {i: sorted(r.items()) for i, r in self._reports.items()},
            "pruned": sorted(self._pruned),
        }
        return state

    def set_state(self, state: Mapping[str, Any]) -> None:
        super().set_state(state)
        ours = state.get("hpo_core") or {}
        reports = ours.get("reports") or {}
        self._reports = {i: {int(s): float(v) for s, v in r} for i, r in reports.items()}
        self._pruned = set(ours.get("pruned") or ())

    # ------------------------------------------------------------------ pruning
    def pruning_callback(self, tuner_id: str | None = None) -> OraclePruningCallback:
        """The Keras callback that prunes this oracle's trials: pass it to ``tuner.search(...,
        callbacks=[oracle.pruning_callback()])``.

        Parameters
        ----------
        tuner_id : str or None
            The tuner's ``tuner_id`` (None: ``KERASTUNER_TUNER_ID`` or ``"tuner0"``, as
            KerasTuner's default).

        Raises
        ------
        ValueError
            The oracle has no pruner.
        """
        if self.pruner is None:
            raise ValueError(
                "this Oracle has no pruner: build it with pruner=, e.g. Oracle(..., "
                "pruner=SuccessiveHalvingPruner(min_resource=1, reduction_factor=3))"
            )
        return OraclePruningCallback(self, tuner_id)

    def is_pruned(self, trial_id: str) -> bool:
        """Whether KerasTuner trial ``trial_id`` was pruned."""
        return trial_id in self._pruned

    def should_prune(self, trial_id: str) -> bool:
        """Whether the pruner stops running trial ``trial_id`` now, from its reports so far.

        A True answer is final: the trial is recorded as pruned when it ends. A tuner of your
        own may call it after ``update_trial`` and stop the training when it is True.
        """
        if trial_id in self._pruned:
            return True
        ours = self._ours.get(trial_id)
        if ours is None or self._opt is None or ours.state != "pending":
            return False
        if self._opt.should_prune(ours):
            self._pruned.add(trial_id)
            return True
        return False

    def _report(self, trial_id: str, step: int, value: float) -> None:
        """Record an intermediate value of a running trial (kept for a rebuilt optimizer)."""
        self._reports.setdefault(trial_id, {})[step] = value
        ours = self._ours.get(trial_id)
        if ours is not None and ours.state == "pending":
            ours.report(step, value)
