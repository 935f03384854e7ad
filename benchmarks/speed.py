"""Speed runs, kept apart from quality runs: the cost of one ask after n told points, and the
start-up cost (import plus first model-based ask) in a fresh process, cold and warm numba cache.

Both tell every optimizer the same ``n`` points first: uniform random points of the problem's
space (seed 0) with their true values, told as a warm start where the library has one
(hpo_core ``tell(params, value)``, Optuna ``add_trials``, scikit-optimize ``tell(xs, ys)``),
through ``points_to_evaluate`` for Hyperopt. Then they time ``ask`` + ``tell`` of new points
(the objective's own time excluded). scikit-optimize fits its GP in ``tell``, so ask + tell is
the fair unit for every library.
"""

from __future__ import annotations

import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks import libs, translate
from benchmarks.problems import Problem, get_problem

__all__ = ["told_points", "ask_tell_times", "scaling", "startup", "SUPPORTED"]

#: libraries that can be pre-filled with told points (the speed runs support these)
SUPPORTED = ("optuna-tpe", "optuna-gp", "optuna-cmaes", "optuna-random", "skopt-gp", "hyperopt-tpe")


def told_points(problem: Problem, n: int, seed: int = 0) -> tuple[list[dict], list[float]]:
    """n uniform random points of the problem's space and their values."""
    from hpo_core.space import Space

    space = Space(problem.space)
    X = np.random.default_rng(seed).random((n, space.d))
    params = [space.decode(x) for x in X]
    return params, [problem(p) for p in params]


def _hpo_core(lib: str, problem: Problem, P: list, y: list) -> Callable[[], float]:
    from hpo_core import Optimizer

    opt = Optimizer(problem.space, strategy=lib.split(":", 1)[1], seed=0)
    for p, v in zip(P, y, strict=True):
        opt.tell(p, v)

    def step() -> float:
        t0 = time.perf_counter()
        trial = opt.ask()
        t1 = time.perf_counter()
        v = problem(trial.params)
        t2 = time.perf_counter()
        opt.tell(trial, v)
        return (t1 - t0) + (time.perf_counter() - t2)

    return step


def _optuna(lib: str, problem: Problem, P: list, y: list) -> Callable[[], float]:
    import optuna

    space = problem.space
    dists = translate.optuna_distributions(space)
    conditional = translate.is_conditional(space)
    study = optuna.create_study(sampler=libs._optuna_sampler(lib, 0))
    trials = []
    for p, v in zip(P, y, strict=True):  # a conditional point holds its active params only
        params = {n: d.index(p[n]) if _by_index(d) else p[n] for n, d in space.items() if n in p}
        mine = {n: dists[n] for n in params}
        trials.append(optuna.trial.create_trial(params=params, distributions=mine, value=v))
    study.add_trials(trials)

    def step() -> float:
        t0 = time.perf_counter()
        if conditional:
            trial = study.ask()
            params = translate.optuna_suggest(trial, space)
        else:
            trial = study.ask(dists)
            params = translate.from_optuna(space, trial.params)
        t1 = time.perf_counter()
        v = problem(params)
        t2 = time.perf_counter()
        study.tell(trial, v)
        return (t1 - t0) + (time.perf_counter() - t2)

    return step


def _by_index(dim: Any) -> bool:
    """Optuna gets a categorical's index when its choices are not plain values."""
    return hasattr(dim, "choices") and not translate.plain_choice(dim.choices)


def _skopt(lib: str, problem: Problem, P: list, y: list) -> Callable[[], float]:
    from hpo_core.space import Categorical

    opt = libs.make_skopt(problem.space, 0)

    def to_sk(p: dict) -> list:
        # the flat space: an inactive parameter is told at its middle value
        p = {**{n: d.decode(0.5) for n, d in problem.space.items()}, **p}
        return [
            d.index(p[n]) if isinstance(d, Categorical) else p[n] for n, d in problem.space.items()
        ]

    if P:
        opt.tell([to_sk(p) for p in P], list(y))

    def step() -> float:
        t0 = time.perf_counter()
        x = opt.ask()
        t1 = time.perf_counter()
        v = problem(translate.from_skopt(problem.space, x))
        t2 = time.perf_counter()
        opt.tell(x, v)
        return (t1 - t0) + (time.perf_counter() - t2)

    return step


