from __future__ import annotations

import numpy as np
import pytest

from hpo_core import Integer, Optimizer, Real, suggest
from hpo_core.strategies import STRATEGIES

BOUNDS = [[-5.0, 5.0], [1.0, 100.0], [0.0, 10.0]]
KINDS = {"integer": [False, False, True], "log": [False, True, False]}
#: the space suggest builds for BOUNDS and KINDS
SPACE = {"x0": Real(-5.0, 5.0), "x1": Real(1.0, 100.0, log=True), "x2": Integer(0, 10)}
METHODS = [m for m in ("random", "sobol", "bayes", "tpe", "de", "cmaes") if m in STRATEGIES]


def history(m=8, seed=0):
    rng = np.random.default_rng(seed)
    X = np.column_stack([rng.uniform(-5, 5, m), rng.uniform(1, 100, m), rng.integers(0, 11, m)])
    return X, (X[:, 0] - 1) ** 2 + np.log(X[:, 1]) + 0.1 * X[:, 2]


def params(row):
    return {"x0": float(row[0]), "x1": float(row[1]), "x2": int(row[2])}


def asked_by_an_optimizer(X, y, n, method, seed, pending=()):
    """What an Optimizer over the same space asks with the rows told and ``pending`` in flight
    (seeded as suggest documents: from the seed and the number of pending rows)."""
    if len(pending):
        seed = int(np.random.SeedSequence([seed, len(pending)]).generate_state(1)[0])
    opt = Optimizer(SPACE, strategy=method, seed=seed)
    for row, value in zip(X, y, strict=True):
        opt.tell(params(row), float(value))
    for row in pending:
        opt.enqueue(params(row))
    in_flight = opt.ask(len(pending)) if len(pending) else []
    assert all(t.state == "pending" for t in in_flight)
    return np.array([[t.params[k] for k in SPACE] for t in opt.ask(n)], dtype=float)


def test_values_in_bounds_and_of_their_kind():
    X, y = history()
    out = suggest(X, y, BOUNDS, n=4, method="random", seed=0, **KINDS)
    assert out.shape == (4, 3) and out.dtype == np.float64
    assert np.all(out >= np.array(BOUNDS)[:, 0]) and np.all(out <= np.array(BOUNDS)[:, 1])
    assert np.all(out[:, 2] == np.round(out[:, 2]))
    assert len({tuple(r) for r in out}) == 4
    # the log coordinate is drawn on its log scale: most draws of [1, 100] fall below 50.5
    many = suggest(X, y, BOUNDS, n=200, method="random", seed=0, **KINDS)
    assert np.mean(many[:, 1] < 50.5) > 0.75


@pytest.mark.parametrize("method", METHODS)
def test_values_are_what_the_same_optimizer_asks(method):
    X, y = history(12)
    out = suggest(X, y, BOUNDS, n=3, method=method, seed=4, **KINDS)
    assert np.array_equal(out, asked_by_an_optimizer(X, y, 3, method, seed=4))
    pending = out[:2]
    out = suggest(X, y, BOUNDS, n=2, method=method, seed=4, pending=pending, **KINDS)
    assert np.array_equal(out, asked_by_an_optimizer(X, y, 2, method, seed=4, pending=pending))


def test_same_seed_same_points_another_seed_other_points():
    X, y = history()
    a = suggest(X, y, BOUNDS, n=3, method="random", seed=1, **KINDS)
    assert np.array_equal(a, suggest(X, y, BOUNDS, n=3, method="random", seed=1, **KINDS))
    b = suggest(X, y, BOUNDS, n=3, method="random", seed=2, **KINDS)
    assert not np.any(a[:, 0] == b[:, 0])


def test_empty_history_and_seed():
    a = suggest([], [], BOUNDS, n=3, method="sobol", seed=1)
    b = suggest(np.empty((0, 3)), [], BOUNDS, n=3, method="sobol", seed=1)
    assert np.array_equal(a, b) and a.shape == (3, 3)


def test_pending_are_avoided_on_a_grid():
    bounds = [[0.0, 3.0]]
    out = suggest([[0.0]], [1.0], bounds, n=2, method="grid", pending=[[1.0]], integer=[True])
    assert sorted(out[:, 0].tolist()) == [2.0, 3.0]


def test_a_grid_near_its_end_returns_the_points_it_has_left():
    from hpo_core.strategies import SearchSpaceExhausted

    args = {"bounds": [[0.0, 2.0]], "n": 5, "method": "grid", "integer": [True]}
    out = suggest([[0.0]], [1.0], pending=[[1.0]], **args)
    assert out.tolist() == [[2.0]]  # one point left of the 5 asked
    with pytest.raises(SearchSpaceExhausted):
        suggest([[0.0], [1.0], [2.0]], [1.0, 2.0, 3.0], **args)


