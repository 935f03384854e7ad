"""Tune a small numpy MLP on scikit-learn's digits, epoch by epoch, with pruning.

The loop is the one of any training script: ``ask`` a configuration, train it one epoch at a
time, ``report`` the validation loss after each epoch, stop when ``should_prune`` says so, and
``tell`` the result (``state="pruned"`` keeps the last reported loss).

Run it::

    python examples/numpy_mlp.py --pruner asha --trials 30 --epochs 27
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

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
    "l2": Real(1e-6, 1e-1, log=True),
    "momentum": Real(0.0, 0.95),
    "batch_size": Categorical([32, 64, 128, 256]),
}
#: a validation loss worse than this (or not finite: the training diverged) is reported as this
MAX_LOSS = 5.0

_DATA: dict[int, tuple[np.ndarray, ...]] = {}


def load_data(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Digits scaled to [0, 1], split 2:1 into training and validation sets (cached)."""
    if seed not in _DATA:
        from sklearn.datasets import load_digits

        X, y = load_digits(return_X_y=True)
        X = X / 16.0
        idx = np.random.default_rng(seed).permutation(len(X))
        cut = 2 * len(X) // 3
        tr, va = idx[:cut], idx[cut:]
        _DATA[seed] = (X[tr], y[tr], X[va], y[va])
    return _DATA[seed]  # type: ignore[return-value]


class MLP:
    """One hidden ReLU layer, softmax output, SGD with momentum and L2 weight decay."""

    def __init__(self, params: dict[str, Any], n_in: int, n_out: int, rng: np.random.Generator):
        h = int(params["hidden"])
        self.params, self.rng = params, rng
        self.W1 = rng.normal(0.0, np.sqrt(2.0 / n_in), (n_in, h))
        self.b1 = np.zeros(h)
        self.W2 = rng.normal(0.0, np.sqrt(1.0 / h), (h, n_out))
        self.b2 = np.zeros(n_out)
        self.v = [np.zeros_like(w) for w in (self.W1, self.b1, self.W2, self.b2)]

    def _forward(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        H = np.maximum(X @ self.W1 + self.b1, 0.0)
        Z = H @ self.W2 + self.b2
        Z = Z - Z.max(axis=1, keepdims=True)
        return H, Z - np.log(np.exp(Z).sum(axis=1, keepdims=True))  # log-probabilities

    def train_epoch(self, X: np.ndarray, y: np.ndarray) -> None:
        """One pass over ``X`` (shape (n, n_in)) in shuffled mini-batches."""
        lr, mom, l2 = self.params["lr"], self.params["momentum"], self.params["l2"]
        bs = int(self.params["batch_size"])
        order = self.rng.permutation(len(X))
        with np.errstate(all="ignore"):
            for start in range(0, len(X), bs):
                b = order[start : start + bs]
                Xb, yb = X[b], y[b]
                H, logp = self._forward(Xb)
                G = np.exp(logp)
                G[np.arange(len(b)), yb] -= 1.0
                G /= len(b)
                dH = (G @ self.W2.T) * (H > 0)
                grads = (
                    Xb.T @ dH + l2 * self.W1,
                    dH.sum(axis=0),
                    H.T @ G + l2 * self.W2,
                    G.sum(axis=0),
                )
                for w, v, g in zip(
                    (self.W1, self.b1, self.W2, self.b2), self.v, grads, strict=True
                ):
                    v *= mom
                    v -= lr * g
                    w += v

    def loss(self, X: np.ndarray, y: np.ndarray) -> float:
        """Mean cross-entropy on ``X``, capped at ``MAX_LOSS`` (and MAX_LOSS when not finite)."""
        with np.errstate(all="ignore"):
            _, logp = self._forward(X)
            value = float(-logp[np.arange(len(y)), y].mean())
        return value if np.isfinite(value) and value < MAX_LOSS else MAX_LOSS


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
    """Random search over ``SPACE`` with ``pruner``; return the statistics of the run.

    Returns
    -------
    dict
        ``best_loss`` (the best complete trial's final validation loss), ``best_params``,
        ``epochs`` (total epochs trained), ``pruned`` (number of pruned trials).
    """
    if isinstance(pruner, str) or pruner is None:
        pruner = make_pruner(pruner or "none", epochs)
    opt = Optimizer(SPACE, strategy="random", seed=seed, pruner=pruner)
    with threadpool_limits(1):  # the matrices are small: threads cost more than they save
        _search(opt, n_trials, seed, epochs)
    trials = opt.trials
    return {
        "best_loss": opt.best.value,
        "best_params": opt.best.params,
        "epochs": sum(len(t.intermediate) for t in trials),
        "pruned": sum(t.state == "pruned" for t in trials),
    }


def _search(opt: Optimizer, n_trials: int, seed: int, epochs: int) -> None:
    Xtr, ytr, Xva, yva = load_data()
    for _ in range(n_trials):
        trial = opt.ask()
        model = MLP(trial.params, Xtr.shape[1], 10, np.random.default_rng([seed, trial.id]))
        for epoch in range(1, epochs + 1):
            model.train_epoch(Xtr, ytr)
            loss = model.loss(Xva, yva)
            trial.report(epoch, loss)
            if opt.should_prune(trial):
                opt.tell(trial, state="pruned")  # keeps the last reported loss
                break
        else:
            opt.tell(trial, loss)


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
