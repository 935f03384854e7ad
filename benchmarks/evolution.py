"""Evolution strategies at a fixed number of evaluations, serial and in batches, against pycma.

    python -m benchmarks.evolution batches [--dims 10] [--seeds 5] [--budget 1500]
    python -m benchmarks.evolution targets [--dims 5,10] [--seeds 5]
    python -m benchmarks.evolution overhead [--dims 10]
    python -m benchmarks.evolution oracle [--cells schaffer:5:64,rastrigin:10:64] [--seeds 5]

Problems on the box ``[-5, 5]^d`` with the optimum (value 0) at a random point of
``[-4, 4]^d`` per seed: ``sphere`` (separable), ``ellipsoid`` (rotated, condition 1e6),
``rosenbrock`` (rotated, a curved valley), ``rastrigin`` (multimodal, separable) and
``schaffer`` (rotated Schaffer F7: multimodal, weakly structured).

``batches``: the median regret (best value found) at the budget for hpo_core's cmaes, de and ga
asked ``ask(b)`` and told the whole batch, b in 1, 8, 32, 64; pycma with a population of
``max(default, b)`` (a generation of pycma is evaluated in parallel; with b below the
population it takes several rounds of b); and Optuna's ``CmaEsSampler`` (``--libs
...,optuna-cmaes``) asked b trials, then told them.

``targets``: the fraction of 51 log-spaced targets ``10^2 .. 10^-8`` reached per run, after
20 d, 100 d and 1000 d evaluations, for hpo_core's cmaes, pycma's ``fmin2`` held to the same
box (started from the centre with sigma0 = 0.2 of the range, IPOP restarts with a doubled
population, as hpo_core's cmaes) and random search.

``overhead``: milliseconds per evaluation spent in the optimizer (wall time minus the time in
the objective), hpo_core's cmaes and pycma in the same run.

``oracle``: hpo_core's cmaes in batches of b whose step size is chosen each round by looking
ahead: the run is copied once per factor ``2^k`` (k in ``ORACLE_STEPS``), each copy's step size
multiplied by it, asked its batch and told it, and the copy whose batch holds the best value
goes on (the other copies' evaluations are not counted). The median regret at the budget, for
the cells ``--cells problem:d:b,...``: how far a better step-size rule could go.
"""

from __future__ import annotations

import argparse
import copy
import math
import time
from collections.abc import Callable

import numpy as np

import hpo_core

BOX = 5.0
TARGETS = 10.0 ** np.linspace(2, -8, 51)
PROBLEMS = ["sphere", "ellipsoid", "rosenbrock", "rastrigin", "schaffer"]
ORACLE_STEPS = (-3.0, -2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0)


def _rotation(d: int, rng: np.random.Generator) -> np.ndarray:
    q, r = np.linalg.qr(rng.standard_normal((d, d)))
    return q * np.sign(np.diag(r))


def problem(name: str, d: int, seed: int) -> Callable[[np.ndarray], float]:
    """The objective (minimum 0) of ``name`` in ``d`` dimensions for ``seed``."""
    rng = np.random.default_rng(1000 + seed)
    xopt = rng.uniform(-4.0, 4.0, d)
    R = _rotation(d, rng)
    scales = 10.0 ** (6.0 * np.arange(d) / max(d - 1, 1))

    def f(x: np.ndarray) -> float:
        u = np.asarray(x, dtype=float) - xopt
        if name == "sphere":
            return float(u @ u)
        if name == "ellipsoid":
            v = R @ u
            return float(scales @ (v * v))
        if name == "rosenbrock":
            v = R @ u * max(1.0, math.sqrt(d) / 8) + 1.0
            return float(np.sum(100 * (v[:-1] ** 2 - v[1:]) ** 2 + (v[:-1] - 1) ** 2))
        if name == "rastrigin":
            return float(10 * d + np.sum(u * u - 10 * np.cos(2 * np.pi * u)))
        if name == "schaffer":
            v = R @ u
            s = np.sqrt(v[:-1] ** 2 + v[1:] ** 2)
            return float(np.mean(np.sqrt(s) + np.sqrt(s) * np.sin(50 * s**0.2) ** 2) ** 2)
        raise ValueError(f"unknown problem {name!r}")

    return f


class Budget(Exception):
    """The budget is spent."""


