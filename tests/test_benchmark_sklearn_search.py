"""The scikit-learn benchmark writes its table (a small run; the real one is run by hand)."""

from __future__ import annotations

import json

import pytest

from benchmarks import sklearn_search


def test_table_has_a_row_per_method_and_a_verdict():
    runs = [{"cv": 0.9, "test": 0.8, "wall": 1.0, "overhead": 0.02, "candidates": 30}]
    better = [{"cv": 0.95, "test": 0.8, "wall": 1.0, "overhead": 0.02, "candidates": 30}]
    results = {"t": {"SearchCV(random) @ 30": better, "RandomizedSearchCV @ 60": runs}}
    text = sklearn_search.table(results, "random", seeds=1)
    assert "| SearchCV(random) @ 30 | 0.9500 [0.9500, 0.9500]" in text
    assert "| RandomizedSearchCV @ 60 | 0.9000" in text
    assert "matches or beats RandomizedSearchCV @ 60" in text


def test_skopt_space_conversion():
    pytest.importorskip("skopt")
    space = sklearn_search._skopt_space(sklearn_search.TASKS["pipeline-digits"]()["skopt"])
    assert space["svc__C"].prior == "log-uniform"
    assert list(space["svc__kernel"].categories) == ["rbf", "poly", "sigmoid"]
    assert (space["pca__n_components"].low, space["pca__n_components"].high) == (5, 63)


@pytest.mark.slow
def test_quick_run_writes_the_table(tmp_path):
    sklearn_search.main(
        [
            "--quick",
            "--seeds",
            "1",
            "--strategy",
            "random",
            "--tasks",
            "svc-digits",
            "--no-skopt",
            "--out",
            str(tmp_path),
        ]
    )
    text = (tmp_path / "sklearn_search.md").read_text()
    assert "## svc-digits" in text and "SearchCV(coarse-to-fine) @ 8" in text
    results = json.loads((tmp_path / "sklearn_search.json").read_text())
    assert len(results["svc-digits"]) == 4
