"""hpo_core as Optuna's sampler, against Optuna's own samplers, with 1 and more threads.

    python -m benchmarks.optuna_backend [--problems branin,hartmann6,ackley5] [--seeds 3]
        [--budget 50] [--jobs 1,4]

1. Optuna studies (``study.optimize(n_jobs=k)``) driven by ``Sampler("bayes")``,
   ``Sampler("tpe")`` and ``Sampler("cmaes")`` against Optuna's GPSampler, TPESampler and
   CmaEsSampler (and its RandomSampler: Optuna's own cost per trial), on the harness's
   problems: median regret (best value minus the optimum) and milliseconds per trial (wall
   time minus the time in the objective, over the trials), with the FAIL trials counted.
2. Each strategy in hpo_core's own ask/tell loop (the harness's runner) against the same
   strategy driven through Optuna with one thread: regret and time per trial side by side.
"""

from __future__ import annotations

import argparse
import json
import statistics
import threading
import time
from pathlib import Path
from typing import Any

from benchmarks.env import header, limit_threads
from benchmarks.libs import _optuna_sampler, run_one
from benchmarks.problems import Problem, get_problem
from benchmarks.translate import optuna_suggest

#: (ours, Optuna's counterpart): the rows of table 1
PAIRS = [("bayes", "optuna-gp"), ("tpe", "optuna-tpe"), ("cmaes", "optuna-cmaes")]


def _sampler(lib: str, seed: int) -> Any:
    """Optuna's sampler named ``lib`` (as the harness makes it), else ``Sampler(lib)``."""
    if lib.startswith("optuna-"):
        return _optuna_sampler(lib, seed)
    from hpo_core.integrations.optuna import Sampler

    return Sampler(lib, seed=seed)


def run_study(lib: str, problem: Problem, seed: int, budget: int, jobs: int) -> dict[str, Any]:
    """One Optuna study of ``budget`` trials with ``jobs`` threads: best value, time, FAILs."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    in_objective = [0.0]
    lock = threading.Lock()

    def objective(trial: Any) -> float:
        params = optuna_suggest(trial, problem.space)
        t0 = time.perf_counter()
        value = problem(params)
        with lock:
            in_objective[0] += time.perf_counter() - t0
        return value

    study = optuna.create_study(sampler=_sampler(lib, seed))
    t0 = time.perf_counter()
    study.optimize(objective, n_trials=budget, n_jobs=jobs, catch=(Exception,))
    wall = time.perf_counter() - t0
    states = [t.state.name for t in study.trials]
    values = [t.value for t in study.trials if t.state.name == "COMPLETE"]
    return {
        "lib": lib,
        "problem": problem.name,
        "seed": seed,
        "jobs": jobs,
        "regret": min(values) - (problem.optimum or 0.0),
        "ms_per_trial": 1e3 * (wall - in_objective[0]) / len(states),
        "fails": states.count("FAIL"),
    }


def own_loop(strategy: str, problem: Problem, seed: int, budget: int) -> dict[str, Any]:
    """The strategy in hpo_core's own loop (the harness's runner), as a row of run_study's."""
    rec = run_one(f"hpo_core:{strategy}", problem, seed, budget)
    return {
        "lib": f"own:{strategy}",
        "problem": problem.name,
        "seed": seed,
        "jobs": 1,
        "regret": min(rec["values"]) - (problem.optimum or 0.0),
        "ms_per_trial": 1e3 * sum(rec["opt_time"]) / len(rec["opt_time"]),
        "fails": 0,
    }


def _cell(rows: list[dict[str, Any]], key: str, fmt: str) -> str:
    return format(statistics.median(r[key] for r in rows), fmt) if rows else "-"


def table(rows: list[dict[str, Any]], libs: list[str], problems: list[str], jobs: int) -> str:
    """Median regret per problem, and median ms per trial over every run, per library."""
    head = "| sampler | " + " | ".join(f"{p} regret" for p in problems) + " | ms/trial | FAIL |"
    lines = [head, "|" + " --- |" * (len(problems) + 3)]
    for lib in libs:
        mine = [r for r in rows if r["lib"] == lib and r["jobs"] == jobs]
        cells = [_cell([r for r in mine if r["problem"] == p], "regret", ".3g") for p in problems]
        fails = sum(r["fails"] for r in mine)
        name = f"Sampler({lib!r})" if not lib.startswith(("optuna-", "own:")) else lib
        lines.append(
            f"| {name} | " + " | ".join(cells) + f" | {_cell(mine, 'ms_per_trial', '.2f')} "
            f"| {fails} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.optuna_backend")
    p.add_argument("--problems", default="branin,hartmann6,ackley5")
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--budget", type=int, default=50)
    p.add_argument("--jobs", default="1,4", help="Optuna's n_jobs (threads), comma-separated")
    p.add_argument("--out", type=Path, default=Path("benchmarks/out/optuna_backend.jsonl"))
    args = p.parse_args(argv)
    limit_threads(1)
    problems = args.problems.split(",")
    jobs = [int(j) for j in args.jobs.split(",")]
    libs = [lib for pair in PAIRS for lib in pair] + ["optuna-random"]
    rows = []
    for name in problems:
        problem = get_problem(name)
        for lib in libs:  # an untimed warm-up: compilation and imports are not per trial
            run_study(lib, problem, 99, 12, 1)
        for seed in range(args.seeds):
            for k in jobs:
                rows += [run_study(lib, problem, seed, args.budget, k) for lib in libs]
            rows += [own_loop(ours, problem, seed, args.budget) for ours, _ in PAIRS]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("".join(json.dumps(r) + "\n" for r in rows))
    cmd = "python -m benchmarks.optuna_backend " + " ".join(argv or [])
    print(header(cmd.strip()))
    for k in jobs:
        print(f"\n### Optuna with n_jobs={k} ({args.budget} trials, {args.seeds} seeds)\n")
        print(table(rows, libs, problems, k))
    print("\n### hpo_core's own loop against Optuna driving the strategy (n_jobs=1)\n")
    own = [x for ours, _ in PAIRS for x in (f"own:{ours}", ours)]
    print(table(rows, own, problems, 1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
