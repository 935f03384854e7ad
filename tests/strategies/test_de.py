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


def test_the_extra_children_of_a_large_batch_take_the_worst_slots_they_beat():
    opt = hpo_core.Optimizer(common.REALS, strategy="de", seed=1)
    de = opt.strategy
    lam = de.lam
    for _ in range(3):  # a generation at a time: each child competes for its own slot only
        trials = opt.ask(lam)
        assert [de._inflight[t.id][2] for t in trials] == list(range(lam))
        for t in trials:
            opt.tell(t, common.sphere(t.params))
    trials = opt.ask(3 * lam)  # reads the tells above first
    f0 = de._f.copy()
    tags = [de._inflight[t.id][2] for t in trials]
    assert tags == [lam + i % lam for i in range(3 * lam)]
    ys = [common.sphere(t.params) for t in trials]
    for t, y in zip(trials, ys, strict=True):
        opt.tell(t, y)
    opt.ask()
    # in the order told: the child takes its slot if at least as good, else the worst it beats
    want, own = f0.copy(), f0.copy()
    for tag, y in zip(tags, ys, strict=True):
        slot = tag % lam
        own[slot] = min(own[slot], y)
        if y <= want[slot]:
            want[slot] = y
        elif y < want.max():
            want[np.argmax(want)] = y
    np.testing.assert_array_equal(de._f, want)
    assert np.sort(de._f)[-1] < np.sort(own)[-1]  # the worst slot improved beyond its own children
