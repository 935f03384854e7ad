"""``hpo-core dashboard``: refuses what it cannot serve before binding a port."""

from __future__ import annotations

import pytest

from hpo_core import Optimizer
from hpo_core.cli import main


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "s.db"
    opt = Optimizer({"x": (0.0, 1.0)}, storage=f"sqlite:///{path}", study="s1")
    opt.tell(opt.ask(), 0.5)
    return path


def test_an_unknown_study_is_refused_naming_the_studies(db, capsys):
    pytest.importorskip("waitress")
    assert main(["dashboard", str(db), "--study", "nope"]) == 2
    err = capsys.readouterr().err
    assert "no study 'nope'" in err and "['s1']" in err


def test_a_missing_storage_is_refused(tmp_path, capsys):
    pytest.importorskip("waitress")
    assert main(["dashboard", str(tmp_path / "none.db")]) == 2
    assert "no such storage file" in capsys.readouterr().err


@pytest.mark.parametrize("port", ["70000", "-1", "http"])
def test_a_bad_port_is_a_usage_error(db, port, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["dashboard", str(db), "--port", port])
    assert exc.value.code == 2
    assert "must be an integer in 0..65535" in capsys.readouterr().err


def test_a_port_in_use_is_refused(db, capsys):
    import socket

    pytest.importorskip("waitress")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["dashboard", str(db), "--port", str(port)]) == 2
    assert f"cannot serve on 127.0.0.1:{port}" in capsys.readouterr().err


def test_it_serves_the_studies_until_interrupted(db):
    import json
    import signal
    import subprocess
    import sys
    import urllib.request

    pytest.importorskip("waitress")
    pytest.importorskip("plotly")
    before = db.read_bytes()
    proc = subprocess.Popen(
        [sys.executable, "-m", "hpo_core", "dashboard", str(db), "--study", "s1", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline()
        assert line.startswith(f"hpo-core dashboard of {db} at http://127.0.0.1:"), line
        address = line.split(" at ")[1].split("#")[0]
        assert line.split(" ")[-3].endswith("#study=s1")
        with urllib.request.urlopen(address + "api/studies", timeout=10) as response:
            studies = json.load(response)
        assert [s["name"] for s in studies] == ["s1"] and studies[0]["n_trials"] == 1
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err
    assert db.read_bytes() == before
