"""Several objectives and constraints: hpo_core side by side with Optuna, in one run.

    python -m benchmarks.multiobjective [--quick] [--seeds 5] [--out DIR]
        [--problems zdt1,zdt2,dtlz2] [--no-constrained] [--crossover sbx] [--mutation reset]

Multi-objective: by default ZDT1 and ZDT2 (30 variables, 2 objectives) and DTLZ2 (12 variables,
3 objectives) at 2,000 evaluations, hpo_core's ``nsga2`` against Optuna's ``NSGAIISampler``, both
with a population of 50. ``--problems`` picks others (comma-separated): ``held-out`` stands for
ZDT3 (30 variables), ZDT4 (10), ZDT6 (10), DTLZ1 (7 variables, 3 objectives) and CEC 2009's UF1
(10 variables, tied to x1, so not separable like the others), a suite kept apart to check that a
change which helps the default problems is not tuned to them; ``all`` runs all eight.
Quality is the hypervolume of the final Pareto front (exact, against
the reference point in the table; larger is better); speed is the optimizer's own seconds per
trial (ask and tell, the objective excluded), each library driven through its ask/tell
interface in memory.

Constrained: Gardner et al. (2014), ``cos(2 x1) cos(x2) + sin(x1)`` subject to
``cos(x1 + x2) <= 0.5`` on ``[0, 6]^2``, and Branin subject to Gelbart et al.'s (2014) disc
``(x1 - 2.5)^2 + (x2 - 7.5)^2 <= 50``, at 50 trials: hpo_core ``bayes`` with constraints against
Optuna's ``GPSampler`` and ``TPESampler`` told the constraints (``Trial.set_constraint`` in
Optuna 5, ``constraints_func`` before), and random search as a floor. Quality is the best
feasible value (smaller is better).

Tables give medians over seeds with quartiles, and ratios hpo_core / Optuna (hypervolume: > 1
is better; time: Optuna's over hpo_core's, so > 1 means hpo_core is faster). They are printed and
written to ``DIR/multiobjective.md`` (with the raw records in ``DIR/multiobjective.json``).
``--quick`` runs 2 seeds, 300 evaluations and 20 constrained trials.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

import hpo_core
from hpo_core.metrics import hypervolume

# ---------------------------------------------------------------------------------- problems


def zdt1(x: np.ndarray) -> list[float]:
    g = 1.0 + 9.0 * float(np.mean(x[1:]))
    return [float(x[0]), g * (1.0 - math.sqrt(x[0] / g))]


def zdt2(x: np.ndarray) -> list[float]:
    g = 1.0 + 9.0 * float(np.mean(x[1:]))
    return [float(x[0]), g * (1.0 - (x[0] / g) ** 2)]


def zdt3(x: np.ndarray) -> list[float]:
    g = 1.0 + 9.0 * float(np.mean(x[1:]))
    r = x[0] / g
    return [float(x[0]), g * (1.0 - math.sqrt(r) - r * math.sin(10.0 * math.pi * x[0]))]


def zdt4(x: np.ndarray) -> list[float]:
    z = 10.0 * x[1:] - 5.0  # x2.. on [-5, 5]
    g = 1.0 + 10.0 * len(z) + float(np.sum(z**2 - 10.0 * np.cos(4.0 * math.pi * z)))
    return [float(x[0]), g * (1.0 - math.sqrt(x[0] / g))]


def zdt6(x: np.ndarray) -> list[float]:
    f1 = 1.0 - math.exp(-4.0 * x[0]) * math.sin(6.0 * math.pi * x[0]) ** 6
    g = 1.0 + 9.0 * float(np.mean(x[1:])) ** 0.25
    return [f1, g * (1.0 - (f1 / g) ** 2)]


def dtlz1(x: np.ndarray) -> list[float]:
    z = x[2:] - 0.5
    g = 100.0 * (len(z) + float(np.sum(z**2 - np.cos(20.0 * math.pi * z))))
    h = 0.5 * (1.0 + g)
    return [h * x[0] * x[1], h * x[0] * (1.0 - x[1]), h * (1.0 - x[0])]


def uf1(x: np.ndarray) -> list[float]:
    # CEC 2009 UF1: every other variable is tied to x1 (not separable)
    n = len(x)
    j = np.arange(2, n + 1)
    z = 2.0 * x[1:] - 1.0  # x2.. on [-1, 1]
    e = (z - np.sin(6.0 * math.pi * x[0] + j * math.pi / n)) ** 2
    odd, even = e[j % 2 == 1], e[j % 2 == 0]
    return [
        float(x[0] + 2.0 * odd.mean()),
        float(1.0 - math.sqrt(x[0]) + 2.0 * even.mean()),
    ]


def dtlz2(x: np.ndarray) -> list[float]:
    g = float(np.sum((x[2:] - 0.5) ** 2))
    a, b = 0.5 * math.pi * x[0], 0.5 * math.pi * x[1]
    r = 1.0 + g
    return [r * math.cos(a) * math.cos(b), r * math.cos(a) * math.sin(b), r * math.sin(a)]


#: name -> (function of x in [0, 1]^d, d, reference point)
MO_PROBLEMS: dict[str, tuple[Callable[[np.ndarray], list[float]], int, list[float]]] = {
    "zdt1": (zdt1, 30, [1.1, 11.0]),
    "zdt2": (zdt2, 30, [1.1, 11.0]),
    "dtlz2": (dtlz2, 12, [2.5, 2.5, 2.5]),
    # held out: checks that a change made for the problems above is not tuned to them
    "zdt3": (zdt3, 30, [1.1, 11.0]),
    "zdt4": (zdt4, 10, [1.1, 250.0]),
    "zdt6": (zdt6, 10, [1.1, 11.0]),
    "dtlz1": (dtlz1, 7, [20.0, 20.0, 20.0]),
    "uf1": (uf1, 10, [2.0, 2.0]),
}
#: the problems run by default
DEFAULT_PROBLEMS = ("zdt1", "zdt2", "dtlz2")


def gardner(x1: float, x2: float) -> tuple[float, list[float]]:
    return math.cos(2 * x1) * math.cos(x2) + math.sin(x1), [math.cos(x1 + x2) - 0.5]


def branin_disc(x1: float, x2: float) -> tuple[float, list[float]]:
    b, c, t = 5.1 / (4 * math.pi**2), 5 / math.pi, 1 / (8 * math.pi)
    f = (x2 - b * x1**2 + c * x1 - 6) ** 2 + 10 * (1 - t) * math.cos(x1) + 10
    return f, [(x1 - 2.5) ** 2 + (x2 - 7.5) ** 2 - 50.0]


#: name -> (function of (x1, x2) -> (value, constraints), bounds of x1, bounds of x2)
CONSTRAINED: dict[str, tuple[Callable[..., tuple[float, list[float]]], tuple, tuple]] = {
    "gardner": (gardner, (0.0, 6.0), (0.0, 6.0)),
    "branin-disc": (branin_disc, (-5.0, 10.0), (0.0, 15.0)),
}


# ---------------------------------------------------------------------------------- runners
def run_hpo_mo(problem: str, evals: int, seed: int, **options: Any) -> dict[str, Any]:
    """hpo_core's nsga2 on a problem; ``options`` go to ``NSGA2`` (e.g. ``crossover``)."""
    from hpo_core.strategies.nsga2 import NSGA2

    f, d, ref = MO_PROBLEMS[problem]
    space = {f"x{i}": (0.0, 1.0) for i in range(d)}
    opt = hpo_core.Optimizer(
        space, strategy=NSGA2(**options), direction=["minimize"] * len(ref), seed=seed
    )
    names = list(space)
    spent = 0.0
    for _ in range(evals):
        t0 = time.perf_counter()
        trial = opt.ask()
        t1 = time.perf_counter()
        values = f(np.array([trial.params[k] for k in names]))
        t2 = time.perf_counter()
        opt.tell(trial, values)
        spent += (t1 - t0) + (time.perf_counter() - t2)
    F = np.array([t.values for t in opt.pareto_front])
    return {"hv": hypervolume(F, ref), "sec_per_trial": spent / evals}


