"""CMA-ES in batches larger than a generation, and DE in any batch: one sample at the minimum
of a quadratic model of the newest evaluations, when that model ranks the newest ones well."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

import hpo_core
from hpo_core.strategies import _quadratic as quadratic


def test_the_model_of_a_quadratic_has_its_minimum():
    rng = np.random.default_rng(0)
    d = 4
    A = rng.standard_normal((d, d))
    H = A @ A.T + d * np.eye(d)
    x0 = rng.standard_normal(d)
    Z = rng.standard_normal((3 * quadratic.n_terms(d), d))
    y = 0.5 * np.einsum("ni,ij,nj->n", Z - x0, H, Z - x0) + 7.0
    coef = quadratic.fit(Z, y)
    assert coef is not None
    np.testing.assert_allclose(quadratic.predict(coef, Z), y, rtol=1e-9)
    np.testing.assert_allclose(quadratic.minimum(coef, d), x0, rtol=1e-8, atol=1e-10)


def test_a_model_that_is_not_convex_has_no_minimum():
    Z = np.random.default_rng(1).standard_normal((40, 2))
    coef = quadratic.fit(Z, Z[:, 0] ** 2 - Z[:, 1] ** 2)  # a saddle
    assert coef is not None and quadratic.minimum(coef, 2) is None


def test_kendall_tau_agrees_with_scipy():
    rng = np.random.default_rng(2)
    for _ in range(5):
        a, b = rng.standard_normal(30), rng.standard_normal(30)
        b = a + rng.uniform(0, 3) * b
        assert quadratic.kendall_tau(a, b) == pytest.approx(stats.kendalltau(a, b)[0])


def _rounds_of(strategy, f, d, batch, rounds, seed=0):
    space = {f"x{i}": hpo_core.Real(-5.0, 5.0) for i in range(d)}
    opt = hpo_core.Optimizer(space, strategy=strategy, seed=seed)
    for _ in range(rounds):
        for t in opt.ask(batch):
            opt.tell(t, f(np.array(list(t.params.values()))))
    return opt


def _rounds(f, d, batch, rounds, seed=0):
    return _rounds_of("cmaes", f, d, batch, rounds, seed)


def _ellipsoid(d, seed=0):
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.standard_normal((d, d)))
    scales = 10.0 ** (4.0 * np.arange(d) / (d - 1))
    xopt = rng.uniform(-3, 3, d)
    return lambda x: float(scales @ (q @ (x - xopt)) ** 2)


def test_large_batches_on_a_quadratic_reach_its_minimum(monkeypatch):
    f = _ellipsoid(5)
    assert _rounds(f, 5, 64, 10).best.value < 1e-8
    # without the model the same rounds are far from it
    monkeypatch.setattr(hpo_core.strategies.cmaes.CMAES, "_model_step", lambda *a: None)
    assert _rounds(f, 5, 64, 10).best.value > 1e-3


def test_no_model_point_where_the_model_ranks_badly(monkeypatch):
    steps = []
    step = hpo_core.strategies.cmaes.CMAES._model_step

    def recorded(self, G, y):
        steps.append(step(self, G, y))
        return steps[-1]

    monkeypatch.setattr(hpo_core.strategies.cmaes.CMAES, "_model_step", recorded)
    rng = np.random.default_rng(3)
    _rounds(lambda x: float(rng.random()), 3, 32, 8)  # values without structure
    assert len(steps) == 7 and all(s is None for s in steps)
    _rounds(_ellipsoid(3), 3, 32, 8)
    assert any(s is not None for s in steps[7:])
    monkeypatch.undo()
    # single asks never use the model
    opt = _rounds(_ellipsoid(3), 3, 1, 200)
    assert opt.strategy._recent == []


def test_de_in_large_batches_reaches_the_minimum_of_a_quadratic(monkeypatch):
    f = _ellipsoid(5)
    assert _rounds_of("de", f, 5, 64, 6).best.value < 1e-8
    monkeypatch.setattr(
        hpo_core.strategies.de.DifferentialEvolution, "_model_point", lambda *a: None
    )
    assert _rounds_of("de", f, 5, 64, 6).best.value > 1e-3


def test_de_in_batches_within_a_generation_reaches_the_minimum_of_a_quadratic(monkeypatch):
    f = _ellipsoid(5)  # batches of 8, within DE's generation of 10
    assert _rounds_of("de", f, 5, 8, 40).best.value < 1e-8
    monkeypatch.setattr(
        hpo_core.strategies.de.DifferentialEvolution, "_model_point", lambda *a: None
    )
    assert _rounds_of("de", f, 5, 8, 40).best.value > 1e-3


def test_de_asked_one_at_a_time_never_uses_the_model(monkeypatch):
    looks = []
    monkeypatch.setattr(
        hpo_core.strategies.de.DifferentialEvolution, "_model_point", lambda *a: looks.append(1)
    )
    _rounds_of("de", _ellipsoid(3), 3, 1, 200)
    assert looks == []
    _rounds_of("de", _ellipsoid(3), 3, 2, 100)  # batches of two look at it
    assert looks
