"""KerasTuner: hpo_core's oracle against KerasTuner's own, and the Keras pruning callback.

    KERAS_BACKEND=torch python -m benchmarks.keras_tuner [--seeds 5] [--trials 10]
        [--epochs 3] [--prune-trials 20] [--prune-epochs 9] [--reduction-factor 3]
        [--min-resource 1] [--prune-paths fit,oracle] [--out DIR]
    KERAS_BACKEND=torch python -m benchmarks.keras_tuner --quick    # a minute or two

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

Pruning: random search over the MLP space with a ``SuccessiveHalvingPruner(--min-resource,
--reduction-factor)`` against the same search without pruning (the same configurations: random
draws ignore the history; and the same initial weights per trial), seed by seed, by two paths:
``fit``, a loop over an ``Optimizer`` with ``PruningCallback`` in ``model.fit`` (a trial's value
is its last epoch's validation loss); ``oracle``, a ``keras_tuner.Tuner`` over hpo_core's
``Oracle("random", pruner=...)`` with ``oracle.pruning_callback()`` in ``tuner.search`` (a
trial's value is its best epoch's, KerasTuner's rule). Reported per seed: the best value of the
trials that were not pruned, with and without pruning, and the epochs trained.
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


def _pruner(args: argparse.Namespace) -> SuccessiveHalvingPruner:
    return SuccessiveHalvingPruner(args.min_resource, args.reduction_factor)


def _weights_seed(seed: int, trial: int) -> int:
    return seed * 100_003 + trial  # the same initial weights for trial k with or without pruning


def run_pruning(seed: int, trials: int, epochs: int, pruner, data) -> tuple[Any, int]:
    """Random search on the MLP, ``model.fit`` loop: (best final val loss, epochs trained)."""
    opt = Optimizer(MLP_SPACE, strategy="random", seed=seed, pruner=pruner)
    Xtr, ytr, Xva, yva = data
    hp = keras_tuner.HyperParameters()

    for _ in range(trials):
        trial = opt.ask()
        keras.utils.set_random_seed(_weights_seed(seed, trial.id))
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


class _EpochCounter(keras.callbacks.Callback):
    """Counts the epochs trained in a whole search (KerasTuner copies it: the copy is itself)."""

    def __init__(self) -> None:
        super().__init__()
        self.epochs = 0

    def __deepcopy__(self, memo: dict[int, Any]) -> _EpochCounter:
        return self

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        self.epochs += 1


class _SeededTuner(keras_tuner.Tuner):
    """A tuner that seeds each trial's weights from the trial's number."""

    def __init__(self, *args: Any, weights_seed: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.weights_seed = weights_seed

    def run_trial(self, trial: Any, *args: Any, **kwargs: Any) -> Any:
        keras.utils.set_random_seed(_weights_seed(self.weights_seed, int(trial.trial_id)))
        return super().run_trial(trial, *args, **kwargs)


def run_oracle_pruning(
    seed: int, trials: int, epochs: int, pruner, data, out: Path
) -> tuple[Any, int]:
    """Random search on the MLP, KerasTuner with hpo_core's oracle: (best val loss of the
    trials not pruned, epochs trained)."""
    oracle = Oracle("random", "val_loss", trials, seed=seed, pruner=pruner)
    tuner = _SeededTuner(
        oracle=oracle,
        hypermodel=build_mlp,
        directory=str(out / "projects"),
        project_name=f"prune-{seed}-{pruner is not None}",
        overwrite=True,
        weights_seed=seed,
    )
    counter = _EpochCounter()
    callbacks = [counter] + ([oracle.pruning_callback()] if pruner is not None else [])
    Xtr, ytr, Xva, yva = data
    tuner.search(
        Xtr, ytr, validation_data=(Xva, yva), epochs=epochs, batch_size=64, verbose=0,
        callbacks=callbacks,
    )  # fmt: skip
    return oracle.optimizer.best.value, counter.epochs


def _q(values: list[float]) -> str:
    if len(values) < 2:
        return f"{values[0]:.4g}"
    q1, med, q3 = np.percentile(values, [25, 50, 75])
    return f"{med:.4g} [{q1:.4g}, {q3:.4g}]"


def _pruning_table(args: argparse.Namespace, data: Any, out: Path) -> list[str]:
    n, e = args.prune_trials, args.prune_epochs
    lines = [
        "",
        f"Pruning: {n} random trials of up to {e} epochs (MLP), {_pruner(args)!r}",
        "",
        "| path | seed | best, no pruning | best, ASHA | epochs, no pruning | epochs, ASHA |",
        "|---|---|---|---|---|---|",
    ]
    summary = [""]
    for path in filter(None, args.prune_paths.split(",") if n else ()):
        run: Any = {"fit": run_pruning, "oracle": run_oracle_pruning}[path]
        extra = (out,) if path == "oracle" else ()
        met, used, total = 0, 0, 0
        for s in range(args.first_seed, args.first_seed + args.seeds):
            full = run(s, n, e, None, data, *extra)
            cut = run(s, n, e, _pruner(args), data, *extra)
            met += round(cut[0], 4) == round(full[0], 4) and 2 * cut[1] <= full[1]
            used, total = used + cut[1], total + full[1]
            share = f"{cut[1]} ({cut[1] / full[1]:.0%})"
            lines.append(f"| {path} | {s} | {full[0]:.4f} | {cut[0]:.4f} | {full[1]} | {share} |")
            print(lines[-1], flush=True)
        summary.append(
            f"{path}: the same best with at most half the epochs on {met} of {args.seeds} "
            f"seeds; {used} of {total} epochs in all ({used / max(total, 1):.0%})"
        )
    return lines + summary if len(summary) > 1 else []


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--trials", type=int, default=10)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--prune-trials", type=int, default=20)
    ap.add_argument("--prune-epochs", type=int, default=9)
    ap.add_argument("--reduction-factor", type=int, default=3)
    ap.add_argument("--min-resource", type=int, default=1)
    ap.add_argument("--prune-paths", default="fit,oracle")
    ap.add_argument("--first-seed", type=int, default=0, help="pruning: seeds from this one")
    ap.add_argument(
        "--quick", action="store_true", help="1 seed, 4 trials of 1 epoch, the MLP; pruning 6x3"
    )
    ap.add_argument("--tasks", default="mlp,cnn")
    ap.add_argument("--oracles", default=",".join(ORACLES))
    ap.add_argument("--out", default="benchmarks/out")
    args = ap.parse_args(argv)
    if args.quick:
        args.seeds, args.trials, args.epochs, args.tasks = 1, 4, 1, "mlp"
        args.prune_trials, args.prune_epochs = 6, 3
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
    lines += _pruning_table(args, data, out)
    lines += ["", f"wall time {time.time() - t_start:.0f} s"]
    text = "\n".join(lines) + "\n"
    (out / "keras_tuner.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
