"""Which successive-halving settings meet the Keras pruning goal, replayed from full curves.

    KERAS_BACKEND=torch python -m benchmarks.keras_pruning_sweep [--seeds 5] [--trials 30]
        [--epochs 9] [--counts 9,12,15,20,24,30] [--curves FILE] [--out DIR]

Trains ``--trials`` random configurations of ``benchmarks.keras_tuner``'s MLP for ``--epochs``
epochs per seed, with the configurations and initial weights of its pruning runs, and keeps
every validation-loss curve (``--curves`` reads them back instead of training). Training is
deterministic on one CPU thread, so a pruned trial's curve is a prefix of its full one: each
pruner setting is replayed on the first ``k`` trials (for each ``k`` in ``--counts``) through
the real pruner, giving the epochs a pruned search would train and whether it keeps the best
final value of the unpruned search. ``benchmarks.keras_tuner`` checks a chosen setting with
real training.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "torch")

from hpo_core import Optimizer, Pruner, SuccessiveHalvingPruner  # noqa: E402
from hpo_core.space import Real  # noqa: E402

SETTINGS: dict[str, Callable[[], Pruner]] = {
    "SH(min_resource=1, reduction_factor=3)": lambda: SuccessiveHalvingPruner(1, 3),
    "SH(min_resource=1, reduction_factor=2)": lambda: SuccessiveHalvingPruner(1, 2),
    "SH(min_resource=1, reduction_factor=4)": lambda: SuccessiveHalvingPruner(1, 4),
    "SH(min_resource=2, reduction_factor=3)": lambda: SuccessiveHalvingPruner(2, 3),
}


def record_curves(seeds: int, trials: int, epochs: int) -> dict[str, list[list[float]]]:
    import keras
    import keras_tuner
    import torch

    from benchmarks.keras_tuner import MLP_SPACE, _weights_seed, build_mlp
    from examples.keras_tuner import load_data

    torch.set_num_threads(1)
    Xtr, ytr, Xva, yva = load_data()
    out: dict[str, list[list[float]]] = {}
    for seed in range(seeds):
        opt = Optimizer(MLP_SPACE, strategy="random", seed=seed)
        hp = keras_tuner.HyperParameters()
        curves = []
        for _ in range(trials):
            trial = opt.ask()
            keras.utils.set_random_seed(_weights_seed(seed, trial.id))
            hp.values = dict(trial.params)
            h = build_mlp(hp).fit(
                Xtr, ytr, validation_data=(Xva, yva), epochs=epochs, batch_size=64, verbose=0
            )
            curves.append([float(v) for v in h.history["val_loss"]])
            opt.tell(trial, curves[-1][-1])
        out[str(seed)] = curves
    return out


def replay(curves: list[list[float]], pruner: Pruner) -> tuple[float, float, int]:
    """(best final value with pruning, without, epochs trained with pruning)."""
    opt = Optimizer({"i": Real(0.0, 1.0)}, seed=0, pruner=pruner)
    used = 0
    for curve in curves:
        trial = opt.ask()
        for epoch, value in enumerate(curve):
            trial.report(epoch + 1, value)
            used += 1
            if opt.should_prune(trial):
                opt.tell(trial, state="pruned")
                break
        else:
            opt.tell(trial, curve[-1])
    assert opt.best.value is not None
    return opt.best.value, min(c[-1] for c in curves), used


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--trials", type=int, default=30)
    ap.add_argument("--epochs", type=int, default=9)
    ap.add_argument("--counts", default="9,12,15,20,24,30")
    ap.add_argument("--curves", help="a JSON file of curves written by an earlier run")
    ap.add_argument("--out", default="benchmarks/out")
    args = ap.parse_args(argv)
    t0 = time.time()
    if args.curves:
        all_curves = json.loads(Path(args.curves).read_text())
    else:
        all_curves = record_curves(args.seeds, args.trials, args.epochs)
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        (out / "keras_pruning_curves.json").write_text(json.dumps(all_curves))
    lines = [
        "| pruner | trials | seeds meeting both | same best | epochs used per seed | all |",
        "|---|---|---|---|---|---|",
    ]
    for name, make in SETTINGS.items():
        for k in (int(c) for c in args.counts.split(",")):
            runs = [replay(c[:k], make()) for c in all_curves.values()]
            n_epochs = len(next(iter(all_curves.values()))[0])
            full = k * n_epochs
            same = [round(b, 4) == round(f, 4) for b, f, _ in runs]
            both = sum(s and 2 * u <= full for s, (_, _, u) in zip(same, runs, strict=True))
            shares = " ".join(
                f"{u / full:.0%}{'' if s else '*'}" for s, (_, _, u) in zip(same, runs, strict=True)
            )
            total = sum(u for _, _, u in runs) / (full * len(runs))
            lines.append(
                f"| {name} | {k} | {both} of {len(runs)} | {sum(same)} | {shares} | {total:.0%} |"
            )
    lines += ["", "(* the best configuration of the unpruned search was pruned)"]
    lines += [f"wall time {time.time() - t0:.0f} s"]
    print("\n".join(lines))


if __name__ == "__main__":
    main()
