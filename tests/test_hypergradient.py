"""Hypergradient descent: the paper's update rules, the hypergradient itself, robustness."""

from __future__ import annotations

import math

import numpy as np
import pytest

from hpo_core.hypergradient import (
    HypergradientAdam,
    HypergradientController,
    HypergradientSGD,
)
from tests.reference.hypergradient import flat as _flat
from tests.reference.hypergradient import make as _make
from tests.reference.hypergradient import quadratic as _quadratic
from tests.reference.hypergradient import ref_run as _ref_run
from tests.reference.hypergradient import split as _split


# ---------------------------------------------------------------- hand-computed
def test_sgd_hd_two_steps_by_hand():
    theta = np.array([1.0, 1.0])
    opt = HypergradientSGD(lr=0.1, beta=0.01)
    opt.step([theta], [np.array([1.0, 2.0])])
    np.testing.assert_allclose(theta, [0.9, 0.8])
    assert opt.lr == 0.1
    opt.step([theta], [np.array([0.5, 1.0])])
    # h = g2 . (-g1) = -2.5, alpha = 0.1 + 0.01 * 2.5 = 0.125
    assert opt.lr == pytest.approx(0.125)
    assert opt.controller.last_hypergradient[0] == pytest.approx(-2.5)
    np.testing.assert_allclose(theta, [0.9 - 0.0625, 0.8 - 0.125])
    np.testing.assert_allclose(opt.lr_history, [0.1, 0.1, 0.125])


def test_sgdn_hd_two_steps_by_hand():
    theta = np.array([1.0, 1.0])
    opt = HypergradientSGD(lr=0.1, beta=0.01, momentum=0.5, nesterov=True)
    opt.step([theta], [np.array([1.0, 2.0])])  # v = [1, 2], step -(g + 0.5 v) = -[1.5, 3]
    np.testing.assert_allclose(theta, [0.85, 0.7])
    opt.step([theta], [np.array([0.5, 1.0])])
    # h = [0.5, 1] . -[1.5, 3] = -3.75; alpha = 0.1375; v = [1, 2]; step -[1, 2]
    assert opt.lr == pytest.approx(0.1375)
    np.testing.assert_allclose(theta, [0.85 - 0.1375, 0.7 - 0.275])


def test_multiplicative_two_steps_by_hand():
    theta = np.array([1.0, 1.0])
    opt = HypergradientSGD(lr=0.1, beta=0.1, multiplicative=True)
    opt.step([theta], [np.array([1.0, 2.0])])
    opt.step([theta], [np.array([1.0, 0.0])])
    # cos(g2, g1) = 1 / sqrt(5): alpha = 0.1 (1 + 0.1 / sqrt(5))
    assert opt.lr == pytest.approx(0.1 * (1 + 0.1 / math.sqrt(5)))
    np.testing.assert_allclose(theta, [0.9 - opt.lr, 0.8])


def test_controller_docstring_numbers_and_prev_update():
    ctrl = HypergradientController(lr=0.2, beta=0.5)
    assert ctrl.update([np.array([1.0, 2.0])]) == 0.2
    # the step taken with 0.2 was -0.2 * g1; the controller divides by 0.2 again
    lr = ctrl.update([np.array([0.5, 1.0])], prev_update=[np.array([-0.2, -0.4])])
    assert lr == pytest.approx(0.2 + 0.5 * 2.5)


# ---------------------------------------------------------------- against the reference
@pytest.mark.parametrize("kind", ["sgd", "sgdn", "adam"])
@pytest.mark.parametrize("multiplicative", [False, True])
def test_matches_reference_step_by_step(kind, multiplicative):
    f, grad, x0 = _quadratic(d=10, seed=1)
    noise = np.random.default_rng(5).normal(scale=0.3, size=(40, 10))

    def grads_of(theta, t):  # a noisy gradient, as with minibatches
        return grad(theta) + noise[t - 1]

    lr = {"sgd": 0.01, "sgdn": 0.002, "adam": 0.05}[kind]
    beta = 0.1 if multiplicative else {"sgd": 1e-3, "sgdn": 1e-5, "adam": 1e-3}[kind]
    thetas, alphas = _ref_run(kind, x0, grads_of, 40, lr, beta, multiplicative=multiplicative)
    params = _split(x0)
    opt = _make(kind, lr, beta, multiplicative=multiplicative)
    for t in range(1, 41):
        opt.step(params, _split(grads_of(_flat(params), t)))
        np.testing.assert_allclose(_flat(params), thetas[t], rtol=1e-10, atol=1e-12)
        assert opt.lr == pytest.approx(alphas[t], rel=1e-10)
    assert np.all(np.isfinite(thetas)) and np.all(alphas > 0)
    assert not np.allclose(alphas, lr)  # the rate did move


