"""Same seed, same asks: every strategy's first 50 asks match the recorded ones bit for bit."""

from __future__ import annotations

import json

import pytest

from tests.golden_asks import PATH, cases, record

GOLDEN = json.loads(PATH.read_text())


def test_every_case_is_recorded():
    assert sorted(GOLDEN) == sorted(f"{p}/{s}" for p, s in cases())


@pytest.mark.parametrize(("problem", "strategy"), cases())
def test_same_asks_as_recorded(problem, strategy):
    asked = record(problem, strategy)
    golden = GOLDEN[f"{problem}/{strategy}"]
    assert len(asked) == len(golden)
    for i, (got, want) in enumerate(zip(asked, golden, strict=True)):
        assert got == want, f"ask {i} differs"


@pytest.mark.parametrize("strategy", ["random", "bayes", "tpe", "cmaes"])
def test_sqlite_store_gives_the_same_asks(tmp_path, strategy):
    asked = record("mixed", strategy, storage=f"sqlite:///{tmp_path / 'golden.db'}")
    assert asked == GOLDEN[f"mixed/{strategy}"]
