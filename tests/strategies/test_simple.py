from __future__ import annotations

import numpy as np
import pytest
from sklearn.model_selection import ParameterGrid

from hpo_core import Optimizer, Real, SearchSpaceExhausted
from hpo_core.strategies.grid import GridSearch
from hpo_core.strategies.random import RandomSearch
from hpo_core.strategies.sobol import SobolSearch


def _key(p):
    return tuple(sorted(p.items()))


def test_grid_is_parameter_grid():
    grid = {"C": [0.1, 1.0, 10.0], "kernel": ["rbf", "linear"], "deg": [2, 3]}
    opt = Optimizer(grid, strategy="grid")
    seen = []
    while True:
        try:
            seen.extend(t.params for t in opt.ask(5))
        except SearchSpaceExhausted:
            break
    assert len(seen) == 12
    assert sorted(map(_key, seen)) == sorted(map(_key, ParameterGrid(grid)))


def test_grid_cuts_reals_on_their_scale():
    opt = Optimizer({"lr": Real(1e-3, 1e1, log=True)}, strategy=GridSearch(grid_points=5))
    values = [t.params["lr"] for t in opt.ask(10)]
    assert values == pytest.approx([1e-3, 1e-2, 1e-1, 1.0, 10.0])


def test_grid_skips_told_points_and_returns_the_tail():
    grid = {"a": [1, 2, 3, 4]}
    opt = Optimizer(grid, strategy="grid")
    opt.tell({"a": 2}, 0.0)
    assert [t.params["a"] for t in opt.ask(10)] == [1, 3, 4]
    with pytest.raises(SearchSpaceExhausted, match="all 4 grid points"):
        opt.ask()


def test_grid_shuffle_is_seeded_permutation():
    grid = {"a": list(range(10)), "b": ["x", "y"]}
    runs = [
        [_key(t.params) for t in Optimizer(grid, strategy=GridSearch(shuffle=True), seed=s).ask(20)]
        for s in (0, 0, 1)
    ]
    assert runs[0] == runs[1] != runs[2]
    assert sorted(runs[0]) == sorted(map(_key, ParameterGrid(grid)))


def test_grid_shuffle_of_a_grid_too_large_to_hold(monkeypatch):
    # 5**30 points: no permutation of them fits in memory, yet the order is seeded and distinct
    space = {f"x{i}": Real(0.0, 1.0) for i in range(30)}
    runs = [
        [
            _key(t.params)
            for t in Optimizer(space, strategy=GridSearch(shuffle=True), seed=s).ask(50)
        ]
        for s in (0, 0, 1)
    ]
    assert runs[0] == runs[1] != runs[2]
    assert len(set(runs[0])) == 50
    # computed one index at a time, the order is still a permutation of the whole grid
    monkeypatch.setattr("hpo_core.strategies.grid.HELD", 10)
    grid = {"a": list(range(10)), "b": ["x", "y", "z"]}
    opt = Optimizer(grid, strategy=GridSearch(shuffle=True), seed=0)
    seen = [_key(t.params) for t in opt.ask(40)]
    assert sorted(seen) == sorted(map(_key, ParameterGrid(grid)))
    assert seen != [_key(p) for p in ParameterGrid({"b": grid["b"], "a": grid["a"]})]


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: GridSearch(grid_points=1), "grid_points"),
        (lambda: GridSearch(shuffle="yes"), "shuffle"),
        (lambda: RandomSearch(block=0), "block"),
        (lambda: RandomSearch(block=True), "block"),
        (lambda: SobolSearch(scramble=1), "scramble"),
    ],
)
def test_bad_options(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_numpy_integers_are_options_like_python_ones():
    assert GridSearch(grid_points=np.int64(3)).grid_points == 3
    assert RandomSearch(block=np.int64(4)).block == 4
    opt = Optimizer({"a": (0.0, 1.0)}, strategy=GridSearch(grid_points=np.int64(3)))
    assert [t.params["a"] for t in opt.ask(5)] == [0.0, 0.5, 1.0]


def test_random_is_uniform_on_each_scale():
    opt = Optimizer({"x": (0.0, 1.0), "lr": (1e-4, 1.0, "log")}, seed=0)
    trials = opt.ask(4000)
    x = np.array([t.params["x"] for t in trials])
    lr = np.log10([t.params["lr"] for t in trials])
    assert abs(x.mean() - 0.5) < 0.02 and abs(lr.mean() + 2.0) < 0.08
    assert np.histogram(lr, bins=4, range=(-4, 0))[0].min() > 850


def test_random_blocks_do_not_change_the_sequence():
    space = {"x": (0.0, 1.0), "y": (0.0, 1.0)}
    one = [t.params for t in Optimizer(space, seed=5).ask(300)]
    opt = Optimizer(space, seed=5)
    many = [t.params for n in (1, 7, 100, 192) for t in opt.ask(n)]
    assert one == many


@pytest.mark.parametrize("block", [1, 4, 16])
def test_random_batches_do_not_change_the_sequence_of_a_discrete_space(block):
    # repeats are passed over: past the first block too, batching must not change what is asked
    space = {"a": [1, 2, 3, 4], "b": [1, 2, 3], "c": (0, 2)}
    runs = []
    for batch in (1, 3, 7, 30):
        opt = Optimizer(space, strategy=RandomSearch(block=block), seed=1)
        asked = []
        while len(asked) < 30:
            asked += [_key(t.params) for t in opt.ask(min(batch, 30 - len(asked)))]
        runs.append(asked)
    assert all(run == runs[0] for run in runs)
    assert len(set(runs[0])) == 30  # 30 of the 36 points, none twice


def test_sobol_is_more_even_than_random():
    from scipy.stats import qmc

    space = {"x": (0.0, 1.0), "y": (0.0, 1.0)}

    def points(strategy):
        opt = Optimizer(space, strategy=strategy, seed=0)
        return np.array([[t.params["x"], t.params["y"]] for t in opt.ask(256)])

    assert qmc.discrepancy(points("sobol")) < qmc.discrepancy(points("random")) / 3
