"""``hpo-core run``: configuration faults exit 2 with a message naming the key or the file."""

from __future__ import annotations

import sys
import time

import pytest

from hpo_core.cli import main

HEAD = 'objective = "run_objectives:square"\n'
SPACE = '[space]\nx = { type = "real", low = -1.0, high = 1.0 }\n'


@pytest.fixture
def folder(tmp_path, monkeypatch):
    """A config folder with an objective module; sys.path and sys.modules restored after."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))
    (tmp_path / "run_objectives.py").write_text(
        "def square(p):\n    return p['x'] ** 2\n\n"
        "def reporting(trial):\n    return trial.params['x'] ** 2\n"
    )
    (tmp_path / "broken_objectives.py").write_text("def square(p):\n    return p['x'] **\n")
    yield tmp_path
    for name in ("run_objectives", "broken_objectives"):
        sys.modules.pop(name, None)


def run(folder, text, capsys):
    path = folder / "c.toml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    code = main(["run", str(path), "--no-progress"])
    return code, capsys.readouterr()


@pytest.mark.parametrize(
    "text, message",
    [
        (HEAD + "n_trials = -1\n" + SPACE, "c.toml:2: n_trials: must be an integer >= 1, got -1"),
        (HEAD + "n_trials = 0\n" + SPACE, "c.toml:2: n_trials: must be an integer >= 1, got 0"),
        (HEAD + "timeout = 0\n" + SPACE, "c.toml:2: timeout: must be a number of seconds > 0"),
        (HEAD + "timeout = nan\n" + SPACE, "c.toml:2: timeout: must be a number of seconds > 0"),
        (
            HEAD + "n_trials = 2\nn_jobs = 0\n" + SPACE,
            "c.toml:3: n_jobs: must be an integer >= 1, got 0",
        ),
        (HEAD + "n_trials = 2\nseed = -3\n" + SPACE, "c.toml:3: seed: must be an integer >= 0"),
        (
            HEAD + 'n_trials = 2\nstorage = ""\n' + SPACE,
            "c.toml:3: storage: must name a database file",
        ),
        (
            HEAD + 'n_trials = 2\nstorage = "sqlite:///"\n' + SPACE,
            "c.toml:3: storage: must name a database file",
        ),
        (
            b'objective = "run_objectives:square"\nn_trials = 2\n# caf\xe9\n' + SPACE.encode(),
            "c.toml: not UTF-8 text",
        ),
        (
            'objective = "broken_objectives:square"\nn_trials = 2\n' + SPACE,
            "broken_objectives.py:2: SyntaxError: invalid syntax",
        ),
        (
            HEAD + 'n_trials = 2\n[space]\nx = ["a", "b"]\n'
            'y = { type = "real", low = 0.0, high = 1.0, when = "x" }\n',
            "c.toml:5: space.y: when must be a non-empty dict of parent name",
        ),
        (
            HEAD + 'n_trials = 2\n[space]\nact = { type = "categorical", choices = "relu" }\n',
            "c.toml:4: space.act: parameter 'act': choices must be a list, got 'relu'",
        ),
        (
            HEAD + 'n_trials = 2\nstorage = "mysql://host/db"\n' + SPACE,
            "c.toml:3: storage: 'mysql://host/db' has an unknown scheme 'mysql://'; give "
            "'sqlite:///study.db', a file path, 'postgresql://user:pw@host:5432/db' or 'memory'",
        ),
        (
            HEAD + 'n_trials = 2\nstorage = "sqlite://study.db"\n' + SPACE,
            "c.toml:3: storage: 'sqlite://study.db' is no SQLite URL: give three slashes",
        ),
        (
            'objective = "run_objectives:reporting"\nn_trials = 2\nn_jobs = 2\n' + SPACE,
            "c.toml:3: n_jobs: 'run_objectives:reporting' takes a trial (to report and prune), "
            "so it runs in this process only: set n_jobs = 1",
        ),
    ],
)
def test_configuration_faults_exit_2_naming_key_or_file(folder, capsys, text, message):
    code, out = run(folder, text, capsys)
    assert code == 2, out.err
    assert message in out.err
    assert [p.name for p in folder.iterdir() if p.suffix not in {".py", ".toml"}] == []


def test_storage_memory_keeps_the_study_in_memory(folder, capsys):
    code, out = run(folder, HEAD + 'n_trials = 3\nstorage = "memory"\n' + SPACE, capsys)
    assert code == 0, out.err
    assert "best of 3 trials" in out.out
    assert not (folder / "memory").exists()


@pytest.mark.parametrize(
    "strategy",
    [
        'strategy = { name = "tpe", n_startup_trials = 4 }\n',
        '[strategy]\nname = "tpe"\nn_startup_trials = 4\n',  # a table of its own, after the keys
    ],
)
def test_strategy_options_in_a_table(folder, capsys, strategy):
    text = HEAD + "n_trials = 6\nseed = 0\n"
    text = text + strategy + SPACE if strategy.startswith("strategy") else text + SPACE + strategy
    code, out = run(folder, text, capsys)
    assert code == 0, out.err
    assert "best of 6 trials" in out.out


@pytest.mark.parametrize(
    "strategy, message",
    [
        (
            'strategy = { name = "tpe", n_start = 4 }\n',
            "c.toml:2: strategy.n_start: not an option of 'tpe'; its options are [",
        ),
        ("strategy = { n_startup_trials = 4 }\n", "c.toml:2: strategy.name: must be one of ["),
        ('strategy = "nope"\n', "c.toml:2: strategy: must be one of ["),
        (
            'strategy = { name = "tpe", n_startup_trials = -1 }\n',
            "c.toml:2: strategy: n_startup_trials must be",
        ),
    ],
)
def test_strategy_faults_name_the_key(folder, capsys, strategy, message):
    code, out = run(folder, HEAD + strategy + "n_trials = 3\n" + SPACE, capsys)
    assert code == 2
    assert message in out.err


#: an objective during which another run of the same file records a trial of the study
_SHARED = """
from pathlib import Path

