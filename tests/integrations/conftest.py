"""Fixtures of the Keras tests (training on a slice of the digits, torch on one thread)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(scope="module")
def one_thread() -> Iterator[None]:
    """PyTorch on one thread for a module: tiny matrices, where threads cost more than they
    save."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def digits() -> tuple[Any, ...]:
    """300 training and 150 validation images of the digits, scaled to [0, 1]."""
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).astype("float32")
    return X[:300], y[:300], X[300:450], y[300:450]
