from __future__ import annotations

import matplotlib
import pytest

matplotlib.use("Agg")


@pytest.fixture(autouse=True)
def _close_figures():
    """Each test's figures closed after it, so pyplot never warns of too many open."""
    import matplotlib.pyplot as plt

    yield
    plt.close("all")
