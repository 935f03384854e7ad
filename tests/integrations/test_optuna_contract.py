"""Optuna's own sampler contract (``optuna.testing.pytest_samplers``), run with ``Sampler``
for every hpo_core strategy: the multi-objective class for the strategies that accept several
objectives, the single-only class for the others."""

from __future__ import annotations

import pytest

optuna = pytest.importorskip("optuna")
pytest_samplers = pytest.importorskip("optuna.testing.pytest_samplers")

from hpo_core.integrations.optuna import Sampler  # noqa: E402
from hpo_core.strategies import STRATEGIES, make_strategy  # noqa: E402

optuna.logging.set_verbosity(optuna.logging.WARNING)

MULTI = [s for s in STRATEGIES if make_strategy(s).multi_objective]
SINGLE = [s for s in STRATEGIES if s not in MULTI]


#: a grid of 10 points a dimension: Optuna's tests run 10 trials on one parameter, and a
#: grid of fewer points stops the study once every point is asked (as Optuna's GridSampler)
OPTIONS = {"grid": {"grid_points": 10}}


def _factory(strategy):
    return lambda: Sampler(strategy, seed=0, strategy_options=OPTIONS.get(strategy))


#: Optuna's tests that run 10 trials where the grid has fewer points: the exhausted grid stops
#: the study (Optuna's GridSampler does the same, and is not run through these tests either)
GRID_STOPS = {
    "test_single_parameter_objective[grid-<lambda>2]": "x has 3 choices, so the grid is "
    "exhausted and stops the study before the 10 trials the test counts",
    "test_conditional_parameter_objective[grid]": "the grid's joint space is x's 2 choices, so "
    "it is exhausted and stops the study before the 10 trials the test counts",
}


class TestBasic(pytest_samplers.BasicSamplerTestCase):
    @pytest.fixture(params=list(STRATEGIES))
    def sampler(self, request):
        reason = GRID_STOPS.get(request.node.name)
        if reason is not None:
            pytest.skip(f"an exhausted grid stops the study: {reason}")
        return _factory(request.param)


class TestRelative(pytest_samplers.RelativeSamplerTestCase):
    @pytest.fixture(params=list(STRATEGIES))
    def sampler(self, request):
        return _factory(request.param)


class TestMultiObjective(pytest_samplers.MultiObjectiveSamplerTestCase):
    @pytest.fixture(params=MULTI)
    def sampler(self, request):
        return _factory(request.param)


class TestSingleOnly(pytest_samplers.SingleOnlySamplerTestCase):
    @pytest.fixture(params=SINGLE)
    def sampler(self, request):
        return _factory(request.param)
