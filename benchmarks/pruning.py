"""Pruning: best validation loss and epochs trained, hpo_core's pruners side by side with Optuna's.

    python -m benchmarks.pruning [--seeds 5] [--trials 30] [--epochs 27] [--out DIR]

The task is ``examples/numpy_mlp.py``: a one-hidden-layer MLP on scikit-learn's digits, trained
epoch by epoch (5 hyperparameters: learning rate, width, L2, momentum, batch size), with the
validation cross-entropy reported after each epoch. Every method runs random search (hpo_core's
``random`` strategy, Optuna's ``RandomSampler``) for a fixed number of trials, so what differs is
the pruner: none, median, ASHA (``SuccessiveHalvingPruner``) and Hyperband in hpo_core, and
none, ``MedianPruner`` and ``SuccessiveHalvingPruner`` with the same settings in Optuna. The runs
of one library and seed see the very same configurations (random draws ignore the history), so
each pruned run is also compared with its unpruned run pair by pair; Optuna's draws are other
configurations of the same distribution.

The table gives, over seeds, the best final validation loss of the complete trials (median and
quartiles) and the epochs trained (median, and as a share of ``trials * epochs``); a second
table compares each pruned run with its unpruned one, seed by seed. Both are printed and written
to ``DIR/pruning.md``.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

import hpo_core
from examples.numpy_mlp import MLP, load_data, run

SETTINGS = {
    "median": "n_startup_trials=5, n_warmup_steps=2",
    "asha": "min_resource=1, reduction_factor=3",
    "hyperband": "min_resource=1, max_resource=epochs, reduction_factor=3",
}


def run_optuna(pruner_name: str, n_trials: int, seed: int, epochs: int) -> dict[str, Any]:
    """The same search with Optuna's RandomSampler and ``pruner_name`` (none, median, sh)."""
    import optuna
    from optuna.distributions import (
        CategoricalDistribution,
        FloatDistribution,
        IntDistribution,
    )

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    dists = {
        "lr": FloatDistribution(1e-3, 1.0, log=True),
        "hidden": IntDistribution(4, 128, log=True),
        "l2": FloatDistribution(1e-6, 1e-1, log=True),
        "momentum": FloatDistribution(0.0, 0.95),
        "batch_size": CategoricalDistribution([32, 64, 128, 256]),
    }
    if pruner_name == "none":
        pruner = optuna.pruners.NopPruner()
    elif pruner_name == "median":
        pruner = optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=2)
    else:
        pruner = optuna.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=3)
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=seed), pruner=pruner)
    Xtr, ytr, Xva, yva = load_data()
    total = 0
    with threadpool_limits(1):
        for _ in range(n_trials):
            trial = study.ask(dists)
            model = MLP(trial.params, Xtr.shape[1], 10, np.random.default_rng([seed, trial.number]))
            for epoch in range(1, epochs + 1):
                model.train_epoch(Xtr, ytr)
                loss = model.loss(Xva, yva)
                total += 1
                trial.report(loss, epoch)
                if trial.should_prune():
                    study.tell(trial, state=optuna.trial.TrialState.PRUNED)
                    break
            else:
                study.tell(trial, loss)
    pruned = sum(t.state == optuna.trial.TrialState.PRUNED for t in study.trials)
    return {"best_loss": study.best_value, "epochs": total, "pruned": pruned}


METHODS: dict[str, Callable[[int, int, int], dict[str, Any]]] = {
    "hpo_core, no pruning": lambda n, s, e: run(None, n, s, e),
    "hpo_core, MedianPruner": lambda n, s, e: run("median", n, s, e),
    "hpo_core, ASHA": lambda n, s, e: run("asha", n, s, e),
    "hpo_core, Hyperband": lambda n, s, e: run("hyperband", n, s, e),
    "optuna, no pruning": lambda n, s, e: run_optuna("none", n, s, e),
    "optuna, MedianPruner": lambda n, s, e: run_optuna("median", n, s, e),
    "optuna, SuccessiveHalvingPruner": lambda n, s, e: run_optuna("sh", n, s, e),
}


