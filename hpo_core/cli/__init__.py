"""The ``hpo-core`` command (also ``python -m hpo_core``): its parser and ``main``.

The commands live in the modules of this package, loaded when one runs:

- ``hpo_core.cli.run``: ``hpo-core run CONFIG.toml``, a study described in a TOML file.
- ``hpo_core.cli.study``: ``show``, ``best``, ``plot`` and ``export`` of a stored study.
- ``hpo_core.cli.copy``: ``hpo-core copy SRC DST``, a study copied from one storage to another.
- ``hpo_core.cli.dashboard``: ``hpo-core dashboard STORAGE``, the live dashboard of its studies.
- ``hpo_core.cli.demo``: ``hpo-core demo``, GridSearchCV, RandomizedSearchCV and SearchCV side by
  side on digits.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from hpo_core.strategies import STRATEGIES

__all__ = ["main"]


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be an integer >= 1, got {text}")
    return value


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be an integer in 0..65535, got {text!r}")
    return value


def _floats(text: str) -> list[float]:
    try:
        return [float(v) for v in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"give comma-separated numbers, one per objective, got {text!r}"
        ) from None


def _strategies(text: str) -> list[str]:
    names = [s.strip() for s in text.split(",") if s.strip()]
    unknown = [s for s in names if s not in STRATEGIES]
    if not names or unknown:
        raise argparse.ArgumentTypeError(
            f"give comma-separated names among {sorted(STRATEGIES)}, got {text!r}"
        )
    return names


EPILOG = """exit codes: 0 done; 1 the run failed (the objective raised, or no trial completed);
2 bad usage, a bad configuration, or a storage or study that cannot be read."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hpo-core", description="hpo_core command line", epilog=EPILOG
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser(
        "demo",
        help="tune an SVC on digits: GridSearchCV, RandomizedSearchCV and SearchCV side by side",
        epilog=EPILOG,
    )
    p.add_argument(
        "--strategy",
        type=_strategies,
        default=["bayes", "de"],
        help="hpo_core strategies for SearchCV, comma-separated (default: bayes,de)",
    )
    p.add_argument(
        "--n-trials", type=_positive_int, default=30, help="candidates per method (default 30)"
    )
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
        q.add_argument(
            "storage",
            help="sqlite:///file.db, a path to the file, or postgresql://user:pw@host:5432/db",
        )
        q.add_argument("--study", help="the study's name (needed when the storage holds several)")
        return q

    p = study_parser("show", "a table of the trials and the best")
    p.add_argument("--limit", type=_positive_int, help="only the last LIMIT trials")
    study_parser("best", "the best trial as JSON")
    p = study_parser("plot", "draw a figure of the study to a PNG file")
    p.add_argument(
        "--kind",
        required=True,
        choices=[
            "convergence",
            "importance",
            "parallel",
            "slice",
            "contour",
            "pareto",
            "hypervolume",
        ],
    )
    p.add_argument(
        "--target",
        type=int,
        help="for a study with several objectives, the objective (0, 1, ...) that convergence, "
        "importance, parallel, slice or contour draw",
    )
    p.add_argument(
        "--reference",
        type=_floats,
        help="for --kind hypervolume: the reference point, one value per objective in its own "
        "sense, comma-separated (default: the worst value of each plus 10%% of its range)",
    )
    p.add_argument("--params", help="for --kind contour: the two parameters, comma-separated (X,Y)")
    p.add_argument(
        "--method",
        choices=["forest", "gp"],
        default="forest",
        help="for --kind importance: random-forest permutation importance (default) or 1 / GP "
        "lengthscale",
    )
    p.add_argument("--out", required=True, help="the image file to write")
    p = study_parser("export", "the trials as CSV or JSON")
    p.add_argument("--format", required=True, choices=["csv", "json"])
    p.add_argument("--out", help="the file to write (default: standard output)")
    p = sub.add_parser(
        "copy",
        help="copy a study from one storage to another (SQLite, PostgreSQL)",
        epilog=EPILOG,
        description="Copy study NAME, with all its trials and its queue, from storage SRC "
        "(only read) to storage DST, which must not hold a study of that name yet.",
    )
    p.add_argument("src", help="the storage to copy from (sqlite:///file.db, postgresql://...)")
    p.add_argument("dst", help="the storage to copy to (created when it is a new file)")
    p.add_argument("--study", help="the study's name (needed when SRC holds several)")
    p = study_parser("dashboard", "serve a live web dashboard of the storage's studies (read-only)")
    p.add_argument("--host", default="127.0.0.1", help="the address to serve on (127.0.0.1)")
    p.add_argument("--port", type=_port, default=8080, help="the port (8080; 0 picks a free one)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from hpo_core.cli import study
    from hpo_core.cli.run import ConfigError, run
    from hpo_core.storage import StorageError

    try:
        if args.command == "demo":
            from hpo_core.cli.demo import demo

            return demo(args.strategy, args.n_trials, args.seed)
        if args.command == "run":
            return run(args.config, progress=not args.no_progress)
        if args.command == "copy":
            from hpo_core.cli.copy import copy

            return copy(args.src, args.dst, args.study)
        if args.command == "dashboard":
            from hpo_core.cli.dashboard import dashboard

            return dashboard(args.storage, args.study, args.host, args.port)
        if args.command == "show":
            return study.show(args.storage, args.study, args.limit)
        if args.command == "best":
            return study.best(args.storage, args.study)
        if args.command == "plot":
            params = args.params.split(",") if args.params else None
            return study.plot(
                args.storage,
                args.study,
                args.kind,
                args.out,
                params,
                args.method,
                target=args.target,
                reference=args.reference,
            )
        return study.export(args.storage, args.study, args.format, args.out)
    except (ConfigError, StorageError) as err:
        print(f"hpo-core: error: {err}", file=sys.stderr)
        return 2
    except ValueError as err:
        print(f"hpo-core: error: {err}", file=sys.stderr)
        return 2 if args.command != "run" else 1
    except Exception as err:  # a failed run reports and exits 1
        print(f"hpo-core: the run failed: {type(err).__name__}: {err}", file=sys.stderr)
        return 1
