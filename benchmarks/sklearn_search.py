"""SearchCV against RandomizedSearchCV and scikit-optimize's BayesSearchCV on real tuning tasks.

    python -m benchmarks.sklearn_search --seeds 5 --out DIR [--quick] [--strategy bayes]

Three tasks on data sets scikit-learn ships: SVC on digits, HistGradientBoosting on breast
cancer, and a Pipeline (scaler, PCA, SVC) with a categorical choice of kernel on digits. For
each seed the data are split into a training part (75%) and a held-out test part (25%), and every
method searches with the same 3-fold stratified CV on the training part:

- SearchCV(strategy) at n_iter=30 (``--strategy``, default bayes), and coarse-to-fine at 30;
- RandomizedSearchCV at n_iter=30 and at 60;
- skopt.BayesSearchCV at n_iter=30, when scikit-optimize is installed.

Each row reports, as the median [min, max] over seeds: the best mean CV score, the held-out
test score of the refitted best model, the wall time of ``fit``, and the overhead: wall time
minus the time spent in fitting and scoring (the sum over candidates of (mean_fit_time +
mean_score_time) x n_splits, plus refit_time_), as a share of the wall time. All runs use
n_jobs=1 and one BLAS/OpenMP thread (``--threads``), so the figures are sequential and do not
depend on what else the machine runs (HistGradientBoosting's OpenMP threads slow down a
hundredfold on a busy machine otherwise). ``--quick`` runs a small version (2 seeds, fewer
candidates, smaller data) to check that everything runs. Writes DIR/sklearn_search.md and
DIR/sklearn_search.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import sklearn
from scipy.stats import loguniform, randint
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.decomposition import PCA
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import RandomizedSearchCV, StratifiedKFold, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

import hpo_core
from hpo_core.sklearn import SearchCV


# ---------------------------------------------------------------------- tasks
# each task: data loader, estimator factory, scipy/list space (SearchCV and RandomizedSearchCV),
# and the same space for scikit-optimize as (kind, args) tuples
def _svc_digits() -> dict[str, Any]:
    return {
        "data": load_digits,
        "estimator": lambda: SVC(),
        "space": {"C": loguniform(1e-2, 1e3), "gamma": loguniform(1e-5, 1e-1)},
        "skopt": {"C": ("real", 1e-2, 1e3, "log"), "gamma": ("real", 1e-5, 1e-1, "log")},
    }


def _hgb_cancer() -> dict[str, Any]:
    return {
        "data": load_breast_cancer,
        "estimator": lambda: HistGradientBoostingClassifier(early_stopping=False, random_state=0),
        "space": {
            "learning_rate": loguniform(1e-3, 1.0),
            "max_leaf_nodes": randint(4, 65),
            "min_samples_leaf": randint(2, 51),
            "l2_regularization": loguniform(1e-6, 10.0),
        },
        "skopt": {
            "learning_rate": ("real", 1e-3, 1.0, "log"),
            "max_leaf_nodes": ("int", 4, 64),
            "min_samples_leaf": ("int", 2, 50),
            "l2_regularization": ("real", 1e-6, 10.0, "log"),
        },
    }


def _pipeline_digits() -> dict[str, Any]:
    return {
        "data": load_digits,
        "estimator": lambda: Pipeline(
            [("scale", StandardScaler()), ("pca", PCA(random_state=0)), ("svc", SVC())]
        ),
        "space": {
            "pca__n_components": randint(5, 64),
            "svc__kernel": ["rbf", "poly", "sigmoid"],
            "svc__C": loguniform(1e-2, 1e3),
        },
        "skopt": {
            "pca__n_components": ("int", 5, 63),
            "svc__kernel": ("cat", ["rbf", "poly", "sigmoid"]),
            "svc__C": ("real", 1e-2, 1e3, "log"),
        },
    }


TASKS: dict[str, Callable[[], dict[str, Any]]] = {
    "svc-digits": _svc_digits,
    "hgb-breast-cancer": _hgb_cancer,
    "pipeline-digits": _pipeline_digits,
}


def _skopt_space(spec: dict[str, tuple]) -> dict[str, Any]:
    from skopt.space import Categorical, Integer, Real

    out = {}
    for name, (kind, *args) in spec.items():
        if kind == "real":
            prior = "log-uniform" if args[2:] == ["log"] else "uniform"
            out[name] = Real(args[0], args[1], prior=prior)
        elif kind == "int":
            out[name] = Integer(args[0], args[1])
        else:
            out[name] = Categorical(args[0])
    return out


# ---------------------------------------------------------------------- methods
def _methods(strategy: str, n: int, skopt: bool) -> list[tuple[str, int, Callable]]:
    def ours(strat: str) -> Callable:
        return lambda task, cv, seed, k: SearchCV(
            task["estimator"](), task["space"], strategy=strat, n_iter=k, cv=cv, random_state=seed
        )

    def randomized(task, cv, seed, k):  # noqa: ANN001, ANN202
        return RandomizedSearchCV(
            task["estimator"](), task["space"], n_iter=k, cv=cv, random_state=seed
        )

    def bayes_skopt(task, cv, seed, k):  # noqa: ANN001, ANN202
        from skopt import BayesSearchCV

        return BayesSearchCV(
            task["estimator"](), _skopt_space(task["skopt"]), n_iter=k, cv=cv, random_state=seed
        )

    rows = [
        (f"SearchCV({strategy})", n, ours(strategy)),
        ("SearchCV(coarse-to-fine)", n, ours("coarse-to-fine")),
        ("RandomizedSearchCV", n, randomized),
        ("RandomizedSearchCV", 2 * n, randomized),
    ]
    if skopt:
        rows.append(("skopt.BayesSearchCV", n, bayes_skopt))
    return rows


def _run_one(search: Any, X_tr, y_tr, X_te, y_te) -> dict[str, float]:  # noqa: ANN001
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        search.fit(X_tr, y_tr)
        wall = time.perf_counter() - start
    res = search.cv_results_
    n_splits = search.n_splits_
    in_fits = float(np.sum(res["mean_fit_time"] + res["mean_score_time"]) * n_splits)
    in_fits += float(getattr(search, "refit_time_", 0.0))
    return {
        "cv": float(search.best_score_),
        "test": float(search.score(X_te, y_te)),
        "wall": wall,
        "overhead": max(0.0, wall - in_fits) / wall,
        "candidates": len(res["params"]),
    }


def run(
    seeds: int, strategy: str, quick: bool, tasks: list[str], skopt: bool, progress: bool = True
) -> dict[str, Any]:
    n = 8 if quick else 30
    out: dict[str, Any] = {}
    for name in tasks:
        task = TASKS[name]()
        X, y = task["data"](return_X_y=True)
        if quick:
            X, y = X[:600], y[:600]
        rows: dict[str, list[dict[str, float]]] = {}
        for seed in range(seeds):
            X_tr, X_te, y_tr, y_te = train_test_split(
                X, y, test_size=0.25, stratify=y, random_state=seed
            )
            cv = StratifiedKFold(3, shuffle=True, random_state=seed)
            for label, k, make in _methods(strategy, n, skopt):
                key = f"{label} @ {k}"
                r = _run_one(make(task, cv, seed, k), X_tr, y_tr, X_te, y_te)
                rows.setdefault(key, []).append(r)
                if progress:
                    print(
                        f"{name} seed={seed} {key}: cv={r['cv']:.4f} test={r['test']:.4f} "
                        f"wall={r['wall']:.1f}s overhead={100 * r['overhead']:.1f}%",
                        flush=True,
                    )
        out[name] = rows
    return out


# ---------------------------------------------------------------------- table
def _cell(values: list[float], fmt: str) -> str:
    med = statistics.median(values)
    return f"{med:{fmt}} [{min(values):{fmt}}, {max(values):{fmt}}]"


def table(results: dict[str, Any], strategy: str, seeds: int, threads: int = 1) -> str:
    lines = [
        "# SearchCV against RandomizedSearchCV and BayesSearchCV",
        "",
        f"hpo_core {hpo_core.__version__}, scikit-learn {sklearn.__version__}, "
        f"Python {platform.python_version()}, {platform.machine()}; {seeds} seeds; n_jobs=1, "
        f"{threads} thread(s); "
        "3-fold stratified CV on 75% of the data, test score on the other 25%.",
        "Cells: median [min, max] over seeds. Overhead: share of wall time not spent fitting "
        "or scoring.",
    ]
    for task, rows in results.items():
        lines += [
            "",
            f"## {task}",
            "",
            "| method | best CV score | held-out test score | wall time (s) | overhead (%) |",
            "|---|---|---|---|---|",
        ]
        for key, runs in rows.items():
            lines.append(
                f"| {key} | {_cell([r['cv'] for r in runs], '.4f')} "
                f"| {_cell([r['test'] for r in runs], '.4f')} "
                f"| {_cell([r['wall'] for r in runs], '.1f')} "
                f"| {_cell([100 * r['overhead'] for r in runs], '.1f')} |"
            )
        ours = [k for k in rows if k.startswith(f"SearchCV({strategy})")]
        rand = [k for k in rows if k.startswith("RandomizedSearchCV")]
        if ours and rand:
            a = statistics.median(r["cv"] for r in rows[ours[0]])
            b = statistics.median(r["cv"] for r in rows[rand[-1]])
            verdict = "matches or beats" if a >= b else "falls short of"
            lines += ["", f"{ours[0]} {verdict} {rand[-1]} (median best CV {a:.4f} vs {b:.4f})."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.sklearn_search")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--out", type=Path, required=True, help="directory for the table")
    parser.add_argument("--quick", action="store_true", help="small run to check it works")
    parser.add_argument("--strategy", default="bayes", help="SearchCV strategy to compare")
    parser.add_argument("--tasks", nargs="+", default=list(TASKS), choices=list(TASKS))
    parser.add_argument("--no-skopt", action="store_true", help="leave BayesSearchCV out")
    parser.add_argument("--threads", type=int, default=1, help="BLAS/OpenMP threads")
    args = parser.parse_args(argv)
    if args.seeds < 1:
        parser.error(f"--seeds must be >= 1, got {args.seeds}")
    from hpo_core.strategies import STRATEGIES

    if args.strategy not in STRATEGIES:
        parser.error(f"--strategy must be one of {sorted(STRATEGIES)}, got {args.strategy!r}")
    skopt = not args.no_skopt
    if skopt:
        try:
            import skopt as _  # noqa: F401
        except ImportError:
            print("scikit-optimize is not installed: BayesSearchCV is left out")
            skopt = False
    seeds = min(args.seeds, 2) if args.quick else args.seeds
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=args.threads):
        results = run(seeds, args.strategy, args.quick, args.tasks, skopt)
    args.out.mkdir(parents=True, exist_ok=True)
    text = table(results, args.strategy, seeds, args.threads)
    (args.out / "sklearn_search.md").write_text(text)
    (args.out / "sklearn_search.json").write_text(json.dumps(results, indent=1))
    print(text)


if __name__ == "__main__":
    main()