def _quartiles(xs: list[float]) -> tuple[float, float, float]:
    q1, q2, q3 = np.percentile(xs, [25, 50, 75])
    return float(q1), float(q2), float(q3)


def table(results: dict[str, list[dict[str, Any]]], n_trials: int, epochs: int) -> str:
    full = n_trials * epochs
    lines = [
        "| method | best val. loss: median [q1, q3] | epochs: median (share) | pruned trials "
        "| seconds per run |",
        "|---|---|---|---|---|",
    ]
    for name, runs in results.items():
        q1, q2, q3 = _quartiles([r["best_loss"] for r in runs])
        ep = statistics.median(r["epochs"] for r in runs)
        pr = statistics.median(r["pruned"] for r in runs)
        sec = statistics.median(r["seconds"] for r in runs)
        lines.append(
            f"| {name} | {q2:.4f} [{q1:.4f}, {q3:.4f}] | {ep:.0f} ({ep / full:.0%}) "
            f"| {pr:.0f} of {n_trials} | {sec:.1f} |"
        )
    return "\n".join(lines)


def paired(results: dict[str, list[dict[str, Any]]]) -> str:
    """Each pruned run against the unpruned run of its library, seed by seed.

    Both libraries' random samplers draw the same configurations for a seed whatever is pruned,
    so a pruned run differs from its unpruned run only by the trials it cut short.
    """
    lines = [
        "| method | same best as unpruned | best loss minus unpruned: per seed "
        "| epochs vs unpruned: median (max) |",
        "|---|---|---|---|",
    ]
    for name, runs in results.items():
        lib = name.split(",")[0]
        base = results[f"{lib}, no pruning"]
        if runs is base:
            continue
        diffs = [a["best_loss"] - b["best_loss"] for a, b in zip(runs, base, strict=True)]
        shares = [a["epochs"] / b["epochs"] for a, b in zip(runs, base, strict=True)]
        same = sum(abs(d) < 1e-12 for d in diffs)
        listed = ", ".join(f"{d:+.4f}" for d in diffs)
        lines.append(
            f"| {name} | {same} of {len(runs)} seeds | {listed} "
            f"| {statistics.median(shares):.0%} ({max(shares):.0%}) |"
        )
    q1, _, q3 = _quartiles([r["best_loss"] for r in results["hpo_core, no pruning"]])
    lines.append("")
    lines.append(
        f"For scale: the unpruned best loss varies over seeds with an IQR of {q3 - q1:.4f}."
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--trials", type=int, default=30)
    parser.add_argument("--epochs", type=int, default=27)
    parser.add_argument("--out", type=Path, default=None, help="directory for pruning.md")
    args = parser.parse_args(argv)
    results: dict[str, list[dict[str, Any]]] = {name: [] for name in METHODS}
    for seed in range(args.seeds):
        for name, method in METHODS.items():
            start = time.perf_counter()
            stats = method(args.trials, seed, args.epochs)
            stats["seconds"] = time.perf_counter() - start
            results[name].append(stats)
            print(
                f"seed {seed} {name}: best {stats['best_loss']:.4f}, epochs {stats['epochs']}, "
                f"{stats['seconds']:.1f} s",
                flush=True,
            )
    text = "\n\n".join(
        [
            f"# Pruning: MLP on digits, {args.trials} trials x {args.epochs} epochs, "
            f"{args.seeds} seeds, random search",
            f"hpo_core {hpo_core.__version__}, Python {platform.python_version()}, "
            f"{platform.machine()}. Settings: "
            + "; ".join(f"{k}: {v}" for k, v in SETTINGS.items())
            + " (Optuna's pruners the same).",
            table(results, args.trials, args.epochs),
            paired(results),
        ]
    )
    print()
    print(text)
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "pruning.md").write_text(text + "\n")


if __name__ == "__main__":
    main()