def run_optuna_mo(problem: str, evals: int, seed: int) -> dict[str, Any]:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    f, d, ref = MO_PROBLEMS[problem]
    sampler = optuna.samplers.NSGAIISampler(population_size=50, seed=seed)
    study = optuna.create_study(directions=["minimize"] * len(ref), sampler=sampler)
    spent = 0.0
    for _ in range(evals):
        t0 = time.perf_counter()
        trial = study.ask()
        x = np.array([trial.suggest_float(f"x{i}", 0.0, 1.0) for i in range(d)])
        t1 = time.perf_counter()
        values = f(x)
        t2 = time.perf_counter()
        study.tell(trial, values)
        spent += (t1 - t0) + (time.perf_counter() - t2)
    F = np.array([t.values for t in study.best_trials])
    return {"hv": hypervolume(F, ref), "sec_per_trial": spent / evals}


def run_hpo_constrained(problem: str, trials: int, seed: int, strategy: str) -> dict[str, Any]:
    f, b1, b2 = CONSTRAINED[problem]
    opt = hpo_core.Optimizer({"x1": b1, "x2": b2}, strategy=strategy, constraints=True, seed=seed)
    spent = 0.0
    for _ in range(trials):
        t0 = time.perf_counter()
        trial = opt.ask()
        t1 = time.perf_counter()
        value, cons = f(trial.params["x1"], trial.params["x2"])
        t2 = time.perf_counter()
        opt.tell(trial, value, constraints=cons)
        spent += (t1 - t0) + (time.perf_counter() - t2)
    feas = [t for t in opt.trials if t.constraints is not None and max(t.constraints) <= 0]
    best = min(t.value for t in feas) if feas else math.nan
    return {"best": best, "feasible": len(feas) / trials, "sec_per_trial": spent / trials}