def _hyperopt_times(problem: Problem, P: list, y: list, repeats: int) -> list[float]:
    """Hyperopt has no tell of outside points: they go in as points_to_evaluate (re-evaluated,
    cheap on test functions) and the next ``repeats`` TPE suggestions are timed."""
    from hyperopt import Trials, fmin, tpe

    from hpo_core.space import Categorical, Integer

    def to_hp(p: dict) -> dict:
        out = {}
        for n, d in problem.space.items():
            if n not in p:  # inactive: absent from the tree's point too
                continue
            out[n] = (
                d.index(p[n])
                if isinstance(d, Categorical)
                else float(p[n])
                if isinstance(d, Integer)
                else p[n]
            )
        return out

    evaluate = libs.Evaluator(problem, len(P) + repeats)
    evaluate.start()
    fmin(
        lambda p: evaluate(translate.from_hyperopt(problem.space, p)),
        translate.hyperopt_space(problem.space),
        algo=tpe.suggest,
        max_evals=repeats,  # points_to_evaluate are run on top of max_evals
        # hyperopt reads points_to_evaluate only when it makes the Trials itself
        trials=None if P else Trials(),
        rstate=np.random.default_rng(0),
        points_to_evaluate=[to_hp(p) for p in P] or None,
        show_progressbar=False,
        verbose=False,
    )
    evaluate.finish()
    return evaluate.opt_time[len(P) :]


def make_step(lib: str, problem: Problem, P: list, y: list) -> Callable[[], float]:
    """A fresh optimizer told the points ``P`` with values ``y``; calling the result makes one
    ask + tell (of a new point) and returns its seconds, the objective's time excluded."""
    if lib.startswith("hpo_core:"):
        return _hpo_core(lib, problem, P, y)
    if lib.startswith("optuna-"):
        return _optuna(lib, problem, P, y)
    if lib == "skopt-gp":
        return _skopt(lib, problem, P, y)
    raise ValueError(f"lib must be an hpo_core strategy or one of {SUPPORTED}, got {lib!r}")


def ask_tell_times(lib: str, problem: Problem, n: int, repeats: int = 3) -> list[float]:
    """Seconds of ``repeats`` successive ask + tell after ``n`` told points (objective excluded)."""
    P, y = told_points(problem, n)
    if lib == "hyperopt-tpe":
        return _hyperopt_times(problem, P, y, repeats)
    step = make_step(lib, problem, P, y)
    return [step() for _ in range(repeats)]


def scaling(
    lib_names: list[str],
    problem: str = "hartmann6",
    ns: tuple[int, ...] = (50, 100, 200, 400, 800, 1600),
    repeats: int = 3,
    max_seconds: float = 120.0,
    log: Callable[[str], None] = print,
) -> list[dict[str, Any]]:
    """One row per (lib, n): median seconds of one ask + tell after n told points.

    A library stops growing n once one measurement (set-up plus repeats) took more than
    ``max_seconds``: the larger n are recorded as skipped.
    """
    prob = get_problem(problem)
    rows = []
    for lib in lib_names:
        why = libs.unavailable(lib)
        if why is None and not (lib.startswith("hpo_core:") or lib in SUPPORTED):
            why = f"{lib}: no warm start of told points here"
        if why is not None:
            rows.append(
                {"lib": lib, "problem": problem, "n": None, "status": "skipped", "note": why}
            )
            log(why)
            continue
        ask_tell_times(lib, prob, 12, 1)  # warm-up: imports, numba cache loads
        too_slow = None
        for n in ns:
            if too_slow is not None:
                rows.append(
                    {"lib": lib, "problem": problem, "n": n, "status": "skipped", "note": too_slow}
                )
                continue
            t0 = time.perf_counter()
            times = ask_tell_times(lib, prob, n, repeats)
            took = time.perf_counter() - t0
            med = statistics.median(times)
            rows.append(
                {
                    "lib": lib,
                    "problem": problem,
                    "n": n,
                    "status": "ok",
                    "seconds": med,
                    "all": times,
                }
            )
            log(f"scaling {lib:18s} n={n:5d}  {med:.4f} s per ask+tell  ({took:.1f} s)")
            if took > max_seconds:
                too_slow = f"stopped after n={n} took {took:.0f} s (> {max_seconds:g} s)"
    return rows


_CHILD = """
import json, sys, time
t0 = time.perf_counter()
import importlib
for m in {mods!r}:
    importlib.import_module(m)
t1 = time.perf_counter()
from benchmarks.speed import _startup_child
print(json.dumps(_startup_child({lib!r}, {problem!r}, {n!r}, t1 - t0)))
"""


