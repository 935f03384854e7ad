"""strategy="de": greedy one-to-one selection and options (the shared guarantees are in
test_evo_shared.py)."""

from __future__ import annotations

import numpy as np
import pytest

import hpo_core
from tests.strategies import evo_common as common


@pytest.mark.parametrize("scheme", ["rand/1/bin", "current-to-best/1/bin"])
def test_greedy_selection_never_worsens_a_slot(scheme):
    from hpo_core.strategies.de import DifferentialEvolution

    opt = hpo_core.Optimizer(common.REALS, strategy=DifferentialEvolution(scheme=scheme), seed=0)
    prev = None
    for _ in range(10):
        for t in opt.ask(opt.strategy.lam):
            opt.tell(t, common.sphere(t.params))
        opt.ask()
        f = opt.strategy._f.copy()
        if prev is not None:
            assert np.all(f <= prev)
        prev = f
    assert prev.min() == opt.best.value < 0.2


def test_options_validated():
    from hpo_core.strategies.de import DifferentialEvolution

    with pytest.raises(ValueError, match="scheme must be one of"):
        DifferentialEvolution(scheme="best/1/bin")
    with pytest.raises(ValueError, match="F must be"):
        DifferentialEvolution(F=(1.0, 0.5))
    with pytest.raises(ValueError, match=r"CR must be in \[0, 1\]"):
        DifferentialEvolution(CR=1.5)
