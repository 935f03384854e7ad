"""Smoke test of the benchmark harness: the command runs, records and tables have their shape."""

from __future__ import annotations

import importlib.util
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # benchmarks/ is not installed with the package
    sys.path.insert(0, str(ROOT))

from benchmarks import problems as P  # noqa: E402
from benchmarks.libs import BudgetExhausted, Evaluator, resolve_libs, run_one  # noqa: E402
from benchmarks.report import load, problem_table, rank_table  # noqa: E402

LIBS = ["hpo_core:random", "hpo_core:sobol"]
if importlib.util.find_spec("optuna") is not None:
    LIBS.append("optuna-random")


def _table_rows(md: str) -> list[list[str]]:
    rows = [line for line in md.splitlines() if line.startswith("|")]
    return [[c.strip() for c in r.strip("|").split("|")] for r in rows]


def test_command_end_to_end(tmp_path: Path) -> None:
    out = tmp_path / "run"
    cmd = [
        sys.executable,
        "-m",
        "benchmarks.run",
        "--problems",
        "branin,hartmann6",
        "--libs",
        ",".join(LIBS),
        "--seeds",
        "2",
        "--budget",
        "10",
        "--out",
        str(out),
        "--no-warmup",
    ]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr

    records = load(out)
    assert len(records) == 2 * 2 * len(LIBS)
    for r in records:
        assert r["status"] == "ok", r
        assert r["n_trials"] == 10 and len(r["best"]) == 10 and len(r["opt_time"]) == 10
        assert np.all(np.diff(r["best"]) <= 0) and r["best"][-1] == min(r["values"])
        assert r["best"][-1] - r["optimum"] >= 0  # simple regret, unclipped
        total = sum(r["opt_time"]) + sum(r["obj_time"])
        assert math.isclose(total, r["wall"], rel_tol=1e-6, abs_tol=1e-5)  # times kept to 0.1 us

    report = (out / "report.md").read_text()
    assert (out / "plots" / "branin.png").stat().st_size > 0
    assert (out / "plots" / "hartmann6.png").exists()
    for problem in ("branin", "hartmann6"):
        rows = _table_rows(problem_table(records, problem))
        header, body = rows[0], rows[2:]
        assert [r[0] for r in body] == LIBS
        assert all(len(r) == len(header) for r in body)
        regret = header.index("regret @10")
        for r in body:
            assert float(r[regret].split()[0]) >= 0
        assert problem_table(records, problem) in report
    ranks = _table_rows(rank_table(records))
    assert ranks[0] == ["library", "mean rank", "branin", "hartmann6"] and len(ranks) == 2 + len(
        LIBS
    )


@pytest.mark.parametrize(
    "name, argmin",
    [
        ("branin", [math.pi, 2.275]),
        ("hartmann6", P.HARTMANN6_ARGMIN),
        ("ackley5", np.zeros(5)),
        ("rosenbrock4", np.ones(4)),
        ("levy10", np.ones(10)),
        ("styblinski8", np.full(8, P.STYBLINSKI_ARGMIN)),
        ("rastrigin10", np.zeros(10)),
    ],
)
def test_optimum_is_attained_and_not_beaten(name: str, argmin: list[float]) -> None:
    prob = P.get_problem(name)
    at = prob(dict(zip(prob.space, np.asarray(argmin, dtype=float), strict=True)))
    assert at == pytest.approx(prob.optimum, abs=1e-9)
    rng = np.random.default_rng(0)
    lows = np.array([d.low for d in prob.space.values()])
    highs = np.array([d.high for d in prob.space.values()])
    for x in lows + rng.random((200, prob.d)) * (highs - lows):
        assert prob(dict(zip(prob.space, x, strict=True))) >= prob.optimum - 1e-9


