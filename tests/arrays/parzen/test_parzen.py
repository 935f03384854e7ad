"""Compiled Parzen estimators against the numpy reference, and as probability densities."""

from __future__ import annotations

import numpy as np
import pytest

from hpo_core.arrays.parzen import (
    Columns,
    ParzenEstimator,
    log_ratio,
    mixture,
    n_below,
    propose,
    recency_weights,
)
from tests.reference import tpe as ref

# real, linear integer (7 values), categorical (3), log integer (1..1000), categorical (5)
KINDS = np.array([0, 1, 2, 1, 2])
LEVELS = np.array([0, 7, 3, 1000, 5])
OFFSETS = np.array([0.0, 0.0, 0.0, 0.5, 0.0])
COLS = Columns.make(KINDS, LEVELS, OFFSETS)


def points(rng, n, snap=True):
    """n points of the mixed columns, discrete columns at their centres (as the optimizer
    stores them) or anywhere in their bins."""
    X = rng.random((n, KINDS.size))
    if snap:
        for c in (1, 2, 4):
            k = LEVELS[c]
            X[:, c] = (np.floor(X[:, c] * k) + 0.5) / k
        v = np.round(np.exp(np.log(0.5) + X[:, 3] * np.log(2001)))
        X[:, 3] = (np.log(v) - np.log(0.5)) / np.log(2001)
    return X


OPTIONS = [
    dict(prior_weight=1.0, magic_clip=True, consider_endpoints=False, scott=False),
    dict(prior_weight=0.3, magic_clip=False, consider_endpoints=True, scott=False),
    dict(prior_weight=2.0, magic_clip=True, consider_endpoints=False, scott=True),
]


def fit_both(X, w, opts):
    args = (X, w, KINDS, LEVELS, opts["prior_weight"], opts["magic_clip"])
    args += (opts["consider_endpoints"], opts["scott"])
    return mixture._fit(*args), ref.fit(*args)


