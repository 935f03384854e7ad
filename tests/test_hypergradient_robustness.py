"""Hypergradient optimizers: bad input, NaN/inf gradients, bounds, saved state."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from hpo_core.hypergradient import (
    HypergradientAdam,
    HypergradientController,
    HypergradientSGD,
    NonFiniteGradientWarning,
)
from tests.reference.hypergradient import flat as _flat
from tests.reference.hypergradient import make as _make
from tests.reference.hypergradient import quadratic as _quadratic
from tests.reference.hypergradient import split as _split


# ---------------------------------------------------------------- robustness
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("kind", ["sgd", "sgdn", "adam"])
def test_non_finite_gradient_skips_the_step(kind, bad):
    f, grad, x0 = _quadratic(seed=8)
    clean, noisy = [x0.copy()], [x0.copy()]
    o_clean, o_noisy = _make(kind, 0.01, 1e-4), _make(kind, 0.01, 1e-4)
    for t in range(12):
        o_clean.step(clean, [grad(clean[0])])
        o_noisy.step(noisy, [grad(noisy[0])])
        if t in (0, 5):  # a poisoned gradient in between: nothing may change
            before, lr = noisy[0].copy(), o_noisy.lr
            g = grad(noisy[0])
            g[2] = bad
            with pytest.warns(NonFiniteGradientWarning, match="step skipped"):
                o_noisy.step(noisy, [g])
            assert np.array_equal(noisy[0], before) and o_noisy.lr == lr
    np.testing.assert_array_equal(noisy[0], clean[0])
    assert o_noisy.lr == o_clean.lr and o_noisy.n_skipped == 2
    assert len(o_noisy.lr_history) == len(o_clean.lr_history) + 2


def test_controller_non_finite_keeps_rate():
    ctrl = HypergradientController(lr=0.1, beta=1.0)
    ctrl.update([np.ones(3)])
    with pytest.warns(NonFiniteGradientWarning):
        assert ctrl.update([np.array([1.0, np.nan, 0.0])], prev_update=[np.ones(3)]) == 0.1
    with pytest.warns(NonFiniteGradientWarning):
        assert ctrl.update([np.ones(3)], prev_update=[np.array([np.inf, 0, 0])]) == 0.1
    with pytest.warns(NonFiniteGradientWarning, match="hypergradient"):  # dot product overflows
        assert ctrl.update([np.full(3, 1e200)], direction=[np.full(3, 1e200)]) == 0.1
    assert ctrl.n_skipped == 3 and ctrl.lr == 0.1


def test_bounds_clip_the_rate():
    theta = np.zeros(2)
    opt = HypergradientSGD(lr=0.1, beta=1.0, lr_min=0.05, lr_max=0.3)
    opt.step([theta], [np.ones(2)])
    opt.step([theta], [np.ones(2)])  # h = -2: 0.1 + 2 -> clipped to 0.3
    assert opt.lr == 0.3
    opt.step([theta], [-np.ones(2)])  # h = +2: 0.3 - 2 -> clipped to 0.05
    assert opt.lr == 0.05
    ctrl = HypergradientController(lr=0.1, beta=1.0)  # default lr_min = 0: never negative
    ctrl.update([np.ones(2)])
    assert ctrl.update([-np.ones(2)], prev_update=[-0.1 * np.ones(2)]) == 0.0


@pytest.mark.parametrize(
    "factory, match",
    [
        (lambda: HypergradientSGD(lr=0.0), "lr must be a finite number > 0"),
        (lambda: HypergradientSGD(lr=-1.0), "lr must be"),
        (lambda: HypergradientSGD(lr=float("nan")), "lr must be"),
        (lambda: HypergradientSGD(lr="0.1"), "lr must be"),
        (lambda: HypergradientSGD(lr=True), "lr must be"),
        (lambda: HypergradientSGD(beta=-1e-3), "beta must be a finite number >= 0"),
        (lambda: HypergradientSGD(beta=math.inf), "beta must be"),
        (lambda: HypergradientSGD(beta=1.0, multiplicative=True), r"beta must be in \[0, 1\)"),
        (lambda: HypergradientSGD(multiplicative="yes"), "multiplicative must be"),
        (lambda: HypergradientSGD(momentum=1.0), r"momentum must be in \[0, 1\)"),
        (lambda: HypergradientSGD(nesterov=True), "nesterov=True needs momentum"),
        (lambda: HypergradientSGD(lr_min=-0.1), "lr_min must be"),
        (lambda: HypergradientSGD(lr_min=0.1, lr_max=0.1), "lr_max must be a number > lr_min"),
        (lambda: HypergradientSGD(lr=1.0, lr_max=0.5), r"lr must lie in \[lr_min, lr_max\]"),
        (lambda: HypergradientSGD(groups="ab"), "groups must be a sequence"),
        (lambda: HypergradientSGD(groups=[]), "groups must hold"),
        (lambda: HypergradientSGD(groups=[[0], [1]]), "groups must hold hashable labels"),
        (lambda: HypergradientSGD(groups=np.zeros((2, 2))), "groups must hold hashable labels"),
        (lambda: HypergradientSGD(lr=[0.1, 0.2], groups=[0, 0]), "lr has 2 values but"),
        (lambda: HypergradientAdam(betas=(1.0, 0.9)), r"betas\[0\] must be in \[0, 1\)"),
        (lambda: HypergradientAdam(betas=0.9), "betas must be a pair"),
        (lambda: HypergradientAdam(eps=0.0), "eps must be a finite number > 0"),
    ],
)
def test_bad_options_raise(factory, match):
    with pytest.raises(ValueError, match=match):
        factory()


def test_bad_step_arguments_raise():
    opt = HypergradientSGD(lr=0.1)
    with pytest.raises(ValueError, match="got 1 parameter arrays but 2 gradients"):
        opt.step([np.zeros(2)], [np.zeros(2), np.zeros(2)])
    with pytest.raises(ValueError, match="shape"):
        opt.step([np.zeros(2)], [np.zeros(3)])
    with pytest.raises(ValueError, match="floating-point numpy array"):
        opt.step([np.zeros(2, dtype=int)], [np.zeros(2)])
    with pytest.raises(ValueError, match="floating-point numpy array"):
        opt.step([[0.0, 0.0]], [np.zeros(2)])
    ro = np.zeros(2)
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        opt.step([ro], [np.zeros(2)])
    with pytest.raises(ValueError, match="groups has 2 labels"):
        HypergradientSGD(groups=["a", "b"]).step([np.zeros(1)], [np.zeros(1)])
    opt.step([np.zeros(2)], [np.ones(2)])
    with pytest.raises(ValueError, match="earlier steps had 1"):
        opt.step([np.zeros(2), np.zeros(1)], [np.ones(2), np.ones(1)])
    with pytest.raises(ValueError, match="not both"):
        HypergradientController(0.1, 0.1).update([np.ones(1)], [np.ones(1)], direction=[np.ones(1)])


def test_float32_parameters_stay_float32():
    w = np.ones(5, dtype=np.float32)
    opt = HypergradientAdam(lr=0.01, beta=1e-4)
    for _ in range(5):
        opt.step([w], [w.copy()])
    assert w.dtype == np.float32 and np.all(w < 1)


# ---------------------------------------------------------------- state
@pytest.mark.parametrize("kind", ["sgd", "sgdn", "adam"])
def test_state_dict_round_trip(kind):
    f, grad, x0 = _quadratic(d=10, seed=9)
    p = _split(x0)
    opt = _make(kind, [0.01, 0.02], 1e-4, groups=["w", "b"])
    for _ in range(5):
        opt.step(p, _split(grad(_flat(p))))
    state = opt.state_dict()
    saved = [a.copy() for a in p]
    for _ in range(5):
        opt.step(p, _split(grad(_flat(p))))
    other = _make(kind, 0.5, 0.0)  # different options: the state brings its own
    other.load_state_dict(state)
    q = saved
    for _ in range(5):
        other.step(q, _split(grad(_flat(q))))
    np.testing.assert_array_equal(_flat(q), _flat(p))
    np.testing.assert_array_equal(other.lr_history, opt.lr_history)
    assert other.beta == opt.beta
    with pytest.raises(ValueError, match="state is for"):
        HypergradientAdam().load_state_dict(HypergradientSGD().state_dict())


def test_controller_state_dict_round_trip():
    ctrl = HypergradientController(lr=0.1, beta=0.01, multiplicative=False, lr_max=1.0)
    ctrl.update([np.ones(2)])
    ctrl.update([np.ones(2)], prev_update=[-0.1 * np.ones(2)])
    copy = HypergradientController(lr=0.3, beta=0.0)
    copy.load_state_dict(ctrl.state_dict())
    args = ([np.ones(2)], [-ctrl.lr * np.ones(2)])
    assert copy.update(*args) == ctrl.update(*args)
    np.testing.assert_array_equal(copy.lr_history, ctrl.lr_history)
    with pytest.raises(ValueError, match="missing keys"):
        copy.load_state_dict({"lr": 0.1})


def test_setting_the_rate_by_hand():
    ctrl = HypergradientController(lr=0.1, beta=1.0)
    ctrl.lr = 0.2  # before any update: the initial rate
    assert ctrl.update([np.ones(1)]) == 0.2
    ctrl.lr = 0.5  # mid-run: the next update starts from 0.5; the last step was made with 0.2
    lr = ctrl.update([np.ones(1)], prev_update=[-0.2 * np.ones(1)])
    assert lr == pytest.approx(0.5 + 1.0)
    np.testing.assert_allclose(ctrl.lr_history, [0.2, 0.2, 1.5])
    with pytest.raises(ValueError, match="lr must be"):
        ctrl.lr = -1.0


def test_huge_but_finite_gradient_is_not_mistaken_for_nan():
    w = np.zeros(2)
    opt = HypergradientSGD(lr=1e-300, beta=0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opt.step([w], [np.array([1e308, 1e308])])  # the sum overflows, the entries do not
    assert opt.n_skipped == 0 and np.all(w == -1e8)


# ---------------------------------------------------------------- huge but finite gradients
@pytest.mark.parametrize("kind", ["sgd", "sgdn"])
def test_huge_gradients_keep_the_rate_and_training_goes_on(kind):
    # g . d overflows for |g| = 1e300: the additive rule cannot adapt the rate, but the step
    # is taken with the kept rate instead of every step being skipped (a frozen training)
    w = np.ones(3)
    opt = _make(kind, 1e-3, 1e-3, lr_min=1e-6, lr_max=1.0)
    opt.step([w], [np.full(3, 1e300)])
    for t in range(4):
        before = w.copy()
        with pytest.warns(NonFiniteGradientWarning, match="hypergradient overflows.*step taken"):
            opt.step([w], [np.full(3, 1e300) * (-1) ** t])
        assert np.all(np.isfinite(w)) and not np.array_equal(w, before)
        assert opt.lr == 1e-3
    assert opt.n_skipped == 0 and np.all(np.isfinite(opt.lr_history))
    # ordinary gradients again: the rate adapts again, within its bounds
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(3):
            opt.step([w], [w * 1e-300])
    assert opt.lr != 1e-3 and 1e-6 <= opt.lr <= 1.0


@pytest.mark.parametrize("kind", ["sgd", "sgdn"])
def test_multiplicative_rule_is_scale_free_up_to_the_largest_gradients(kind):
    # the rule depends on the cosine of g and d only: gradients 2**1000 times larger give the
    # same rates, without a warning, though their dot products overflow
    f, grad, x0 = _quadratic(seed=3)
    big = 2.0**1000
    small_opt = _make(kind, 0.01, 0.05, multiplicative=True, lr_max=0.5)
    huge_opt = _make(kind, 0.01, 0.05, multiplicative=True, lr_max=0.5)
    xs, xh = [x0.copy()], [x0.copy()]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(15):
            small_opt.step(xs, [grad(xs[0])])
            huge_opt.step(xh, [big * grad(xh[0])])
            xh[0] = xs[0].copy()  # SGD's step scales with g: keep the same points
    np.testing.assert_allclose(huge_opt.lr_history, small_opt.lr_history, rtol=1e-12)
    assert np.all(np.isfinite(huge_opt.lr_history)) and np.all(huge_opt.lr_history <= 0.5)


def test_controller_multiplicative_rule_takes_huge_gradients():
    ctrl = HypergradientController(lr=0.1, beta=0.5, multiplicative=True, lr_max=0.12)
    ctrl.update([np.full(3, 1e300)])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        lr = ctrl.update([np.full(3, 1e300)], direction=[np.full(3, 1e300)])  # cos = 1
        assert lr == pytest.approx(0.05)
        lr = ctrl.update([np.full(3, -1e300)], direction=[np.full(3, 1e300)])  # cos = -1
        assert lr == pytest.approx(0.075)
        lr = ctrl.update([np.full(3, -1e300)], direction=[np.full(3, 1e300)])
        assert lr == pytest.approx(0.1125)
        assert ctrl.update([np.full(3, -1e300)], direction=[np.full(3, 1e300)]) == 0.12
    assert ctrl.n_skipped == 0


def test_adam_skips_a_step_whose_second_moment_overflows_and_is_not_poisoned():
    # g**2 overflows for |g| = 1e300: the moment estimate would be inf for good (a zero step
    # ever after); the step is skipped with a warning and the state kept as it was
    f, grad, x0 = _quadratic(seed=5)
    clean, noisy = [x0.copy()], [x0.copy()]
    o_clean, o_noisy = _make("adam", 0.01, 1e-4), _make("adam", 0.01, 1e-4)
    for t in range(10):
        o_clean.step(clean, [grad(clean[0])])
        o_noisy.step(noisy, [grad(noisy[0])])
        if t == 4:
            with pytest.warns(NonFiniteGradientWarning, match="non-finite update"):
                o_noisy.step(noisy, [np.full(6, 1e300)])
    np.testing.assert_array_equal(noisy[0], clean[0])
    assert o_noisy.lr == o_clean.lr and o_noisy.n_skipped == 1