class Recorder:
    """Wraps an objective: the best value so far after each evaluation, and the time inside."""

    def __init__(self, f: Callable[[np.ndarray], float], budget: int) -> None:
        self.f, self.budget = f, budget
        self.best = np.full(budget, np.inf)
        self.n = 0
        self.inside = 0.0
        self._best = np.inf

    def __call__(self, x: np.ndarray) -> float:
        if self.n >= self.budget:
            raise Budget
        start = time.perf_counter()
        v = self.f(x)
        self.inside += time.perf_counter() - start
        self._best = min(self._best, v)
        self.best[self.n] = self._best
        self.n += 1
        return v


def run_hpo(rec: Recorder, d: int, strategy: str, batch: int, seed: int) -> None:
    space = {f"x{i}": hpo_core.Real(-BOX, BOX) for i in range(d)}
    opt = hpo_core.Optimizer(space, strategy=strategy, seed=seed)
    names = list(space)
    try:
        while rec.n < rec.budget:
            trials = opt.ask(min(batch, rec.budget - rec.n))
            for t in trials:
                opt.tell(t, rec(np.array([t.params[k] for k in names])))
    except Budget:
        pass


def run_pycma(rec: Recorder, d: int, batch: int, seed: int, restarts: bool = False) -> None:
    import cma

    opts = {"bounds": [-BOX, BOX], "seed": seed + 1, "verbose": -9}
    popsize = max(4 + int(3 * math.log(d)), batch)
    try:
        if restarts:
            opts["popsize"] = popsize
            cma.fmin2(rec, np.zeros(d), 0.4 * BOX, opts, restarts=9, incpopsize=2)
            return
        es = cma.CMAEvolutionStrategy(np.zeros(d), 0.4 * BOX, {**opts, "popsize": popsize})
        while not es.stop():
            X = es.ask()
            es.tell(X, [rec(x) for x in X])
    except Budget:
        pass


def run_optuna(rec: Recorder, d: int, batch: int, seed: int) -> None:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sampler = optuna.samplers.CmaEsSampler(seed=seed, warn_independent_sampling=False)
    study = optuna.create_study(sampler=sampler)
    dists = {f"x{i}": optuna.distributions.FloatDistribution(-BOX, BOX) for i in range(d)}
    try:
        while rec.n < rec.budget:
            trials = [study.ask(dists) for _ in range(min(batch, rec.budget - rec.n))]
            values = [rec(np.array([t.params[f"x{i}"] for i in range(d)])) for t in trials]
            for t, v in zip(trials, values, strict=True):
                study.tell(t, v)
    except Budget:
        pass


def run_random(rec: Recorder, d: int, seed: int) -> None:
    X = np.random.default_rng(seed).uniform(-BOX, BOX, (rec.budget, d))
    for x in X:
        rec(x)


def _median(a: list[float]) -> float:
    return float(np.median(a))


def batches(dims: list[int], seeds: int, budget_per_d: int, libs: list[str]) -> None:
    for d in dims:
        budget = budget_per_d * d
        print(f"\n### d = {d}, {budget} evaluations: median regret over {seeds} seeds\n")
        print("| problem | library | b=1 | b=8 | b=32 | b=64 | worst b / b=1 |")
        print("|---|---|---|---|---|---|---|")
        for name in PROBLEMS:
            for lib in libs:
                cells = []
                for b in (1, 8, 32, 64):
                    vals = []
                    for s in range(seeds):
                        rec = Recorder(problem(name, d, s), budget)
                        if lib == "pycma":
                            run_pycma(rec, d, b, s)
                        elif lib == "optuna-cmaes":
                            run_optuna(rec, d, b, s)
                        else:
                            run_hpo(rec, d, lib, b, s)
                        vals.append(float(rec.best[rec.n - 1]))
                    cells.append(_median(vals))
                worst = max(cells[1:]) / max(cells[0], 1e-300)
                row = " | ".join(f"{c:.3g}" for c in cells)
                print(f"| {name} | {lib} | {row} | {worst:.2f} |", flush=True)


def _reached(best: np.ndarray, n: int) -> float:
    return float(np.mean(best[min(n, len(best)) - 1] <= TARGETS))