@pytest.mark.parametrize("opts", OPTIONS)
@pytest.mark.parametrize("n", [0, 1, 2, 3, 30])
def test_fit_matches_reference(n, opts):
    rng = np.random.default_rng(n)
    X = points(rng, n)
    X[: n // 3, 0] = X[0, 0] if n else 0.0  # ties among the centres
    w = recency_weights(n) if n != 3 else rng.uniform(0.1, 2.0, 3)
    ours, want = fit_both(X, w, opts)
    for a, b in zip(ours, want, strict=True):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("opts", OPTIONS)
def test_logpdf_matches_reference(opts):
    rng = np.random.default_rng(1)
    ours, want = fit_both(points(rng, 40), rng.uniform(0.5, 1.5, 40), opts)
    T = np.vstack([points(rng, 50), points(rng, 50, snap=False), np.zeros((1, 5)), np.ones((1, 5))])
    got = mixture._logpdf(T, *ours, KINDS, LEVELS, OFFSETS)
    np.testing.assert_allclose(got, ref.logpdf(T, *want, KINDS, LEVELS, OFFSETS), rtol=1e-11)


def test_sample_matches_reference():
    rng = np.random.default_rng(2)
    est = mixture._fit(points(rng, 20), np.ones(20), KINDS, LEVELS, 1.0, True, False, False)
    U = rng.random((500, 6))
    U[:3] = np.array([0.0, 0.999999, 0.5])[:, None]  # the edges: first and last kernel, tails
    got = mixture._sample(U, est[0], est[1], est[2], est[4], KINDS, LEVELS)
    want = ref.sample(U, est[0], est[1], est[2], est[4], KINDS, LEVELS)
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
    assert np.all((got >= 0) & (got <= 1))


def test_propose_matches_reference_and_the_wrappers():
    rng = np.random.default_rng(3)
    Xl, Xg, U = points(rng, 5), points(rng, 40), rng.random((24, 6))
    wl, wg = recency_weights(5), recency_weights(40)
    opts = (1.0, True, False, False)
    cand, score = mixture._propose(Xl, wl, Xg, wg, U, KINDS, LEVELS, OFFSETS, *opts)
    rc, rs = ref.propose(Xl, wl, Xg, wg, U, KINDS, LEVELS, OFFSETS, *opts)
    np.testing.assert_allclose(cand, rc, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(score, rs, rtol=1e-9, atol=1e-9)
    # the public wrappers compute the same thing
    c2, s2 = propose(Xl, wl, Xg, wg, U, COLS)
    np.testing.assert_array_equal(c2, cand)
    lest, gest = ParzenEstimator(Xl, wl, COLS), ParzenEstimator(Xg, wg, COLS)
    np.testing.assert_array_equal(lest.sample(U), cand)
    np.testing.assert_allclose(log_ratio(lest, gest, cand), score, rtol=1e-12)


def grid_integral(est, kinds, levels, offsets, h=1e-3):
    """Integral over [0, 1]^q (q <= 2) of the density: midpoint rule on reals, exact over the
    bins of integer and categorical columns (the density is constant on each)."""
    axes = []
    for c in range(len(kinds)):
        if kinds[c] == 0:
            axes.append((np.arange(h / 2, 1, h), np.full(int(round(1 / h)), h)))
        elif kinds[c] == 2 or offsets[c] == 0:
            k = levels[c]
            axes.append(((np.arange(k) + 0.5) / k, np.full(k, 1.0 / k)))
        else:
            k = levels[c]
            edges = (np.log(offsets[c] + np.arange(k + 1)) - np.log(offsets[c])) / np.log(
                (offsets[c] + k) / offsets[c]
            )
            axes.append(((edges[1:] + edges[:-1]) / 2, np.diff(edges)))
    grids = np.meshgrid(*[a[0] for a in axes], indexing="ij")
    vols = np.prod(np.meshgrid(*[a[1] for a in axes], indexing="ij"), axis=0)
    T = np.stack([g.ravel() for g in grids], axis=1)
    return float(np.sum(np.exp(est.log_pdf(T)) * vols.ravel()))


@pytest.mark.parametrize(
    "kinds, levels, offsets",
    [
        ([0], [0], [0.0]),
        ([1], [7], [0.0]),
        ([1], [200], [4.5]),
        ([2], [4], [0.0]),
        ([0, 1], [0, 5], [0.0, 0.0]),
        ([0, 2], [0, 3], [0.0, 0.0]),
        ([1, 2], [300, 3], [0.5, 0.0]),
    ],
)
@pytest.mark.parametrize("n", [0, 1, 12])
def test_densities_integrate_to_one(kinds, levels, offsets, n):
    rng = np.random.default_rng(n)
    cols = Columns.make(kinds, levels, offsets)
    X = rng.random((n, len(kinds)))
    X[: n // 2] = X[0] if n else X[: n // 2]  # some repeated points: narrow kernels
    for scott in (False, True):
        est = ParzenEstimator(
            X, recency_weights(n), cols, bandwidth="scott" if scott else "neighbours"
        )
        assert grid_integral(est, kinds, levels, offsets) == pytest.approx(1.0, abs=2e-3)


def test_samples_follow_the_density():
    rng = np.random.default_rng(5)
    cols = Columns.make([0, 2], [0, 3])
    X = np.array([[0.1, 0.5], [0.15, 0.5], [0.8, 0.1], [0.5, 0.9]])
    est = ParzenEstimator(X, np.array([1.0, 1.0, 2.0, 0.5]), cols)
    S = est.sample(rng.random((40000, 3)))
    # the real column's histogram against the density integrated over each bin
    edges = np.linspace(0, 1, 21)
    fine = np.linspace(0, 1, 20001)[:, None]
    dens = np.zeros(len(fine))
    for choice in (1 / 6, 0.5, 5 / 6):
        pts = np.hstack([fine, np.full_like(fine, choice)])
        dens += np.exp(est.log_pdf(pts)) / 3
    want = np.array(
        [
            dens[(fine[:, 0] >= a) & (fine[:, 0] < b)].mean() / 20
            for a, b in zip(edges[:-1], edges[1:], strict=True)
        ]
    )
    got = np.histogram(S[:, 0], bins=edges)[0] / len(S)
    assert np.max(np.abs(got - want)) < 0.01
    # the categorical column: frequencies against the marginal probabilities
    choices = (1 / 6, 0.5, 5 / 6)
    counts = np.array([np.mean(np.isclose(S[:, 1], c)) for c in choices])
    marginal = [
        np.mean(np.exp(est.log_pdf(np.hstack([fine, np.full_like(fine, c)])))) / 3 for c in choices
    ]
    np.testing.assert_allclose(counts, marginal, atol=0.01)


def test_integer_samples_have_the_mass_of_their_bin():
    rng = np.random.default_rng(6)
    cols = Columns.make([1], [30], [9.5])  # a log-scaled integer 10..39
    est = ParzenEstimator(rng.random((6, 1)), np.ones(6), cols)
    S = est.sample(rng.random((40000, 2)))[:, 0]
    edges = (np.log(9.5 + np.arange(31)) - np.log(9.5)) / np.log(39.5 / 9.5)
    got = np.histogram(S, bins=edges)[0] / len(S)
    mass = np.exp(est.log_pdf(((edges[1:] + edges[:-1]) / 2)[:, None])) * np.diff(edges)
    assert mass.sum() == pytest.approx(1.0, abs=1e-9)
    assert np.max(np.abs(got - mass)) < 0.01


def test_the_good_region_scores_highest():
    rng = np.random.default_rng(7)
    cols = Columns.make([0, 0], [0, 0])
    good = 0.3 + 0.05 * rng.standard_normal((10, 2))
    bad = rng.random((60, 2))
    cand, score = propose(good, np.ones(10), bad, np.ones(60), rng.random((200, 3)), cols)
    best = cand[np.argmax(score)]
    assert np.linalg.norm(best - 0.3) < 0.15
    assert np.linalg.norm(cand - 0.3, axis=1).mean() < 0.3  # drawn from l


def test_matches_optuna_parzen_estimator():
    optuna = pytest.importorskip("optuna")
    from optuna.samplers._tpe.parzen_estimator import (
        _ParzenEstimator,
        _ParzenEstimatorParameters,
    )

    dists = optuna.distributions
    rng = np.random.default_rng(8)
    n = 30  # past 25: the recency ramp is in use
    X = points(rng, n)
    # distinct integers: Optuna orders equal centres differently when it sets bandwidths
    ints = rng.choice(1000, n, replace=False).astype(float)
    X[:, 1] = (ints + 0.5) / 1000
    cats = np.floor(X[:, 2] * 3)
    space = {
        "a": dists.FloatDistribution(0.0, 1.0),
        "b": dists.IntDistribution(0, 999),
        "c": dists.CategoricalDistribution(["x", "y", "z"]),
    }
    params = _ParzenEstimatorParameters(1.0, True, False, recency_weights, True)
    theirs = _ParzenEstimator({"a": X[:, 0], "b": ints, "c": cats}, space, params)
    ours = ParzenEstimator(X[:, :3], recency_weights(n), Columns.make([0, 1, 2], [0, 1000, 3]))
    T = points(rng, 30)[:, :3]
    T[:, 1] = (rng.choice(1000, 30) + 0.5) / 1000
    want = theirs.log_pdf({"a": T[:, 0], "b": np.floor(T[:, 1] * 1000), "c": np.floor(T[:, 2] * 3)})
    # ours is a density on the cube: an integer's value is 1/1000 wide there, a choice 1/3
    np.testing.assert_allclose(ours.log_pdf(T) - np.log(3000), want, rtol=1e-10)


def test_rules_are_optunas_defaults():
    for n in range(0, 400):
        np.testing.assert_allclose(recency_weights(n), ref.recency_weights(n), rtol=1e-15)
    assert [n_below(n) for n in (0, 1, 10, 11, 100, 249, 250, 1000)] == [0, 1, 1, 2, 10, 25, 25, 25]


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: Columns.make([0, 3], [0, 0]), "kinds"),
        (lambda: Columns.make([0, 1], [0]), "one entry per column"),
        (lambda: Columns.make([2], [0]), "levels"),
        (lambda: Columns.make([0], [0], [0.5]), "offsets"),
        (lambda: ParzenEstimator(np.zeros((2, 2)), np.ones(2), COLS), "shape"),
        (lambda: ParzenEstimator(np.zeros((2, 5)), np.array([1.0, 0.0]), COLS), "weights"),
        (lambda: ParzenEstimator(np.full((1, 5), np.nan), np.ones(1), COLS), "finite"),
        (lambda: ParzenEstimator(np.zeros((0, 5)), [], COLS, prior_weight=0), "prior_weight"),
        (lambda: ParzenEstimator(np.zeros((0, 5)), [], COLS, bandwidth="silverman"), "bandwidth"),
        (lambda: ParzenEstimator(np.zeros((0, 5)), [], COLS).sample(np.full((1, 6), 2.0)), "U"),
    ],
)
def test_bad_inputs_are_clear_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


