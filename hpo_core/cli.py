"""The ``hpo-core`` command (also ``python -m hpo_core``)."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence

from hpo_core.strategies import STRATEGIES

__all__ = ["main"]


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be an integer >= 1, got {text}")
    return value


def demo(strategy: str, n_trials: int, seed: int) -> int:
    """Tune an SVC on scikit-learn's digits with 3-fold cross-validation and print the result."""
    import numpy as np
    from sklearn.datasets import load_digits
    from sklearn.model_selection import cross_val_score, train_test_split
    from sklearn.svm import SVC

    from hpo_core import Optimizer, Real

    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X / 16.0, y, test_size=0.25, random_state=seed, stratify=y
    )
    space = {"C": Real(1e-2, 1e3, log=True), "gamma": Real(1e-4, 1e1, log=True)}

    def objective(params: dict) -> float:
        return float(np.mean(cross_val_score(SVC(**params), X_train, y_train, cv=3)))

    print(
        f"Tuning SVC(C, gamma) on digits ({len(X_train)} training images, 3-fold CV accuracy) "
        f"with strategy={strategy!r}, {n_trials} trials, seed={seed}"
    )
    opt = Optimizer(space, strategy=strategy, direction="maximize", seed=seed)
    start = time.perf_counter()
    best = opt.minimize(objective, n_trials=n_trials, progress=True)
    elapsed = time.perf_counter() - start
    test = SVC(**best.params).fit(X_train, y_train).score(X_test, y_test)
    failed = sum(t.state == "failed" for t in opt.trials)
    print(f"\nbest of {len(opt.trials)} trials ({failed} failed) in {elapsed:.1f} s:")
    for name, value in best.params.items():
        print(f"  {name:>6} = {value:.6g}")
    print(f"  CV accuracy   {best.value:.4f}")
    print(f"  test accuracy {test:.4f}  (held-out 25%, refit on the training part)")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="hpo-core", description="hpo_core command line")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("demo", help="tune an SVC on digits with cross-validation")
    p.add_argument("--strategy", default="random", choices=sorted(STRATEGIES))
    p.add_argument("--n-trials", type=_positive_int, default=30)
    p.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.command == "demo":
        return demo(args.strategy, args.n_trials, args.seed)
    parser.error(f"unknown command {args.command!r}")  # pragma: no cover
    return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
