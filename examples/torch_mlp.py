"""Tune a small PyTorch MLP on scikit-learn's digits, epoch by epoch, with pruning.

The same search as ``examples/numpy_mlp.py`` with a ``torch.nn`` model: ``ask`` a
configuration, train one epoch at a time, ``report`` the validation loss, stop when
``should_prune`` says so, and ``tell`` the result. torch is needed here only
(``pip install torch``); hpo_core itself never imports it.

Run it::

    python examples/torch_mlp.py --pruner asha --trials 30 --epochs 27
"""

from __future__ import annotations

import argparse
import math
from typing import Any

import torch
from torch import nn

from hpo_core import (
    Categorical,
    HyperbandPruner,
    Integer,
    MedianPruner,
    Optimizer,
    Pruner,
    Real,
    SuccessiveHalvingPruner,
)

SPACE = {
    "lr": Real(1e-3, 1.0, log=True),
    "hidden": Integer(4, 128, log=True),
    "weight_decay": Real(1e-6, 1e-1, log=True),
    "momentum": Real(0.0, 0.95),
    "batch_size": Categorical([32, 64, 128, 256]),
}
#: a validation loss worse than this (or not finite: the training diverged) is reported as this
MAX_LOSS = 5.0


def load_data(seed: int = 0) -> tuple[torch.Tensor, ...]:
    """Digits scaled to [0, 1], split 2:1 into training and validation tensors."""
    import numpy as np
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    idx = np.random.default_rng(seed).permutation(len(X))
    cut = 2 * len(X) // 3
    X = torch.tensor(X / 16.0, dtype=torch.float32)
    y = torch.tensor(y, dtype=torch.long)
    tr, va = torch.tensor(idx[:cut]), torch.tensor(idx[cut:])
    return X[tr], y[tr], X[va], y[va]


def make_model(params: dict[str, Any], n_in: int, n_out: int) -> nn.Module:
    h = int(params["hidden"])
    return nn.Sequential(nn.Linear(n_in, h), nn.ReLU(), nn.Linear(h, n_out))


def train_epoch(model: nn.Module, opt: torch.optim.Optimizer, X, y, batch_size, gen) -> None:
    model.train()
    loss_fn = nn.CrossEntropyLoss()
    order = torch.randperm(len(X), generator=gen)
    for start in range(0, len(X), batch_size):
        b = order[start : start + batch_size]
        opt.zero_grad()
        loss_fn(model(X[b]), y[b]).backward()
        opt.step()


@torch.no_grad()
def val_loss(model: nn.Module, X, y) -> float:
    model.eval()
    value = float(nn.functional.cross_entropy(model(X), y))
    return value if math.isfinite(value) and value < MAX_LOSS else MAX_LOSS


def make_pruner(name: str, epochs: int) -> Pruner | None:
    """``"none"``, ``"median"``, ``"asha"`` or ``"hyperband"`` with settings for ``epochs``."""
    if name == "none":
        return None
    if name == "median":
        return MedianPruner(n_startup_trials=5, n_warmup_steps=2)
    if name == "asha":
        return SuccessiveHalvingPruner(min_resource=1, reduction_factor=3)
    if name == "hyperband":
        return HyperbandPruner(min_resource=1, max_resource=epochs, reduction_factor=3)
    raise ValueError(f"pruner must be one of none, median, asha, hyperband; got {name!r}")


def run(
    pruner: Pruner | str | None, n_trials: int = 30, seed: int = 0, epochs: int = 27
) -> dict[str, Any]:
    """Random search over ``SPACE`` with ``pruner`` (an instance or a name of ``make_pruner``).

    Returns ``best_loss``, ``best_params``, ``epochs`` (total trained) and ``pruned``.
    """
    if isinstance(pruner, str) or pruner is None:
        pruner = make_pruner(pruner or "none", epochs)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # the matrices are small: threads cost more than they save
    try:
        return _run(pruner, n_trials, seed, epochs)
    finally:
        torch.set_num_threads(threads)


def _run(pruner: Any, n_trials: int, seed: int, epochs: int) -> dict[str, Any]:
    Xtr, ytr, Xva, yva = load_data()
    opt = Optimizer(SPACE, strategy="random", seed=seed, pruner=pruner)
    for _ in range(n_trials):
        trial = opt.ask()
        p = trial.params
        torch.manual_seed(seed * 100_003 + trial.id)
        gen = torch.Generator().manual_seed(seed * 100_003 + trial.id)
        model = make_model(p, Xtr.shape[1], 10)
        sgd = torch.optim.SGD(
            model.parameters(), lr=p["lr"], momentum=p["momentum"], weight_decay=p["weight_decay"]
        )
        for epoch in range(1, epochs + 1):
            train_epoch(model, sgd, Xtr, ytr, int(p["batch_size"]), gen)
            loss = val_loss(model, Xva, yva)
            trial.report(epoch, loss)
            if opt.should_prune(trial):
                opt.tell(trial, state="pruned")  # keeps the last reported loss
                break
        else:
            opt.tell(trial, loss)
    trials = opt.trials
    return {
        "best_loss": opt.best.value,
        "best_params": opt.best.params,
        "epochs": sum(len(t.intermediate) for t in trials),
        "pruned": sum(t.state == "pruned" for t in trials),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pruner", default="asha", choices=["none", "median", "asha", "hyperband"])
    parser.add_argument("--trials", type=int, default=30)
    parser.add_argument("--epochs", type=int, default=27)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    stats = run(args.pruner, args.trials, args.seed, args.epochs)
    full = args.trials * args.epochs
    print(f"pruner: {args.pruner}")
    print(f"best validation loss: {stats['best_loss']:.4f}")
    print(f"best params: {stats['best_params']}")
    print(f"epochs trained: {stats['epochs']} of {full} ({stats['pruned']} trials pruned)")


if __name__ == "__main__":
    main()
