"""The TPE strategy: options, the split, constant liar, failures, conditional spaces, quality."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hpo_core import Categorical, Integer, Optimizer, Real
from hpo_core.space import Space
from hpo_core.strategies.base import COMPLETE, FAILED, PENDING, PRUNED, History
from hpo_core.strategies.tpe import TPE


def quadratic(p):
    return sum((v - 1.0) ** 2 for v in p.values())


SPHERE = {f"x{i}": Real(-5.0, 5.0) for i in range(4)}


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"n_startup_trials": -1}, "n_startup_trials"),
        ({"n_startup_trials": 2.5}, "n_startup_trials"),
        ({"n_ei_candidates": 0}, "n_ei_candidates"),
        ({"prior_weight": 0.0}, "prior_weight"),
        ({"prior_weight": float("inf")}, "prior_weight"),
        ({"prior_weight": True}, "prior_weight"),
        ({"prior_weight": np.float32(-1.0)}, "prior_weight"),
        ({"multivariate": "yes"}, "multivariate"),
        ({"gamma": 0.0}, "gamma"),
        ({"gamma": 1.5}, "gamma"),
        ({"max_below": 0}, "max_below"),
        ({"consider_magic_clip": 1}, "consider_magic_clip"),
        ({"consider_endpoints": None}, "consider_endpoints"),
        ({"bandwidth": "silverman"}, "bandwidth"),
        ({"startup": "lhs"}, "startup"),
    ],
)
def test_bad_options_are_clear_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        TPE(**kwargs)


def test_numpy_numbers_are_options_like_python_ones():
    assert TPE(prior_weight=np.float32(2.0)).prior_weight == 2.0


def test_registered_by_name():
    opt = Optimizer(SPHERE, strategy="tpe", seed=0)
    assert isinstance(opt.strategy, TPE)
    assert "n_ei_candidates=24" in repr(opt.strategy)


def test_startup_points_are_random_then_the_model_takes_over():
    space = Space(SPHERE)
    tpe = TPE(n_startup_trials=5)
    tpe.setup(space, np.random.default_rng(0))
    first = tpe.propose(history([], []), 5)
    assert first.shape == (5, 4)
    np.testing.assert_array_equal(first, space.sample(5, np.random.default_rng(0)))


def history(X, y, states=None):
    X = np.asarray(X, dtype=float).reshape(len(y), -1) if len(y) else np.zeros((0, 4))
    y = np.asarray(y, dtype=float)
    states = np.full(len(y), COMPLETE, dtype=np.int8) if states is None else np.asarray(states)
    return History(X, y, states, len(y))


def fitted(space, seed, **kwargs):
    tpe = TPE(**kwargs)
    tpe.setup(Space(space), np.random.default_rng(seed))
    return tpe


def sample_history(n, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.random((n, 2))
    y = np.sum((X - 0.3) ** 2, axis=1)
    return X, y


def test_failed_trials_are_ignored():
    X, y = sample_history(30)
    space = {"a": Real(0.0, 1.0), "b": Real(0.0, 1.0)}
    want = fitted(space, 1).propose(history(X, y), 3)
    # the same trials, in the same order, with failures in between: they change nothing
    at = np.sort(np.random.default_rng(2).choice(30, 5, replace=False))
    Xf = np.insert(X, at, 0.3, axis=0)
    yf = np.insert(y, at, np.nan)
    states = np.insert(np.full(30, COMPLETE), at, FAILED)
    got = fitted(space, 1).propose(history(Xf, yf, states), 3)
    np.testing.assert_array_equal(got, want)


def test_pending_trials_count_as_bad_constant_liar():
    X, y = sample_history(40)
    space = {"a": Real(0.0, 1.0), "b": Real(0.0, 1.0)}

    def spread(states_extra, Xp):
        out = []
        for seed in range(15):
            Xh = np.vstack([X, Xp])
            yh = np.concatenate([y, np.full(len(Xp), np.nan)])
            states = np.concatenate([np.full(40, COMPLETE), np.full(len(Xp), states_extra)])
            out.append(fitted(space, seed).propose(history(Xh, yh, states), 1)[0])
        return np.linalg.norm(np.array(out) - 0.3, axis=1)

    crowd = 0.3 + 0.01 * np.random.default_rng(3).standard_normal((20, 2))
    alone = spread(PENDING, np.zeros((0, 2)))
    liar = spread(PENDING, crowd)
    # with many points in flight at the optimum, proposals move away from it
    assert np.median(liar) > 1.2 * np.median(alone)
    # pruned trials are bad too
    pruned = spread(PRUNED, crowd)
    assert np.median(pruned) > 1.2 * np.median(alone)


def test_pending_and_pruned_rows_are_fitted_by_g_in_trial_order(monkeypatch):
    import hpo_core.strategies.tpe as module

    seen = []

    def spy(Xl, wl, Xg, wg, *args):
        seen.append((Xl.copy(), Xg.copy()))
        return real(Xl, wl, Xg, wg, *args)

    real = module._propose
    monkeypatch.setattr(module, "_propose", spy)
    X, y = sample_history(12)
    states = np.full(12, COMPLETE)
    states[[3, 7]] = PENDING
    states[5] = PRUNED
    states[9] = FAILED
    space = {"a": Real(0.0, 1.0), "b": Real(0.0, 1.0)}
    fitted(space, 0, n_startup_trials=5).propose(history(X, y, states), 2)
    Xl, Xg = seen[0]
    done = np.flatnonzero(states == COMPLETE)
    best = done[np.argsort(y[done])[:1]]  # ceil(0.1 * 9 complete or pruned trials) = 1
    assert len(Xl) == 1 and np.array_equal(Xl[0], X[best[0]])
    rest = [i for i in range(12) if i != best[0] and i != 9]
    np.testing.assert_array_equal(Xg, X[rest])
    # the batch's first point is pending for the second proposal: g has one row more
    np.testing.assert_array_equal(seen[1][1][:-1], Xg)
    assert len(seen[1][1]) == len(Xg) + 1


def test_a_batch_is_spread_by_the_liar():
    opt = Optimizer(SPHERE, strategy="tpe", seed=0)
    opt.minimize(quadratic, n_trials=30)
    batch = np.array([[t.params[k] for k in SPHERE] for t in opt.ask(8)])
    dists = np.linalg.norm(batch[:, None] - batch[None], axis=2)[np.triu_indices(8, 1)]
    assert dists.min() > 0.0


def test_small_discrete_spaces_give_distinct_batches():
    opt = Optimizer({"a": [1, 2], "b": ["x", "y"]}, strategy=TPE(n_startup_trials=3), seed=0)
    for t in opt.ask(3):
        opt.tell(t, float(t.params["a"]))
    batch = opt.ask(4)
    assert len({tuple(t.params.items()) for t in batch}) == 4


def test_same_seed_same_proposals_for_every_option():
    space = {"x": Real(-1.0, 1.0), "n": Integer(1, 300, log=True), "c": ["a", "b", "c"]}
    options = [
        {},
        {"multivariate": False},
        {"bandwidth": "scott"},
        {"startup": "sobol", "n_startup_trials": 4},
        {"consider_endpoints": True, "consider_magic_clip": False, "prior_weight": 0.5},
    ]

    def f(p):
        return (p["x"] - 0.2) ** 2 + abs(np.log(p["n"]) - 3) + (p["c"] != "b")

    for kw in options:
        runs = []
        for _ in range(2):
            opt = Optimizer(space, strategy=TPE(**kw), seed=3)
            opt.minimize(f, n_trials=25)
            runs.append([t.params for t in opt.trials])
        assert runs[0] == runs[1]
        assert all(isinstance(p["n"], int) and 1 <= p["n"] <= 300 for p in runs[0])


def test_tpe_beats_random_on_a_quadratic():
    tpe, rnd = [], []
    for seed in range(5):
        tpe.append(Optimizer(SPHERE, strategy="tpe", seed=seed).minimize(quadratic, 60).value)
        rnd.append(Optimizer(SPHERE, strategy="random", seed=seed).minimize(quadratic, 60).value)
    tpe, rnd = np.array(tpe), np.array(rnd)
    assert np.median(tpe) < 0.3 * np.median(rnd)
    assert np.sum(tpe < rnd) >= 4


# ------------------------------------------------------------------ conditional spaces
CONDITIONAL = {
    "model": Categorical(["svc", "forest"]),
    "C": Real(1e-3, 1e3, log=True, when={"model": "svc"}),
    "kernel": Categorical(["linear", "rbf"], when={"model": "svc"}),
    "gamma": Real(1e-4, 1.0, log=True, when={"kernel": "rbf"}),
    "trees": Integer(10, 300, log=True, when={"model": "forest"}),
}


def conditional_objective(p):
    # svc with rbf reaches 0 and is the better branch on average; forest is never below 1
    if p["model"] == "forest":
        return 1.0 + abs(np.log10(p["trees"]) - 2.0) / 2
    gamma = abs(np.log10(p["gamma"]) + 2) / 4 if "gamma" in p else 0.8
    return abs(np.log10(p["C"]) - 1) / 4 + gamma


def test_groups_follow_the_conditions():
    opt = Optimizer(CONDITIONAL, strategy="tpe", seed=0)
    opt.minimize(conditional_objective, n_trials=15)
    tpe, h = opt.strategy, opt.history()
    groups = tpe._groups(h.X, h.X_pending)
    names = opt.space.names
    got = sorted(tuple(names[j] for j in cols) for cols, _, _ in groups)
    assert got == [("C", "kernel"), ("gamma",), ("model",), ("trees",)]
    for cols, rows, _ in groups:
        # each group is fitted on the trials where it is active
        np.testing.assert_array_equal(rows, opt.space.active(h.X)[:, cols[0]])
    single = TPE(multivariate=False)
    single.setup(opt.space, np.random.default_rng(0))
    assert len(single._groups(h.X, h.X_pending)) == 5


def test_conditional_search_finds_the_better_branch_and_its_parameters():
    wins = 0
    for seed in range(3):
        opt = Optimizer(CONDITIONAL, strategy="tpe", seed=seed)
        best = opt.minimize(conditional_objective, n_trials=60)
        late = [t.params for t in opt.trials[30:]]
        svc_rbf = np.mean([p["model"] == "svc" and p.get("kernel") == "rbf" for p in late])
        wins += svc_rbf > 0.5 and best.value < 0.3
        for t in opt.trials:
            p = t.params
            assert ("trees" in p) == (p["model"] == "forest")
            assert ("gamma" in p) == (p.get("kernel") == "rbf")
    assert wins >= 2


def test_list_of_subspaces():
    space = [
        {"model": ["ridge"], "alpha": Real(1e-3, 10.0, log=True)},
        {"model": ["tree"], "depth": Integer(1, 20)},
    ]

    def f(p):
        return abs(np.log10(p["alpha"])) if p["model"] == "ridge" else 1 + abs(p["depth"] - 5)

    opt = Optimizer(space, strategy=TPE(n_startup_trials=6), seed=0)
    best = opt.minimize(f, n_trials=30)
    assert best.params["model"] == "ridge" and best.value < 0.3
    for t in opt.trials:
        assert set(t.params) in ({"model", "alpha"}, {"model", "depth"})


def test_a_group_never_seen_active_is_drawn_from_its_prior():
    space = {
        "branch": Categorical(["a", "b"]),
        "x": Real(0.0, 1.0, when={"branch": "a"}),
        "y": Real(0.0, 1.0, when={"branch": "b"}),
    }
    opt = Optimizer(space, strategy=TPE(n_startup_trials=0), seed=0)
    for _ in range(12):  # only branch "a" is ever told
        opt.tell({"branch": "a", "x": float(np.random.default_rng(_).random())}, 1.0)
    for t in opt.ask(20):
        assert 0.0 <= t.params.get("x", t.params.get("y")) <= 1.0


@settings(max_examples=40, deadline=None)
@given(
    data=st.lists(
        st.tuples(
            st.lists(st.floats(0.0, 1.0), min_size=5, max_size=5),
            st.floats(-1e300, 1e300),
            st.sampled_from([PENDING, COMPLETE, COMPLETE, FAILED, PRUNED]),
        ),
        max_size=40,
    ),
    seed=st.integers(0, 2**32 - 1),
    multivariate=st.booleans(),
    clip=st.booleans(),
    startup=st.sampled_from([0, 2]),
)
def test_any_finite_history_gives_valid_points(data, seed, multivariate, clip, startup):
    space = Space(CONDITIONAL)
    X = space.snap(np.array([row for row, _, _ in data]).reshape(len(data), 5))
    y = np.array([v for _, v, _ in data])
    states = np.array([s for _, _, s in data], dtype=np.int8)
    y[states != COMPLETE] = np.nan
    tpe = TPE(n_startup_trials=startup, multivariate=multivariate, consider_magic_clip=clip)
    tpe.setup(space, np.random.default_rng(seed))
    out = tpe.propose(History(X, y, states, len(y)), 3)
    assert out.shape == (3, 5)
    assert np.all((out >= 0) & (out <= 1))
    np.testing.assert_array_equal(space.snap(out), out)
