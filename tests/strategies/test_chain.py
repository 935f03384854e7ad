"""Coarse-to-fine: a space-filling phase, then an inner strategy in a box around the best."""

from __future__ import annotations

import numpy as np
import pytest

from hpo_core import Categorical, Integer, Optimizer, Real
from hpo_core.strategies import STRATEGIES
from hpo_core.strategies.chain import CoarseToFine

SPACE = {
    "x": Real(-5.0, 5.0),
    "lr": Real(1e-4, 1.0, log=True),
    "n": Integer(1, 200),
    "k": Categorical(["a", "b", "c"]),
}


def objective(p):
    return (
        (p["x"] - 1.0) ** 2
        + (np.log10(p["lr"]) + 2) ** 2
        + abs(p["n"] - 120) / 50
        + (p["k"] != "b")
    )


def run(seed, n=30, batch=1, **options):
    options.setdefault("inner", "random")
    opt = Optimizer(SPACE, strategy=CoarseToFine(**options), seed=seed)
    boxes = []
    while len(opt.trials) < n:
        trials = opt.ask(batch)
        boxes.extend([opt.strategy.box] * len(trials))
        for t in trials:
            opt.tell(t, objective(t.params))
    return opt, boxes


def inside(opt, box, params, tol=1e-9):
    x = opt.space.encode(params)
    return bool(np.all((box[0] - tol <= x) & (x <= box[1] + tol)))


def test_registered_by_name():
    assert "coarse-to-fine" in STRATEGIES
    opt = Optimizer(SPACE, strategy="coarse-to-fine", seed=0)
    assert isinstance(opt.strategy, CoarseToFine)


def test_fine_points_lie_in_the_box_of_their_ask():
    opt, boxes = run(seed=0, n=30, n_coarse=10)
    assert all(b is None for b in boxes[:10])
    assert all(b is not None for b in boxes[10:])
    for t, box in zip(opt.trials[10:], boxes[10:], strict=True):
        assert inside(opt, box, t.params)


def test_box_bounds_the_best_coarse_points_and_keeps_categoricals_whole():
    opt, boxes = run(seed=1, n=11, n_coarse=10, top_fraction=0.3, min_top=3)
    box = boxes[10]
    lo, hi = box
    coarse = opt.trials[:10]
    top = sorted(coarse, key=lambda t: t.value)[:3]
    for t in top:
        assert inside(opt, box, t.params)
    assert lo[3] == 0.0 and hi[3] == 1.0  # the categorical column is not shrunk
    assert np.prod((hi - lo)[:3]) < 1.0  # the others are


def test_integer_column_shrinks_to_values_in_the_box():
    strategy = CoarseToFine(n_coarse=10, inner="random")
    opt = Optimizer({"n": Integer(1, 200)}, strategy=strategy, seed=2)
    opt.minimize(lambda p: abs(p["n"] - 120), n_trials=25)
    local_n = strategy._local["n"]
    assert isinstance(local_n, Integer) and (local_n.low > 1 or local_n.high < 200)
    for t in opt.trials[10:]:
        assert type(t.params["n"]) is int and local_n.low <= t.params["n"] <= local_n.high


def test_widens_when_the_best_point_is_on_an_edge():
    space = {"x": Real(0.0, 1.0), "y": Real(0.0, 1.0)}
    strategy = CoarseToFine(n_coarse=4, inner="random", padding=0.0, min_top=3, min_width=0.05)
    opt = Optimizer(space, strategy=strategy, seed=0)
    for p, v in [((0.4, 0.4), 1.0), ((0.5, 0.5), 0.5), ((0.45, 0.45), 0.7), ((0.9, 0.1), 9.0)]:
        opt.tell({"x": p[0], "y": p[1]}, v)
    opt.ask()
    lo, hi = strategy.box.copy()
    np.testing.assert_allclose([lo, hi], [[0.4, 0.4], [0.5, 0.5]])
    # a new best exactly on the upper x side: that side moves out by one width
    opt.tell({"x": 0.5, "y": 0.45}, 0.1)
    opt.ask()
    lo2, hi2 = strategy.box
    np.testing.assert_allclose(hi2, [0.6, 0.5])
    np.testing.assert_allclose(lo2, lo)
    # a best in the middle of the box leaves it alone
    opt.tell({"x": 0.5, "y": 0.45}, 0.05)
    opt.tell({"x": 0.48, "y": 0.45}, 0.01)
    opt.ask()
    np.testing.assert_allclose(strategy.box, [lo2, hi2])


@pytest.mark.parametrize("log", [False, True])
def test_widens_when_the_best_integer_is_the_box_s_outermost_value(log):
    # an integer's cells are padded into the box, so its outermost values sit inside it: the
    # box must still widen when the best is one of them
    strategy = CoarseToFine(n_coarse=3, inner="random")
    opt = Optimizer({"n": Integer(1, 40, log=log)}, strategy=strategy, seed=0)
    for v in (20, 21, 22):
        opt.tell({"n": v}, v)
    opt.ask()
    first = strategy._local["n"].low
    assert first > 1
    opt.tell({"n": first}, 0.0)
    opt.ask()
    assert strategy._local["n"].low < first


