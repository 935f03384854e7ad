"""CMA-ES kernels: agreement with the numpy reference; step size on a sphere and a slope;
default parameters against pycma's."""

from __future__ import annotations

import numpy as np
import pytest

from hpo_core.arrays import evo
from tests.reference import evo as ref


def _state(rng, d):
    A = rng.normal(size=(d, d))
    C = A @ A.T / d + np.eye(d)
    ev, B = np.linalg.eigh(C)
    return rng.normal(size=d), 0.3, C, rng.normal(size=d) * 0.1, rng.normal(size=d), B, np.sqrt(ev)


def test_sample_agrees_with_reference():
    rng = np.random.default_rng(0)
    mean, sigma, C, _, _, B, D = _state(rng, 4)
    Z = rng.normal(size=(1000, 4))
    X, Y = evo.cma_sample(mean, sigma, B, D, Z)
    Xr, Yr = ref.cma_sample(mean, sigma, B, D, Z)
    np.testing.assert_allclose(X, Xr, atol=1e-12)
    np.testing.assert_allclose(Y, Yr, atol=1e-12)
    # the samples follow N(mean, sigma^2 C)
    np.testing.assert_allclose(np.cov(Y.T), C, atol=0.35)


@pytest.mark.parametrize("k", [1, 3, 6, 9, 12])
@pytest.mark.parametrize("gen", [0, 40])
@pytest.mark.parametrize("sigma_next", [None, 0.17])
def test_update_agrees_with_reference(k, gen, sigma_next):
    rng = np.random.default_rng(1)
    d = 5
    params = evo.cma_params(d, 12)
    mean, sigma, C, pc, ps, B, D = _state(rng, d)
    Xsel = evo.cma_sample(mean, sigma, B, D, rng.normal(size=(k, d)))[0]
    min_std = np.array([0.0, 0.5, 0.0, 0.01, 0.0])
    got = evo.cma_update(mean, sigma, C, pc, ps, B, D, Xsel, params, gen, min_std, sigma_next)
    want = ref.cma_update(mean, sigma, C, pc, ps, B, D, Xsel, params, gen, min_std, sigma_next)
    if sigma_next is not None:
        assert got[1] == sigma_next
    for name, a, b in zip(["mean", "sigma", "C", "pc", "ps"], got[:5], want[:5], strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12, err_msg=name)
    # eigenvectors are defined up to sign: compare the decomposition
    np.testing.assert_allclose(got[6], want[6], rtol=1e-10)
    np.testing.assert_allclose(got[5] @ np.diag(got[6] ** 2) @ got[5].T, got[2], atol=1e-10)
    # the floor holds
    assert got[1] * np.sqrt(got[2][1, 1]) >= 0.5 - 1e-12


def _run(f, d, gens, seed, sigma=0.5):
    rng = np.random.default_rng(seed)
    params = evo.cma_params(d, 4 + int(3 * np.log(d)))
    mean, C = np.full(d, 3.0), np.eye(d)
    pc, ps, B, D = np.zeros(d), np.zeros(d), np.eye(d), np.ones(d)
    sigmas = [sigma]
    for g in range(gens):
        X, _ = evo.cma_sample(mean, sigma, B, D, rng.normal(size=(params.lam, d)))
        order = np.argsort(f(X), kind="stable")
        mean, sigma, C, pc, ps, B, D = evo.cma_update(
            mean, sigma, C, pc, ps, B, D, X[order], params, g
        )
        sigmas.append(sigma)
    return np.array(sigmas), mean


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sigma_shrinks_on_sphere(seed):
    sigmas, mean = _run(lambda X: np.sum(X**2, axis=1), 6, 150, seed)
    assert sigmas[-1] < 1e-3 * sigmas[0]
    assert np.linalg.norm(mean) < 1e-2


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sigma_grows_on_linear_slope(seed):
    sigmas, _ = _run(lambda X: X @ np.arange(1.0, 7.0), 6, 40, seed)
    assert sigmas[-1] > 10 * sigmas[0]
    assert np.mean(np.diff(np.log(sigmas[10:])) > 0) > 0.9


def test_params_match_tutorial_defaults():
    p = evo.cma_params(10, 10)
    assert p.mu == 5 and abs(p.weights[:5].sum() - 1) < 1e-12
    assert np.all(np.diff(p.weights) < 0) and np.all(p.weights[5:] < 0)
    # the negative weights keep C positive definite (tutorial's alpha_posdef)
    assert -p.weights[5:].sum() <= (1 - p.c1 - p.cmu) / (10 * p.cmu) + 1e-12
    assert 0 < p.c1 + p.cmu <= 1 and 0 < p.cs < 1 and p.ds > 1
    with pytest.raises(ValueError, match="lam must be"):
        evo.cma_params(3, 1)


@pytest.mark.parametrize("d", [2, 5, 10, 40])
def test_params_match_pycma(d):
    cma = pytest.importorskip("cma")
    lam = 4 + int(3 * np.log(d))
    es = cma.CMAEvolutionStrategy(np.zeros(d), 1.0, {"popsize": lam, "verbose": -9, "seed": 1})
    es.ask()
    p = evo.cma_params(d, lam)
    np.testing.assert_allclose(p.weights, np.asarray(es.sp.weights), rtol=1e-10)
    np.testing.assert_allclose(p.mueff, es.sp.weights.mueff, rtol=1e-12)
    np.testing.assert_allclose([p.cc, p.c1, p.cmu], [es.sp.cc, es.sp.c1, es.sp.cmu], rtol=1e-12)
    # the step-size path's rate is pycma's (mueff + 2) / (d + mueff + 3), not the tutorial's + 5
    np.testing.assert_allclose([p.cs, p.ds], [es.adapt_sigma.cs, es.adapt_sigma.damps], rtol=1e-12)


@pytest.mark.parametrize("bad", [0.0, -1.0, np.inf, np.nan])
def test_update_rejects_a_step_size_that_is_not_positive_and_finite(bad):
    rng = np.random.default_rng(2)
    mean, sigma, C, pc, ps, B, D = _state(rng, 3)
    Xsel = evo.cma_sample(mean, sigma, B, D, rng.normal(size=(4, 3)))[0]
    with pytest.raises(ValueError, match="sigma_next must be None or a finite number > 0"):
        evo.cma_update(mean, sigma, C, pc, ps, B, D, Xsel, evo.cma_params(3, 6), 0, None, bad)
