"""The multi-objective benchmark runs on a tiny budget and writes its tables."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # benchmarks/ is not installed with the package
    sys.path.insert(0, str(ROOT))

from benchmarks import multiobjective as mo  # noqa: E402


def _rows(md: str) -> list[list[str]]:
    return [
        [c.strip() for c in line.strip("|").split("|")]
        for line in md.splitlines()
        if line.startswith("| ") and not line.startswith("| problem")
    ]


def test_problems_on_their_fronts():
    x = np.zeros(30)
    x[0] = 0.25
    assert mo.zdt1(x) == pytest.approx([0.25, 0.5])
    assert mo.zdt2(x) == pytest.approx([0.25, 1 - 0.0625])
    x = np.full(12, 0.5)
    assert np.sum(np.square(mo.dtlz2(x))) == pytest.approx(1.0)
    assert mo.gardner(0.0, 0.0)[1] == [0.5]


def _run(tmp_path: Path, *extra: str) -> tuple[str, list[dict]]:
    # in a process of its own: the benchmark limits every library's threads for good
    argv = ["--seeds", "1", "--evals", "60", "--trials", "7", "--out", str(tmp_path), *extra]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    cmd = [sys.executable, "-m", "benchmarks.multiobjective", *argv]
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    text = (tmp_path / "multiobjective.md").read_text()
    records = json.loads((tmp_path / "multiobjective.json").read_text())
    return text, records


def test_quick_mode_hpo_core_only(tmp_path):
    text, records = _run(tmp_path, "--no-optuna")
    rows = _rows(text)
    assert [r[0] for r in rows[:3]] == ["zdt1", "zdt2", "dtlz2"]
    assert all(float(r[2].split()[0]) > 0 for r in rows[:3])  # hypervolumes
    assert {r["lib"] for r in records if r["kind"] == "constrained"} == {
        "hpo_core bayes",
        "hpo_core random",
    }
    assert all(r["sec_per_trial"] > 0 for r in records)


@pytest.mark.skipif(importlib.util.find_spec("optuna") is None, reason="needs optuna")
def test_quick_mode_against_optuna(tmp_path):
    text, records = _run(tmp_path)
    rows = _rows(text)
    assert len(rows[0]) == 8 and rows[0][4] != "-"  # the ratio columns are filled
    libs = {r["lib"] for r in records}
    assert {"optuna", "optuna GPSampler", "optuna TPESampler"} <= libs
