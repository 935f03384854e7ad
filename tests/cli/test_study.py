from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

OBJECTIVE = """
def branin(p):
    import math
    x, y = p["x"], p["y"]
    return (y - 5.1 / (4 * math.pi ** 2) * x ** 2 + 5 / math.pi * x - 6) ** 2 + 10 * (1 - 1 / (8 * math.pi)) * math.cos(x) + 10 + (p["kind"] == "b")
"""

CONFIG = """
objective = "objectives:branin"
strategy = "sobol"
n_trials = {n}
seed = 0
storage = "sqlite:///study.db"
study = "branin"

[space]
x = {{ type = "real", low = -5.0, high = 10.0 }}
y = {{ type = "real", low = 0.0, high = 15.0 }}
kind = ["a", "b"]
"""


def cli(*args, cwd):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "hpo_core", *args], cwd=cwd, capture_output=True, text=True, env=env
    )


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    d = tmp_path_factory.mktemp("cli")
    (d / "objectives.py").write_text(textwrap.dedent(OBJECTIVE))
    (d / "study.toml").write_text(CONFIG.format(n=12))
    r = cli("run", "study.toml", "--no-progress", cwd=d)
    assert r.returncode == 0, r.stderr
    assert "best of 12 trials" in r.stdout
    return d


def test_run_resumes(study, tmp_path):
    (study / "more.toml").write_text(CONFIG.format(n=16))
    r = cli("run", "more.toml", "--no-progress", cwd=study)
    assert r.returncode == 0, r.stderr
    assert "resuming study 'branin': 12 trials recorded of 16; running 4 more" in r.stdout
    assert "best of 16 trials" in r.stdout
    r = cli("run", "more.toml", "--no-progress", cwd=study)  # nothing left to do
    assert r.returncode == 0, r.stderr
    assert "16 of 16 trials done; nothing to run; raise n_trials to continue" in r.stdout
    assert "best of 16 trials" in r.stdout and "trial/s" not in r.stdout + r.stderr


INTERRUPTED = """
def slow(p):
    import time
    time.sleep(0.05 if p["x"] < 9.9 else 0)
    if p["x"] > 0 and __import__("os").path.exists("stop"):
        raise KeyboardInterrupt
    return p["x"]
"""


