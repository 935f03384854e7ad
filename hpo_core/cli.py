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


EPILOG = """exit codes: 0 done; 1 the run failed (the objective raised, or no trial completed);
2 bad usage, a bad configuration, or a storage or study that cannot be read."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hpo-core", description="hpo_core command line", epilog=EPILOG
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("demo", help="tune an SVC on digits with cross-validation", epilog=EPILOG)
    p.add_argument("--strategy", default="random", choices=sorted(STRATEGIES))
    p.add_argument("--n-trials", type=_positive_int, default=30)
    p.add_argument("--seed", type=int, default=0)

    p = sub.add_parser(
        "run",
        help="run or resume the study a TOML file describes",
        epilog=EPILOG,
        description="Run the study of CONFIG.toml (objective as module:function, space, "
        "strategy, budget, storage); a study that exists in the storage is resumed.",
    )
    p.add_argument("config", help="the TOML configuration file")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")

    def study_parser(name: str, help: str) -> argparse.ArgumentParser:
        q = sub.add_parser(name, help=help, epilog=EPILOG)
        q.add_argument("storage", help="sqlite:///file.db or a path to the file")
        q.add_argument("--study", help="the study's name (needed when the file holds several)")
        return q

    p = study_parser("show", "a table of the trials and the best")
    p.add_argument("--limit", type=_positive_int, help="only the last LIMIT trials")
    study_parser("best", "the best trial as JSON")
    p = study_parser("plot", "draw a figure of the study to a PNG file")
    p.add_argument(
        "--kind", required=True, choices=["convergence", "importance", "parallel", "slice"]
    )
    p.add_argument("--out", required=True, help="the image file to write")
    p = study_parser("export", "the trials as CSV or JSON")
    p.add_argument("--format", required=True, choices=["csv", "json"])
    p.add_argument("--out", help="the file to write (default: standard output)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from hpo_core import _cli_study
    from hpo_core._cli_run import ConfigError, run
    from hpo_core.storage import StorageError

    try:
        if args.command == "demo":
            return demo(args.strategy, args.n_trials, args.seed)
        if args.command == "run":
            return run(args.config, progress=not args.no_progress)
        if args.command == "show":
            return _cli_study.show(args.storage, args.study, args.limit)
        if args.command == "best":
            return _cli_study.best(args.storage, args.study)
        if args.command == "plot":
            return _cli_study.plot(args.storage, args.study, args.kind, args.out)
        return _cli_study.export(args.storage, args.study, args.format, args.out)
    except (ConfigError, StorageError) as err:
        print(f"hpo-core: error: {err}", file=sys.stderr)
        return 2
    except ValueError as err:
        print(f"hpo-core: error: {err}", file=sys.stderr)
        return 2 if args.command != "run" else 1
    except Exception as err:  # noqa: BLE001 - a failed run reports and exits 1
        print(f"hpo-core: the run failed: {type(err).__name__}: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
