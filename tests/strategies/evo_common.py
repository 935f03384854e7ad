"""Checks every population-based strategy (ga, de, cmaes) must pass: ask/tell in any order."""

from __future__ import annotations

import numpy as np

import hpo_core
from hpo_core import Categorical, Integer, Real

MIXED = {
    "a": Real(-3.0, 3.0),
    "b": Real(1e-4, 1.0, log=True),
    "c": Integer(0, 9),
    "e": Integer(1, 1000, log=True),
    "k": Categorical(["x", "y", "z"]),
}
REALS = {f"x{i}": Real(-2.0, 2.0) for i in range(4)}


def sphere(p: dict) -> float:
    return float(sum((v - 0.5) ** 2 for v in p.values()))


def mixed_objective(p: dict) -> float:
    return (
        (p["a"] - 1) ** 2
        + np.log10(p["b"]) ** 2
        + (p["c"] - 4) ** 2
        + np.log(p["e"] / 30) ** 2
        + {"x": 2, "y": 0, "z": 1}[p["k"]]
    )


def asked_points(name: str, seed: int, n: int = 200, space=MIXED) -> list[dict]:
    opt = hpo_core.Optimizer(space, strategy=name, seed=seed)
    out = []
    while len(out) < n:
        batch = opt.ask(3)
        for t in batch:
            opt.tell(t, mixed_objective(t.params) if space is MIXED else sphere(t.params))
            out.append(t.params)
    return out


def check_seed_reproduces(name: str) -> None:
    a, b = asked_points(name, 0), asked_points(name, 0)
    assert a == b
    assert asked_points(name, 1) != a


def check_points_valid(name: str) -> None:
    opt = hpo_core.Optimizer(MIXED, strategy=name, seed=3)
    opt.minimize(mixed_objective, n_trials=300)
    h = opt.history()
    assert h.X_all.min() >= 0 and h.X_all.max() <= 1
    np.testing.assert_array_equal(opt.space.snap(h.X_all), h.X_all)
    # the search found the right category and integer most of the time near the end
    last = [t.params for t in opt.trials[-60:]]
    assert np.mean([p["k"] == "y" for p in last]) > 0.5


def _run(opt, order: str, n_total: int, rng: np.random.Generator) -> None:
    lam = opt.strategy.lam
    told = 0
    while told < n_total:
        if order == "generation":
            batch = opt.ask(lam)[::-1]  # told in reverse
        elif order == "single":
            batch = [opt.ask()]
        elif order == "oversize":
            batch = opt.ask(3 * lam)
            rng.shuffle(batch)
        elif order == "late":  # two generations asked, the second told first
            first, second = opt.ask(lam), opt.ask(lam)
            batch = second + first
        else:  # "lossy": some fail, some are never told
            batch = opt.ask(lam)
            keep = rng.random(len(batch))
            for t, u in zip(batch, keep, strict=True):
                if u < 0.2:
                    opt.tell(t, state="failed")
                    told += 1
            batch = [t for t, u in zip(batch, keep, strict=True) if u >= 0.45]
        for t in batch:
            opt.tell(t, sphere(t.params))
            told += 1


def check_any_order(name: str, order: str) -> None:
    opt = hpo_core.Optimizer(REALS, strategy=name, seed=0)
    _run(opt, order, 800, np.random.default_rng(0))
    assert opt.strategy.generation >= 4
    rand = hpo_core.Optimizer(REALS, strategy="random", seed=0)
    rand.minimize(sphere, n_trials=800)
    assert opt.best.value < rand.best.value
    h = opt.history()
    assert h.X_all.min() >= 0 and h.X_all.max() <= 1


def check_warm_start(name: str, check_seeded) -> None:
    opt = hpo_core.Optimizer(REALS, strategy=name, seed=0)
    rng = np.random.default_rng(5)
    for _ in range(30):
        p = {k: float(v) for k, v in zip(REALS, rng.uniform(-2, 2, 4), strict=True)}
        opt.tell(p, sphere(p))
    good = {k: 0.5 for k in REALS}
    opt.tell(good, sphere(good))
    first = opt.ask(opt.strategy.lam)
    # the seeded population holds the best warm point (encoded 0.625 in every column)
    check_seeded(opt.strategy, np.full(4, 0.625))
    # warm points keep arriving mid-run without harm
    for t in first:
        opt.tell(t, sphere(t.params))
        opt.tell({k: 0.4 for k in REALS}, 0.04)
    opt.minimize(sphere, n_trials=100)
    assert opt.best.value <= 0.04


def check_random_sessions(name: str, ops: list[tuple[int, int, float]]) -> None:
    """Any interleaving of asks, tells, failures, late tells and warm starts gives valid asks.

    Each op is (kind, k, value): kind 0 asks k trials, 1 tells the k-th oldest pending trial
    ``value`` (NaN records a failure), 2 tells a point that was not asked.
    """
    opt = hpo_core.Optimizer(MIXED, strategy=name, seed=0)
    pending: list = []
    rng = np.random.default_rng(0)
    for kind, k, value in ops:
        if kind == 0:
            new = opt.ask(k)
            pending.extend(new)
            assert 1 <= len(new) <= k
        elif kind == 1 and pending:
            opt.tell(pending.pop(min(k, len(pending) - 1)), value)
        elif kind == 2:
            x = opt.space.sample(1, rng)[0]
            opt.tell(opt.space.decode(x), value)
    pending.extend(opt.ask(3))  # and one more ask after it all
    X = opt.history().X_all
    assert X.min() >= 0 and X.max() <= 1
    np.testing.assert_array_equal(opt.space.snap(X), X)