def test_a_grid_first_phase_that_runs_out_hands_over_to_the_fine_phase():
    strategy = CoarseToFine(coarse="grid", budget=40, inner="random")  # 12 coarse trials asked
    opt = Optimizer({"x": (0.0, 1.0)}, strategy=strategy, seed=0)  # a grid of 5
    opt.optimize(lambda p: (p["x"] - 0.3) ** 2, n_trials=40)
    assert len(opt.trials) == 40
    assert strategy.box is not None


def test_sides_of_the_cube_never_widen():
    space = {"x": Real(0.0, 1.0)}
    strategy = CoarseToFine(n_coarse=3, inner="random", padding=0.0, min_top=2)
    opt = Optimizer(space, strategy=strategy, seed=0)
    for x, v in [(1.0, 0.0), (0.9, 1.0), (0.1, 5.0)]:
        opt.tell({"x": x}, v)
    opt.ask()
    box = strategy.box.copy()
    assert box[1, 0] == 1.0
    opt.ask()
    np.testing.assert_array_equal(strategy.box, box)


@pytest.mark.parametrize("batch", [1, 4])
def test_same_seed_same_sequence(batch):
    a = [t.params for t in run(seed=5, n=24, batch=batch, n_coarse=8)[0].trials]
    b = [t.params for t in run(seed=5, n=24, batch=batch, n_coarse=8)[0].trials]
    c = [t.params for t in run(seed=6, n=24, batch=batch, n_coarse=8)[0].trials]
    assert a == b and a != c


def test_fine_phase_beats_coarse_phase_on_a_smooth_problem():
    opt, _ = run(seed=0, n=40, n_coarse=10)
    coarse_best = min(t.value for t in opt.trials[:10])
    fine_best = min(t.value for t in opt.trials[10:])
    assert fine_best < coarse_best


def test_coarse_phase_size_from_budget():
    s = CoarseToFine(budget=30, coarse_fraction=0.4)
    Optimizer(SPACE, strategy=s, seed=0)
    assert s._n_coarse == 12
    s = CoarseToFine()
    Optimizer(SPACE, strategy=s, seed=0)
    assert s._n_coarse == max(8, 2 * 4 + 2)


def test_default_inner_strategy():
    s = CoarseToFine()
    Optimizer(SPACE, strategy=s, seed=0)
    assert s._inner_spec == ("bayes" if "bayes" in STRATEGIES else "random")


def test_mapping_round_trip():
    opt, _ = run(seed=3, n=15, n_coarse=10)
    s = opt.strategy
    U = s._local.sample(50, np.random.default_rng(0))
    X = s._to_global(U)
    U2, ok = s._to_local(X)
    assert ok.all()
    np.testing.assert_allclose(s._local.snap(U2), s._local.snap(U), atol=1e-12)


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("n_coarse", 0),
        ("budget", -1),
        ("coarse_fraction", 1.0),
        ("top_fraction", 0.0),
        ("min_top", 0),
        ("padding", -0.1),
        ("min_width", 0.0),
        ("edge", 0.5),
        ("widen", 0.0),
        ("widen", float("inf")),
        ("padding", float("inf")),
        ("padding", "0.5"),
        ("min_top", True),
        ("coarse", 3),
    ],
)
def test_bad_options_are_clear_errors(option, value):
    with pytest.raises(ValueError, match=option):
        CoarseToFine(**{option: value})


def test_conditional_space_inactive_columns_do_not_shape_the_box():
    space = [
        {"kernel": ["rbf"], "C": (0.1, 10.0), "gamma": Real(1e-3, 1.0, log=True)},
        {"kernel": ["linear"], "C": (0.1, 10.0)},
    ]
    strategy = CoarseToFine(n_coarse=8, inner="random")
    opt = Optimizer(space, strategy=strategy, seed=0)
    opt.minimize(lambda p: (p["C"] - 3) ** 2 + (p["kernel"] == "linear"), n_trials=30)
    assert all(t.params["kernel"] in ("rbf", "linear") for t in opt.trials)
    assert all(("gamma" in t.params) == (t.params["kernel"] == "rbf") for t in opt.trials)
    # every trial of the fine phase is inside the box on its active columns
    lo, hi = strategy.box
    for t in opt.trials[-5:]:
        x = opt.space.encode(t.params)
        act = opt.space.active(x[None, :])[0]
        assert np.all(((lo - 1e-9 <= x) & (x <= hi + 1e-9))[act])
    # the inner strategy saw the trials in the box, inactive columns included
    local = strategy._local_history(opt.history())
    assert len(local) > 0


def test_a_batch_across_the_end_of_the_coarse_phase_has_all_its_trials():
    opt = Optimizer(SPACE, strategy=CoarseToFine(n_coarse=7), seed=0)
    sizes = []
    for _ in range(5):
        batch = opt.ask(3)
        sizes.append(len(batch))
        for t in batch:
            opt.tell(t, objective(t.params))
    assert sizes == [3] * 5
    assert opt.strategy.box is not None  # the fine phase began


def test_numpy_numbers_are_options_like_python_ones():
    s = CoarseToFine(n_coarse=np.int64(3), min_top=np.int32(2), padding=np.float64(0.1))
    assert (s.n_coarse, s.min_top, s.padding) == (3, 2, 0.1)
    assert type(s.n_coarse) is int and type(s.min_top) is int