@pytest.mark.parametrize("kind", ["sgd", "sgdn", "adam"])
def test_reproducible_bit_for_bit(kind):
    f, grad, x0 = _quadratic(seed=3)
    runs = []
    for _ in range(2):
        p = [x0.copy()]
        opt = _make(kind, 0.01, 1e-4)
        for _ in range(30):
            opt.step(p, [grad(p[0])])
        runs.append((p[0].copy(), opt.lr_history))
    assert np.array_equal(runs[0][0], runs[1][0])
    assert np.array_equal(runs[0][1], runs[1][1])


# ---------------------------------------------------------------- the hypergradient itself
@pytest.mark.parametrize("kind", ["sgd", "sgdn", "adam"])
@pytest.mark.parametrize("lr", [0.01, 0.1, 0.3])
def test_hypergradient_equals_finite_difference(kind, lr):
    """h_2 = d f(theta_1) / d alpha, theta_1 the result of one step taken with rate alpha."""
    f, grad, x0 = _quadratic(seed=2)

    def loss_after_one_step(alpha):
        p = [x0.copy()]
        _make(kind, alpha, 0.0).step(p, [grad(x0)])
        return f(p[0])

    p = [x0.copy()]
    opt = _make(kind, lr, 0.0)
    opt.step(p, [grad(x0)])
    opt.step(p.copy(), [grad(p[0])])  # computes h_2 at theta_1
    h = opt.controller.last_hypergradient[0]
    eps = 1e-6 * lr
    fd = (loss_after_one_step(lr + eps) - loss_after_one_step(lr - eps)) / (2 * eps)
    assert np.sign(h) == np.sign(fd)
    assert h == pytest.approx(fd, rel=1e-5, abs=1e-8)


def test_controller_hypergradient_method_per_group():
    ctrl = HypergradientController(lr=0.1, beta=0.0, groups=["w", "b", "w"])
    g = [np.ones(2), np.full(3, 2.0), np.ones(1)]
    d = [np.ones(2), np.ones(3), -np.ones(1)]
    np.testing.assert_allclose(ctrl.hypergradient(g, d), [1.0, 6.0])
    assert ctrl.group_labels == ["w", "b"]


@pytest.mark.parametrize(
    "kind, beta, multiplicative",
    [("sgd", 1e-3, False), ("sgdn", 3e-4, False), ("sgd", 0.05, True), ("sgdn", 0.05, True)],
)
def test_small_rate_grows_large_rate_shrinks(kind, beta, multiplicative):
    """Eigenvalues 1..10: SGD is stable below 0.2. A rate far below grows, one above shrinks."""
    f, grad, x0 = _quadratic(seed=4)
    for lr0, grows in [(1e-3, True), (0.25, False)]:
        p = [x0.copy()]
        opt = _make(kind, lr0, beta, multiplicative=multiplicative)
        for _ in range(60):
            opt.step(p, [grad(p[0])])
        assert (opt.lr > 2 * lr0) if grows else (opt.lr < 0.8 * lr0), (lr0, opt.lr)
        assert f(p[0]) < f(x0) - 1.0  # and it converges (a fixed 0.25 diverges)


def test_adam_small_rate_grows():
    f, grad, x0 = _quadratic(seed=4)
    p = [x0.copy()]
    opt = HypergradientAdam(lr=1e-3, beta=1e-4)
    for _ in range(100):
        opt.step(p, [grad(p[0])])
    assert opt.lr > 3e-3
    assert f(p[0]) < f(x0)