from hpo_core import Optimizer, Real

other = None


def square(p):
    global other
    if other is None:
        db = Path(__file__).parent / "s.db"
        other = Optimizer({"x": Real(-1.0, 1.0)}, seed=1, storage=f"sqlite:///{db}")
    t = other.ask()
    other.tell(t, 0.5)
    return p["x"] ** 2
"""


def test_runs_of_one_file_at_once_stop_at_the_studys_total(folder, capsys):
    (folder / "shared_objectives.py").write_text(_SHARED)
    text = 'objective = "shared_objectives:square"\nn_trials = 6\nstorage = "sqlite:///s.db"\n'
    try:
        code, out = run(folder, text + SPACE, capsys)
    finally:
        sys.modules.pop("shared_objectives", None)
    assert code == 0, out.err
    assert "best of 6 trials" in out.out  # 3 of this run's, 3 of the other's


def test_heartbeat_timeout_fails_a_dead_runs_trial(folder, capsys):
    from hpo_core import Optimizer, Real

    db = f"sqlite:///{folder / 's.db'}"
    Optimizer({"x": Real(-1.0, 1.0)}, storage=db, study="default").ask()  # a run killed
    time.sleep(0.6)
    text = HEAD + 'n_trials = 4\nstorage = "sqlite:///s.db"\nheartbeat_timeout = 0.5\n'
    code, out = run(folder, text + SPACE, capsys)
    assert code == 0, out.err
    trials = Optimizer.load(db, read_only=True).trials
    assert len(trials) == 4 and trials[0].state == "failed"  # and its parameters tried again
    assert trials[1].user_attrs == {"retry_of": 0} and trials[1].params == trials[0].params
    code, out = run(folder, HEAD + "n_trials = 4\nheartbeat_timeout = 5\n" + SPACE, capsys)
    assert code == 2
    assert "c.toml:3: heartbeat_timeout: needs a storage shared by runs" in out.err