def run_optuna_constrained(problem: str, trials: int, seed: int, sampler: str) -> dict[str, Any]:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    f, b1, b2 = CONSTRAINED[problem]

    def cons_func(t: Any) -> list[float]:
        return t.user_attrs["c"]

    # Optuna 5 takes constraints from Trial.set_constraint; older ones from constraints_func
    new_api = hasattr(optuna.trial.Trial, "set_constraint")
    kw = {} if new_api else {"constraints_func": cons_func}
    if sampler == "gp":
        s = optuna.samplers.GPSampler(seed=seed, **kw)
    else:
        s = optuna.samplers.TPESampler(seed=seed, **kw)
    study = optuna.create_study(sampler=s)
    spent = 0.0
    found = []
    for _ in range(trials):
        t0 = time.perf_counter()
        trial = study.ask()
        x1, x2 = trial.suggest_float("x1", *b1), trial.suggest_float("x2", *b2)
        t1 = time.perf_counter()
        value, cons = f(x1, x2)
        t2 = time.perf_counter()
        if new_api:
            for j, c in enumerate(cons):
                trial.set_constraint(f"c{j}", c)
        else:
            trial.set_user_attr("c", cons)
        study.tell(trial, value)
        spent += (t1 - t0) + (time.perf_counter() - t2)
        if max(cons) <= 0:
            found.append(value)
    best = min(found) if found else math.nan
    return {"best": best, "feasible": len(found) / trials, "sec_per_trial": spent / trials}


CONSTRAINED_METHODS: dict[str, Callable[[str, int, int], dict[str, Any]]] = {
    "hpo_core bayes": lambda p, n, s: run_hpo_constrained(p, n, s, "bayes"),
    "hpo_core random": lambda p, n, s: run_hpo_constrained(p, n, s, "random"),
    "optuna GPSampler": lambda p, n, s: run_optuna_constrained(p, n, s, "gp"),
    "optuna TPESampler": lambda p, n, s: run_optuna_constrained(p, n, s, "tpe"),
}


# ---------------------------------------------------------------------------------- tables
def _q(x: list[float]) -> tuple[float, float, float]:
    x = [v for v in x if not math.isnan(v)]
    if not x:
        return math.nan, math.nan, math.nan
    q1, med, q3 = np.percentile(x, [25, 50, 75])
    return float(q1), float(med), float(q3)


def _cell(x: list[float], fmt: str = "{:.4g}") -> str:
    q1, med, q3 = _q(x)
    if math.isnan(med):
        return "n/a"
    return f"{fmt.format(med)} [{fmt.format(q1)}, {fmt.format(q3)}]"


def _ms(x: list[float]) -> str:
    return f"{1e3 * statistics.median(x):.3g}"


