"""Optimizer adapters: every library runs a problem the same way and is timed the same way.

``run_one(lib, problem, seed, budget)`` runs one fresh optimizer for ``budget`` evaluations and
returns one record (a JSON-ready dict). The objective is wrapped by an ``Evaluator`` that times
each evaluation, so for every library the optimizer's own time is the wall time minus the time
inside the objective, whatever its loop looks like (ask/tell, callbacks, or define-by-run, where
Optuna's sampling happens inside its objective: only the problem's call is counted as objective
time). Per trial ``opt_time[i]`` is the time from the end of evaluation i-1 (or from the start,
before the optimizer is built) to the start of evaluation i; what runs after the last evaluation
is added to the last trial, so ``sum(opt_time) + sum(obj_time) == wall``.

Library names (``lib_names()``):

- ``hpo_core:<strategy>`` for every name in ``hpo_core.strategies.STRATEGIES`` (``random``,
  ``sobol``, ``grid`` and the model-based ones as they are added); the bare strategy name works
  too. The grid gets the largest number of points per axis whose grid fits the budget, in a
  random (seeded) order.
- ``optuna-tpe``, ``optuna-gp`` (needs torch), ``optuna-cmaes`` (needs cmaes),
  ``optuna-nsga2``, ``optuna-random``: Optuna samplers with their defaults and ``seed``.
- ``hyperopt-tpe``: Hyperopt's ``tpe.suggest`` through ``fmin``.
- ``skopt-gp``: scikit-optimize's ``gp_minimize`` configuration (GP with Gaussian noise,
  gp_hedge, 10 random initial points, 10,000 acquisition points, 5 restarts) through its
  ``Optimizer`` ask/tell.
- ``cma``: the ``cma`` package's CMA-ES on the unit-cube encoding (bounds [0, 1], sigma0 0.3,
  a random start drawn from the seed).
- ``scipy-de``: ``scipy.optimize.differential_evolution`` on the unit-cube encoding (default
  population 15 x d, ``polish=False``, no early stop by tolerance), cut at the budget.
- ``plain-random``: independent uniform draws on each dimension's own scale (numpy only).

Spaces are translated to each library's own types: log-scale reals and integers, integers and
categoricals where the library has them. cma and scipy work on the unit cube; their points are
decoded with hpo_core's ``Space.decode`` (log scales, integers and categoricals by interval).
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import math
import time
import traceback
import warnings
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from benchmarks.problems import Problem
from benchmarks.translate import (
    from_hyperopt,
    from_optuna,
    from_skopt,
    hyperopt_space,
    is_conditional,
    optuna_distributions,
    optuna_suggest,
    skopt_dimensions,
)
from hpo_core.space import Categorical, Space

__all__ = ["BudgetExhausted", "Evaluator", "lib_names", "unavailable", "resolve_libs", "run_one"]


class BudgetExhausted(Exception):
    """Raised by the Evaluator when a library asks for more evaluations than the budget."""


class Evaluator:
    """The timed objective: ``evaluator(params) -> float``, at most ``budget`` calls."""

    def __init__(self, problem: Problem, budget: int) -> None:
        self.problem = problem
        self.budget = budget
        self.values: list[float] = []
        self.opt_time: list[float] = []
        self.obj_time: list[float] = []
        self.best_params: dict[str, Any] | None = None
        self._best = math.inf
        self._t0 = self._last = time.perf_counter()

    def start(self) -> None:
        self._t0 = self._last = time.perf_counter()

    def __call__(self, params: Mapping[str, Any]) -> float:
        if len(self.values) >= self.budget:
            raise BudgetExhausted
        t0 = time.perf_counter()
        value = self.problem(params)
        t1 = time.perf_counter()
        self.opt_time.append(t0 - self._last)
        self.obj_time.append(t1 - t0)
        self._last = t1
        self.values.append(value)
        if value < self._best:
            self._best, self.best_params = value, {k: _jsonable(v) for k, v in params.items()}
        return value

    def finish(self) -> float:
        """Add the time after the last evaluation to the last trial; return the wall time."""
        end = time.perf_counter()
        if self.opt_time:
            self.opt_time[-1] += end - self._last
        return end - self._t0


def _jsonable(v: Any) -> Any:
    return v.item() if isinstance(v, np.generic) else v


# ---------------------------------------------------------------- adapters
Runner = Callable[[Problem, int, int, Evaluator], None]


def grid_points_for(space: Space, budget: int) -> int:
    """The largest points-per-axis whose full grid has at most ``budget`` points (at least 2).

    A conditional space's grid holds only the valid combinations (an inactive dimension takes
    no values), counted until they pass the budget.
    """

    def size(k: int) -> int:
        if not space.conditional:
            return math.prod(len(a) for a in space.grid_axes(k))
        n = 0
        for _ in space.iter_grid(k):
            n += 1
            if n > budget:
                break
        return n

    k = 2
    while size(k + 1) <= budget and k < budget:
        k += 1
    return k


def _run_hpo_core(strategy: str) -> Runner:
    def run(problem: Problem, seed: int, budget: int, evaluate: Evaluator) -> None:
        from hpo_core import Optimizer, SearchSpaceExhausted

        space = Space(problem.space)
        evaluate.start()
        if strategy == "grid":
            from hpo_core.strategies.grid import GridSearch

            strat: Any = GridSearch(grid_points=grid_points_for(space, budget), shuffle=True)
        else:
            strat = strategy
        opt = Optimizer(space, strategy=strat, seed=seed)
        for _ in range(budget):
            try:
                trial = opt.ask()
            except SearchSpaceExhausted:
                break
            opt.tell(trial, evaluate(trial.params))

    return run


def _optuna_sampler(lib: str, seed: int) -> Any:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    s = optuna.samplers
    return {
        "optuna-tpe": lambda: s.TPESampler(seed=seed),
        "optuna-gp": lambda: s.GPSampler(seed=seed),
        "optuna-cmaes": lambda: s.CmaEsSampler(seed=seed, warn_independent_sampling=False),
        "optuna-nsga2": lambda: s.NSGAIISampler(seed=seed),
        "optuna-random": lambda: s.RandomSampler(seed=seed),
        "optuna-hpo_core-bayes": lambda: _hpo_core_sampler("bayes", seed),
        "optuna-hpo_core-tpe": lambda: _hpo_core_sampler("tpe", seed),
    }[lib]()


def _hpo_core_sampler(strategy: str, seed: int) -> Any:
    from hpo_core.integrations.optuna import Sampler

    return Sampler(strategy, seed=seed)


def _run_optuna(lib: str) -> Runner:
    def run(problem: Problem, seed: int, budget: int, evaluate: Evaluator) -> None:
        import optuna

        space = problem.space
        dists = optuna_distributions(space)
        conditional = is_conditional(space)
        evaluate.start()
        study = optuna.create_study(sampler=_optuna_sampler(lib, seed))
        for _ in range(budget):
            if conditional:  # define-by-run: the parents, then only what they make active
                trial = study.ask()
                params = optuna_suggest(trial, space)
            else:
                trial = study.ask(dists)
                params = from_optuna(space, trial.params)
            study.tell(trial, evaluate(params))

    return run


def _run_hyperopt(problem: Problem, seed: int, budget: int, evaluate: Evaluator) -> None:
    from hyperopt import Trials, fmin, tpe

    space = hyperopt_space(problem.space)
    evaluate.start()
    fmin(
        lambda p: evaluate(from_hyperopt(problem.space, p)),
        space,
        algo=tpe.suggest,
        max_evals=budget,
        trials=Trials(),
        rstate=np.random.default_rng(seed),
        show_progressbar=False,
        verbose=False,
    )


def make_skopt(space: Mapping[str, Any], seed: int) -> Any:
    """scikit-optimize's Optimizer configured exactly as ``gp_minimize`` configures it."""
    from skopt import Optimizer
    from skopt.space import Space as SkSpace
    from skopt.utils import cook_estimator

    dims = skopt_dimensions(space)
    est = cook_estimator("GP", space=SkSpace(dims), random_state=seed, noise="gaussian")
    return Optimizer(
        dims,
        est,
        n_initial_points=10,
        initial_point_generator="random",
        acq_func="gp_hedge",
        acq_optimizer="auto",
        random_state=seed,
        acq_optimizer_kwargs={"n_points": 10000, "n_restarts_optimizer": 5, "n_jobs": 1},
        acq_func_kwargs={"xi": 0.01, "kappa": 1.96},
    )


