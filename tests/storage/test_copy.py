"""``hpo-core copy``: a study moved SQLite -> PostgreSQL -> SQLite comes back identical."""

from __future__ import annotations

import pytest

from hpo_core import Optimizer
from hpo_core.cli import main

SPACE = {"x": (0.0, 1.0), "k": ["a", "b", None], "n": (1, 9)}


def _rows(url: str) -> list[tuple]:
    """Every trial and queued row as stored, without the store's own ids and counters."""
    from tests.storage.test_contract import raw

    trials = raw(
        url,
        "SELECT number, x, params, state, value, intermediate, user_attrs, fail_reason, "
        "started_at, finished_at, vals, constraints FROM trials ORDER BY number",
    )
    queue = raw(url, "SELECT params, attrs FROM queue ORDER BY id")
    workers = raw(url, "SELECT name, space, direction, workers FROM studies")
    return [tuple(bytes(v) if isinstance(v, memoryview) else v for v in r) for r in trials] + [
        *queue,
        *workers,
    ]


def _study(url: str) -> Optimizer:
    opt = Optimizer(SPACE, seed=3, storage=url, study="laptop")
    for i in range(8):
        t = opt.ask()
        t.user_attrs["i"] = i
        t.report(0, float(i))
        state = ("complete", "failed", "pruned")[i % 3]
        opt.tell(t, t.params["x"] if state == "complete" else None, state=state)
    opt.ask().report(1, 0.5)  # one pending, with an intermediate value
    opt.enqueue({"x": 0.25, "k": None, "n": 4}, user_attrs={"why": "a guess"})
    return opt


def test_a_study_copied_to_postgres_and_back_is_identical(tmp_path, pg_url, capsys):
    laptop, back = f"sqlite:///{tmp_path / 'laptop.db'}", f"sqlite:///{tmp_path / 'back.db'}"
    original = _study(laptop)
    assert main(["copy", laptop, pg_url, "--study", "laptop"]) == 0
    assert "copied study 'laptop': 9 trials and 1 queued parameters" in capsys.readouterr().out
    assert main(["copy", pg_url, back]) == 0
    assert _rows(back) == _rows(laptop)
    assert _rows(pg_url) == _rows(laptop)
    cluster = Optimizer.load(pg_url, study="laptop", read_only=True)
    assert cluster.to_records() == original.to_records()
    assert cluster.trials[-1].intermediate == {1: 0.5} and cluster.trials[-1].state == "pending"
    resumed = [Optimizer(SPACE, seed=3, storage=u, study="laptop") for u in (laptop, pg_url)]
    first = [o.ask() for o in resumed]
    assert first[0].params == first[1].params == {"x": 0.25, "k": None, "n": 4}  # the queue
    assert resumed[0].ask().params == resumed[1].ask().params  # the same worker's stream


def test_copy_refuses_to_overwrite_and_names_the_studies(tmp_path, pg_url, capsys):
    laptop = f"sqlite:///{tmp_path / 'laptop.db'}"
    _study(laptop)
    Optimizer(SPACE, storage=laptop, study="other")
    assert main(["copy", laptop, pg_url]) == 2
    assert "name the study" in capsys.readouterr().err
    assert main(["copy", laptop, pg_url, "--study", "laptop"]) == 0
    before = _rows(pg_url)
    assert main(["copy", laptop, pg_url, "--study", "laptop"]) == 2
    assert "exists in" in capsys.readouterr().err
    assert _rows(pg_url) == before
    with pytest.raises(SystemExit):
        main(["copy", laptop])


def test_a_failed_copy_leaves_no_study_behind(tmp_path, store_url, monkeypatch, capsys):
    from hpo_core.storage.sql_study import SQLStudy
    from tests.storage.test_contract import raw

    laptop = f"sqlite:///{tmp_path / 'laptop.db'}"
    _study(laptop)

    def interrupted(self, rows, workers):
        raise RuntimeError("the disk is full")

    with monkeypatch.context() as patch:
        patch.setattr(SQLStudy, "copy_in", interrupted)
        assert main(["copy", laptop, store_url, "--study", "laptop"]) == 1
    assert "the disk is full" in capsys.readouterr().err
    assert raw(store_url, "SELECT name FROM studies") == []
    assert main(["copy", laptop, store_url, "--study", "laptop"]) == 0  # tried again
    assert _rows(store_url) == _rows(laptop)


def test_a_failure_reason_with_a_nul_character_is_copied_to_postgres(tmp_path, pg_url):
    laptop = f"sqlite:///{tmp_path / 'laptop.db'}"
    opt = Optimizer(SPACE, seed=3, storage=laptop, study="laptop")
    opt.tell(opt.ask(), exception=RuntimeError("output was 'a\x00b'"))
    assert main(["copy", laptop, pg_url]) == 0
    copied = Optimizer.load(pg_url, read_only=True).trials[0]
    assert copied.fail_reason == "RuntimeError: output was 'a\\0b'"
