from __future__ import annotations

import re
import subprocess
import sys

import pytest

from hpo_core.cli import main


def test_demo_runs_a_real_search(capsys):
    assert main(["demo", "--n-trials", "4", "--seed", "1"]) == 0
    out = capsys.readouterr().out
    assert "best of 4 trials (0 failed)" in out
    cv = float(re.search(r"^\s+CV accuracy\s+([0-9.]+)", out, re.M).group(1))
    test = float(re.search(r"^\s+test accuracy\s+([0-9.]+)", out, re.M).group(1))
    assert 0.1 < cv <= 1.0 and 0.1 < test <= 1.0


def test_bad_arguments_exit_with_usage():
    with pytest.raises(SystemExit) as err:
        main(["demo", "--n-trials", "0"])
    assert err.value.code == 2
    with pytest.raises(SystemExit):
        main(["demo", "--strategy", "nope"])


def test_module_entry_point():
    out = subprocess.run(
        [sys.executable, "-m", "hpo_core", "--help"], capture_output=True, text=True, check=True
    ).stdout
    assert "demo" in out
