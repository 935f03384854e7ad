"""Logistic regression on scikit-learn's digits, trained by SGD-HD in a plain numpy loop.

The initial learning rate (1e-3) is far too small for this problem; hypergradient descent
raises it while the model trains, at the cost of one dot product per step.

Run:  python examples/hypergradient_numpy.py
"""

from __future__ import annotations

import numpy as np
from sklearn.datasets import load_digits

from hpo_core.hypergradient import HypergradientSGD


def load_data() -> tuple[np.ndarray, np.ndarray]:
    """Digits, standardised: X of shape (1797, 64) and one-hot Y of shape (1797, 10)."""
    X, y = load_digits(return_X_y=True)
    X = (X - X.mean(axis=0)) / (X.std(axis=0) + 1e-8)
    return X, np.eye(10)[y]


def loss_and_grads(
    W: np.ndarray, b: np.ndarray, X: np.ndarray, Y: np.ndarray
) -> tuple[float, np.ndarray, np.ndarray]:
    """Mean softmax cross-entropy and its gradients with respect to W (64, 10) and b (10,)."""
    z = X @ W + b
    z -= z.max(axis=1, keepdims=True)
    p = np.exp(z)
    p /= p.sum(axis=1, keepdims=True)
    loss = -np.mean(np.sum(Y * np.log(p + 1e-12), axis=1))
    dz = (p - Y) / len(X)
    return float(loss), X.T @ dz, dz.sum(axis=0)


def main(
    epochs: int = 10,
    lr: float = 1e-3,
    beta: float = 1e-3,
    batch_size: int = 64,
    seed: int = 0,
    verbose: bool = True,
) -> dict[str, np.ndarray]:
    """Train and return the full training loss after each epoch and the learning-rate history.

    Returns
    -------
    result : dict
        ``"loss"``: ndarray of shape (epochs + 1,), the initial loss first; ``"lr"``: ndarray of
        shape (n_steps + 1,), the learning rate of every step.
    """
    X, Y = load_data()
    rng = np.random.default_rng(seed)
    W = rng.normal(scale=0.01, size=(X.shape[1], 10))
    b = np.zeros(10)
    opt = HypergradientSGD(lr=lr, beta=beta)
    losses = [loss_and_grads(W, b, X, Y)[0]]
    for epoch in range(epochs):
        order = rng.permutation(len(X))
        for start in range(0, len(X), batch_size):
            idx = order[start : start + batch_size]
            _, gW, gb = loss_and_grads(W, b, X[idx], Y[idx])
            opt.step([W, b], [gW, gb])  # updates W and b in place, adapts opt.lr
        losses.append(loss_and_grads(W, b, X, Y)[0])
        if verbose:
            print(f"epoch {epoch + 1:3d}  training loss {losses[-1]:.4f}  lr {opt.lr:.4g}")
    return {"loss": np.array(losses), "lr": opt.lr_history}


if __name__ == "__main__":
    main()