def test_names_resolve_and_unknown_names_are_refused() -> None:
    assert resolve_libs("random,sobol,hyperopt,skopt") == [
        "hpo_core:random",
        "hpo_core:sobol",
        "hyperopt-tpe",
        "skopt-gp",
    ]
    assert "hpo_core:grid" in resolve_libs("hpo_core")
    with pytest.raises(ValueError, match="unknown library"):
        resolve_libs("nope")
    with pytest.raises(ValueError, match="unknown problem"):
        P.get_problem("nope3")
    assert P.get_problem("ackley7").d == 7
    assert set(P.SUITES["bo"]) <= set(P.problem_names())


def test_evaluator_splits_time_and_stops_at_the_budget() -> None:
    prob = P.get_problem("branin")
    ev = Evaluator(prob, 3)
    ev.start()
    for _ in range(3):
        ev({"x0": 0.0, "x1": 0.0})
    with pytest.raises(BudgetExhausted):
        ev({"x0": 0.0, "x1": 0.0})
    wall = ev.finish()
    assert len(ev.values) == 3
    assert sum(ev.opt_time) + sum(ev.obj_time) == pytest.approx(wall)


def test_mixed_space_and_missing_library() -> None:
    prob = P.get_problem("pipe-wine")
    rec = run_one("hpo_core:random", prob, 0, 2)
    assert rec["status"] == "ok" and 0 < rec["best"][-1] < 5
    assert rec["best_params"]["scaler"] in prob.space["scaler"].choices
    # a library that is not installed is skipped with a note, not an error
    from benchmarks import libs

    libs._REFERENCE["fake-lib"] = (("no_such_module_xyz",), libs._run_plain_random)
    try:
        rec = run_one("fake-lib", P.get_problem("branin"), 0, 5)
    finally:
        del libs._REFERENCE["fake-lib"]
    assert rec["status"] == "skipped" and "no_such_module_xyz" in rec["note"]


def test_scaling_table_has_a_cell_per_n() -> None:
    from benchmarks.speed import scaling, scaling_table

    libs = ["hpo_core:random", "cma"] + (["optuna-tpe"] if "optuna-random" in LIBS else [])
    rows = scaling(libs, "branin", ns=(5, 20), repeats=2, log=lambda msg: None)
    ok = [r for r in rows if r["status"] == "ok"]
    assert len(ok) == 2 * (len(libs) - 1) and all(r["seconds"] >= 0 for r in ok)
    table = _table_rows(scaling_table(rows))
    assert table[0] == ["library", "n=5", "n=20"] and len(table) == 2 + len(libs) - 1
    assert "\n- cma" in scaling_table(rows)  # skipped with a note (not installed, or no warm start)


@pytest.mark.slow
def test_startup_runs_cold_then_warm(tmp_path: Path) -> None:
    from benchmarks.speed import startup, startup_table

    rows = startup(["hpo_core:sobol"], "branin", n=5, log=lambda msg: None)
    assert [r["cache"] for r in rows] == ["cold", "warm"]
    assert all(r["status"] == "ok" and r["first"] >= r["first_ask"] >= 0 for r in rows)
    assert len(_table_rows(startup_table(rows))) == 4


@pytest.mark.parametrize("lib", ["scipy-de", "cma", "plain-random", "hpo_core:grid"])
def test_cube_libraries_stop_at_the_budget(lib: str) -> None:
    from benchmarks.libs import unavailable

    if unavailable(lib):
        pytest.skip(unavailable(lib))
    rec = run_one(lib, P.get_problem("hartmann6"), 3, 40)
    assert rec["status"] == "ok", rec["note"]
    assert rec["n_trials"] == 40  # the grid: 2 points per axis, 64 > 40, so it is cut too
    assert rec["best"][-1] >= P.get_problem("hartmann6").optimum


def test_a_newly_registered_strategy_is_picked_up(monkeypatch: pytest.MonkeyPatch) -> None:
    from hpo_core.strategies import STRATEGIES

    monkeypatch.setitem(STRATEGIES, "newcomer", "hpo_core.strategies.random:RandomSearch")
    assert "hpo_core:newcomer" in resolve_libs("hpo_core") and resolve_libs("newcomer")
    rec = run_one("hpo_core:newcomer", P.get_problem("branin"), 0, 5)
    assert rec["status"] == "ok" and rec["n_trials"] == 5