def _run_skopt(problem: Problem, seed: int, budget: int, evaluate: Evaluator) -> None:
    evaluate.start()
    opt = make_skopt(problem.space, seed)
    for _ in range(budget):
        x = opt.ask()
        opt.tell(x, evaluate(from_skopt(problem.space, x)))


def _run_cma(problem: Problem, seed: int, budget: int, evaluate: Evaluator) -> None:
    import cma

    space = Space(problem.space)
    evaluate.start()
    x0 = np.random.default_rng(seed).random(space.d)
    opts = {"bounds": [0.0, 1.0], "seed": seed + 1, "verbose": -9, "maxfevals": budget}
    es = cma.CMAEvolutionStrategy(x0, 0.3, opts)
    while len(evaluate.values) < budget:
        X = es.ask()
        vals = []
        for x in X:
            if len(evaluate.values) >= budget:
                return
            vals.append(evaluate(space.decode(x)))
        es.tell(X, vals)


def _run_scipy_de(problem: Problem, seed: int, budget: int, evaluate: Evaluator) -> None:
    import inspect

    from scipy.optimize import differential_evolution

    space = Space(problem.space)
    # scipy >= 1.15 takes a Generator as ``rng``; older versions a ``seed``
    if "rng" in inspect.signature(differential_evolution).parameters:
        seeding: dict[str, Any] = {"rng": np.random.default_rng(seed)}
    else:
        seeding = {"seed": seed}
    evaluate.start()
    try:
        differential_evolution(
            lambda x: evaluate(space.decode(x)),
            [(0.0, 1.0)] * space.d,
            **seeding,
            maxiter=10**9,
            tol=0.0,
            polish=False,
            updating="immediate",
        )
    except BudgetExhausted:
        pass


