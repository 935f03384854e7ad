"""strategy="cmaes": integers, restarts, convergence, options, injected points (the shared
guarantees are in test_evo_shared.py)."""

from __future__ import annotations

import numpy as np
import pytest

import hpo_core
from tests.strategies import evo_common as common


def test_integer_coordinates_do_not_stall():
    space = {f"n{i}": hpo_core.Integer(0, 20) for i in range(3)}
    opt = hpo_core.Optimizer(space, strategy="cmaes", seed=0)
    opt.minimize(lambda p: sum((v - 7) ** 2 for v in p.values()), n_trials=400)
    assert opt.best.value == 0
    # long after converging the search still moves between neighbouring values
    last = {tuple(t.params.values()) for t in opt.trials[-60:]}
    assert len(last) > 3
    strategy = opt.strategy
    std = strategy.sigma * np.sqrt(np.diag(strategy._C))
    assert np.all(std >= strategy.min_step / 21 - 1e-12)


def test_restarts_double_population_on_a_flat_function():
    opt = hpo_core.Optimizer(common.REALS, strategy="cmaes", seed=0)
    lam0 = opt.strategy.lam
    opt.minimize(lambda p: 1.0, n_trials=600)
    assert opt.strategy.restarts_done >= 1
    assert opt.strategy.lam == lam0 * 2**opt.strategy.restarts_done


def test_no_restarts_when_disabled():
    from hpo_core.strategies.cmaes import CMAES

    opt = hpo_core.Optimizer(common.REALS, strategy=CMAES(restarts=False), seed=0)
    opt.minimize(lambda p: 1.0, n_trials=300)
    assert opt.strategy.restarts_done == 0


def test_converges_on_sphere_and_sigma_shrinks():
    opt = hpo_core.Optimizer(common.REALS, strategy="cmaes", seed=1)
    opt.minimize(common.sphere, n_trials=800)
    assert opt.best.value < 1e-6
    assert opt.strategy.sigma < 0.01


def test_options_validated():
    from hpo_core.strategies.cmaes import CMAES

    with pytest.raises(ValueError, match=r"sigma0 must be in \(0, 1\]"):
        CMAES(sigma0=0)
    with pytest.raises(ValueError, match="population_size"):
        CMAES(population_size=1)


def test_injected_points_use_their_image_nearest_the_mean():
    from hpo_core.strategies.cmaes import _nearest_image, _reflect

    rng = np.random.default_rng(0)
    m = rng.uniform(-0.5, 1.5, (200, 3))
    x = rng.random((200, 3))
    for mi, xi in zip(m, x, strict=True):
        g = _nearest_image(xi, mi)
        np.testing.assert_allclose(_reflect(g), xi, atol=1e-12)
        assert np.all(np.abs(g - mi) <= 1.0 + 1e-12)
    # the mean's own point, told from elsewhere, is injected as a zero step
    np.testing.assert_allclose(_nearest_image(_reflect(m[0]), m[0]), m[0], atol=1e-12)


def test_a_large_batch_is_one_update_and_late_samples_are_injected(monkeypatch):
    import hpo_core.strategies.cmaes as cmaes

    sizes: list[int] = []

    def counting(*args, **kwargs):
        sizes.append(len(args[7]))
        return real(*args, **kwargs)

    real = cmaes.cma_update
    monkeypatch.setattr(cmaes, "cma_update", counting)
    opt = hpo_core.Optimizer(common.REALS, strategy="cmaes", seed=0)
    lam = opt.strategy.lam
    told = 0
    for k in (3, 3, 3, 3, 9):  # batches of three populations: one update each, of all of
        for t in opt.ask(k * lam):  # them; nine populations: an update of eight, and one
            opt.tell(t, common.sphere(t.params))  # that the last population joins
            told += 1
    # one at a time with two more in flight: the samples told after their generation closed
    # join the next update
    flight = opt.ask(2)
    for _ in range(5 * lam):
        flight.append(opt.ask())
        t = flight.pop(0)
        opt.tell(t, common.sphere(t.params))
        told += 1
    opt.ask()
    assert sizes[:5] == [3 * lam] * 4 + [8 * lam]
    assert sum(sizes) == opt.strategy.evaluations_used
    assert told - lam < sum(sizes) <= told


def test_a_large_batch_self_adapts_the_step_size_and_single_asks_do_not():
    from hpo_core.arrays.evo import CMAParams

    opt = hpo_core.Optimizer(common.REALS, strategy="cmaes", seed=3)
    cma = opt.strategy
    lam = cma.lam
    # one at a time: every sample of a generation drawn with the same step size
    for _ in range(2 * lam):
        t = opt.ask()
        assert cma._inflight[t.id][1][-1] == np.log(cma.sigma)
        opt.tell(t, common.sphere(t.params))
    # a batch of four populations: each sample with its own step size; the new step size is
    # the weighted geometric mean of those of the best mu
    sigma = cma.sigma
    trials = opt.ask(4 * lam)
    log_s = np.array([cma._inflight[t.id][1][-1] for t in trials])
    assert np.ptp(log_s) > 0.1
    assert abs(np.mean(log_s) - np.log(sigma)) < 3 / np.sqrt(2 * 4) / np.sqrt(4 * lam)
    y = np.array([common.sphere(t.params) for t in trials])
    for t, v in zip(trials, y, strict=True):
        opt.tell(t, v)
    opt.ask()  # the update is made on the next ask
    params = CMAParams(4, 4 * lam)
    w = params.weights[: params.mu]
    best = log_s[np.argsort(y, kind="stable")][: params.mu]
    assert cma.generation == 3
    np.testing.assert_allclose(cma.sigma, np.exp(w @ best), rtol=1e-12)
    # and the covariance learns 1.5 times faster there
    assert cma._params[(4 * lam, True)].cmu == pytest.approx(1.5 * params.cmu)
    assert cma._params[(lam, False)].cmu == CMAParams(4, lam).cmu
