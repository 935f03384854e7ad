"""The compiled normal-distribution functions against scipy.special."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import special

from hpo_core.arrays.parzen import special as sp
from tests.reference import tpe as ref


def test_ndtr_matches_scipy():
    z = np.concatenate([np.linspace(-60, 40, 4001), [-20.0, -19.999, 0.0, 6.0, 38.0]])
    ours = np.array([sp._ndtr(v) for v in z])
    np.testing.assert_allclose(ours, special.ndtr(z), rtol=1e-12, atol=1e-300)


def test_ndtri_matches_scipy_and_inverts_ndtr():
    p = np.concatenate([np.linspace(0, 1, 2001), 10.0 ** -np.arange(1, 300, 7), [0.425, 0.575]])
    ours = np.array([sp._ndtri(v) for v in p])
    np.testing.assert_allclose(ours, special.ndtri(p), rtol=1e-14, atol=1e-14)
    z = np.linspace(-8, 4, 101)  # above, 1 - ndtr(z) keeps too few digits to invert
    np.testing.assert_allclose([sp._ndtri(sp._ndtr(v)) for v in z], z, atol=1e-7)
    assert np.isnan(sp._ndtri(-0.1)) and np.isnan(sp._ndtri(1.5))
    assert sp._ndtri(0.0) == -np.inf and sp._ndtri(1.0) == np.inf


@pytest.mark.parametrize("scale", [0.5, 5.0, 40.0])
def test_log_gauss_mass_matches_reference_in_every_case(scale):
    rng = np.random.default_rng(0)
    a = rng.uniform(-scale, scale, 3000)
    b = a + rng.exponential(scale / 4, 3000)
    ours = np.array([sp._log_gauss_mass(x, y) for x, y in zip(a, b, strict=True)])
    want = ref.log_gauss_mass(a, b)
    finite = np.isfinite(want)
    np.testing.assert_allclose(ours[finite], want[finite], rtol=1e-12, atol=1e-15)
    assert np.all(ours[~finite] == -np.inf)
    # the whole line has mass 1; a point has none
    assert sp._log_gauss_mass(-50.0, 50.0) == 0.0
    assert sp._log_gauss_mass(1.0, 1.0) == -np.inf
