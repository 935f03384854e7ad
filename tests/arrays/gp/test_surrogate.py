"""gp.fit / Surrogate: the surrogate for callers with their own loop."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import special

from hpo_core.arrays import gp
from tests.reference import gp as ref


def _data(n=25, seed=0):
    rng = np.random.default_rng(seed)
    X = np.column_stack([rng.uniform(-5, 10, n), rng.uniform(1e-3, 1.0, n)])
    y = 3.0 + 0.2 * (X[:, 0] - 2) ** 2 + np.log(X[:, 1])
    bounds = [[-5, 10], [1e-3, 1.0]]
    return X, y, bounds


def test_predictions_match_a_numpy_posterior_in_the_units_of_y():
    X, y, bounds = _data()
    model = gp.fit(X, y, bounds=bounds, log=[False, True], seed=0)
    Xq = np.array([[0.0, 0.01], [7.5, 0.5], [2.0, 0.1]])
    # the reference: unit-cube inputs (log column in log space), standardised y
    lo = np.array([-5.0, np.log(1e-3)])
    hi = np.array([10.0, np.log(1.0)])

    def unit(A):
        return (np.column_stack([A[:, 0], np.log(A[:, 1])]) - lo) / (hi - lo)

    m, s = y.mean(), y.std()
    theta = np.concatenate([np.log(model.lengthscales), model._gp.theta[-2:]])
    cat = np.zeros(2, dtype=bool)
    K_noise_theta = theta.copy()
    K_noise_theta[-1] = np.log(np.exp(theta[-1]) + model._gp.jitter)  # the factorisation's jitter
    mu, var = ref.posterior(unit(Xq), unit(X), (y - m) / s, K_noise_theta, cat)
    mean, std = model.predict(Xq, return_std=True)
    np.testing.assert_allclose(mean, m + s * mu, rtol=1e-6, atol=1e-6)
    # variances compared on the scale of the signal variance exp(theta[-2]): near data they
    # are a small difference of large numbers, good to about 1e-7 of it
    s2 = np.exp(theta[-2])
    np.testing.assert_allclose((std / s) ** 2, np.maximum(var, 0), atol=1e-7 * s2)
    assert model.predict(Xq).shape == (3,)


def test_a_smooth_function_is_learned_and_the_relevant_column_has_the_short_lengthscale():
    rng = np.random.default_rng(1)
    X = rng.random((40, 3))
    y = np.sin(6 * X[:, 0]) + 0.01 * X[:, 2]  # column 1 does not matter at all
    model = gp.fit(X, y, bounds=[[0, 1]] * 3, seed=0)
    Xq = rng.random((20, 3))
    err = np.abs(model.predict(Xq) - (np.sin(6 * Xq[:, 0]) + 0.01 * Xq[:, 2]))
    assert err.max() < 0.05
    assert model.lengthscales[0] < model.lengthscales[1]
    assert model.lengthscales[0] < model.lengthscales[2]


def test_acquisition_values_are_the_reference_formulas_in_y_units():
    X, y, bounds = _data(seed=2)
    model = gp.fit(X, y, bounds=bounds, log=[False, True], seed=0)
    Xq = np.array([[1.0, 0.01], [3.0, 0.002], [9.0, 0.9]])
    mean, std = model.predict(Xq, return_std=True)
    best = y.min()
    u = (best - mean) / std
    with np.errstate(divide="ignore"):
        h = np.exp(-0.5 * u**2) / np.sqrt(2 * np.pi) + u * special.ndtr(u)
        logei = np.log(std) + np.log(h)
    ok = np.isfinite(logei)  # double precision underflows far from the incumbent; LogEI not
    assert ok.sum() >= 2
    np.testing.assert_allclose(model.acquisition(Xq)[ok], logei[ok], rtol=1e-6)
    assert np.all(model.acquisition(Xq)[~ok] < -700)
    np.testing.assert_allclose(model.acquisition(Xq, "ucb", beta=2.0), -(mean - 2.0 * std))
    np.testing.assert_allclose(
        model.acquisition(Xq, "pi"), special.log_ndtr(u), rtol=1e-6, atol=1e-12
    )


def test_default_bounds_are_the_box_of_x_and_a_single_point_fits():
    model = gp.fit([[0.3, 5.0]], [1.5])
    assert model.bounds.tolist() == [[-0.2, 0.8], [4.5, 5.5]]
    assert np.isclose(model.predict([[0.3, 5.0]])[0], 1.5)
    assert model.predict([0.3, 5.0]).shape == (1,)  # a single point as a 1-d row


@pytest.mark.parametrize("value", [1e-3, 0.3, 50.0])
def test_default_bounds_of_a_constant_log_column_stay_positive(value):
    X = [[value, 0.1], [value, 0.5], [value, 0.9]]
    model = gp.fit(X, [1.0, 2.0, 3.0], log=[True, False])
    lo, hi = model.bounds[0]
    assert 0 < lo < value < hi
    assert np.isclose(np.log(hi) - np.log(lo), 1.0)  # unit-wide on the column's log scale
    assert np.isclose(model.predict([[value, 0.5]])[0], 2.0, atol=0.05)
    single = gp.fit([[value]], [1.5], log=[True])
    assert np.isclose(single.predict([[value]])[0], 1.5)
    with pytest.raises(ValueError, match="X must be > 0 in the log-scaled columns"):
        gp.fit([[-value], [value]], [1.0, 2.0], log=[True])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"X": [], "y": []}, "X must be a non-empty 2-d array"),
        ({"X": [[1.0], [np.nan]], "y": [1, 2]}, r"X must be finite; NaN or infinity in rows \[1\]"),
        ({"X": [[1.0], [2.0]], "y": [1.0]}, r"y must have shape \(2,\)"),
        ({"X": [[1.0], [2.0]], "y": [1.0, np.nan]}, "y must be finite"),
        ({"X": [[1.0], [2.0]], "y": [1, 2], "bounds": [[2, 1]]}, "bounds must have shape"),
        ({"X": [[1.0], [2.0]], "y": [1, 2], "bounds": [[0, 1], [0, 1]]}, "bounds must have shape"),
        ({"X": [[1.0], [2.0]], "y": [1, 2], "log": [True, False]}, r"log must have shape \(1,\)"),
        ({"X": [[1.0], [2.0]], "y": [1, 2], "bounds": [[-1, 3]], "log": [True]}, "bounds > 0"),
    ],
)
def test_bad_inputs_raise_clear_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        gp.fit(**kwargs)


def test_far_queries_get_the_prior_not_nan():
    model = gp.fit([[0.0], [0.5], [1.0]], [0.0, 1.0, 0.5], seed=0)
    mean, std = model.predict([[1e3], [1e160], [-1e200]], return_std=True)
    np.testing.assert_allclose(mean, mean[0], rtol=1e-12)  # the prior mean, however far
    np.testing.assert_allclose(std, std[0], rtol=1e-12)
    assert np.all(np.isfinite(model.acquisition([[1e160]])))


def test_bad_queries_raise_clear_errors():
    model = gp.fit([[1.0, 1.0], [2.0, 3.0], [0.5, 2.0]], [1.0, 2.0, 0.0])
    with pytest.raises(ValueError, match=r"Xq must be a non-empty 2-d array of shape \(m, 2\)"):
        model.predict([[1.0, 2.0, 3.0]])
    with pytest.raises(ValueError, match="Xq must be finite"):
        model.predict([[np.inf, 2.0]])
    with pytest.raises(ValueError, match="kind must be one of"):
        model.acquisition([[1.0, 2.0]], kind="ei")
    with pytest.raises(ValueError, match="kind must be one of"):
        model.acquisition([[1.0, 2.0]], kind=["pi"])


def test_the_strategy_exposes_its_lengthscales_after_a_fit():
    from hpo_core import Optimizer

    opt = Optimizer({"a": (0.0, 1.0), "b": (0.0, 1.0)}, strategy="bayes", seed=0)
    assert opt.strategy.lengthscales is None
    for _ in range(14):
        t = opt.ask()
        opt.tell(t, np.sin(6 * t.params["a"]))
    ls = opt.strategy.lengthscales
    assert ls.shape == (2,) and ls[0] < ls[1]


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("scale", [1e155, 1e300, 2.0**1023, -(2.0**1023)])
def test_huge_y_gives_the_predictions_of_small_y_scaled_up(scale):
    # summing or squaring y this large overflows: the standardisation must not
    X = np.linspace(0, 1, 8)[:, None]
    y = np.sin(6 * X[:, 0])
    Xq = np.array([[0.05], [0.5], [0.93]])
    small, huge = gp.fit(X, y, seed=0), gp.fit(X, scale * y, seed=0)
    mean, std = huge.predict(Xq, return_std=True)
    mean1, std1 = small.predict(Xq, return_std=True)
    if scale > 0:  # the same function: the same posterior in scaled units
        np.testing.assert_allclose(mean / scale, mean1, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(std / scale, std1, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(huge.acquisition(Xq) - np.log(scale), small.acquisition(Xq))
        np.testing.assert_allclose(
            huge.acquisition(Xq, "ucb") / scale, small.acquisition(Xq, "ucb")
        )
    for a in (mean, std, huge.acquisition(Xq), huge.acquisition(Xq, "ucb")):
        assert np.all(np.isfinite(a))
    assert np.all(std > 0)
    assert np.all(np.isfinite(huge.acquisition(Xq, "pi")))
    assert huge.noise > 0  # inf where the noise variance itself exceeds the floats


def test_ordinary_y_is_standardised_exactly_as_before():
    X, y, bounds = _data()
    model = gp.fit(X, 1e150 * y, bounds=bounds, seed=0)
    assert (model._mean, model._scale) == (float(np.mean(1e150 * y)), float(np.std(1e150 * y)))
