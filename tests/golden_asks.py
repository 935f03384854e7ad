"""The first 50 asks of every strategy on fixed problems, recorded for the same-seed test.

``python -m tests.golden_asks`` rewrites ``tests/data/golden_asks.json``; do that only when a
change is meant to change what the strategies propose, and say so in the changelog.
"""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path
from typing import Any

from hpo_core import Categorical, Integer, Optimizer, Real, SearchSpaceExhausted
from hpo_core.strategies import STRATEGIES

PATH = Path(__file__).parent / "data" / "golden_asks.json"
N_ASKS = 50
SEED = 7

MIXED = {
    "x": Real(-5.0, 5.0),
    "lr": Real(1e-4, 1.0, log=True),
    "n": Integer(1, 64, log=True),
    "m": Integer(0, 9),
    "k": Categorical(["a", "b", "c"]),
}
CONDITIONAL = {
    "model": Categorical(["svc", "forest"]),
    "C": Real(1e-3, 1e3, log=True, when={"model": "svc"}),
    "kernel": Categorical(["linear", "rbf"], when={"model": "svc"}),
    "gamma": Real(1e-4, 1.0, log=True, when={"kernel": "rbf"}),
    "n_estimators": Integer(10, 500, log=True, when={"model": "forest"}),
}
TWO = {"a": Real(0.0, 1.0), "b": Real(0.0, 1.0), "c": Integer(0, 4)}
TWO_OBJECTIVE_STRATEGIES = ("bayes", "grid", "nsga2", "random", "sobol")


def _mixed(p: dict[str, Any]) -> float:
    return (
        (p["x"] - 1.0) ** 2
        + abs(math.log10(p["lr"]) + 2.0)
        + p["n"] / 64
        + (p["m"] - 3) ** 2 / 10
        + (p["k"] != "b")
    )


def _conditional(p: dict[str, Any]) -> float:
    if p["model"] == "forest":
        return abs(math.log(p["n_estimators"] / 100.0))
    v = abs(math.log10(p["C"]) - 1.0)
    if p["kernel"] == "rbf":
        v += abs(math.log10(p["gamma"]) + 2.0) - 0.5
    return v


def _two(p: dict[str, Any]) -> list[float]:
    return [p["a"] + 0.1 * p["c"], (1.0 - p["a"]) ** 2 + p["b"] + 0.05 * p["c"]]


def _plain(params: dict[str, Any]) -> dict[str, Any]:
    # floats as their exact hex, so the file compares bit for bit
    return {k: (v.hex() if type(v) is float else v) for k, v in sorted(params.items())}


def record(problem: str, strategy: str, storage: str | None = None) -> list[dict[str, Any]]:
    """The first asks of ``strategy`` on ``problem``: 20 one at a time, then batches of 5, every
    seventh trial failed, so pending and failed trials are part of what is recorded. A storage
    (a SQLite URL) must give the same asks as memory."""
    space, fn, direction = {
        "mixed": (MIXED, _mixed, "minimize"),
        "conditional": (CONDITIONAL, _conditional, "minimize"),
        "two": (TWO, _two, ["minimize", "minimize"]),
    }[problem]
    opt = Optimizer(space, strategy=strategy, direction=direction, seed=SEED, storage=storage)
    asked: list[dict[str, Any]] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        while len(asked) < N_ASKS:
            try:
                batch = opt.ask(1 if len(asked) < 20 else 5)
            except SearchSpaceExhausted:
                break
            for t in batch:
                asked.append(_plain(t.params))
                if t.id % 7 == 6:
                    opt.tell(t, state="failed")
                else:
                    opt.tell(t, fn(t.params))
    return asked[:N_ASKS]


def cases() -> list[tuple[str, str]]:
    out = [("mixed", s) for s in sorted(STRATEGIES)]
    out += [("conditional", s) for s in sorted(STRATEGIES)]
    out += [("two", s) for s in TWO_OBJECTIVE_STRATEGIES]
    return out


def main() -> None:
    doc = {f"{p}/{s}": record(p, s) for p, s in cases()}
    PATH.write_text(json.dumps(doc, separators=(",", ":"), sort_keys=True) + "\n")
    print(f"wrote {len(doc)} cases to {PATH}")


if __name__ == "__main__":
    main()
