"""The Keras pruning callback and the KerasTuner oracle, with real (tiny) training on CPU."""

from __future__ import annotations

import pytest

keras = pytest.importorskip("keras")
keras_tuner = pytest.importorskip("keras_tuner")

import numpy as np  # noqa: E402

from hpo_core import Optimizer, Real  # noqa: E402
from hpo_core.integrations.keras import Oracle, PruningCallback  # noqa: E402
from tests.integrations._pruners import PruneFromStep  # noqa: E402

pytestmark = pytest.mark.usefixtures("one_thread")


def mlp(units: int, lr: float, metrics=()):
    model = keras.Sequential(
        [
            keras.Input((64,)),
            keras.layers.Dense(units, activation="relu"),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(
        keras.optimizers.Adam(lr), "sparse_categorical_crossentropy", metrics=list(metrics)
    )
    return model


def test_callback_reports_each_epoch_and_prunes(digits):
    Xtr, ytr, Xva, yva = digits
    opt = Optimizer({"lr": Real(1e-3, 1e-1, log=True)}, seed=0, pruner=PruneFromStep(2))
    callbacks = {}

    def objective(trial):
        model = mlp(16, trial.params["lr"])
        cb = callbacks[trial.id] = PruningCallback(opt, trial)
        hist = model.fit(Xtr, ytr, validation_data=(Xva, yva), epochs=3, verbose=0, callbacks=[cb])
        return hist.history["val_loss"][-1]

    opt.optimize(objective, n_trials=2)
    first, second = opt.trials
    assert first.state == "complete" and sorted(first.intermediate) == [1, 2, 3]
    assert first.value == pytest.approx(first.intermediate[3])
    assert callbacks[0].pruned_at is None
    assert second.state == "pruned"
    assert sorted(second.intermediate) == [1, 2]  # stopped after the second of 3 epochs
    assert second.value == second.intermediate[2]
    assert callbacks[1].pruned_at == 2


def test_callback_without_pruning_reports_the_history(digits):
    Xtr, ytr, Xva, yva = digits
    opt = Optimizer({"lr": Real(1e-3, 1e-1, log=True)}, seed=0)
    trial = opt.ask()
    hist = mlp(16, trial.params["lr"]).fit(
        Xtr,
        ytr,
        validation_data=(Xva, yva),
        epochs=2,
        verbose=0,
        callbacks=[PruningCallback(opt, trial)],
    )
    assert trial.intermediate == pytest.approx(
        {1: hist.history["val_loss"][0], 2: hist.history["val_loss"][1]}
    )
    assert trial.state == "pending"


def test_a_missing_monitor_names_the_keys_the_logs_have(digits):
    Xtr, ytr, Xva, yva = digits
    opt = Optimizer({"lr": Real(1e-3, 1e-1, log=True)}, seed=0)
    trial = opt.ask()
    cb = PruningCallback(opt, trial, monitor="val_accuracy")
    with pytest.raises(
        KeyError, match=r"'val_accuracy' is not in the logs.*\['loss', 'val_loss'\]"
    ):
        mlp(8, 0.01).fit(Xtr, ytr, validation_data=(Xva, yva), epochs=1, verbose=0, callbacks=[cb])


def test_epochs_without_validation_report_nothing(digits):
    Xtr, ytr, Xva, yva = digits
    opt = Optimizer({"lr": Real(1e-3, 1e-1, log=True)}, seed=0)
    trial = opt.ask()
    hist = mlp(8, 0.01).fit(
        Xtr,
        ytr,
        validation_data=(Xva, yva),
        validation_freq=2,  # validates after epoch 2 only, not after 1 nor the last, 3
        epochs=3,
        verbose=0,
        callbacks=[PruningCallback(opt, trial)],
    )
    assert trial.intermediate == pytest.approx({2: hist.history["val_loss"][0]})


def test_a_fit_without_any_validation_says_so_at_its_end(digits):
    Xtr, ytr, _, _ = digits
    opt = Optimizer({"lr": Real(1e-3, 1e-1, log=True)}, seed=0)
    trial = opt.ask()
    cb = PruningCallback(opt, trial)
    with pytest.raises(KeyError, match=r"'val_loss' is not in the logs of epoch 2.*\['loss'\]"):
        mlp(8, 0.01).fit(Xtr, ytr, epochs=2, verbose=0, callbacks=[cb])
    assert trial.intermediate == {}


def test_callback_checks_its_arguments():
    opt = Optimizer({"lr": Real(1e-3, 1e-1, log=True)}, seed=0)
    with pytest.raises(TypeError, match="optimizer must be an hpo_core Optimizer"):
        PruningCallback("opt", opt.ask())
    with pytest.raises(TypeError, match="trial must be an hpo_core Trial"):
        PruningCallback(opt, {"lr": 0.01})


@pytest.mark.parametrize(
    ("objective", "direction"),
    [
        ("val_loss", "minimize"),
        ("val_accuracy", "maximize"),
        (keras_tuner.Objective("score", "max"), "maximize"),
        (keras_tuner.Objective("err", "min"), "minimize"),
    ],
)
def test_the_direction_is_the_objective_s(objective, direction):
    assert Oracle("random", objective=objective).direction == direction


def test_oracle_checks_its_arguments():
    with pytest.raises(ValueError, match="strategy must be one of"):
        Oracle("nope")
    with pytest.raises(ValueError, match="seed must be None or an integer"):
        Oracle(seed=-1)


def build(hp):
    units = hp.Int("units", 8, 32, step=8)
    lr = hp.Float("lr", 1e-3, 1e-1, sampling="log")
    wide = hp.Boolean("wide")
    with hp.conditional_scope("wide", [True]):
        if wide:
            units += hp.Choice("extra", [16, 32])
    hp.Fixed("batch", 64)
    return mlp(units, lr, metrics=["accuracy"])


def search(tmp_path, max_trials, storage=None, overwrite=True, digits=None):
    oracle = Oracle(
        "bayes", objective="val_accuracy", max_trials=max_trials, seed=3, storage=storage
    )
    tuner = keras_tuner.Tuner(
        oracle=oracle,
        hypermodel=build,
        directory=str(tmp_path),
        project_name="p",
        overwrite=overwrite,
    )
    Xtr, ytr, Xva, yva = digits
    tuner.search(Xtr, ytr, validation_data=(Xva, yva), epochs=2, batch_size=64, verbose=0)
    return oracle


def test_a_search_resumes_from_the_project_and_is_stored(tmp_path, digits):
    db = tmp_path / "study.db"
    oracle = search(tmp_path, 2, storage=db, digits=digits)
    assert sorted(oracle.trials) == ["0", "1"]
    # resumed: the numbering goes on, the finished trials are the warm start
    oracle = search(tmp_path, 4, storage=db, overwrite=False, digits=digits)
    trials = [oracle.trials[i] for i in sorted(oracle.trials)]
    assert [t.trial_id for t in trials] == ["0", "1", "2", "3"]
    assert all(t.status == "COMPLETED" for t in trials)
    values = [t.hyperparameters.values for t in trials]
    assert len({tuple(sorted(v.items())) for v in values}) == 4  # no configuration twice
    for v in values:
        assert v["units"] in (8, 16, 24, 32) and 1e-3 <= v["lr"] <= 1e-1
        assert v["batch"] == 64 and ("extra" in v) == v["wide"]
    ours = oracle.optimizer.trials
    assert len(ours) == 4 and oracle.optimizer.direction == "maximize"
    best = max(trials, key=lambda t: t.score)
    assert oracle.optimizer.best.value == pytest.approx(best.score)
    assert oracle.get_best_trials()[0].trial_id == best.trial_id
    # the study in the storage holds the same trials, for hpo-core show and Optimizer.load
    stored = Optimizer.load(db, study="keras", read_only=True)
    assert [t.value for t in stored.trials] == pytest.approx([t.score for t in trials])
    assert np.all([t.state == "complete" for t in stored.trials])


class Growing(keras_tuner.Tuner):
    """No training: a value from hyperparameters of which some appear only in later trials."""

    def run_trial(self, trial, *args, **kwargs):
        hp = trial.hyperparameters
        value = (hp.Float("x", -2.0, 2.0) - 0.5) ** 2
        for i in range(hp.Int("n", 1, 3)):  # w1 and w2 appear once n reaches 2 and 3
            value += hp.Float(f"w{i}", 0.0, 1.0)
        return value


def test_the_space_grows_and_the_optimizer_learns_every_trial(tmp_path):
    db = tmp_path / "grow.db"
    oracle = Oracle("random", max_trials=10, seed=0, storage=db)
    Growing(oracle=oracle, directory=str(tmp_path), project_name="p").search(verbose=0)
    trials = [oracle.trials[i] for i in sorted(oracle.trials)]
    assert len(trials) == 10 and all(t.status == "COMPLETED" for t in trials)
    # the first trial knows no space yet: KerasTuner's defaults
    assert trials[0].hyperparameters.values == {"x": -2.0, "n": 1, "w0": 0.0}
    names = set(oracle.optimizer.space.params)
    assert {"x", "n", "w0", "w1", "w2"} == names  # n took 3 in some trial
    for t in trials:
        v = t.hyperparameters.values
        assert -2.0 <= v["x"] <= 2.0 and 1 <= v["n"] <= 3
        assert all(f"w{i}" in v for i in range(v["n"]))
    # every finished trial is told to the optimizer of the current space, defaults filled in
    assert [t.value for t in oracle.optimizer.trials] == pytest.approx([t.score for t in trials])
    for ours, theirs in zip(oracle.optimizer.trials, trials, strict=True):
        for name in names & set(theirs.hyperparameters.values):
            assert ours.params[name] == pytest.approx(theirs.hyperparameters.values[name])
    # the stored study of the final space holds them all too
    from hpo_core.storage import open_existing

    studies = open_existing(db, read_only=True).study_names()
    assert "keras" in studies and len(studies) >= 2  # the first space's, then the grown ones
    last = max(studies, key=lambda s: (len(s), s))
    stored = Optimizer.load(db, study=last, read_only=True)
    assert set(stored.space.params) == names
    assert [t.value for t in stored.trials] == pytest.approx([t.score for t in trials])


class Failing(keras_tuner.Tuner):
    """No training: every trial raises."""

    def run_trial(self, trial, *args, **kwargs):
        trial.hyperparameters.Float("x", 0.0, 1.0)
        raise RuntimeError("the objective fails")


def test_the_failure_that_stops_the_search_is_recorded(tmp_path):
    db = tmp_path / "fail.db"
    hps = keras_tuner.HyperParameters()
    hps.Float("x", 0.0, 1.0)
    oracle = Oracle(
        "random",
        max_trials=5,
        seed=0,
        storage=db,
        hyperparameters=hps,
        max_consecutive_failed_trials=2,
    )
    tuner = Failing(oracle=oracle, directory=str(tmp_path), project_name="p")
    with pytest.raises(RuntimeError, match="consecutive failures exceeded the limit of 2"):
        tuner.search(verbose=0)
    assert [t.status for t in oracle.trials.values()] == ["FAILED", "FAILED"]
    assert [t.state for t in oracle.optimizer.trials] == ["failed", "failed"]
    stored = Optimizer.load(db, study="keras", read_only=True)
    assert [t.state for t in stored.trials] == ["failed", "failed"]


class Quadratic(keras_tuner.Tuner):
    """No training: a value from one hyperparameter."""

    def run_trial(self, trial, *args, **kwargs):
        return (trial.hyperparameters.Float("x", -2.0, 2.0) - 0.5) ** 2


def test_a_search_run_again_from_scratch_is_stored_apart_and_whole(tmp_path):
    from hpo_core.storage import open_existing

    db = tmp_path / "again.db"
    runs = []
    for seed, n in [(0, 4), (1, 3)]:  # the same project and storage, overwrite=True
        oracle = Oracle("random", max_trials=n, seed=seed, storage=db)
        tuner = Quadratic(oracle=oracle, directory=str(tmp_path), project_name="p", overwrite=True)
        tuner.search(verbose=0)
        runs.append([oracle.trials[i].hyperparameters.values["x"] for i in sorted(oracle.trials)])
    stored = {}
    for name in open_existing(db, read_only=True).study_names():
        trials = Optimizer.load(db, study=name, read_only=True).trials
        stored[name] = [t.params["x"] for t in trials if "x" in t.params]
    # each search's trials, all of them, in a study of their own
    assert sorted(stored.values(), key=len)[-2:] == [runs[1], runs[0]]
