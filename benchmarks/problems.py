"""Benchmark problems: each is a space of hpo_core dimensions, an objective to minimise, and,
where known, the optimal value.

Test functions (``x0 .. x{d-1}``, all ``Real``), by name; the families with a size suffix take
any dimension (``ackley7`` is Ackley in 7 dimensions):

=================  ===================  ==========================  ========================
name               domain               optimum                     note
=================  ===================  ==========================  ========================
branin             [-5,10] x [0,15]     0.397887...                 three global minima
hartmann6          [0,1]^6              -3.322368...
ackley<d>          [-32.768,32.768]^d   0                           many local minima
rosenbrock<d>      [-5,10]^d            0                           curved valley
levy<d>            [-10,10]^d           0
styblinski<d>      [-5,5]^d             -39.166165... * d
rastrigin<d>       [-5.12,5.12]^d       0                           many local minima
=================  ===================  ==========================  ========================

scikit-learn tuning, 3-fold stratified cross-validation (fixed folds, so each objective is a
deterministic function), on data that scikit-learn ships; the optimum is unknown:

- ``svc-digits``: SVC(C, gamma), both log-scale; 1 - accuracy. Digits is subsampled to 900 of its
  1797 rows (stratified, fixed) to keep one evaluation near 0.1 s.
- ``hgb-cancer``: HistGradientBoostingClassifier(learning_rate log, max_leaf_nodes int,
  min_samples_leaf int, l2_regularization log), 50 boosting rounds; log-loss.
- ``pipe-wine``: Pipeline(scaler, classifier) with a categorical scaler choice (standard, minmax,
  robust, none) and classifier choice (logistic regression, linear SVC, RBF SVC), C and gamma
  log-scale (gamma is used by the RBF SVC only); log-loss of the predicted probabilities (SVC
  calibrated by a sigmoid on inner folds), which separates configurations that accuracy would
  tie on wine.
- ``model-digits``: a conditional space, the model (SVC, random forest, logistic regression) and
  only its own parameters (``svc_C``, ``svc_gamma``; ``rf_n_estimators`` 10..100 log,
  ``rf_max_depth``, ``rf_max_features``; ``logreg_C``), on the same 900 digits as
  ``svc-digits``; 1 - accuracy. The forest is capped at 100 trees, one thread: 300 trees with
  every feature cost about 4 s an evaluation on an idle core, 100 about 1.4 s at most and 0.3 s
  at the median of the forest's range (the SVC and logistic regression: 0.05-0.1 s).

``cond-quadratic`` is a cheap conditional check: ``model`` in {a, b}; ``x`` (real) is active for
a, ``y`` (log real) and ``z`` (integer) for b; the value is ``0.5 + ((x - 1) / 5)^2`` for a and
``log10(y / 20)^2 + ((z - 4) / 3)^2`` for b, so the optimum is 0 at b, y = 20, z = 4 (off
the usual grids of y). It raises ValueError when given an inactive parameter or denied an
active one.

The scikit-learn objectives run with one BLAS/OpenMP thread (threadpoolctl), which on a small,
shared machine is several times faster than the default and keeps timings comparable.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from benchmarks.sklearn_tasks import SKLEARN_TASKS, SklearnTask
from benchmarks.translate import check_active as _check_active
from hpo_core.space import Categorical, Integer, Real

__all__ = ["Problem", "SklearnTask", "get_problem", "problem_names", "SUITES"]


@dataclass(frozen=True)
class Problem:
    """A problem to minimise.

    Attributes
    ----------
    name : str
    space : dict of str -> Real, Integer or Categorical
    objective : callable
        ``objective(params) -> float``, params a dict with one value per active dimension
        (a conditional dimension whose condition fails is left out).
    optimum : float or None
        The global minimum, where known (for simple regret).
    kind : {"synthetic", "sklearn"}
    """

    name: str
    space: dict[str, Any]
    objective: Callable[[Mapping[str, Any]], float] = field(repr=False)
    optimum: float | None = None
    kind: str = "synthetic"

    @property
    def d(self) -> int:
        return len(self.space)

    def __call__(self, params: Mapping[str, Any]) -> float:
        return float(self.objective(params))


# ---------------------------------------------------------------- test functions on arrays
def branin(x: np.ndarray) -> float:
    x1, x2 = x
    b, c = 5.1 / (4 * math.pi**2), 5 / math.pi
    return (x2 - b * x1**2 + c * x1 - 6) ** 2 + 10 * (1 - 1 / (8 * math.pi)) * math.cos(x1) + 10


_H6_A = np.array(
    [
        [10, 3, 17, 3.5, 1.7, 8],
        [0.05, 10, 17, 0.1, 8, 14],
        [3, 3.5, 1.7, 10, 17, 8],
        [17, 8, 0.05, 10, 0.1, 14],
    ]
)
_H6_P = 1e-4 * np.array(
    [
        [1312, 1696, 5569, 124, 8283, 5886],
        [2329, 4135, 8307, 3736, 1004, 9991],
        [2348, 1451, 3522, 2883, 3047, 6650],
        [4047, 8828, 8732, 5743, 1091, 381],
    ]
)
_H6_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])
HARTMANN6_ARGMIN = np.array(
    [0.20168952, 0.15001069, 0.47687398, 0.27533243, 0.31165162, 0.65730054]
)


def hartmann6(x: np.ndarray) -> float:
    inner = np.sum(_H6_A * (x - _H6_P) ** 2, axis=1)
    return float(-np.sum(_H6_ALPHA * np.exp(-inner)))


def ackley(x: np.ndarray) -> float:
    d = len(x)
    s1 = math.sqrt(float(np.sum(x**2)) / d)
    s2 = float(np.sum(np.cos(2 * math.pi * x))) / d
    return -20.0 * math.exp(-0.2 * s1) - math.exp(s2) + 20.0 + math.e


def rosenbrock(x: np.ndarray) -> float:
    return float(np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2))


def levy(x: np.ndarray) -> float:
    w = 1 + (x - 1) / 4
    head = math.sin(math.pi * w[0]) ** 2
    mid = np.sum((w[:-1] - 1) ** 2 * (1 + 10 * np.sin(math.pi * w[:-1] + 1) ** 2))
    tail = (w[-1] - 1) ** 2 * (1 + math.sin(2 * math.pi * w[-1]) ** 2)
    return float(head + mid + tail)


STYBLINSKI_ARGMIN = -2.903534018185960
STYBLINSKI_MIN_PER_DIM = -39.16616570377142


def styblinski(x: np.ndarray) -> float:
    return float(0.5 * np.sum(x**4 - 16 * x**2 + 5 * x))


def rastrigin(x: np.ndarray) -> float:
    return float(10 * len(x) + np.sum(x**2 - 10 * np.cos(2 * math.pi * x)))


def _synthetic(
    name: str, f: Callable[[np.ndarray], float], bounds: list[tuple[float, float]], optimum: float
) -> Problem:
    names = [f"x{i}" for i in range(len(bounds))]
    space = {n: Real(lo, hi) for n, (lo, hi) in zip(names, bounds, strict=True)}

    def objective(params: Mapping[str, Any]) -> float:
        return f(np.array([params[n] for n in names], dtype=float))

    return Problem(name, space, objective, optimum, "synthetic")


#: family -> (function, bounds of one coordinate, optimum as a function of d)
_FAMILIES: dict[str, tuple[Callable, tuple[float, float], Callable[[int], float]]] = {
    "ackley": (ackley, (-32.768, 32.768), lambda d: 0.0),
    "rosenbrock": (rosenbrock, (-5.0, 10.0), lambda d: 0.0),
    "levy": (levy, (-10.0, 10.0), lambda d: 0.0),
    "styblinski": (styblinski, (-5.0, 5.0), lambda d: STYBLINSKI_MIN_PER_DIM * d),
    "rastrigin": (rastrigin, (-5.12, 5.12), lambda d: 0.0),
}


def _when(model: str) -> dict[str, list[str]]:
    return {"model": [model]}


COND_QUADRATIC_SPACE = {
    "model": Categorical(("a", "b")),
    "x": Real(-5.0, 5.0, when=_when("a")),
    "y": Real(1e-3, 1e3, log=True, when=_when("b")),
    "z": Integer(0, 10, when=_when("b")),
}


def cond_quadratic(params: Mapping[str, Any]) -> float:
    p = _check_active(COND_QUADRATIC_SPACE, params)
    if p["model"] == "a":
        return 0.5 + ((p["x"] - 1.0) / 5.0) ** 2
    return math.log10(p["y"] / 20.0) ** 2 + ((p["z"] - 4) / 3.0) ** 2


_FIXED = ("branin", "hartmann6")

#: named sets of problems (``--problems bo`` runs the set)
_SYNTHETIC = (
    "branin",
    "hartmann6",
    "ackley5",
    "rosenbrock4",
    "levy10",
    "styblinski8",
    "rastrigin10",
)
SUITES: dict[str, tuple[str, ...]] = {
    # the Bayesian-optimisation comparison (50 trials, 30 for Branin)
    "bo": (*_SYNTHETIC, "hgb-cancer"),
    # conditional spaces (the model, then only its own parameters)
    "conditional": ("cond-quadratic", "model-digits"),
    # the evolutionary comparison (2,000 evaluations)
    "evo": ("rastrigin10", "ackley10", "rosenbrock10", "levy10", "styblinski10"),
    "sklearn": tuple(SKLEARN_TASKS),
    "synthetic": _SYNTHETIC,
}


def problem_names() -> list[str]:
    """The names ``get_problem`` knows (families listed with their usual sizes)."""
    fam = ["ackley5", "ackley10", "rosenbrock4", "rosenbrock10", "levy10"]
    fam += ["styblinski8", "styblinski10", "rastrigin10"]
    return [*_FIXED, *fam, "cond-quadratic", *SKLEARN_TASKS]


def get_problem(name: str) -> Problem:
    """The problem called ``name`` (see the module docstring); ValueError for an unknown name."""
    if name == "branin":
        return Problem(
            "branin",
            {"x0": Real(-5.0, 10.0), "x1": Real(0.0, 15.0)},
            lambda p: branin(np.array([p["x0"], p["x1"]])),
            5.0 / (4.0 * math.pi),
        )
    if name == "hartmann6":
        return _synthetic("hartmann6", hartmann6, [(0.0, 1.0)] * 6, -3.322368011415515)
    if name == "cond-quadratic":
        return Problem(name, COND_QUADRATIC_SPACE, cond_quadratic, 0.0)
    if name in SKLEARN_TASKS:
        return SKLEARN_TASKS[name].problem()
    m = re.fullmatch(r"([a-z]+)(\d+)", name)
    if m and m.group(1) in _FAMILIES and 2 <= int(m.group(2)) <= 1000:
        f, bounds, opt = _FAMILIES[m.group(1)]
        d = int(m.group(2))
        return _synthetic(name, f, [bounds] * d, opt(d))
    raise ValueError(
        f"unknown problem {name!r}; known: {problem_names()} (any size 2..1000 for "
        f"{sorted(_FAMILIES)}), or a suite: {sorted(SUITES)}"
    )
