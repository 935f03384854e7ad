"""Tune a small Keras model on scikit-learn's digits with KerasTuner, then prune ``model.fit``.

1. The same ``build_model(hp)`` and ``keras_tuner.Tuner`` searched twice at the same budget:
   with KerasTuner's own ``BayesianOptimizationOracle`` and with hpo_core's ``Oracle`` (only
   the oracle changes).
2. A loop of ``Optimizer.optimize`` over the same model, ``model.fit`` with
   ``PruningCallback`` and a ``SuccessiveHalvingPruner``: unpromising trials stop early.
3. The KerasTuner search again, pruned: ``Oracle(pruner=...)`` and
   ``oracle.pruning_callback()`` in ``tuner.search``.

Needs ``pip install 'hpo_core[keras]'`` and a Keras backend; this example uses PyTorch's CPU
build (``KERAS_BACKEND=torch``). Run it::

    python examples/keras_tuner.py --quick          # a few seconds of training
    python examples/keras_tuner.py --trials 20 --epochs 9
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from typing import Any

os.environ.setdefault("KERAS_BACKEND", "torch")  # before Keras is imported
# run as a script, this file's folder comes first on sys.path, where this very file would be
# found as ``keras_tuner``: look for the package elsewhere
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]

import keras  # noqa: E402
import keras_tuner  # noqa: E402
import numpy as np  # noqa: E402

from hpo_core import Optimizer, SuccessiveHalvingPruner, Trial  # noqa: E402
from hpo_core.integrations.keras import Oracle, PruningCallback  # noqa: E402


def load_data(seed: int = 0) -> tuple[np.ndarray, ...]:
    """Digits scaled to [0, 1], split 2:1 into training and validation arrays."""
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    idx = np.random.default_rng(seed).permutation(len(X))
    cut = 2 * len(X) // 3
    X = (X / 16.0).astype("float32")
    return X[idx[:cut]], y[idx[:cut]], X[idx[cut:]], y[idx[cut:]]


def build_model(hp: Any) -> keras.Model:
    """An MLP on the 64 pixels: width, dropout, learning rate, optionally a second layer."""
    layers = [
        keras.Input((64,)),
        keras.layers.Dense(hp.Int("units", 16, 256, sampling="log"), activation="relu"),
        keras.layers.Dropout(hp.Float("dropout", 0.0, 0.5, step=0.1)),
    ]
    two = hp.Boolean("two_layers")
    with hp.conditional_scope("two_layers", [True]):
        if two:
            layers.append(keras.layers.Dense(hp.Int("units_2", 16, 128, step=16), "relu"))
    layers.append(keras.layers.Dense(10, activation="softmax"))
    model = keras.Sequential(layers)
    model.compile(
        keras.optimizers.Adam(hp.Float("lr", 1e-4, 1e-1, sampling="log")),
        "sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def tune(
    oracle: Any, epochs: int, data: tuple[np.ndarray, ...], directory: str, callbacks=()
) -> float:
    """A KerasTuner search with this oracle; the best validation loss."""
    tuner = keras_tuner.Tuner(
        oracle=oracle, hypermodel=build_model, directory=directory, overwrite=True
    )
    Xtr, ytr, Xva, yva = data
    tuner.search(
        Xtr, ytr, validation_data=(Xva, yva), epochs=epochs, batch_size=64, verbose=0,
        callbacks=list(callbacks),
    )  # fmt: skip
    best = tuner.oracle.get_best_trials(1)[0]
    print(f"  best val_loss {best.score:.4f} with {best.hyperparameters.values}")
    return float(best.score)


def prune(trials: int, epochs: int, data: tuple[np.ndarray, ...], seed: int) -> Optimizer:
    """``Optimizer.optimize`` with the pruning callback in ``model.fit``."""
    from hpo_core import Categorical, Integer, Real

    space = {
        "units": Integer(16, 256, log=True),
        "dropout": Categorical([0.0, 0.1, 0.2, 0.3, 0.4]),
        "lr": Real(1e-4, 1e-1, log=True),
    }
    pruner = SuccessiveHalvingPruner(min_resource=1, reduction_factor=3)
    opt = Optimizer(space, strategy="tpe", seed=seed, pruner=pruner)
    Xtr, ytr, Xva, yva = data

    def objective(trial: Trial) -> float:
        hp = keras_tuner.HyperParameters()
        hp.values = {**trial.params, "two_layers": False}
        model = build_model(hp)
        history = model.fit(
            Xtr, ytr, validation_data=(Xva, yva), epochs=epochs, batch_size=64, verbose=0,
            callbacks=[PruningCallback(opt, trial, monitor="val_loss")],
        )  # fmt: skip
        return float(history.history["val_loss"][-1])  # a pruned trial raised TrialPruned

    opt.optimize(objective, n_trials=trials)
    return opt


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=8)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="3 trials of 2 epochs")
    args = parser.parse_args(argv)
    trials, epochs = (3, 2) if args.quick else (args.trials, args.epochs)
    data = load_data()
    keras.utils.set_random_seed(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        print(f"KerasTuner's Bayesian optimization, {trials} trials of {epochs} epochs:")
        theirs = keras_tuner.oracles.BayesianOptimizationOracle(
            objective="val_loss", max_trials=trials, seed=args.seed + 1
        )
        tune(theirs, epochs, data, os.path.join(tmp, "keras-tuner"))
        print(f"hpo_core's Oracle (bayes), {trials} trials of {epochs} epochs:")
        ours = Oracle("bayes", objective="val_loss", max_trials=trials, seed=args.seed)
        tune(ours, epochs, data, os.path.join(tmp, "hpo_core"))
    max_epochs = 3 if args.quick else max(epochs, 9)
    print(f"model.fit with PruningCallback, {trials} trials of up to {max_epochs} epochs:")
    opt = prune(trials, max_epochs, data, args.seed)
    done = sum(len(t.intermediate) for t in opt.trials)
    pruned = sum(t.state == "pruned" for t in opt.trials)
    print(f"  best val_loss {opt.best.value:.4f} with {opt.best.params}")
    print(f"  epochs trained: {done} of {trials * max_epochs} ({pruned} trials pruned)")
    print(f"hpo_core's Oracle (tpe) with pruning, {trials} trials of up to {max_epochs} epochs:")
    pruner = SuccessiveHalvingPruner(min_resource=1, reduction_factor=3)
    oracle = Oracle("tpe", objective="val_loss", max_trials=trials, seed=args.seed, pruner=pruner)
    with tempfile.TemporaryDirectory() as tmp:
        tune(oracle, max_epochs, data, tmp, callbacks=[oracle.pruning_callback()])
    ours = oracle.optimizer.trials
    done = sum(len(t.intermediate) for t in ours)
    pruned = sum(t.state == "pruned" for t in ours)
    print(f"  epochs trained: {done} of {trials * max_epochs} ({pruned} trials pruned)")


if __name__ == "__main__":
    main()
