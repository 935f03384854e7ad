"""Bayesian optimisation with several objectives at small budgets, side by side with Optuna.

    python -m benchmarks.ehvi [--quick] [--seeds 5] [--trials 100] [--at 60,100] [--jobs 2]
        [--libs bayes,bayes-parego,nsga2,random,optuna-gp,optuna-tpe] [--problems ...]
        [--out DIR]

hpo_core's ``bayes`` (expected hypervolume improvement for 2 and 3 objectives), the same with
``mo_acquisition="parego"``, ``nsga2`` (population 20, what suits a 100-trial budget) and
random search, against Optuna's ``GPSampler`` (log EHVI, and log constrained EHVI with
constraints) and ``TPESampler``, each driven through its ask/tell interface in memory.

Problems, every variable scaled to ``[0, 1]``:

- ``branin-currin`` (2 variables, 2 objectives; Belakaria et al. 2019);
- ``zdt1-4d`` (ZDT1 with 4 variables, 2 objectives);
- ``dtlz2-5d`` (DTLZ2 with 5 variables, 3 objectives);
- ``bnh`` (Binh and Korn, 2 variables, 2 objectives, 2 constraints).

Quality is the exact hypervolume of the feasible Pareto front of the first ``k`` trials for
each ``k`` of ``--at``, against the fixed reference point of the problem (larger is better);
speed is the optimizer's own seconds per trial (ask and tell, the objective excluded). Tables
give the median over seeds with quartiles, and ratios to ``GPSampler``. Records are appended to
``DIR/ehvi.jsonl`` as each run ends, and a run already there (same library, problem, seed and
number of trials) is not repeated: an interrupted command picks up where it stopped. The table
goes to ``DIR/ehvi.md`` (``--table`` writes it from the records alone). ``--quick``: 2 seeds,
30 trials. ``--only-seeds 3,4`` runs some of the seeds (several commands can share the work).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.multiobjective import dtlz2, zdt1
from hpo_core.metrics import hypervolume

Values = tuple[list[float], list[float]]  # objectives, constraints (<= 0 is feasible)


def branin_currin(u: np.ndarray) -> Values:
    a, b = 15.0 * u[0] - 5.0, 15.0 * u[1]
    f1 = (
        (b - 5.1 / (4 * math.pi**2) * a * a + 5 / math.pi * a - 6) ** 2
        + 10 * (1 - 1 / (8 * math.pi)) * math.cos(a)
        + 10
    )
    x1, x2 = u[0], max(u[1], 1e-12)
    f2 = (1 - math.exp(-1 / (2 * x2))) * (2300 * x1**3 + 1900 * x1**2 + 2092 * x1 + 60)
    f2 /= 100 * x1**3 + 500 * x1**2 + 4 * x1 + 20
    return [f1, f2], []


def bnh(u: np.ndarray) -> Values:
    x1, x2 = 5.0 * u[0], 3.0 * u[1]
    f = [4 * x1 * x1 + 4 * x2 * x2, (x1 - 5) ** 2 + (x2 - 5) ** 2]
    c = [(x1 - 5) ** 2 + x2 * x2 - 25.0, 7.7 - (x1 - 8) ** 2 - (x2 + 3) ** 2]
    return f, c


#: name -> (function of u in [0, 1]^d, d, reference point)
PROBLEMS: dict[str, tuple[Callable[[np.ndarray], Values], int, list[float]]] = {
    "branin-currin": (branin_currin, 2, [18.0, 6.0]),
    "zdt1-4d": (lambda u: (zdt1(u), []), 4, [1.1, 11.0]),
    "dtlz2-5d": (lambda u: (dtlz2(u), []), 5, [1.5, 1.5, 1.5]),
    "bnh": (bnh, 2, [140.0, 50.0]),
}
LIBS = ("bayes", "bayes-parego", "nsga2", "random", "optuna-gp", "optuna-tpe")


def _front_hv(F: np.ndarray, C: np.ndarray, ref: list[float], at: list[int]) -> list[float]:
    out = []
    for k in at:
        ok = np.all(C[:k] <= 0.0, axis=1) if C.shape[1] else np.ones(min(k, len(F)), bool)
        out.append(float(hypervolume(F[:k][ok], ref)) if ok.any() else 0.0)
    return out


def _run_hpo(lib: str, problem: str, seed: int, trials: int) -> tuple[np.ndarray, ...]:
    import hpo_core
    from hpo_core.strategies.bayes import BayesianOptimization
    from hpo_core.strategies.nsga2 import NSGA2

    f, d, ref = PROBLEMS[problem]
    strategy: Any = {
        "bayes": lambda: BayesianOptimization(),
        "bayes-parego": lambda: BayesianOptimization(mo_acquisition="parego"),
        "nsga2": lambda: NSGA2(population_size=20),
        "random": lambda: "random",
    }[lib]()
    has_c = bool(f(np.full(d, 0.5))[1])
    names = [f"x{i}" for i in range(d)]
    opt = hpo_core.Optimizer(
        {k: (0.0, 1.0) for k in names},
        strategy=strategy,
        direction=["minimize"] * len(ref),
        constraints=has_c,
        seed=seed,
    )
    F, C, spent = [], [], 0.0
    for _ in range(trials):
        t0 = time.perf_counter()
        trial = opt.ask()
        t1 = time.perf_counter()
        values, cons = f(np.array([trial.params[k] for k in names]))
        t2 = time.perf_counter()
        opt.tell(trial, values, constraints=cons if has_c else None)
        spent += (t1 - t0) + (time.perf_counter() - t2)
        F.append(values)
        C.append(cons)
    return np.array(F), np.array(C).reshape(trials, -1), np.array(spent / trials)


def _run_optuna(lib: str, problem: str, seed: int, trials: int) -> tuple[np.ndarray, ...]:
    import warnings

    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    f, d, ref = PROBLEMS[problem]
    if lib == "optuna-gp":
        sampler: Any = optuna.samplers.GPSampler(seed=seed)
    else:
        sampler = optuna.samplers.TPESampler(seed=seed, multivariate=True)
    study = optuna.create_study(directions=["minimize"] * len(ref), sampler=sampler)
    F, C, spent = [], [], 0.0
    for _ in range(trials):
        t0 = time.perf_counter()
        trial = study.ask()
        u = np.array([trial.suggest_float(f"x{i}", 0.0, 1.0) for i in range(d)])
        t1 = time.perf_counter()
        values, cons = f(u)
        t2 = time.perf_counter()
        for j, c in enumerate(cons):
            trial.set_constraint(f"c{j}", c)
        study.tell(trial, values)
        spent += (t1 - t0) + (time.perf_counter() - t2)
        F.append(values)
        C.append(cons)
    return np.array(F), np.array(C).reshape(trials, -1), np.array(spent / trials)


def run_one(lib: str, problem: str, seed: int, trials: int, at: list[int]) -> dict[str, Any]:
    """One run: the hypervolume at each number of trials in ``at``, and seconds per trial."""
    run = _run_optuna if lib.startswith("optuna") else _run_hpo
    F, C, sec = run(lib, problem, seed, trials)
    hv = _front_hv(F, C, PROBLEMS[problem][2], at)
    return {
        "lib": lib,
        "problem": problem,
        "seed": seed,
        "trials": trials,
        "hv": dict(zip(map(str, at), hv, strict=True)),
        "sec_per_trial": float(sec),
        "load": os.getloadavg()[0],
        "when": time.strftime("%Y-%m-%d %H:%M:%S"),
    }


def _q(x: list[float]) -> str:
    if not x:
        return "-"
    q = statistics.quantiles(x, n=4) if len(x) > 1 else [x[0]] * 3
    return f"{statistics.median(x):.5g} [{q[0]:.5g}, {q[2]:.5g}]"


def table(records: list[dict[str, Any]], at: list[int], libs: list[str]) -> str:
    """Median hypervolume [quartiles] per problem, library and checkpoint, and time ratios."""
    lines = []
    for problem in PROBLEMS:
        recs = [r for r in records if r["problem"] == problem]
        if not recs:
            continue
        lines += [f"\n### {problem} (reference {PROBLEMS[problem][2]})\n"]
        head = " | ".join(f"HV at {k}" for k in at)
        lines += [f"| library | seeds | {head} | ms per trial | GPSampler's time / this |"]
        lines += ["|---" * (len(at) + 4) + "|"]
        ref_ms = [r["sec_per_trial"] for r in recs if r["lib"] == "optuna-gp"]
        for lib in libs:
            rs = [r for r in recs if r["lib"] == lib]
            if not rs:
                continue
            hv = " | ".join(_q([r["hv"][str(k)] for r in rs]) for k in at)
            ms = statistics.median(r["sec_per_trial"] for r in rs) * 1e3
            ratio = f"{statistics.median(ref_ms) * 1e3 / ms:.1f}x" if ref_ms else "-"
            lines += [f"| {lib} | {len(rs)} | {hv} | {ms:.1f} | {ratio} |"]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.ehvi", description=__doc__)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--only-seeds", default="", help="comma-separated seeds to run (of --seeds)")
    ap.add_argument("--trials", type=int, default=100)
    ap.add_argument("--at", default="60,100")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--libs", default=",".join(LIBS))
    ap.add_argument("--problems", default=",".join(PROBLEMS))
    ap.add_argument("--out", default="benchmarks/results")
    ap.add_argument("--table", action="store_true", help="only print the table of DIR's records")
    a = ap.parse_args(argv)
    seeds, trials = (2, 30) if a.quick else (a.seeds, a.trials)
    at = [min(int(k), trials) for k in a.at.split(",")] if not a.quick else [20, 30]
    libs = [s for s in a.libs.split(",") if s]
    problems = [s for s in a.problems.split(",") if s]
    for name, known in (("--libs", LIBS), ("--problems", tuple(PROBLEMS))):
        bad = [s for s in (libs if name == "--libs" else problems) if s not in known]
        if bad:
            ap.error(f"{name}: unknown {bad}; choose from {list(known)}")
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "ehvi.jsonl"
    lines = path.read_text().splitlines() if path.exists() else []
    records, done = [], set()
    for rec in map(json.loads, lines):  # the first record of a run counts
        key = (rec["lib"], rec["problem"], rec["seed"], rec["trials"])
        if key not in done:
            done.add(key)
            records.append(rec)
    chosen = [int(s) for s in a.only_seeds.split(",") if s] or list(range(seeds))
    tasks = [
        (lib, p, s, trials, at)
        for s in ([] if a.table else chosen)
        for p in problems
        for lib in libs
        if (lib, p, s, trials) not in done
    ]
    print(f"{len(tasks)} runs to do, {len(records)} already in {path}", flush=True)
    with ProcessPoolExecutor(max_workers=a.jobs) as pool, path.open("a") as fh:
        for future in as_completed([pool.submit(run_one, *t) for t in tasks]):
            rec = future.result()
            fh.write(json.dumps(rec) + "\n")
            fh.flush()
            records.append(rec)
            hv = ", ".join(f"{v:.4g}" for v in rec["hv"].values())
            print(
                f"{rec['lib']:>13} {rec['problem']:>14} seed {rec['seed']}: HV {hv}, "
                f"{rec['sec_per_trial'] * 1e3:.1f} ms/trial",
                flush=True,
            )
    mine = [r for r in records if r["trials"] == trials and r["seed"] < seeds]
    text = table(mine, at, libs)
    (out / "ehvi.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
