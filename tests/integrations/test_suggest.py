from __future__ import annotations

import numpy as np
import pytest

from hpo_core import suggest
from hpo_core.strategies import STRATEGIES

BOUNDS = [[-5.0, 5.0], [1.0, 100.0], [0.0, 10.0]]


def test_shapes_and_bounds():
    rng = np.random.default_rng(0)
    X = np.column_stack([rng.uniform(-5, 5, 8), rng.uniform(1, 100, 8), rng.integers(0, 11, 8)])
    y = (X[:, 0] - 1) ** 2
    out = suggest(
        X,
        y,
        BOUNDS,
        n=4,
        method="random",
        seed=0,
        integer=[False, False, True],
        log=[False, True, False],
    )
    assert out.shape == (4, 3) and out.dtype == np.float64
    assert np.all(out >= np.array(BOUNDS)[:, 0]) and np.all(out <= np.array(BOUNDS)[:, 1])
    assert np.all(out[:, 2] == np.round(out[:, 2]))
    assert len({tuple(r) for r in out}) == 4


def test_empty_history_and_seed():
    a = suggest([], [], BOUNDS, n=3, method="sobol", seed=1)
    b = suggest(np.empty((0, 3)), [], BOUNDS, n=3, method="sobol", seed=1)
    assert np.array_equal(a, b) and a.shape == (3, 3)


def test_pending_are_avoided_on_a_grid():
    bounds = [[0.0, 3.0]]
    out = suggest([[0.0]], [1.0], bounds, n=2, method="grid", pending=[[1.0]], integer=[True])
    assert sorted(out[:, 0].tolist()) == [2.0, 3.0]


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"bounds": [[1.0, 0.0]]}, "low < high"),
        ({"bounds": [1.0, 2.0]}, r"shape \(d, 2\)"),
        ({"X": [[0.5, 0.5]]}, "shape"),
        ({"X": [[0.5]], "y": [1.0, 2.0]}, "one value per row"),
        ({"X": [[np.nan]], "y": [1.0]}, "NaN"),
        ({"X": [[7.0]], "y": [1.0]}, r"X\[0\].*outside the bounds"),
        ({"n": 0}, "n must be"),
        ({"integer": [1]}, "integer must be None or a bool array"),
        ({"method": "magic"}, "strategy must be one of"),
    ],
)
def test_errors(kwargs, match):
    args = {"X": [[0.5]], "y": [1.0], "bounds": [[0.0, 1.0]], "method": "random", **kwargs}
    with pytest.raises(ValueError, match=match):
        suggest(args.pop("X"), args.pop("y"), args.pop("bounds"), **args)


def test_failures_are_nan():
    out = suggest([[0.2], [0.4]], [np.nan, 1.0], [[0.0, 1.0]], method="random", seed=0)
    assert out.shape == (1, 1)


@pytest.mark.skipif("bayes" not in STRATEGIES, reason="bayes is not available")
def test_bayes_moves_towards_the_minimum():
    rng = np.random.default_rng(0)
    X = rng.uniform(0, 1, (12, 2))
    y = ((X - 0.3) ** 2).sum(axis=1)
    out = suggest(X, y, [[0.0, 1.0], [0.0, 1.0]], n=1, seed=0)
    assert ((out[0] - 0.3) ** 2).sum() < np.median(y)