@pytest.mark.parametrize(
    "method",
    [
        m
        for m in ("bayes", "tpe", "coarse-to-fine", "random", "sobol", "de", "cmaes", "ga")
        if m in STRATEGIES
    ],
)
def test_a_batch_in_flight_is_not_suggested_again(method):
    # a seeded call with pending rows draws from its own stream (random, sobol and the
    # generational strategies do not look at pending points themselves)
    X, y = history(30)
    first = suggest(X, y, BOUNDS, n=2, method=method, seed=0, **KINDS)
    again = suggest(X, y, BOUNDS, n=2, method=method, seed=0, pending=first, **KINDS)
    assert not {tuple(r) for r in first} & {tuple(r) for r in again}


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"bounds": [[1.0, 0.0]]}, "low < high"),
        ({"bounds": [1.0, 2.0]}, r"shape \(d, 2\)"),
        ({"X": [[0.5, 0.5]]}, "shape"),
        ({"X": [[0.5]], "y": [1.0, 2.0]}, "one value per row"),
        ({"X": [[np.nan]], "y": [1.0]}, "NaN"),
        ({"X": [[7.0]], "y": [1.0]}, r"X\[0\].*outside the bounds"),
        ({"pending": [[0.1, 0.2], [0.3, 0.4]]}, r"pending must have shape \(k, 1\).*\(2, 2\)"),
        ({"pending": [0.1, 0.2]}, r"pending must have shape \(k, 1\).*\(2,\)"),
        ({"pending": [[np.nan]]}, "pending must not hold NaN"),
        ({"pending": [[7.0]]}, r"pending\[0\].*outside the bounds"),
        ({"n": 0}, "n must be"),
        ({"n": True}, r"n must be an integer >= 1, got True \(bool\)"),
        ({"n": np.bool_(True)}, "n must be an integer"),
        ({"n": 2.0}, r"n must be an integer >= 1, got 2.0 \(float\)"),
        ({"n": np.float64(2.0)}, "n must be an integer"),
        ({"n": "2"}, "n must be an integer"),
        ({"n": np.int64(0)}, "n must be an integer >= 1"),
        ({"seed": True, "pending": [[0.2]]}, "seed must be None or an integer >= 0"),
        ({"seed": 1.0}, "seed must be None or an integer >= 0"),
        ({"seed": np.int64(-1), "pending": [[0.2]]}, "seed must be None or an integer >= 0"),
        ({"integer": [1]}, "integer must be None or a bool array"),
        ({"bounds": [[0.0, 1.0]], "log": [True]}, r"log coordinate 0 must be > 0, got low = 0"),
        ({"bounds": [[-1, 8]], "log": [True], "integer": [True]}, "log coordinate 0 must be > 0"),
        ({"method": "magic"}, "strategy must be one of"),
    ],
)
def test_errors(kwargs, match):
    args = {"X": [[0.5]], "y": [1.0], "bounds": [[0.0, 1.0]], "method": "random", **kwargs}
    with pytest.raises(ValueError, match=match):
        suggest(args.pop("X"), args.pop("y"), args.pop("bounds"), **args)


@pytest.mark.parametrize("kind", [np.int64, np.int32, np.uint8, int])
def test_numpy_integers_are_taken_for_n_and_seed_as_ask_takes_them(kind):
    args = ([[0.1, 3.0], [0.9, 7.0]], [1.0, 0.5], [[0, 1], [1, 10]])
    got = suggest(*args, n=kind(2), method="random", seed=kind(5), pending=[[0.5, 5.0]])
    want = suggest(*args, n=2, method="random", seed=5, pending=[[0.5, 5.0]])
    np.testing.assert_array_equal(got, want)
    assert got.shape == (2, 2)


def test_failures_are_nan():
    out = suggest([[0.2], [0.4]], [np.nan, 1.0], [[0.0, 1.0]], method="random", seed=0)
    assert out.shape == (1, 1)
    # a failed row is in the history: a grid does not ask it again
    out = suggest([[0.0], [1.0]], [np.nan, 1.0], [[0.0, 3.0]], n=4, method="grid", integer=[True])
    assert out[:, 0].tolist() == [2.0, 3.0]
    opt = Optimizer({"x0": Real(0.0, 1.0)}, strategy="bayes", seed=0)
    opt.tell({"x0": 0.2}, state="failed")
    opt.tell({"x0": 0.4}, 1.0)
    out = suggest([[0.2], [0.4]], [np.nan, 1.0], [[0.0, 1.0]], method="bayes", seed=0)
    assert out[0, 0] == opt.ask().params["x0"]


@pytest.mark.skipif("bayes" not in STRATEGIES, reason="bayes is not available")
def test_bayes_moves_towards_the_minimum():
    rng = np.random.default_rng(0)
    X = rng.uniform(0, 1, (12, 2))
    y = ((X - 0.3) ** 2).sum(axis=1)
    out = suggest(X, y, [[0.0, 1.0], [0.0, 1.0]], n=1, seed=0)
    assert ((out[0] - 0.3) ** 2).sum() < np.median(y)
