"""The Sobol generator: identical to scipy's unscrambled, balanced and seeded when scrambled."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import qmc

from hpo_core.arrays.qmc import BITS, Sobol


@pytest.mark.parametrize("d", [1, 2, 7, 33])
def test_unscrambled_sequence_is_scipys(d):
    np.testing.assert_array_equal(
        Sobol(d, None).random(128), qmc.Sobol(d, scramble=False).random(128)
    )


def test_scrambled_blocks_are_balanced_and_seeded():
    s = Sobol(6, np.random.default_rng(0))
    for _ in range(2):  # two consecutive blocks of 64
        X = s.random(64)
        assert np.all((X >= 0) & (X < 1))
        for j in range(6):
            assert sorted(np.floor(X[:, j] * 64).astype(int)) == list(range(64))
    a = Sobol(6, np.random.default_rng(1)).random(16)
    b = Sobol(6, np.random.default_rng(1)).random(16)
    c = Sobol(6, np.random.default_rng(2)).random(16)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert qmc.discrepancy(Sobol(5, np.random.default_rng(0)).random(64)) < 0.01


def test_bad_dimension():
    with pytest.raises(ValueError, match="d must be"):
        Sobol(0, None)
    with pytest.raises(ValueError, match="d must be"):
        Sobol(True, None)
    np.testing.assert_array_equal(Sobol(np.int64(3), None).random(8), Sobol(3, None).random(8))


def _reference_points(s, start, n):
    """Each point from its own Gray code, in numpy."""
    i = np.arange(start, start + n, dtype=np.int64)
    gray = i ^ (i >> 1)
    X = np.broadcast_to(s._shift, (n, s.d)).copy()
    for b in range(BITS):
        on = ((gray >> b) & 1).astype(bool)
        X[on] ^= s._v[:, b]
    return X * (1.0 / (1 << BITS))


@pytest.mark.parametrize("d", [1, 3, 40])
def test_compiled_points_agree_with_reference_across_calls(d):
    s = Sobol(d, np.random.default_rng(d))
    start = 0
    for n in (1, 7, 64, 1000, 0, 5):
        np.testing.assert_array_equal(s.random(n), _reference_points(s, start, n))
        start += n