def _run_plain_random(problem: Problem, seed: int, budget: int, evaluate: Evaluator) -> None:
    space = Space(problem.space)
    evaluate.start()
    # a stream of its own: hpo_core's random search draws rng.random from default_rng(seed) too
    rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(1)[0])
    for _ in range(budget):
        evaluate(space.decode(rng.random(space.d)))


#: lib -> (modules it needs, runner); hpo_core strategies are added by ``_adapter``
_REFERENCE: dict[str, tuple[tuple[str, ...], Runner]] = {
    "optuna-tpe": (("optuna",), _run_optuna("optuna-tpe")),
    "optuna-gp": (("optuna", "torch"), _run_optuna("optuna-gp")),
    "optuna-cmaes": (("optuna", "cmaes"), _run_optuna("optuna-cmaes")),
    "optuna-nsga2": (("optuna",), _run_optuna("optuna-nsga2")),
    "optuna-random": (("optuna",), _run_optuna("optuna-random")),
    "optuna-hpo_core-bayes": (("optuna",), _run_optuna("optuna-hpo_core-bayes")),
    "optuna-hpo_core-tpe": (("optuna",), _run_optuna("optuna-hpo_core-tpe")),
    "hyperopt-tpe": (("hyperopt",), _run_hyperopt),
    "skopt-gp": (("skopt",), _run_skopt),
    "cma": (("cma",), _run_cma),
    "scipy-de": (("scipy",), _run_scipy_de),
    "plain-random": ((), _run_plain_random),
}

ALIASES = {"hyperopt": "hyperopt-tpe", "skopt": "skopt-gp", "optuna": "optuna-tpe"}


def _strategies() -> list[str]:
    from hpo_core.strategies import STRATEGIES

    return list(STRATEGIES)


#: named sets of libraries (``--libs bo``); hpo_core names missing from STRATEGIES are dropped
LIB_SETS: dict[str, tuple[str, ...]] = {
    "hpo_core": (),  # every hpo_core strategy, filled in by resolve_libs
    "references": tuple(_REFERENCE),
    "bo": ("hpo_core:bayes", "optuna-gp", "optuna-tpe", "skopt-gp", "hyperopt-tpe", "plain-random"),
    "evo": (
        "hpo_core:ga",
        "hpo_core:de",
        "hpo_core:cmaes",
        "optuna-cmaes",
        "optuna-nsga2",
        "cma",
        "scipy-de",
        "plain-random",
    ),
    "backend": (
        "hpo_core:bayes",
        "optuna-hpo_core-bayes",
        "optuna-hpo_core-tpe",
        "optuna-gp",
        "optuna-tpe",
        "plain-random",
    ),
    "default": ("optuna-tpe", "optuna-gp", "hyperopt-tpe", "skopt-gp", "plain-random"),
}


def lib_names() -> list[str]:
    """Every library name known here (hpo_core strategies as registered right now)."""
    return [f"hpo_core:{s}" for s in _strategies()] + list(_REFERENCE)


def resolve_libs(spec: str) -> list[str]:
    """Comma-separated names, aliases and sets to a list of library names, in order.

    ``hpo_core`` is every registered strategy; ``default`` is every hpo_core strategy plus
    the default references. Unknown names raise ValueError.
    """
    out: list[str] = []
    strategies = _strategies()
    for raw in (s.strip() for s in spec.split(",")):
        if not raw:
            continue
        if raw in ("hpo_core", "default"):
            names = [f"hpo_core:{s}" for s in strategies]
            names += list(LIB_SETS["default"]) if raw == "default" else []
        elif raw in LIB_SETS:
            names = [
                n for n in LIB_SETS[raw] if not n.startswith("hpo_core:") or n[9:] in strategies
            ]
        elif raw in strategies:
            names = [f"hpo_core:{raw}"]
        else:
            name = ALIASES.get(raw, raw)
            if name not in _REFERENCE and not (
                name.startswith("hpo_core:") and name[9:] in strategies
            ):
                raise ValueError(
                    f"unknown library {raw!r}; known: {lib_names()}, aliases {sorted(ALIASES)}, "
                    f"sets {sorted(LIB_SETS)}"
                )
            names = [name]
        out += [n for n in names if n not in out]
    if not out:
        raise ValueError(f"no library given in {spec!r}")
    return out


