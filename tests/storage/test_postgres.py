"""What only a database server does: lost connections, restarts, URLs, an empty database."""

from __future__ import annotations

import time

import pytest

from hpo_core import Optimizer
from hpo_core.storage import ConnectionLost, PostgresStorage, StorageError

SPACE = {"x": (0.0, 1.0), "k": ["a", "b"]}


def _told(opt: Optimizer, n: int) -> None:
    for _ in range(n):
        t = opt.ask()
        opt.tell(t, t.params["x"])


def _kill_connections(url: str) -> int:
    import psycopg

    with psycopg.connect(url, autocommit=True) as con:
        rows = con.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE application_name='hpo_core' AND datname=current_database()"
        ).fetchall()
    return len(rows)


def test_a_lost_connection_is_reconnected_and_nothing_told_is_lost(pg_url):
    opt = Optimizer(SPACE, seed=0, storage=pg_url, study="s")
    _told(opt, 3)
    pending = opt.ask()
    assert _kill_connections(pg_url) >= 1
    opt.tell(pending, 0.5)  # a step begun on a lost connection starts again on a new one
    _told(opt, 2)
    trials = Optimizer.load(pg_url, read_only=True).trials
    assert [t.state for t in trials] == ["complete"] * 6
    assert trials[3].value == 0.5


def test_a_connection_lost_inside_a_step_rolls_it_back_and_says_so(pg_url):
    storage = PostgresStorage(pg_url)
    study = storage.open_study("s", "space", "minimize", codec=None)  # no trials: no codec
    with pytest.raises(ConnectionLost, match="nothing of it was recorded"):
        with study.transaction():
            storage.execute("SELECT 1")  # the step has begun (its first round trip)
            _kill_connections(pg_url)  # and goes on writing on the dead connection
            storage.execute("UPDATE studies SET seq = seq + 1 WHERE id=?", (study.sid,))
    seqs = PostgresStorage(pg_url, read_only=True).execute("SELECT seq FROM studies").fetchall()
    assert seqs == [(0,)]
    with study.transaction():  # the storage reconnects for the next step
        storage.execute("UPDATE studies SET seq = seq + 1 WHERE id=?", (study.sid,))


def test_the_optimizer_steps_through_a_server_restart(pg_server, pg_url):
    opt = Optimizer(SPACE, seed=0, storage=pg_url, study="s")
    _told(opt, 3)
    t = opt.ask()
    pg_server.restart()
    opt.tell(t, 0.25)
    _told(opt, 2)
    trials = Optimizer.load(pg_url, read_only=True).trials
    assert len(trials) == 6 and all(t.state == "complete" for t in trials)


def test_an_unreachable_server_is_a_storage_error_after_the_timeout(tmp_path):
    pytest.importorskip("psycopg", reason="the postgres extra is not installed")
    url = f"postgresql://nobody@/db?host={tmp_path}"  # no server listens on this socket folder
    with pytest.raises(StorageError, match=r"cannot reach the PostgreSQL server .* 0.3 s"):
        PostgresStorage(url, timeout=0.3)


def test_a_refused_login_or_unknown_host_is_not_retried(pg_url):
    url = pg_url.replace("/t", "/no_such_database_", 1)
    start = time.monotonic()
    with pytest.raises(StorageError, match="does not exist"):
        PostgresStorage(url, timeout=30)
    with pytest.raises(StorageError, match="resolve host"):
        PostgresStorage("postgresql://u@no-such-host.invalid/db", timeout=30)
    assert time.monotonic() - start < 10


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("sslmode=requir", 'invalid sslmode value: "requir"'),
        ("port=abc", 'invalid integer value "abc" for connection option "port"'),
        ("no_such_option=1", 'invalid URI query parameter: "no_such_option"'),
    ],
)
def test_a_url_parameter_libpq_refuses_is_not_retried(pg_url, query, message):
    start = time.monotonic()
    with pytest.raises(StorageError, match=message) as err:
        PostgresStorage(f"{pg_url}&{query}", timeout=30)
    assert "cannot reach" not in str(err.value) and query in str(err.value)  # the URL is named
    assert time.monotonic() - start < 10


def test_read_only_on_an_empty_database_creates_nothing(pg_url):
    with pytest.raises(StorageError, match="holds no hpo_core studies"):
        Optimizer.load(pg_url, read_only=True)
    import psycopg

    with psycopg.connect(pg_url) as con:
        schemas = con.execute("SELECT 1 FROM pg_namespace WHERE nspname='hpo_core'").fetchall()
    assert schemas == []


