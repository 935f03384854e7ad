"""strategy="cmaes": seeds reproduce, points are valid, ask/tell in any order, warm starts."""

from __future__ import annotations

import numpy as np
import pytest

from tests.strategies import evo_common as common

NAME = "cmaes"


def test_seed_reproduces():
    common.check_seed_reproduces(NAME)


def test_points_valid_on_mixed_space():
    common.check_points_valid(NAME)


@pytest.mark.parametrize("order", ["generation", "single", "oversize", "late", "lossy"])
def test_any_ask_tell_order(order):
    common.check_any_order(NAME, order)


def test_warm_start_seeds_population():
    def seeded(strategy, x):
        np.testing.assert_allclose(strategy.mean, x)

    common.check_warm_start(NAME, seeded)
