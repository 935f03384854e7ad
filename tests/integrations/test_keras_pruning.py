"""Pruning a KerasTuner search: ``Oracle(pruner=...)`` and its ``pruning_callback()``, with real
(tiny) training on CPU through an unmodified ``keras_tuner.Tuner``."""

from __future__ import annotations

import copy
import json
import warnings

import pytest

keras = pytest.importorskip("keras")
keras_tuner = pytest.importorskip("keras_tuner")

from hpo_core import Optimizer, SuccessiveHalvingPruner  # noqa: E402
from hpo_core.integrations.keras import Oracle, OraclePruningCallback  # noqa: E402
from tests.integrations._pruners import PruneFromStep  # noqa: E402

EPOCHS = 4
pytestmark = pytest.mark.usefixtures("one_thread")


def build(hp):
    model = keras.Sequential(
        [
            keras.Input((64,)),
            keras.layers.Dense(hp.Int("units", 8, 32, step=8), activation="relu"),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    lr = hp.Float("lr", 1e-3, 1e-1, sampling="log")
    model.compile(keras.optimizers.Adam(lr), "sparse_categorical_crossentropy")
    return model


def search(tmp_path, digits, oracle, overwrite=True, callbacks=None):
    tuner = keras_tuner.Tuner(
        oracle=oracle,
        hypermodel=build,
        directory=str(tmp_path),
        project_name="p",
        overwrite=overwrite,
    )
    Xtr, ytr, Xva, yva = digits
    if callbacks is None:
        callbacks = [oracle.pruning_callback()]
    tuner.search(
        Xtr,
        ytr,
        validation_data=(Xva, yva),
        epochs=EPOCHS,
        batch_size=64,
        verbose=0,
        callbacks=callbacks,
    )
    return tuner


def kt_trials(oracle):
    return [oracle.trials[i] for i in sorted(oracle.trials, key=int)]


def test_pruned_trials_stop_early_are_pruned_in_the_books_and_resume(tmp_path, digits):
    db = tmp_path / "study.db"
    oracle = Oracle("random", "val_loss", 3, seed=0, storage=db, pruner=PruneFromStep(2))
    search(tmp_path, digits, oracle)
    theirs = kt_trials(oracle)
    # KerasTuner saw three finished trials, each scored by its best epoch
    assert [t.status for t in theirs] == ["COMPLETED"] * 3
    ours = oracle.optimizer.trials
    assert [t.state for t in ours] == ["complete", "pruned", "pruned"]
    assert sorted(ours[0].intermediate) == [1, 2, 3, 4]  # all the epochs
    for t, kt in zip(ours, theirs, strict=True):
        assert kt.score == pytest.approx(min(t.intermediate.values()))
    for t in ours[1:]:
        assert sorted(t.intermediate) == [1, 2]  # stopped after the second of 4 epochs
        assert t.value == t.intermediate[2]  # the last report, as a pruned trial keeps
    assert [oracle.is_pruned(kt.trial_id) for kt in theirs] == [False, True, True]
    stored = Optimizer.load(db, study="keras", read_only=True)
    assert [t.state for t in stored.trials] == ["complete", "pruned", "pruned"]
    assert [t.intermediate for t in stored.trials] == [t.intermediate for t in ours]

    # resumed from the project: the pruned trials stay pruned, the new one is pruned too
    oracle = Oracle("random", "val_loss", 4, seed=0, storage=db, pruner=PruneFromStep(2))
    search(tmp_path, digits, oracle, overwrite=False)
    assert [t.state for t in oracle.optimizer.trials] == ["complete"] + ["pruned"] * 3
    assert sorted(oracle.optimizer.trials[1].intermediate) == [1, 2]
    stored = Optimizer.load(db, study="keras", read_only=True)
    assert [t.state for t in stored.trials] == ["complete"] + ["pruned"] * 3


def test_successive_halving_prunes_some_and_the_others_train_all_epochs(tmp_path, digits):
    pruner = SuccessiveHalvingPruner(min_resource=1, reduction_factor=2)
    oracle = Oracle("random", "val_loss", 6, seed=1, pruner=pruner)
    search(tmp_path, digits, oracle)
    assert oracle.pruner is pruner and oracle.optimizer.pruner is not pruner  # a copy
    ours = oracle.optimizer.trials
    states = [t.state for t in ours]
    assert "pruned" in states and "complete" in states
    for t, kt in zip(ours, kt_trials(oracle), strict=True):
        assert kt.status == "COMPLETED"
        assert oracle.is_pruned(kt.trial_id) == (t.state == "pruned")
        if t.state == "complete":
            assert sorted(t.intermediate) == list(range(1, EPOCHS + 1))
        else:  # stopped at a rung (epochs 1 and 2) and never trained further
            assert max(t.intermediate) in (1, 2)
            assert sorted(t.intermediate) == list(range(1, max(t.intermediate) + 1))
    # the reports are saved with the oracle's state, for a resumed search
    state = json.loads((tmp_path / "p" / "oracle.json").read_text())["hpo_core"]
    assert sorted(state["pruned"]) == sorted(
        kt.trial_id for kt in kt_trials(oracle) if oracle.is_pruned(kt.trial_id)
    )
    assert len(state["reports"]) == len(ours)


def test_the_callback_is_copied_with_its_oracle_shared():
    oracle = Oracle("random", pruner=PruneFromStep(1))
    cb = oracle.pruning_callback()
    assert isinstance(cb, OraclePruningCallback) and cb.tuner_id == "tuner0"
    twin = copy.deepcopy([cb])[0]
    assert twin is not cb and twin.oracle is oracle and twin.tuner_id == "tuner0"
    assert oracle.pruning_callback(tuner_id="w1").tuner_id == "w1"


def test_a_callback_without_a_pruner_or_with_the_wrong_oracle_says_so(tmp_path, digits):
    with pytest.raises(ValueError, match="this Oracle has no pruner: build it with pruner="):
        Oracle("random").pruning_callback()
    with pytest.raises(TypeError, match="pruner must be None or an hpo_core Pruner"):
        Oracle("random", pruner="asha")
    ours = Oracle("random", pruner=PruneFromStep(1))
    theirs = keras_tuner.oracles.RandomSearchOracle("val_loss", max_trials=1, seed=0)
    with pytest.raises(
        keras_tuner.errors.FatalRuntimeError, match="runs no trial for tuner 'tuner0'"
    ):
        search(tmp_path, digits, theirs, callbacks=[ours.pruning_callback()])


def test_a_missing_objective_names_the_keys_the_logs_have(tmp_path, digits):
    oracle = Oracle("random", "val_accuracy", 1, pruner=PruneFromStep(1))
    with pytest.raises(
        keras_tuner.errors.FatalValueError, match=r"'val_accuracy' is not in the logs.*'val_loss'"
    ):
        search(tmp_path, digits, oracle)


class Reporting(keras_tuner.Tuner):
    """No training: reports a falling curve through ``update_trial`` and asks to prune."""

    def curve(self, hp, epoch):
        return hp.Float("x", 0.0, 1.0) + 1.0 / (epoch + 1)

    def run_trial(self, trial, *args, **kwargs):
        value = 0.0
        for epoch in range(EPOCHS):
            value = self.curve(trial.hyperparameters, epoch)
            self.oracle.update_trial(trial.trial_id, {"val_loss": value}, step=epoch)
            if self.oracle.should_prune(trial.trial_id):
                break
        return value


def test_update_trial_feeds_the_pruner(tmp_path):
    oracle = Oracle("random", "val_loss", 3, seed=0, pruner=PruneFromStep(2))
    tuner = Reporting(oracle=oracle, directory=str(tmp_path), project_name="r")
    # KerasTuner 1.4 deprecates reporting from run_trial, and says so (caught here, as
    # pytest.warns would emit again the unrelated warnings it caught with it)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tuner.search()
    assert any("update_trial" in str(w.message) for w in caught)
    ours = oracle.optimizer.trials
    assert [t.state for t in ours] == ["complete", "pruned", "pruned"]
    assert sorted(ours[0].intermediate) == [1, 2, 3, 4]
    assert [sorted(t.intermediate) for t in ours[1:]] == [[1, 2], [1, 2]]


class Interrupted(Reporting):
    """Stops the whole search (as Ctrl-C would) after the first epoch of trial ``stop_in``."""

    stop_in: str | None = None

    def run_trial(self, trial, *args, **kwargs):
        if trial.trial_id == self.stop_in:
            trial.hyperparameters.Float("x", 0.0, 1.0)
            self.oracle.update_trial(trial.trial_id, {"val_loss": 1.0}, step=0)
            raise KeyboardInterrupt
        return super().run_trial(trial, *args, **kwargs)


def test_a_trial_retried_after_a_resume_is_pruned_and_not_asked_again(tmp_path):
    def run(stop_in):
        oracle = Oracle("random", "val_loss", 3, seed=0, pruner=PruneFromStep(2))
        tuner = Interrupted(
            oracle=oracle, directory=str(tmp_path), project_name="r", overwrite=stop_in is not None
        )
        tuner.stop_in = stop_in
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # update_trial in run_trial
            tuner.search()
        return oracle

    with pytest.raises(KeyboardInterrupt):
        run("1")
    oracle = run(None)  # resumed: trial 1 runs again, then trial 2
    theirs = kt_trials(oracle)
    assert [t.status for t in theirs] == ["COMPLETED"] * 3
    ours = oracle.optimizer.trials
    assert [t.state for t in ours] == ["complete", "pruned", "pruned"]
    assert [sorted(t.intermediate) for t in ours[1:]] == [[1, 2], [1, 2]]
    assert [len(t.metrics.get_history("val_loss")) for t in theirs] == [4, 2, 2]
    xs = [t.params["x"] for t in ours]
    assert len(set(xs)) == 3  # the resumed optimizer does not ask trial 1's point again


class Rising(Reporting):
    """No training: a curve that rises, so a trial's best epoch is its first, not its last."""

    def curve(self, hp, epoch):
        return hp.Choice("x", [0, 1]) + epoch


def test_a_configuration_asked_again_keeps_the_pruned_trial_s_last_report(tmp_path):
    oracle = Oracle("random", "val_loss", 4, seed=0, pruner=PruneFromStep(2))
    tuner = Rising(oracle=oracle, directory=str(tmp_path), project_name="r")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # update_trial in run_trial
        tuner.search(verbose=0)
    ours = oracle.optimizer.trials
    pruned = [t for t in ours if t.intermediate and t.state == "pruned"]
    assert len(pruned) == 1 and pruned[0].value == pruned[0].intermediate[2]
    again = [t for t in ours if not t.intermediate]  # the two points, asked again
    assert again and all(t.state in ("complete", "pruned") for t in again)
    for t in again:
        first = next(u for u in ours if u.intermediate and u.params == t.params)
        assert (t.state, t.value) == (first.state, first.value)
