"""The numpy example runs, and hypergradient descent rescues its poor initial learning rate."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "hypergradient_numpy.py"


def _load():
    spec = importlib.util.spec_from_file_location("hypergradient_numpy_example", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_example_loss_falls_and_rate_grows():
    example = _load()
    hd = example.main(epochs=3, lr=1e-3, beta=1e-3, verbose=False)
    fixed = example.main(epochs=3, lr=1e-3, beta=0.0, verbose=False)
    assert np.all(np.diff(hd["loss"]) < 0)
    assert hd["loss"][-1] < 0.5 * hd["loss"][0]
    assert hd["lr"][0] == 1e-3 and hd["lr"][-1] > 10 * 1e-3  # 1e-3 is far too small here
    assert np.all(fixed["lr"] == 1e-3)
    assert hd["loss"][-1] < fixed["loss"][-1]
    assert len(hd["lr"]) == 3 * int(np.ceil(1797 / 64)) + 1


def test_example_gradients_match_finite_differences():
    example = _load()
    X, Y = example.load_data()
    rng = np.random.default_rng(0)
    W, b = rng.normal(scale=0.1, size=(64, 10)), rng.normal(scale=0.1, size=10)
    _, gW, gb = example.loss_and_grads(W, b, X[:50], Y[:50])
    eps = 1e-6
    for i, j in [(0, 0), (10, 3), (63, 9)]:
        Wp, Wm = W.copy(), W.copy()
        Wp[i, j] += eps
        Wm[i, j] -= eps
        fd = (
            example.loss_and_grads(Wp, b, X[:50], Y[:50])[0]
            - example.loss_and_grads(Wm, b, X[:50], Y[:50])[0]
        ) / (2 * eps)
        assert abs(fd - gW[i, j]) < 1e-6
    bp = b.copy()
    bp[4] += eps
    fd = (
        example.loss_and_grads(W, bp, X[:50], Y[:50])[0]
        - example.loss_and_grads(W, b, X[:50], Y[:50])[0]
    ) / eps
    assert abs(fd - gb[4]) < 1e-5


def _load_benchmark():
    path = EXAMPLE.parents[1] / "benchmarks" / "hypergradient.py"
    spec = importlib.util.spec_from_file_location("hypergradient_benchmark", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_benchmark_mlp_gradients_and_a_short_run():
    bench = _load_benchmark()
    X, Y = bench.load_data()
    rng = np.random.default_rng(1)
    params = bench.init_params("mlp", rng, hidden=8)
    _, grads = bench.loss_and_grads(params, X[:20], Y[:20])
    eps = 1e-6
    for k, idx in [(0, (5, 3)), (1, (2,)), (2, (7, 1)), (4, (0, 9)), (5, (3,))]:
        plus = [p.copy() for p in params]
        minus = [p.copy() for p in params]
        plus[k][idx] += eps
        minus[k][idx] -= eps
        fd = (
            bench.loss_and_grads(plus, X[:20], Y[:20])[0]
            - bench.loss_and_grads(minus, X[:20], Y[:20])[0]
        ) / (2 * eps)
        assert abs(fd - grads[k][idx]) < 1e-6
    data = (X, Y)
    fixed, lr_fixed = bench.train("logreg", "sgd", 1e-4, 0, 2, 32, 1e-3, 1e-5, data)
    hd, lr_hd = bench.train("logreg", "sgd_hd", 1e-4, 0, 2, 32, 1e-3, 1e-5, data)
    assert lr_fixed == 1e-4 and lr_hd > 1e-2 and hd < fixed
