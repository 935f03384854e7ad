"""The output transform: finite, bounded and order-keeping on any finite values."""

from __future__ import annotations

import numpy as np
import pytest

from hpo_core.arrays.gp.transform import OutputTransform


@pytest.mark.parametrize(
    "y",
    [
        np.full(7, 3.0),
        np.array([0.0, 1e-200, 1e-100, 1.0, 1e100, 1e200, -1e200]),
        np.array([1e-300, 2e-300, 5e-300, 1e-299]),
        np.array([1.0, 1.0, 1.0, 2.0]),
        np.array([-5.0, 1e308, 1.7e308]),
    ],
)
def test_output_transform_is_finite_and_keeps_order(y):
    z = OutputTransform(y)(y)
    assert np.all(np.isfinite(z)) and np.max(np.abs(z)) < 1e3
    order = np.argsort(y, kind="stable")
    assert np.all(np.diff(z[order]) >= 0)
    if np.ptp(y) == 0:
        assert np.all(z == 0)
