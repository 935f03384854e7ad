from __future__ import annotations

import re
import subprocess
import sys

import pytest

from hpo_core.cli import main


def test_demo_compares_searches_at_an_equal_budget(capsys):
    assert main(["demo", "--n-trials", "4", "--seed", "1", "--strategy", "random,sobol"]) == 0
    out = capsys.readouterr().out
    assert "Loading hpo_core's compiled kernels" in out  # before the timed searches
    rows = re.findall(r"^(\S+)\s+([0-9.]+)\s+([0-9.]+)\s+(\d+)\s+([0-9.]+)$", out, re.M)
    names = [r[0] for r in rows]
    assert names == [
        "GridSearchCV",
        "RandomizedSearchCV",
        "SearchCV(random)",
        "SearchCV(sobol)",
    ]
    for _, cv, test, fits, _ in rows:
        assert 0.1 < float(cv) <= 1.0 and 0.1 < float(test) <= 1.0
        assert int(fits) == 4 * 3  # 4 candidates (a 2 x 2 grid), 3 folds each


def test_bad_arguments_exit_with_usage():
    with pytest.raises(SystemExit) as err:
        main(["demo", "--n-trials", "0"])
    assert err.value.code == 2
    with pytest.raises(SystemExit):
        main(["demo", "--strategy", "nope"])
    with pytest.raises(SystemExit):
        main(["demo", "--strategy", ","])  # no name at all


def test_module_entry_point():
    out = subprocess.run(
        [sys.executable, "-m", "hpo_core", "--help"], capture_output=True, text=True, check=True
    ).stdout
    assert "demo" in out
