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


@pytest.mark.parametrize("m", [2, 3])
def test_a_batch_before_any_feasible_point_is_the_models(m):
    # every trial infeasible, and points in flight: the incumbents are the least violating
    # complete trials, not rows of the points in flight (IndexError, then random points)
    opt = Optimizer(
        {"x": (0.0, 1.0), "y": (0.0, 1.0)},
        strategy=BayesianOptimization(n_initial=3),
        direction=["minimize"] * m,
        constraints=True,
        seed=0,
    )

    def tell(t):
        x, y = t.params["x"], t.params["y"]
        opt.tell(t, [x, 1 - x + y, x * y][:m], constraints=[1.5 - x])

    for t in opt.ask(3):  # the initial design
        tell(t)
    for _ in range(2):
        first = opt.ask()
        tell(opt.ask())  # asked with the first in flight: a fallback fails the test
        tell(first)
    assert opt.pareto_front == []  # none feasible


def _zdt1(p):
    x = np.array(list(p.values()))
    g = 1 + 9 * x[1:].mean()
    return [x[0], g * (1 - np.sqrt(x[0] / g))]


def test_ehvi_for_two_and_three_objectives_parego_beyond(monkeypatch):
    import hpo_core.strategies.bayes as bayes_module

    calls = []
    real = bayes_module.propose_ehvi

    def spy(*args):
        calls.append(args[1].Y.shape[1])
        return real(*args)

    monkeypatch.setattr(bayes_module, "propose_ehvi", spy)
    space = {"x": (0.0, 1.0), "y": (0.0, 1.0)}
    for k, option, used in [(2, "ehvi", True), (3, "ehvi", True), (4, "ehvi", False),
                            (2, "parego", False)]:  # fmt: skip
        calls.clear()
        opt = Optimizer(
            space,
            strategy=BayesianOptimization(n_initial=4, mo_acquisition=option),
            direction=["minimize"] * k,
            seed=0,
        )
        opt.minimize(lambda p, k=k: [p["x"] * (j + 1) - p["y"] * j for j in range(k)], 6)
        assert (calls == [k, k]) is used, (k, option, calls)


def test_multi_objective_option_is_checked():
    with pytest.raises(ValueError, match=r"mo_acquisition must be one of \['ehvi', 'parego'\]"):
        BayesianOptimization(mo_acquisition="qnehvi")


def test_ehvi_batch_spreads_along_the_front():
    space = {f"x{i}": (0.0, 1.0) for i in range(3)}
    opt = Optimizer(space, strategy="bayes", direction=["minimize", "minimize"], seed=1)
    opt.minimize(_zdt1, n_trials=12)
    batch = opt.ask(4)
    X = np.array([list(t.params.values()) for t in batch])
    gaps = np.linalg.norm(X[:, None] - X[None], axis=2)[np.triu_indices(4, 1)]
    assert gaps.min() > 0.02  # fantasies make each point of the batch go elsewhere


def test_ehvi_three_objectives_beat_random_hypervolume():
    space = {f"x{i}": (0.0, 1.0) for i in range(4)}

    def dtlz2(p):
        x = np.array(list(p.values()))
        r = 1 + np.sum((x[2:] - 0.5) ** 2)
        a, b = np.pi / 2 * x[0], np.pi / 2 * x[1]
        return [r * np.cos(a) * np.cos(b), r * np.cos(a) * np.sin(b), r * np.sin(a)]

    hv = {}
    for name in ("bayes", "random"):
        opt = Optimizer(space, strategy=name, direction=["minimize"] * 3, seed=0)
        front = opt.minimize(dtlz2, n_trials=30)
        hv[name] = hypervolume([t.values for t in front], [1.5, 1.5, 1.5])
    assert hv["bayes"] > hv["random"] + 0.1


def test_pending_points_are_fantasised_in_the_constraint_models(monkeypatch):
    from hpo_core.arrays.gp.kernels import features
    from hpo_core.arrays.gp.posterior import GP

    rng = np.random.default_rng(0)
    cat, levels = np.zeros(2, dtype=bool), np.zeros(2, dtype=np.int64)
    F = features(rng.random((8, 2)), levels)
    gp = GP(F, 0.5 - F[:, 0], np.array([np.log(0.3), np.log(0.3), 0.0, np.log(1e-4)]), cat)
    X = rng.random((3, 2))
    ((grown, bound),) = BayesianOptimization._fantasise_constraints([(gp, 0.2)], X, levels)
    assert bound == 0.2 and grown.n == gp.n + 3
    mu0, var0 = gp.predict(features(X, levels))
    mu1, var1 = grown.predict(features(X, levels))
    np.testing.assert_allclose(mu1, mu0, atol=1e-6)  # the believer's value is the mean
    assert np.all(var1 < 0.1 * var0 + 1e-9)  # and the point is no longer uncertain

    # an ask of 3 with 2 pending trials: pending first, then each point of the batch
    seen = []
    real = BayesianOptimization._fantasise_constraints

    def spy(models, X, levels):
        seen.append(len(X))
        return real(models, X, levels)

    monkeypatch.setattr(BayesianOptimization, "_fantasise_constraints", staticmethod(spy))
    opt = Optimizer({"x": (0.0, 1.0), "y": (0.0, 1.0)}, strategy="bayes", constraints=True, seed=0)
    opt.minimize(lambda p: (p["x"] + p["y"], [0.5 - p["x"]]), n_trials=8)
    seen.clear()
    opt.ask(2)
    opt.ask(3)
    assert seen[-3:] == [2, 1, 1]
