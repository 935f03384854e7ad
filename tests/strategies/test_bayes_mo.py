"""strategy="bayes" with constraints (probability of feasibility) and several objectives
(ParEGO)."""

from __future__ import annotations

import numpy as np
import pytest

from hpo_core import Optimizer
from hpo_core.metrics import hypervolume
from hpo_core.strategies._bayes_mo import parego
from hpo_core.strategies.bayes import BayesianOptimization

#: every run here expects the model to be used: a fallback to random points fails the test
pytestmark = pytest.mark.filterwarnings("error::hpo_core.strategies.base.StrategyFallbackWarning")

SPACE = {"x1": (-5.0, 10.0), "x2": (0.0, 15.0)}


def branin(x1, x2):
    b, c, t = 5.1 / (4 * np.pi**2), 5 / np.pi, 1 / (8 * np.pi)
    return (x2 - b * x1**2 + c * x1 - 6) ** 2 + 10 * (1 - t) * np.cos(x1) + 10


def constrained_branin(p):
    """Branin with discs around its three minima cut out: the optimum sits on a boundary."""
    x1, x2 = p["x1"], p["x2"]
    return branin(x1, x2), [
        16 - (x1 - np.pi) ** 2 - (x2 - 2.275) ** 2,
        4 - (x1 + np.pi) ** 2 - (x2 - 12.275) ** 2,
        4 - (x1 - 9.42478) ** 2 - (x2 - 2.475) ** 2,
    ]


def test_parego_scalarisation():
    Y = np.array([[0.0, 4.0], [2.0, 2.0], [4.0, 0.0], [4.0, 4.0]])
    s = parego(Y, np.random.default_rng(0))
    assert s.shape == (4,) and np.all(s >= 0)
    assert s[3] == s.max()  # the dominated corner is worst for any weights
    # the weights change from ask to ask
    rng = np.random.default_rng(1)
    assert not np.allclose(parego(Y, rng), parego(Y, rng))


def test_constrained_branin_beats_random():
    for seed in (0, 1):
        runs = {}
        for name in ("bayes", "random"):
            opt = Optimizer(SPACE, strategy=name, constraints=True, seed=seed)
            opt.minimize(constrained_branin, n_trials=25)
            runs[name] = opt
        assert max(runs["bayes"].best.constraints) <= 0
        assert runs["bayes"].best.value < runs["random"].best.value
        assert runs["bayes"].best.value < 4.5  # the constrained optimum is about 3.72


def test_no_feasible_point_yet_seeks_feasibility():
    # feasible only in a small corner: the first points are all infeasible
    opt = Optimizer(SPACE, strategy=BayesianOptimization(n_initial=4), constraints=True, seed=0)
    opt.minimize(lambda p: (p["x1"], [9.0 - p["x1"], 13.0 - p["x2"]]), n_trials=20)
    assert max(opt.best.constraints) <= 0


def test_two_objectives_beat_random_hypervolume():
    space = {f"x{i}": (0.0, 1.0) for i in range(3)}

    def zdt1(p):
        x = np.array(list(p.values()))
        g = 1 + 9 * x[1:].mean()
        return [x[0], g * (1 - np.sqrt(x[0] / g))]

    hv = {}
    for name in ("bayes", "random"):
        opt = Optimizer(space, strategy=name, direction=["minimize", "minimize"], seed=0)
        front = opt.minimize(zdt1, n_trials=30)
        hv[name] = hypervolume([t.values for t in front], [1.1, 11.0])
    assert hv["bayes"] > hv["random"] + 0.5


def test_batch_with_two_objectives_and_constraints():
    space = {"x": (0.0, 1.0), "y": (0.0, 1.0)}
    opt = Optimizer(
        space, strategy="bayes", direction=["minimize", "maximize"], constraints=True, seed=0
    )
    for _ in range(4):
        batch = opt.ask(4)
        keys = {tuple(t.params.values()) for t in batch}
        assert len(keys) == 4
        for t in batch:
            p = t.params
            opt.tell(t, [p["x"], p["y"] - p["x"]], constraints=[0.3 - p["x"]])
    assert all(t.constraints[0] <= 0 for t in opt.pareto_front)
