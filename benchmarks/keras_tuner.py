"""KerasTuner: hpo_core's oracle against KerasTuner's own, and the Keras pruning callback.

    KERAS_BACKEND=torch python -m benchmarks.keras_tuner [--seeds 5] [--trials 10]
        [--epochs 3] [--prune-trials 12] [--prune-epochs 9] [--out DIR]

Two small tasks on scikit-learn's digits (1,198 training and 599 validation images): an MLP on
the 64 pixels (width, dropout, learning rate) and a small CNN on the 8x8 images (filters, dense
width, dropout, learning rate). Each oracle (hpo_core's ``bayes`` and ``tpe`` through
``hpo_core.integrations.keras.Oracle``, KerasTuner's ``BayesianOptimizationOracle`` and
``RandomSearchOracle``) runs a ``keras_tuner.Tuner`` search of ``--trials`` trials of
``--epochs`` epochs, minimising ``val_loss``; the model-based oracles start modelling after 3
trials each (``n_initial``, ``n_startup_trials``, ``num_initial_points``). Reported: the median
(and quartiles) over seeds of the best validation loss, and the oracle's time per trial outside
training (``create_trial`` + ``end_trial``, KerasTuner's bookkeeping included; and the
strategy's ``populate_space`` alone).

Pruning: random search over the MLP space under an ``Optimizer``, ``model.fit`` with
``PruningCallback`` and a ``SuccessiveHalvingPruner(min_resource=1, reduction_factor=3)``,
against the same search without pruning (the same configurations: random draws ignore the
history; and the same initial weights per trial), seed by seed.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import keras_tuner  # noqa: E402
import numpy as np  # noqa: E402

from examples.keras_tuner import load_data  # noqa: E402
from hpo_core import Optimizer, SuccessiveHalvingPruner, TrialPruned  # noqa: E402
from hpo_core.integrations.keras import Oracle, PruningCallback  # noqa: E402
from hpo_core.space import Integer, Real  # noqa: E402

ORACLES = ("hpo_core:bayes", "hpo_core:tpe", "keras-tuner:bayes", "keras-tuner:random")
N_INITIAL = 3


def build_mlp(hp: Any) -> Any:
    model = keras.Sequential(
        [
            keras.Input((64,)),
            keras.layers.Dense(hp.Int("units", 16, 256, sampling="log"), activation="relu"),
            keras.layers.Dropout(hp.Float("dropout", 0.0, 0.5)),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    return _compile(model, hp.Float("lr", 1e-4, 1e-1, sampling="log"))


def build_cnn(hp: Any) -> Any:
    model = keras.Sequential(
        [
            keras.Input((64,)),
            keras.layers.Reshape((8, 8, 1)),
            keras.layers.Conv2D(hp.Int("filters", 4, 32, step=4), 3, activation="relu"),
            keras.layers.MaxPooling2D(2),
            keras.layers.Flatten(),
            keras.layers.Dense(hp.Int("units", 16, 128, sampling="log"), activation="relu"),
            keras.layers.Dropout(hp.Float("dropout", 0.0, 0.5)),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    return _compile(model, hp.Float("lr", 1e-4, 1e-1, sampling="log"))


def _compile(model: Any, lr: float) -> Any:
    model.compile(keras.optimizers.Adam(lr), "sparse_categorical_crossentropy")
    return model


TASKS = {"mlp": build_mlp, "cnn": build_cnn}


def make_oracle(name: str, trials: int, seed: int) -> Any:
    if name == "hpo_core:bayes":
        opts: dict[str, Any] = {"n_initial": N_INITIAL}
        return Oracle("bayes", "val_loss", trials, seed=seed, strategy_options=opts)
    if name == "hpo_core:tpe":
        opts = {"n_startup_trials": N_INITIAL}
        return Oracle("tpe", "val_loss", trials, seed=seed, strategy_options=opts)
    if name == "keras-tuner:bayes":
        return keras_tuner.oracles.BayesianOptimizationOracle(
            "val_loss", trials, num_initial_points=N_INITIAL, seed=seed + 1
        )
    if name == "keras-tuner:random":
        return keras_tuner.oracles.RandomSearchOracle("val_loss", trials, seed=seed + 1)
    raise ValueError(f"oracle must be one of {ORACLES}, got {name!r}")


def _timed(oracle: Any, method: str, spent: list[float]) -> None:
    inner = getattr(oracle, method)

    def call(*args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return inner(*args, **kwargs)
        finally:
            spent.append(time.perf_counter() - t0)

    setattr(oracle, method, call)


def run_search(task: str, name: str, seed: int, trials: int, epochs: int, data, out: Path):
    """One tuner search: (best val loss, oracle ms per trial, populate_space ms per trial)."""
    oracle = make_oracle(name, trials, seed)
    outside: list[float] = []
    ask: list[float] = []
    _timed(oracle, "create_trial", outside)
    _timed(oracle, "end_trial", outside)
    _timed(oracle, "populate_space", ask)
    keras.utils.set_random_seed(seed)
    tuner = keras_tuner.Tuner(
        oracle=oracle,
        hypermodel=TASKS[task],
        directory=str(out / "projects"),
        project_name=f"{task}-{name.replace(':', '-')}-{seed}",
        overwrite=True,
    )
    Xtr, ytr, Xva, yva = data
    tuner.search(Xtr, ytr, validation_data=(Xva, yva), epochs=epochs, batch_size=64, verbose=0)
    scores = [t.score for t in oracle.trials.values() if t.score is not None]
    return min(scores), 1e3 * sum(outside) / trials, 1e3 * sum(ask) / trials


MLP_SPACE = {
    "units": Integer(16, 256, log=True),
    "dropout": Real(0.0, 0.5),
    "lr": Real(1e-4, 1e-1, log=True),
}


def run_pruning(seed: int, trials: int, epochs: int, prune: bool, data) -> tuple[float, int]:
    """Random search on the MLP: (best final val loss, epochs trained)."""
    pruner = SuccessiveHalvingPruner(min_resource=1, reduction_factor=3) if prune else None
    opt = Optimizer(MLP_SPACE, strategy="random", seed=seed, pruner=pruner)
    Xtr, ytr, Xva, yva = data
    hp = keras_tuner.HyperParameters()

    for _ in range(trials):
        trial = opt.ask()
        keras.utils.set_random_seed(seed * 100_003 + trial.id)
        hp.values = dict(trial.params)
        model = build_mlp(hp)
        cb = PruningCallback(opt, trial)
        try:
            h = model.fit(
                Xtr, ytr, validation_data=(Xva, yva), epochs=epochs, batch_size=64,
                verbose=0, callbacks=[cb],
            )  # fmt: skip
        except TrialPruned:
            opt.tell(trial, state="pruned")
        else:
            opt.tell(trial, h.history["val_loss"][-1])
    return opt.best.value, sum(len(t.intermediate) for t in opt.trials)


def _q(values: list[float]) -> str:
    if len(values) < 2:
        return f"{values[0]:.4g}"
    q1, med, q3 = np.percentile(values, [25, 50, 75])
    return f"{med:.4g} [{q1:.4g}, {q3:.4g}]"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--trials", type=int, default=10)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--prune-trials", type=int, default=12)
    ap.add_argument("--prune-epochs", type=int, default=9)
    ap.add_argument("--tasks", default="mlp,cnn")
    ap.add_argument("--oracles", default=",".join(ORACLES))
    ap.add_argument("--out", default="benchmarks/out")
    args = ap.parse_args(argv)
    import torch

    torch.set_num_threads(1)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    data = load_data()
    t_start = time.time()
    lines = [
        f"Keras {keras.__version__} ({keras.backend.backend()} backend), keras-tuner "
        f"{keras_tuner.__version__}, {platform.python_version()}; {args.seeds} seeds, "
        f"{args.trials} trials of {args.epochs} epochs",
        "",
        "| task | oracle | best val loss, median [q1, q3] | oracle ms/trial | "
        "populate_space ms/trial |",
        "|---|---|---|---|---|",
    ]
    for task in filter(None, args.tasks.split(",")):
        for name in filter(None, args.oracles.split(",")):
            runs = [
                run_search(task, name, s, args.trials, args.epochs, data, out)
                for s in range(args.seeds)
            ]
            best = [r[0] for r in runs]
            lines.append(
                f"| {task} | {name} | {_q(best)} | {statistics.median(r[1] for r in runs):.3g} | "
                f"{statistics.median(r[2] for r in runs):.3g} |"
            )
            print(lines[-1], flush=True)
    lines += [
        "",
        f"Pruning: {args.prune_trials} random trials of up to {args.prune_epochs} epochs (MLP)",
        "",
        "| seed | best, no pruning | best, ASHA | epochs, no pruning | epochs, ASHA |",
        "|---|---|---|---|---|",
    ]
    for s in range(args.seeds if args.prune_trials else 0):
        full = run_pruning(s, args.prune_trials, args.prune_epochs, False, data)
        cut = run_pruning(s, args.prune_trials, args.prune_epochs, True, data)
        lines.append(f"| {s} | {full[0]:.4f} | {cut[0]:.4f} | {full[1]} | {cut[1]} |")
        print(lines[-1], flush=True)
    lines += ["", f"wall time {time.time() - t_start:.0f} s"]
    text = "\n".join(lines) + "\n"
    (out / "keras_tuner.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
