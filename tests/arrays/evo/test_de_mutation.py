"""Differential-evolution mutation: agreement with the numpy reference, boundary rule."""

from __future__ import annotations

import numpy as np
import pytest

from hpo_core.arrays import evo
from tests.reference import evo as ref


def _draws(rng, n, m, d):
    target = rng.integers(0, n, m)
    r = np.array([rng.choice(np.delete(np.arange(n), t), 3, replace=False) for t in target])
    return target, r, rng.random((m, d)), rng.integers(0, d, m)


@pytest.mark.parametrize("scheme", sorted(evo.DE_SCHEMES))
@pytest.mark.parametrize("F,CR", [(0.5, 0.9), (1.5, 0.1), (2.0, 1.0)])
def test_de_mutation_agrees_with_reference(scheme, F, CR):
    rng = np.random.default_rng(0)
    n, m, d = 15, 200, 5
    X = rng.random((n, d))
    target, r, cu, jrand = _draws(rng, n, m, d)
    got = evo.de_mutation(X, target, r, 3, F, CR, cu, jrand, scheme)
    want = ref.de_mutation(X, target, r, 3, F, CR, cu, jrand, scheme)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)


@pytest.mark.parametrize("scheme", sorted(evo.DE_SCHEMES))
def test_de_children_stay_inside_without_piling_on_faces(scheme):
    rng = np.random.default_rng(1)
    n, m, d = 20, 5000, 3
    X = rng.random((n, d))
    target, r, cu, jrand = _draws(rng, n, m, d)
    out = evo.de_mutation(X, target, r, 0, 2.0, 1.0, cu, jrand, scheme)
    assert out.min() >= 0 and out.max() <= 1
    # with F = 2 many mutants leave the box; clipping would put them all on a face
    v = X[r[:, 0]] + 2.0 * (X[r[:, 1]] - X[r[:, 2]])
    assert (v < 0).mean() > 0.2
    assert np.mean((out == 0.0) | (out == 1.0)) < 1e-3


def test_de_takes_jrand_column_from_mutant():
    rng = np.random.default_rng(2)
    X = rng.random((6, 4)) * 0.1 + 0.45
    target, r, cu, jrand = _draws(rng, 6, 50, 4)
    out = evo.de_mutation(X, target, r, 0, 0.5, 0.0, cu, jrand, "rand/1/bin")
    changed = out != X[target]
    assert changed.sum(axis=1).max() == 1
    assert np.all(changed[np.arange(50), jrand] | (X[r[:, 1], jrand] == X[r[:, 2], jrand]))


def test_de_mutation_validates():
    X = np.full((4, 2), 0.5)
    t, r, cu, j = np.zeros(1, int), np.array([[1, 2, 3]]), np.zeros((1, 2)), np.zeros(1, int)
    with pytest.raises(ValueError, match="scheme must be one of"):
        evo.de_mutation(X, t, r, 0, 0.5, 0.5, cu, j, "best/2")
    with pytest.raises(ValueError, match=r"F must be in \(0, 2\]"):
        evo.de_mutation(X, t, r, 0, 0.0, 0.5, cu, j)
    with pytest.raises(ValueError, match="r must hold indices"):
        evo.de_mutation(X, t, r + 1, 0, 0.5, 0.5, cu, j)