def test_ctrl_c_says_the_trials_are_saved_and_how_to_resume(tmp_path):
    (tmp_path / "slow_objectives.py").write_text(textwrap.dedent(INTERRUPTED))
    config = CONFIG.format(n=30).replace("objectives:branin", "slow_objectives:slow")
    (tmp_path / "study.toml").write_text(config)
    (tmp_path / "stop").touch()  # the first trial with x > 0 is interrupted
    r = cli("run", "study.toml", "--no-progress", cwd=tmp_path)
    assert r.returncode == 130
    assert "Traceback" not in r.stderr
    assert "trials are saved; run the same command again to resume" in r.stderr
    (tmp_path / "stop").unlink()
    r = cli("run", "study.toml", "--no-progress", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "resuming study 'branin'" in r.stdout and "best of 30 trials" in r.stdout


def test_out_in_a_missing_folder_is_refused_before_any_work(study):
    for command in (["plot", "--kind", "slice"], ["export", "--format", "csv"]):
        r = cli(*command[:1], "study.db", *command[1:], "--out", "nodir/x.out", cwd=study)
        assert r.returncode == 2
        assert "--out 'nodir/x.out': no such folder" in r.stderr and "failed" not in r.stderr


def test_out_that_is_a_folder_or_no_figure_format_is_refused_before_any_work(study):
    (study / "figs").mkdir(exist_ok=True)
    for command in (["plot", "--kind", "slice"], ["export", "--format", "csv"]):
        r = cli(*command[:1], "study.db", *command[1:], "--out", "figs", cwd=study)
        assert r.returncode == 2, r.stderr
        assert "--out 'figs' is a folder" in r.stderr and "failed" not in r.stderr
    r = cli("plot", "missing.db", "--kind", "slice", "--out", "fig.txt", cwd=study)
    assert r.returncode == 2 and "--out 'fig.txt': no figure format 'txt'" in r.stderr
    assert ".png" in r.stderr and not (study / "fig.txt").exists()


def test_plot_out_without_a_suffix_writes_a_png_and_says_where(study):
    r = cli("plot", "study.db", "--kind", "convergence", "--out", "fig", cwd=study)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "wrote fig.png" and not (study / "fig").exists()
    assert (study / "fig.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    r = cli("plot", "study.db", "--kind", "convergence", "--out", "fig.svg", cwd=study)
    assert r.returncode == 0 and r.stdout.strip() == "wrote fig.svg"
    assert (study / "fig.svg").read_text().lstrip().startswith("<?xml")


def test_show_best_export(study):
    r = cli("show", "study.db", cwd=study)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].split() == ["id", "state", "value", "x", "y", "kind"]
    assert "complete" in r.stdout and "best: trial" in r.stdout
    best = json.loads(cli("best", "sqlite:///study.db", "--study", "branin", cwd=study).stdout)
    rows = list(
        csv.DictReader(io.StringIO(cli("export", "study.db", "--format", "csv", cwd=study).stdout))
    )
    assert min(float(r["value"]) for r in rows) == best["value"]
    assert set(best["params"]) == {"x", "y", "kind"}
    r = cli("export", "study.db", "--format", "json", "--out", "s.json", cwd=study)
    assert (
        r.returncode == 0 and json.loads((study / "s.json").read_text())["direction"] == "minimize"
    )


@pytest.mark.parametrize("kind", ["convergence", "importance", "parallel", "slice"])
def test_plot_writes_png(study, kind):
    r = cli("plot", "study.db", "--kind", kind, "--out", f"{kind}.png", cwd=study)
    assert r.returncode == 0, r.stderr
    assert (study / f"{kind}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_importance_method_is_chosen_on_the_command_line(study):
    images = {}
    for method in ("forest", "gp"):
        out = f"importance-{method}.png"
        r = cli(
            "plot", "study.db", "--kind", "importance", "--method", method, "--out", out, cwd=study
        )
        assert r.returncode == 0, r.stderr
        images[method] = (study / out).read_bytes()
    assert images["forest"] != images["gp"]
    r = cli(
        "plot", "study.db", "--kind", "importance", "--method", "rf", "--out", "x.png", cwd=study
    )
    assert r.returncode == 2 and "invalid choice: 'rf'" in r.stderr


def test_contour_plot_needs_two_numeric_parameters(study):
    r = cli("plot", "study.db", "--kind", "contour", "--params", "x,y", "--out", "c.png", cwd=study)
    assert r.returncode == 0, r.stderr
    assert (study / "c.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    r = cli("plot", "study.db", "--kind", "contour", "--out", "c.png", cwd=study)
    assert r.returncode == 2 and "--params X,Y" in r.stderr
    r = cli(
        "plot", "study.db", "--kind", "contour", "--params", "x,kind", "--out", "c.png", cwd=study
    )
    assert r.returncode == 2 and "'kind' is categorical" in r.stderr


@pytest.mark.parametrize(
    "text, message",
    [
        (
            'objective = "objectives:branin"\nn_trial = 3\n[space]\nx = [1, 2]\n',
            "bad.toml:2: n_trial: unknown key",
        ),
        (
            'objective = "objectives:branin"\nn_trials = "3"\n[space]\nx = [1, 2]\n',
            "bad.toml:2: n_trials: must be a int",
        ),
        (
            'objective = "objectives:branin"\nn_trials = 3\n[space]\nx = { type = "real", low = 2.0, high = 1.0 }\n',
            "bad.toml:4: space.x: Real needs low < high",
        ),
        (
            'objective = "objectives:nothere"\nn_trials = 3\n[space]\nx = [1, 2]\n',
            "bad.toml:1: objective: module 'objectives' has no 'nothere'",
        ),
        ("n_trials = 3\n[space]\nx = [1, 2]\n", "the key 'objective' is required"),
        (
            'objective = "objectives:branin"\nn_trials = 3\nstrategy = "magic"\n[space]\nx = [1, 2]\n',
            "bad.toml:3: strategy: must be one of",
        ),
        ("objective = [\n", "not valid TOML"),
    ],
)
def test_bad_configs_exit_2_naming_key_and_line(study, text, message):
    (study / "bad.toml").write_text(text)
    r = cli("run", "bad.toml", cwd=study)
    assert r.returncode == 2
    assert message in r.stderr


def test_bad_storage_and_study(study):
    r = cli("show", "missing.db", cwd=study)
    assert r.returncode == 2 and "no such storage file" in r.stderr
    r = cli("best", "study.db", "--study", "nope", cwd=study)
    assert r.returncode == 2 and "no study 'nope'" in r.stderr
    r = cli("plot", "study.db", "--kind", "pie", "--out", "x.png", cwd=study)
    assert r.returncode == 2 and "invalid choice" in r.stderr


def test_failed_run_exits_1(tmp_path):
    (tmp_path / "objectives.py").write_text("def boom(p):\n    raise RuntimeError('no GPU')\n")
    (tmp_path / "c.toml").write_text(
        'objective = "objectives:boom"\nn_trials = 2\n[space]\nx = [1, 2]\n'
    )
    r = cli("run", "c.toml", "--no-progress", cwd=tmp_path)
    assert r.returncode == 1 and "no complete trial" in r.stderr and "no GPU" in r.stderr


def test_help_for_each_command(tmp_path):
    for cmd in ("run", "show", "best", "plot", "export", "demo"):
        r = cli(cmd, "--help", cwd=tmp_path)
        assert r.returncode == 0 and "exit codes" in r.stdout


def _stored_study(path, limit=0.5, **kwargs):
    from hpo_core import Optimizer

    opt = Optimizer({"x": (0.0, 1.0)}, storage=f"sqlite:///{path}", study="s", seed=0, **kwargs)
    for _ in range(6):
        t = opt.ask()
        x = t.params["x"]
        if "constraints" in kwargs:
            opt.tell(t, x, constraints=[limit - x])  # feasible when x >= limit
        else:
            opt.tell(t, [x, (x - 1.0) ** 2])
    return opt


def test_a_study_with_two_objectives_in_the_shell(tmp_path):
    opt = _stored_study(tmp_path / "mo.db", direction=["minimize", "minimize"])
    front = sorted(t.id for t in opt.pareto_front)
    r = cli("show", "mo.db", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "values" in r.stdout.splitlines()[0]
    assert f"Pareto front (minimize, minimize): trials {front}" in r.stdout
    r = cli("best", "mo.db", cwd=tmp_path)
    assert sorted(t["id"] for t in json.loads(r.stdout)) == front
    r = cli("export", "mo.db", "--format", "csv", cwd=tmp_path)
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert float(rows[0]["value_1"]) == opt.trials[0].values[1]


PNG = b"\x89PNG\r\n\x1a\n"


def test_plots_of_a_study_with_two_objectives(tmp_path):
    _stored_study(tmp_path / "mo.db", direction=["minimize", "maximize"])
    r = cli("plot", "mo.db", "--kind", "convergence", "--out", "c.png", cwd=tmp_path)
    assert r.returncode == 2 and not (tmp_path / "c.png").exists()
    assert "this study has 2 objectives: pass --target K" in r.stderr and "0..1" in r.stderr
    images = []
    for args in (
        ["--kind", "pareto"],
        ["--kind", "hypervolume"],
        ["--kind", "hypervolume", "--reference", "1.5,-2"],
        ["--kind", "convergence", "--target", "0"],
        ["--kind", "convergence", "--target", "1"],
        ["--kind", "slice", "--target", "1"],
    ):
        out = f"{len(images)}.png"
        r = cli("plot", "mo.db", *args, "--out", out, cwd=tmp_path)
        assert r.returncode == 0, (args, r.stderr)
        images.append((tmp_path / out).read_bytes())
        assert images[-1][:8] == PNG
    assert len(set(images)) == len(images)  # the reference and the target change the figure
    for args, message in (
        (["--kind", "convergence", "--target", "2"], "--target must be an objective index in 0..1"),
        (["--kind", "hypervolume", "--reference", "1,2,3"], "--reference needs 2 values"),
        (["--kind", "hypervolume", "--reference", "1,x"], "give comma-separated numbers"),
        (["--kind", "pareto", "--target", "0"], "leave out --target"),
        (["--kind", "slice", "--target", "0", "--reference", "1,1"], "--reference is for"),
    ):
        r = cli("plot", "mo.db", *args, "--out", "x.png", cwd=tmp_path)
        assert r.returncode == 2 and message in r.stderr, (args, r.stderr)


def test_pareto_and_hypervolume_need_several_objectives(study):
    for kind in ("pareto", "hypervolume"):
        r = cli("plot", "study.db", "--kind", kind, "--out", "x.png", cwd=study)
        assert r.returncode == 2
        assert f"--kind {kind} needs a study with several objectives" in r.stderr
    r = cli("plot", "study.db", "--kind", "slice", "--target", "0", "--out", "t.png", cwd=study)
    assert r.returncode == 0 and (study / "t.png").read_bytes()[:8] == PNG


def test_a_constrained_study_in_the_shell(tmp_path):
    opt = _stored_study(tmp_path / "c.db", constraints=True)
    r = cli("export", "c.db", "--format", "csv", cwd=tmp_path)
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert [float(row["constraint_0"]) for row in rows] == [t.constraints[0] for t in opt.trials]
    assert any(t.constraints[0] <= 0 for t in opt.trials)
    r = cli("show", "c.db", cwd=tmp_path)
    assert f"best: trial {opt.best.id}" in r.stdout
    assert opt.best.params["x"] >= 0.5  # the best feasible, not the smallest value
    _stored_study(tmp_path / "none.db", limit=2.0, constraints=True)  # nothing is feasible
    r = cli("show", "none.db", cwd=tmp_path)
    assert r.returncode == 0 and "no feasible trial yet" in r.stdout
