"""Genetic operators: agreement with the numpy references, and their statistics."""

from __future__ import annotations

import numpy as np
import pytest

from hpo_core.arrays import evo
from tests.reference import evo as ref


def _parents(rng, m=200, d=6):
    P1 = rng.random((m, d))
    P2 = rng.random((m, d))
    # some parents on the faces and some equal columns, the edge cases of SBX and mutation
    P1[:10, 0] = 0.0
    P2[10:20, 1] = 1.0
    P2[20:30] = P1[20:30]
    return P1, P2


def test_tournament_agrees_with_reference():
    rng = np.random.default_rng(0)
    f = rng.normal(size=30)
    f[[3, 7]] = np.nan
    f[5] = f[6]
    cand = rng.integers(0, 30, (500, 3))
    got = evo.tournament(f, cand)
    np.testing.assert_array_equal(got, ref.tournament(f, cand))
    assert not np.isnan(f[got]).any()


def test_tournament_rejects_bad_indices():
    with pytest.raises(ValueError, match="candidates"):
        evo.tournament(np.zeros(3), np.array([[0, 3]]))


@pytest.mark.parametrize("eta", [0.0, 2.0, 15.0, 100.0])
def test_sbx_agrees_with_reference(eta):
    rng = np.random.default_rng(1)
    P1, P2 = _parents(rng)
    u, cross, swap = rng.random(P1.shape), rng.random(P1.shape) < 0.7, rng.random(P1.shape) < 0.5
    c1, c2 = evo.sbx(P1, P2, u, cross, swap, eta)
    r1, r2 = ref.sbx(P1, P2, u, cross, swap, eta)
    np.testing.assert_allclose(c1, r1, rtol=0, atol=1e-12)
    np.testing.assert_allclose(c2, r2, rtol=0, atol=1e-12)


def test_sbx_children_in_bounds_and_keep_parents_mean():
    rng = np.random.default_rng(2)
    P1, P2 = _parents(rng, m=2000)
    u = rng.random(P1.shape)
    c1, c2 = evo.sbx(P1, P2, u, np.ones(P1.shape, bool), rng.random(P1.shape) < 0.5, 2.0)
    assert c1.min() >= 0 and c2.min() >= 0 and c1.max() <= 1 and c2.max() <= 1
    # each pair keeps its mean, column by column, so the population mean is kept too
    np.testing.assert_allclose(c1 + c2, P1 + P2, atol=1e-12)
    np.testing.assert_allclose(np.r_[c1, c2].mean(axis=0), np.r_[P1, P2].mean(axis=0), atol=1e-12)
    # children do move: crossover is not a copy
    assert np.mean(np.abs(c1 - P1) > 1e-9) > 0.5


def test_sbx_spread_shrinks_with_eta():
    rng = np.random.default_rng(3)
    P1, P2 = np.full((4000, 1), 0.4), np.full((4000, 1), 0.6)
    u = rng.random(P1.shape)
    ones = np.ones(P1.shape, bool)
    wide = evo.sbx(P1, P2, u, ones, ~ones, 1.0)[0]
    narrow = evo.sbx(P1, P2, u, ones, ~ones, 30.0)[0]
    assert np.std(narrow) < np.std(wide)
    # with beta ~ 1 on average the children sit around the parents
    assert abs(np.median(narrow) - 0.4) < 0.02


@pytest.mark.parametrize("eta", [0.0, 5.0, 20.0])
def test_polynomial_mutation_agrees_with_reference(eta):
    rng = np.random.default_rng(4)
    X = rng.random((300, 5))
    X[:20, 0], X[20:40, 1] = 0.0, 1.0
    u, mask = rng.random(X.shape), rng.random(X.shape) < 0.5
    got = evo.polynomial_mutation(X, u, mask, eta)
    np.testing.assert_allclose(got, ref.polynomial_mutation(X, u, mask, eta), rtol=0, atol=1e-12)
    np.testing.assert_array_equal(got[~mask], X[~mask])


def test_polynomial_mutation_in_bounds_and_unbiased_in_the_middle():
    rng = np.random.default_rng(5)
    X = np.full((20000, 1), 0.5)
    out = evo.polynomial_mutation(X, rng.random(X.shape), np.ones(X.shape, bool), 20.0)
    assert out.min() >= 0 and out.max() <= 1
    assert abs(out.mean() - 0.5) < 3 * out.std() / np.sqrt(len(out))
    edge = np.zeros((5000, 1))
    out = evo.polynomial_mutation(edge, rng.random(edge.shape), np.ones(edge.shape, bool), 20.0)
    assert out.min() >= 0 and (out > 0).mean() > 0.4


def test_uniform_crossover_and_random_reset_agree_with_reference():
    rng = np.random.default_rng(6)
    P1, P2 = rng.random((50, 4)), rng.random((50, 4))
    swap = rng.random(P1.shape) < 0.5
    for a, b in zip(
        evo.uniform_crossover(P1, P2, swap), ref.uniform_crossover(P1, P2, swap), strict=True
    ):
        np.testing.assert_array_equal(a, b)
    vals = rng.random(P1.shape)
    np.testing.assert_array_equal(
        evo.random_reset(P1, swap, vals), ref.random_reset(P1, swap, vals)
    )


def test_wrappers_validate():
    X = np.full((2, 2), 0.5)
    with pytest.raises(ValueError, match="eta"):
        evo.polynomial_mutation(X, X, X > 0, -1.0)
    with pytest.raises(ValueError, match="p2"):
        evo.sbx(X, X[:1], X, X > 0, X > 0)
    with pytest.raises(ValueError, match=r"u must lie in \[0, 1\)"):
        evo.sbx(X, X, X + 1, X > 0, X > 0)