# ---------------------------------------------------------------- groups
def test_per_group_rates_follow_their_own_hypergradient():
    f, grad, x0 = _quadratic(d=10, seed=6)
    params = _split(x0)
    opt = HypergradientSGD(lr=[0.01, 0.02], beta=1e-3, groups=["a", "b"])
    prev = None
    lr_ref = np.array([0.01, 0.02])
    for _ in range(10):
        g = _split(grad(_flat(params)))
        if prev is not None:
            lr_ref = lr_ref + 1e-3 * np.array([np.vdot(g[0], prev[0]), np.vdot(g[1], prev[1])])
        opt.step(params, g)
        np.testing.assert_allclose(opt.lr, lr_ref, rtol=1e-12)
        prev = g
    assert opt.lr_history.shape == (11, 2)
    assert opt.lr[0] != opt.lr[1]


def test_one_label_for_all_is_the_global_rate():
    f, grad, x0 = _quadratic(d=10, seed=7)
    p1, p2 = _split(x0), _split(x0)
    o1 = HypergradientSGD(lr=0.01, beta=1e-3)
    o2 = HypergradientSGD(lr=0.01, beta=1e-3, groups=[0, 0])
    for _ in range(10):
        o1.step(p1, _split(grad(_flat(p1))))
        o2.step(p2, _split(grad(_flat(p2))))
    np.testing.assert_allclose(_flat(p1), _flat(p2), rtol=1e-13)
    assert o2.lr.shape == (1,) and o2.lr[0] == pytest.approx(o1.lr)


# ---------------------------------------------------------------- driving another optimizer
@pytest.mark.parametrize("kind", ["sgd", "sgdn", "adam"])
def test_controller_with_prev_update_matches_the_optimizer(kind):
    """A hand-written base optimizer driven by the controller equals the HD optimizer."""
    f, grad, x0 = _quadratic(seed=10)
    p = [x0.copy()]
    opt = _make(kind, 0.01, 1e-4)
    ctrl = HypergradientController(lr=0.01, beta=1e-4)
    base = _make(kind, 1.0, 0.0)  # fixed rate 1: its step is the update per unit rate
    x, prev = x0.copy(), None
    for _ in range(25):
        opt.step(p, [grad(p[0])])
        lr = ctrl.update([grad(x)], prev_update=prev)
        unit = [np.zeros_like(x)]
        base.step(unit, [grad(x)])
        prev = [lr * unit[0]]
        x = x + prev[0]
    np.testing.assert_allclose(x, p[0], rtol=1e-12)
    np.testing.assert_allclose(ctrl.lr_history, opt.lr_history, rtol=1e-12)


def test_controller_drives_torch_sgd():
    torch = pytest.importorskip("torch")
    f, grad, x0 = _quadratic(seed=11)
    a, b = torch.tensor(f.a), torch.tensor(f.b)
    w = torch.tensor(x0, dtype=torch.float64, requires_grad=True)
    torch_opt = torch.optim.SGD([w], lr=0.01, momentum=0.9, nesterov=True)
    ctrl = HypergradientController(lr=0.01, beta=1e-4)
    p = [x0.copy()]
    ref = HypergradientSGD(lr=0.01, beta=1e-4, momentum=0.9, nesterov=True)
    prev = None
    for _ in range(20):
        torch_opt.zero_grad()
        loss = 0.5 * w @ (a @ w) - b @ w
        loss.backward()
        lr = ctrl.update([w.grad.numpy()], prev_update=prev)
        for group in torch_opt.param_groups:
            group["lr"] = lr
        before = w.detach().clone()
        torch_opt.step()
        prev = [(w.detach() - before).numpy()]
        ref.step(p, [grad(p[0])])
    np.testing.assert_allclose(w.detach().numpy(), p[0], rtol=1e-9)
    np.testing.assert_allclose(ctrl.lr_history, ref.lr_history, rtol=1e-9)
    assert f(p[0]) < f(x0) and ctrl.lr != 0.01