@pytest.mark.parametrize("n", [0, 1, 2, 3, 7, 64, 257])
def test_argsort_is_numpys_stable_argsort(n):
    rng = np.random.default_rng(n)
    for v in (rng.random(n), rng.integers(0, 4, n).astype(float)):  # with and without ties
        np.testing.assert_array_equal(mixture._argsort(v), np.argsort(v, kind="stable"))


@pytest.mark.parametrize("k, offset", [(2**53, 0.0), (2**62, 0.0), (2**62, 0.5)])
def test_integers_of_very_many_values_have_the_density_of_a_real(k, offset):
    # bins far narrower than the kernels: the density tends to the real column's (on the
    # same scale), where a difference of two normal CDFs of the bin's ends is all rounding
    rng = np.random.default_rng(8)
    X, T = rng.random((5, 1)), rng.random((50, 1))
    real = ParzenEstimator(X, np.ones(5), Columns.make([0], [0]))
    est = ParzenEstimator(X, np.ones(5), Columns.make([1], [k], [offset]))
    want = real.log_pdf(T)
    if offset:  # a log scale: where bins are wide, the density is the bin's mean
        T, want = T[T[:, 0] > 0.5], want[T[:, 0] > 0.5]
    np.testing.assert_allclose(est.log_pdf(T), want, rtol=0, atol=1e-6)
    _, score = propose(
        X, np.ones(5), rng.random((9, 1)), np.ones(9), rng.random((24, 2)), est.columns
    )
    assert np.all(np.isfinite(score))
