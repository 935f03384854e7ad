"""The several-objective Bayesian optimisation benchmark: its problems and its records."""

from __future__ import annotations

import math

import numpy as np
import pytest

from benchmarks.ehvi import PROBLEMS, bnh, branin_currin, main, run_one, table


def test_problems_have_their_known_values():
    # Branin's minimum at x = (pi, 2.275), scaled to the unit square
    f, _ = branin_currin(np.array([(math.pi + 5) / 15, 2.275 / 15]))
    assert f[0] == pytest.approx(0.397887, abs=1e-6)
    # BNH: the origin is feasible on the first constraint's boundary, (0, 3) violates it
    (f1, f2), (c1, c2) = bnh(np.array([0.0, 0.0]))
    assert (f1, f2) == (0.0, 50.0) and c1 == 0.0 and c2 < 0
    assert bnh(np.array([0.0, 1.0]))[1][0] == pytest.approx(9.0)
    for f, d, ref in PROBLEMS.values():
        values, _ = f(np.full(d, 0.5))
        assert len(values) == len(ref)


def test_a_run_records_the_hypervolume_at_each_budget():
    rec = run_one("random", "bnh", 0, 12, [6, 12])
    assert rec["lib"] == "random" and rec["trials"] == 12
    assert 0 <= rec["hv"]["6"] <= rec["hv"]["12"]
    assert "| random | 1 |" in table([rec], [6, 12], ["random"])


def test_records_are_kept_and_not_run_again(tmp_path, capsys):
    args = ["--libs", "random", "--problems", "zdt1-4d", "--seeds", "1", "--trials", "8"]
    assert main([*args, "--at", "4,8", "--out", str(tmp_path)]) == 0
    assert main([*args, "--at", "4,8", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "1 runs to do, 0 already" in out and "0 runs to do, 1 already" in out
    assert len((tmp_path / "ehvi.jsonl").read_text().splitlines()) == 1
    with pytest.raises(SystemExit):
        main(["--libs", "nope", "--out", str(tmp_path)])