@functools.cache
def _import_error(module: str) -> str | None:
    if importlib.util.find_spec(module) is None:
        return f"{module} not installed"
    try:
        importlib.import_module(module)
    except Exception as exc:  # installed but broken (a torch without its libraries, ...)
        return f"{module} does not import ({type(exc).__name__}: {exc})"
    return None


def unavailable(lib: str) -> str | None:
    """Why ``lib`` cannot run here (a module missing or not importable), or None when it can."""
    if lib.startswith("hpo_core:"):
        return None
    errors = [e for e in map(_import_error, _REFERENCE[lib][0]) if e is not None]
    return f"{lib} skipped: {'; '.join(errors)}" if errors else None


def notes(lib: str, problem: Problem | None = None) -> str | None:
    """A caveat that goes with ``lib``'s results when it runs (None when there is none)."""
    if lib == "optuna-gp" and importlib.util.find_spec("greenlet") is None:
        return "greenlet is not installed: Optuna's GPSampler takes its slower path"
    has_cat = problem is not None and any(
        isinstance(d, Categorical) for d in problem.space.values()
    )
    if problem is not None and is_conditional(problem.space):
        if lib in FLAT_CONDITIONAL:
            return "flat space: every parameter is searched, only the active ones are evaluated"
        if lib in INTERSECTION_ONLY:
            extra = " (CmaEsSampler: categoricals too)" if lib == "optuna-cmaes" else ""
            return f"parameters absent from some trials are sampled independently at random{extra}"
    if lib == "optuna-cmaes" and has_cat:
        return "CmaEsSampler samples categoricals independently at random"
    return None


#: libraries without conditional spaces: they search every dimension (see translate.py)
FLAT_CONDITIONAL = ("skopt-gp", "cma", "scipy-de", "plain-random")
#: Optuna samplers whose model covers only the parameters of every trial (the intersection)
INTERSECTION_ONLY = (
    "optuna-gp",
    "optuna-cmaes",
    "optuna-nsga2",
    "optuna-hpo_core-bayes",
    "optuna-hpo_core-tpe",
)


def _adapter(lib: str) -> Runner:
    if lib.startswith("hpo_core:"):
        return _run_hpo_core(lib[9:])
    return _REFERENCE[lib][1]


def run_one(lib: str, problem: Problem, seed: int, budget: int) -> dict[str, Any]:
    """Run ``lib`` on ``problem`` with ``seed`` for ``budget`` evaluations: one record.

    The record holds per trial ``values``, ``best`` (best so far), ``opt_time`` and
    ``obj_time`` (seconds), and ``wall``, ``status`` ("ok", "skipped" or "error"), ``note``,
    the warnings the run raised, and the best parameters found.
    """
    rec: dict[str, Any] = {"lib": lib, "problem": problem.name, "seed": seed, "budget": budget}
    why = unavailable(lib)  # imports the library: not the optimizer's time per trial
    if why is not None:
        return {**rec, "status": "skipped", "note": why}
    evaluate = Evaluator(problem, budget)
    status, note = "ok", notes(lib, problem)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            _adapter(lib)(problem, seed, budget, evaluate)
        except BudgetExhausted:
            pass
        except Exception as exc:  # a library failing on a problem is a result, not a crash
            status, note = "error", "".join(traceback.format_exception_only(exc)).strip()
        wall = evaluate.finish()
    seen: dict[str, int] = {}
    for w in caught:
        key = f"{w.category.__name__}: {str(w.message)[:200]}"
        seen[key] = seen.get(key, 0) + 1
    values = evaluate.values
    return {
        **rec,
        "status": status,
        "note": note,
        "n_trials": len(values),
        "values": values,
        "best": np.minimum.accumulate(values).tolist() if values else [],
        "opt_time": [round(t, 7) for t in evaluate.opt_time],  # 0.1 us: keeps the lines short
        "obj_time": [round(t, 7) for t in evaluate.obj_time],
        "wall": wall,
        "best_params": evaluate.best_params,
        "warnings": [f"{k} (x{n})" for k, n in list(seen.items())[:5]],
        "optimum": problem.optimum,
    }


def is_model_based(lib: str) -> bool:
    """Libraries whose cost per ask grows with the history (for the scaling table)."""
    if lib.startswith("hpo_core:"):
        return lib[9:] not in ("random", "sobol", "grid")
    return lib in ("optuna-tpe", "optuna-gp", "optuna-cmaes", "hyperopt-tpe", "skopt-gp")
