"""log Phi: scipy and high precision for the value, the inverse Mills ratio for the slope."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
from scipy import special

from hpo_core.arrays.logphi import log_cdf


def test_log_cdf_matches_scipy():
    z = np.concatenate(
        [np.linspace(-60, 40, 4001), [-25.0, -24.999, -20.0, -19.999, -1.0, 0.0, 3.0, 6.0, 38.0]]
    )
    ours = np.array([log_cdf(v)[0] for v in z])
    # near 0 (z large) log Phi is tiny: compare relative to its own size
    np.testing.assert_allclose(ours, special.log_ndtr(z), rtol=1e-12, atol=1e-300)


@pytest.mark.parametrize("u", [-1e6, -3e4, -300.0, -40.0, -25.5, -25.0, -24.0, -5.0, -1.0, -0.5])
def test_log_cdf_and_its_slope_at_high_precision_in_the_lower_tail(u):
    with mpmath.workdps(60):
        x = mpmath.mpf(u)
        value = mpmath.log(mpmath.ncdf(x))
        slope = mpmath.npdf(x) / mpmath.ncdf(x)
    v, g = log_cdf(u)
    assert v == pytest.approx(float(value), rel=1e-13)
    assert g == pytest.approx(float(slope), rel=1e-12)
