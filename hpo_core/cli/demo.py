"""``hpo-core demo``: GridSearchCV, RandomizedSearchCV and SearchCV side by side on digits.

Each method tunes ``SVC(C, gamma)`` on the same training split with the same 3-fold
cross-validation and the same number of candidates (so the same number of fits); the table gives
the best CV accuracy, the held-out test accuracy of the refitted best model, the fits and the
wall time.
"""

from __future__ import annotations

import math
import time
from typing import Any

__all__ = ["demo"]

C_RANGE = (1e-2, 1e3)
GAMMA_RANGE = (1e-4, 1e1)


def _grid(n: int) -> dict[str, list[float]]:
    """A log-spaced a x b grid with a * b <= n candidates (as close to n as such a grid gets)."""
    import numpy as np

    a = max(1, math.isqrt(n))
    b = max(1, n // a)
    return {
        "C": np.geomspace(*C_RANGE, b).tolist(),
        "gamma": np.geomspace(*GAMMA_RANGE, a).tolist(),
    }


def _searches(strategies: list[str], n: int, seed: int) -> list[tuple[str, Any]]:
    from scipy.stats import loguniform
    from sklearn.model_selection import GridSearchCV, RandomizedSearchCV, StratifiedKFold
    from sklearn.svm import SVC

    from hpo_core.sklearn import SearchCV

    cv = StratifiedKFold(3, shuffle=True, random_state=seed)
    distributions = {"C": loguniform(*C_RANGE), "gamma": loguniform(*GAMMA_RANGE)}
    out: list[tuple[str, Any]] = [
        ("GridSearchCV", GridSearchCV(SVC(), _grid(n), cv=cv)),
        (
            "RandomizedSearchCV",
            RandomizedSearchCV(SVC(), distributions, n_iter=n, cv=cv, random_state=seed),
        ),
    ]
    space = {"C": (*C_RANGE, "log"), "gamma": (*GAMMA_RANGE, "log")}
    for s in strategies:
        search = SearchCV(SVC(), space, strategy=s, n_iter=n, cv=cv, random_state=seed)
        out.append((f"SearchCV({s})", search))
    return out


def _prepare(strategies: list[str]) -> float:
    """Compile (or load from the cache) each strategy's kernels on a tiny problem, so that the
    table times the searches; returns the seconds it took."""
    from hpo_core.core import Optimizer

    start = time.perf_counter()
    for s in strategies:
        opt = Optimizer({"a": (0.0, 1.0), "b": (1e-3, 1.0, "log")}, strategy=s, seed=0)
        opt.optimize(lambda p: (p["a"] - 0.3) ** 2 + math.log(p["b"]) ** 2, n_trials=40)
    return time.perf_counter() - start


def demo(strategies: list[str], n_trials: int, seed: int) -> int:
    """Run every search on digits and print the comparison table; 0 on success."""
    import warnings

    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X / 16.0, y, test_size=0.25, random_state=seed, stratify=y
    )
    searches = _searches(strategies, n_trials, seed)
    print(
        f"Tuning SVC(C, gamma) on digits: {len(X_train)} training and {len(X_test)} held-out "
        f"images, 3-fold CV accuracy, {n_trials} candidates per method, seed={seed}\n"
    )
    print("Loading hpo_core's compiled kernels (compiled once after installing) ...", end="")
    print(f" {_prepare(strategies):.1f} s\n", flush=True)
    rows = []
    for i, (name, search) in enumerate(searches, 1):
        print(f"[{i}/{len(searches)}] {name} ...", end="", flush=True)
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. a refit that did not converge
            search.fit(X_train, y_train)
        wall = time.perf_counter() - start
        n_candidates = len(search.cv_results_["params"])
        fits = n_candidates * search.n_splits_
        test = search.score(X_test, y_test)
        rows.append((name, search.best_score_, test, fits, wall, search.best_params_))
        print(f" {wall:.1f} s, best CV accuracy {search.best_score_:.4f}")
    print()
    header = f"{'method':<22} {'CV accuracy':>11} {'test accuracy':>13} {'fits':>5} {'wall s':>7}"
    print(header)
    print("-" * len(header))
    for name, cv_score, test, fits, wall, _ in rows:
        print(f"{name:<22} {cv_score:>11.4f} {test:>13.4f} {fits:>5d} {wall:>7.1f}")
    print("\nbest parameters:")
    for name, *_, params in rows:
        text = ", ".join(f"{k}={v:.4g}" for k, v in params.items())
        print(f"  {name:<22} {text}")
    print(
        "\ntest accuracy: the best configuration refitted on all training images, scored on the\n"
        "held-out 25%. One seed is one draw: compare methods over seeds (benchmarks/ does)."
    )
    return 0