def targets(dims: list[int], seeds: int) -> None:
    for d in dims:
        at = (20 * d, 100 * d, 1000 * d)
        print(f"\n### d = {d}: fraction of targets reached after {at} evaluations\n")
        print("| problem | library | 20 d | 100 d | 1000 d |")
        print("|---|---|---|---|---|")
        totals: dict[str, list[float]] = {}
        for name in PROBLEMS:
            for lib in ("cmaes", "pycma", "random"):
                runs = []
                for s in range(seeds):
                    rec = Recorder(problem(name, d, s), at[-1])
                    if lib == "cmaes":
                        run_hpo(rec, d, "cmaes", 1, s)
                    elif lib == "pycma":
                        run_pycma(rec, d, 1, s, restarts=True)
                    else:
                        run_random(rec, d, s)
                    best = rec.best[: max(rec.n, 1)]
                    runs.append([_reached(best, n) for n in at])
                mean = np.mean(runs, axis=0)
                totals.setdefault(lib, []).append(mean)
                cells = " | ".join(f"{100 * v:.1f}%" for v in mean)
                print(f"| {name} | {lib} | {cells} |", flush=True)
        for lib, rows in totals.items():
            cells = " | ".join(f"{100 * v:.1f}%" for v in np.mean(rows, axis=0))
            print(f"| **all** | {lib} | {cells} |")


def overhead(dims: list[int], seeds: int) -> None:
    print("\n| d | evaluations | hpo_core cmaes ms/eval | pycma ms/eval | ratio |")
    print("|---|---|---|---|---|")
    for d in dims:
        budget = 200 * d
        ms = {"cmaes": [], "pycma": []}
        for s in range(seeds):
            for lib in ms:
                rec = Recorder(problem("ellipsoid", d, s), budget)
                start = time.perf_counter()
                if lib == "cmaes":
                    run_hpo(rec, d, "cmaes", 1, s)
                else:
                    run_pycma(rec, d, 1, s, restarts=True)
                ms[lib].append(1000 * (time.perf_counter() - start - rec.inside) / rec.n)
        a, b = _median(ms["cmaes"]), _median(ms["pycma"])
        print(f"| {d} | {budget} | {a:.3f} | {b:.3f} | {a / b:.2f} |", flush=True)


def run_oracle(
    f: Callable[[np.ndarray], float], d: int, budget: int, batch: int, seed: int
) -> float:
    """The best value of a cmaes run whose step size is chosen by looking ahead each round."""
    space = {f"x{i}": hpo_core.Real(-BOX, BOX) for i in range(d)}
    opt = hpo_core.Optimizer(space, strategy="cmaes", seed=seed)
    n, best = 0, np.inf
    while n < budget:
        m = min(batch, budget - n)
        ahead = []
        for k in ORACLE_STEPS:
            o = copy.deepcopy(opt)
            if o.strategy._mean is not None:  # type: ignore[attr-defined]
                o.strategy._sigma *= 2.0**k  # type: ignore[attr-defined]
            trials = o.ask(m)
            values = [f(np.array([t.params[x] for x in space])) for t in trials]
            for t, v in zip(trials, values, strict=True):
                o.tell(t, v)
            ahead.append((min(values), o))
        value, opt = min(ahead, key=lambda a: a[0])
        best, n = min(best, value), n + m
    return best


def oracle(cells: list[str], seeds: int, budget_per_d: int) -> None:
    print("\n| cell | oracle median regret |\n|---|---|")
    for cell in cells:
        name, d, b = cell.split(":")
        vals = [
            run_oracle(problem(name, int(d), s), int(d), budget_per_d * int(d), int(b), s)
            for s in range(seeds)
        ]
        print(f"| {d}-d {name}, b = {b} | {_median(vals):.3g} |", flush=True)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("mode", choices=("batches", "targets", "overhead", "oracle"))
    p.add_argument("--dims", default="5,10")
    p.add_argument("--seeds", type=int, default=5)
    p.add_argument("--budget", type=int, default=150, help="evaluations per dimension")
    p.add_argument("--problems", default=",".join(PROBLEMS))
    p.add_argument("--libs", default="cmaes,de,ga,pycma", help="for batches")
    p.add_argument("--cells", default="schaffer:5:64", help="for oracle: problem:d:b,...")
    a = p.parse_args(argv)
    PROBLEMS[:] = a.problems.split(",")
    dims = [int(v) for v in a.dims.split(",")]
    np.seterr(all="ignore")
    if a.mode == "batches":
        batches(dims, a.seeds, a.budget, a.libs.split(","))
    elif a.mode == "targets":
        targets(dims, a.seeds)
    elif a.mode == "oracle":
        oracle(a.cells.split(","), a.seeds, a.budget)
    else:
        overhead(dims, a.seeds)


if __name__ == "__main__":
    main()