def _startup_child(lib: str, problem: str, n: int, import_s: float) -> dict[str, Any]:
    """In the fresh process: build the optimizer, tell n points, ask + tell once. ``first`` is
    everything after the import (strategy modules, numba compilation or cache loads, tells,
    the first ask + tell), ``first_ask`` the first ask + tell alone."""
    prob = get_problem(problem)
    P, y = told_points(prob, n)
    t0 = time.perf_counter()
    if lib == "hyperopt-tpe":
        first_ask = _hyperopt_times(prob, P, y, 1)[0]
    else:
        first_ask = make_step(lib, prob, P, y)()
    first = time.perf_counter() - t0
    return {"import": import_s, "first": first, "first_ask": first_ask}


def startup(
    lib_names: list[str],
    problem: str = "hartmann6",
    n: int = 20,
    log: Callable[[str], None] = print,
) -> list[dict[str, Any]]:
    """Import + first ask after ``n`` told points, in a fresh process: with an empty numba cache
    (a new ``NUMBA_CACHE_DIR``) and then warm (the same directory, second process)."""
    rows = []
    root = str(Path(__file__).resolve().parent.parent)
    for lib in lib_names:
        why = libs.unavailable(lib)
        if why is None and not (lib.startswith("hpo_core:") or lib in SUPPORTED):
            why = f"{lib}: no warm start of told points here"
        if why is not None:
            rows.append({"lib": lib, "status": "skipped", "note": why})
            continue
        mods = ["hpo_core"] if lib.startswith("hpo_core:") else list(libs._REFERENCE[lib][0])
        code = _CHILD.format(mods=mods, lib=lib, problem=problem, n=n)
        with tempfile.TemporaryDirectory(prefix="hpo-numba-cache-") as cache:
            env = {**os.environ, "NUMBA_CACHE_DIR": cache}
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))
            for cache_state in ("cold", "warm"):
                t0 = time.perf_counter()
                out = subprocess.run(
                    [sys.executable, "-c", code], env=env, capture_output=True, text=True
                )
                wall = time.perf_counter() - t0
                if out.returncode != 0:
                    note = out.stderr.strip().splitlines()[-1] if out.stderr.strip() else "failed"
                    rows.append({"lib": lib, "cache": cache_state, "status": "error", "note": note})
                    log(f"startup {lib} {cache_state}: error {note}")
                    break
                res = json.loads(out.stdout.strip().splitlines()[-1])
                rows.append(
                    {"lib": lib, "cache": cache_state, "status": "ok", "process": wall, **res}
                )
                log(
                    f"startup {lib:18s} {cache_state}: import {res['import']:.2f} s, set-up + "
                    f"first ask {res['first']:.2f} s, process {wall:.2f} s"
                )
    return rows


def scaling_table(rows: list[dict[str, Any]]) -> str:
    """Markdown: libraries down, n across, median seconds per ask + tell."""
    ns = sorted({r["n"] for r in rows if r.get("n") is not None})
    out = ["| library | " + " | ".join(f"n={n}" for n in ns) + " |", "|---" * (len(ns) + 1) + "|"]
    notes = []
    for lib in dict.fromkeys(r["lib"] for r in rows):
        cells = {r["n"]: r for r in rows if r["lib"] == lib}
        if None in cells:
            notes.append(cells[None]["note"])
            continue
        notes += [f"{lib}: {r['note']}" for r in cells.values() if r["status"] != "ok"][:1]
        line = [
            _fmt_s(cells[n]["seconds"]) if n in cells and cells[n]["status"] == "ok" else "--"
            for n in ns
        ]
        out.append(f"| {lib} | " + " | ".join(line) + " |")
    return "\n".join(out + ([""] + [f"- {n}" for n in notes] if notes else [])) + "\n"


def startup_table(rows: list[dict[str, Any]]) -> str:
    """Markdown: import, first ask and whole-process seconds, cold and warm numba cache."""
    out = [
        "| library | cache | import s | set-up + first ask s | import + first ask s | "
        "first ask alone s | whole process s |",
        "|---|---|---|---|---|---|---|",
    ]
    notes = []
    for r in rows:
        if r["status"] != "ok":
            notes.append(f"{r['lib']}: {r['note']}")
            continue
        out.append(
            f"| {r['lib']} | {r['cache']} | {r['import']:.2f} | {r['first']:.2f} | "
            f"{r['import'] + r['first']:.2f} | {r['first_ask']:.3f} | {r['process']:.2f} |"
        )
    return "\n".join(out + ([""] + [f"- {n}" for n in notes] if notes else [])) + "\n"


def _fmt_s(s: float) -> str:
    if not math.isfinite(s):
        return "--"
    return f"{s * 1e3:.2f} ms" if s < 1 else f"{s:.2f} s"
