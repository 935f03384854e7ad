"""Plain references for the hypergradient tests: the paper's update rules in numpy, and the
small helpers both test files use."""

from __future__ import annotations

import numpy as np

from hpo_core.hypergradient import HypergradientAdam, HypergradientSGD

# Direct transcriptions of Baydin et al. (2018), Algorithms 1-3 (and the multiplicative rule),
# on one flat float64 vector; `grads_of(theta, t)` gives g_t at theta_{t-1}.


def ref_run(
    kind, theta0, grads_of, n, lr, beta, mu=0.9, b1=0.9, b2=0.999, eps=1e-8, multiplicative=False
):
    theta = np.array(theta0, dtype=np.float64)
    alpha = lr
    du = np.zeros_like(theta)  # d u_{t-1} / d alpha
    v = np.zeros_like(theta)
    m = np.zeros_like(theta)
    s = np.zeros_like(theta)
    thetas, alphas = [theta.copy()], [alpha]
    for t in range(1, n + 1):
        g = grads_of(theta, t)
        h = g @ du
        if multiplicative:
            denom = np.linalg.norm(g) * np.linalg.norm(du)
            alpha = alpha * (1 - beta * h / denom) if denom > 0 else alpha
        else:
            alpha = alpha - beta * h
        if kind == "sgd":
            du = -g
        elif kind == "sgdn":
            v = mu * v + g
            du = -(g + mu * v)
        else:
            m = b1 * m + (1 - b1) * g
            s = b2 * s + (1 - b2) * g * g
            du = -(m / (1 - b1**t)) / (np.sqrt(s / (1 - b2**t)) + eps)
        theta = theta + alpha * du
        thetas.append(theta.copy())
        alphas.append(alpha)
    return np.array(thetas), np.array(alphas)


def make(kind, lr, beta, **kw):
    if kind == "sgd":
        return HypergradientSGD(lr=lr, beta=beta, **kw)
    if kind == "sgdn":
        return HypergradientSGD(lr=lr, beta=beta, momentum=0.9, nesterov=True, **kw)
    return HypergradientAdam(lr=lr, beta=beta, **kw)


def quadratic(d=6, seed=0, lo=1.0, hi=10.0):
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.normal(size=(d, d)))
    a = q @ np.diag(np.linspace(lo, hi, d)) @ q.T
    b = rng.normal(size=d)

    def f(x):
        return 0.5 * x @ a @ x - b @ x

    def grad(x):
        return a @ x - b

    f.a, f.b = a, b
    return f, grad, rng.normal(size=d)


def split(flat):
    return [flat[:6].reshape(3, 2).copy(), flat[6:].copy()]


def flat(arrays):
    return np.concatenate([a.ravel() for a in arrays])