def mo_table(records: list[dict[str, Any]], evals: int) -> str:
    lines = [
        f"Hypervolume of the final front (larger is better) and optimizer ms per trial, "
        f"{evals} evaluations, population 50.",
        "",
        "| problem | reference | hpo_core nsga2 HV | Optuna NSGA-II HV | HV ratio "
        "| hpo_core ms/trial | Optuna ms/trial | speed-up |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for problem, (_, _, ref) in MO_PROBLEMS.items():
        mine = [r for r in records if r["problem"] == problem and r["lib"] == "hpo_core"]
        theirs = [r for r in records if r["problem"] == problem and r["lib"] == "optuna"]
        if not mine:
            continue
        hv_m = [r["hv"] for r in mine]
        t_m = [r["sec_per_trial"] for r in mine]
        row = [problem, str(tuple(ref)), _cell(hv_m)]
        if theirs:
            hv_o = [r["hv"] for r in theirs]
            t_o = [r["sec_per_trial"] for r in theirs]
            ratio = statistics.median(hv_m) / statistics.median(hv_o)
            speed = statistics.median(t_o) / statistics.median(t_m)
            row += [_cell(hv_o), f"{ratio:.3f}", _ms(t_m), _ms(t_o), f"{speed:.0f}x"]
        else:
            row += ["-", "-", _ms(t_m), "-", "-"]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def constrained_table(records: list[dict[str, Any]], trials: int) -> str:
    lines = [
        f"Best feasible value (smaller is better), share of feasible trials and optimizer "
        f"ms per trial, {trials} trials.",
        "",
        "| problem | method | best feasible | feasible share | ms/trial |",
        "|---|---|---|---|---|",
    ]
    for problem in CONSTRAINED:
        for method in CONSTRAINED_METHODS:
            rs = [r for r in records if r["problem"] == problem and r["lib"] == method]
            if not rs:
                continue
            lines.append(
                f"| {problem} | {method} | {_cell([r['best'] for r in rs])} "
                f"| {statistics.median([r['feasible'] for r in rs]):.0%} "
                f"| {_ms([r['sec_per_trial'] for r in rs])} |"
            )
    return "\n".join(lines)


# ---------------------------------------------------------------------------------- main
def _problems(spec: str) -> list[str]:
    """The multi-objective problems named by ``--problems``."""
    if spec == "all":
        return list(MO_PROBLEMS)
    if spec == "held-out":
        return [p for p in MO_PROBLEMS if p not in DEFAULT_PROBLEMS]
    names = [p.strip().lower() for p in spec.split(",") if p.strip()]
    bad = [p for p in names if p not in MO_PROBLEMS]
    if bad or not names:
        raise SystemExit(
            f"--problems must name some of {', '.join(MO_PROBLEMS)} (or 'held-out', 'all'), "
            f"got {spec!r}"
        )
    return names


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 seeds, 300 evals, 20 trials")
    parser.add_argument("--seeds", type=int, default=None)
    parser.add_argument("--evals", type=int, default=None, help="multi-objective budget")
    parser.add_argument("--trials", type=int, default=None, help="constrained budget")
    parser.add_argument("--no-optuna", action="store_true", help="hpo_core only")
    parser.add_argument(
        "--problems",
        default=",".join(DEFAULT_PROBLEMS),
        help=f"multi-objective problems, comma-separated, of {', '.join(MO_PROBLEMS)}; "
        "or 'held-out' (those not run by default) or 'all'",
    )
    parser.add_argument("--no-constrained", action="store_true", help="skip the constrained runs")
    parser.add_argument(
        "--crossover", default="uniform", help="nsga2's crossover option (uniform or sbx)"
    )
    parser.add_argument(
        "--mutation", default="polynomial", help="nsga2's mutation option (polynomial or reset)"
    )
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    seeds = args.seeds or (2 if args.quick else 5)
    evals = args.evals or (300 if args.quick else 2000)
    trials = args.trials or (20 if args.quick else 50)
    optuna = not args.no_optuna
    problems = _problems(args.problems)

    from benchmarks.env import header, limit_threads

    limit_threads(1)
    hpo_core.Optimizer({"x": (0.0, 1.0)}, strategy="nsga2", direction=["minimize"] * 2)
    options = {"crossover": args.crossover, "mutation": args.mutation}
    run_hpo_mo("zdt1", 60, 0, **options)  # compile (or load) the kernels outside the timings
    records: list[dict[str, Any]] = []
    libs: dict[str, Callable[[str, int, int], dict[str, Any]]] = {
        "hpo_core": lambda p, n, s: run_hpo_mo(p, n, s, **options),
        **({"optuna": run_optuna_mo} if optuna else {}),
    }
    for problem in problems:
        for seed in range(seeds):
            for lib, fn in libs.items():
                r = fn(problem, evals, seed)
                records.append({"kind": "mo", "problem": problem, "lib": lib, "seed": seed, **r})
                print(f"{problem} seed {seed} {lib}: {r}", file=sys.stderr, flush=True)
    for problem in () if args.no_constrained else CONSTRAINED:
        for seed in range(seeds):
            for method, fn in CONSTRAINED_METHODS.items():
                if method.startswith("optuna") and not optuna:
                    continue
                r = fn(problem, trials, seed)
                rec = {"kind": "constrained", "problem": problem, "lib": method, "seed": seed}
                records.append({**rec, **r})
                print(f"{problem} seed {seed} {method}: {r}", file=sys.stderr, flush=True)
    command = "python -m benchmarks.multiobjective " + " ".join(argv or sys.argv[1:])
    parts = [
        f"# Several objectives and constraints ({seeds} seeds)",
        header(command.strip()),
        "## Multi-objective: hpo_core nsga2 vs Optuna NSGAIISampler",
        mo_table([r for r in records if r["kind"] == "mo"], evals),
    ]
    if not args.no_constrained:
        parts += [
            "## Constrained: hpo_core bayes vs Optuna GPSampler and TPESampler",
            constrained_table([r for r in records if r["kind"] == "constrained"], trials),
        ]
    text = "\n\n".join(parts)
    print(text)
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "multiobjective.md").write_text(text + "\n")
        (args.out / "multiobjective.json").write_text(json.dumps(records, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