def test_the_password_never_shows_in_messages(pg_url):
    url = pg_url.replace("hpo@", "hpo:secret@", 1).replace("/t", "/no_such_database_", 1)
    with pytest.raises(StorageError) as err:
        PostgresStorage(url)
    assert "secret" not in str(err.value) and "hpo:***@" in str(err.value)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"url": "mysql://h/db"}, "url must begin with postgresql://"),
        ({"url": "postgresql://h/db", "timeout": 0}, "timeout must be a number of seconds > 0"),
        ({"url": "postgresql://h/db", "read_only": "yes"}, "read_only must be True or False"),
    ],
)
def test_bad_arguments_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        PostgresStorage(**kwargs)


def test_the_command_line_runs_resumes_and_shows_a_postgres_study(pg_url, tmp_path, capsys):
    import sys

    from hpo_core.cli import main

    (tmp_path / "pg_objectives.py").write_text("def square(p):\n    return p['x'] ** 2\n")
    config = tmp_path / "study.toml"
    config.write_text(
        f'objective = "pg_objectives:square"\nn_trials = 4\nstorage = "{pg_url}"\n'
        'study = "cli"\n[space]\nx = { type = "real", low = -1.0, high = 1.0 }\n'
    )
    try:
        assert main(["run", str(config), "--no-progress"]) == 0
        config.write_text(config.read_text().replace("n_trials = 4", "n_trials = 6"))
        assert main(["run", str(config), "--no-progress"]) == 0
    finally:
        sys.modules.pop("pg_objectives", None)
        sys.path[:] = [p for p in sys.path if p != str(tmp_path)]
    assert "resuming study 'cli': 4 trials recorded" in capsys.readouterr().out
    assert main(["show", pg_url, "--study", "cli"]) == 0
    assert "6 trials: 6 complete" in capsys.readouterr().out
    assert len(Optimizer.load(pg_url, study="cli", read_only=True).trials) == 6


def test_heartbeats_are_judged_on_the_servers_clock(pg_url, monkeypatch):
    import psycopg

    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() - 3600.0)  # this machine is an hour behind
    study = PostgresStorage(pg_url).open_study("s", "space", "minimize", codec=None)
    with psycopg.connect(pg_url) as con:
        server = float(con.execute("SELECT extract(epoch FROM clock_timestamp())").fetchone()[0])
    assert abs(study.now() - server) < 1.0


def test_a_database_of_an_earlier_version_gains_the_ask_function_and_keeps_its_trials(pg_url):
    import psycopg

    from hpo_core.storage.pg_study import ASK_FUNCTION

    def has_function() -> bool:
        with psycopg.connect(pg_url) as con:
            return con.execute("SELECT to_regprocedure(%s)", (ASK_FUNCTION,)).fetchone()[0]

    _told(Optimizer(SPACE, seed=0, storage=pg_url, study="s"), 3)
    assert has_function()
    with psycopg.connect(pg_url) as con:  # the database as an earlier hpo_core left it
        con.execute(f"DROP FUNCTION {ASK_FUNCTION}")
    assert len(Optimizer.load(pg_url, read_only=True).trials) == 3
    assert not has_function()  # reading changes nothing
    opt = Optimizer(SPACE, seed=1, storage=pg_url, study="s")
    assert has_function()
    _told(opt, 2)
    trials = Optimizer.load(pg_url, read_only=True).trials
    assert [t.id for t in trials] == [0, 1, 2, 3, 4]
    assert all(t.state == "complete" for t in trials)


def test_a_refused_statement_is_a_storage_error_and_the_storage_goes_on(pg_url):
    storage = PostgresStorage(pg_url)
    study = storage.open_study("s", "space", "minimize", codec=None)
    with pytest.raises(StorageError, match="refused a statement.*division by zero"):
        storage.execute("SELECT 1/0")
    with pytest.raises(StorageError, match="refused a statement.*division by zero"):
        with study.transaction():
            storage.execute("UPDATE studies SET seq = seq + 1 WHERE id=?", (study.sid,))
            storage.execute("SELECT 1/0")
    assert storage.execute("SELECT seq FROM studies").fetchall() == [(0,)]  # rolled back
    with study.transaction():
        storage.execute("UPDATE studies SET seq = seq + 1 WHERE id=?", (study.sid,))
    assert storage.execute("SELECT seq FROM studies").fetchall() == [(2,)]


def test_random_workers_on_a_discrete_space_do_not_repeat_each_other(pg_url):
    # random search reads the history of a discrete space (to pass over points tried), so it
    # is asked after catching up with the other workers, not on its own
    space = {"a": [0, 1, 2, 3], "b": ["x", "y"]}
    workers = [
        Optimizer(space, strategy="random", seed=0, storage=pg_url, study="d") for _ in range(2)
    ]
    for _ in range(4):
        for w in workers:
            t = w.ask()
            w.tell(t, float(t.params["a"]))
    trials = Optimizer.load(pg_url, study="d", read_only=True).trials
    assert len({(t.params["a"], t.params["b"]) for t in trials}) == 8
