"""The dashboard's JSON endpoints, called as a WSGI application (no server, no browser)."""

from __future__ import annotations

import hashlib
import io
import json
import os
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from hpo_core import Optimizer

from .conftest import require_extra

require_extra()

from hpo_core.dashboard import Dashboard, UnknownStudy, make_app, plotly_js  # noqa: E402
from hpo_core.plots import hypervolume_so_far  # noqa: E402


def call(app: Any, path: str, query: str = "", method: str = "GET") -> tuple[str, dict, bytes]:
    got: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        got["status"], got["headers"] = status, dict(headers)

    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "wsgi.input": io.BytesIO(),
    }
    body = b"".join(app(environ, start_response))
    assert got["headers"]["Content-Length"] == str(len(body))
    return got["status"], got["headers"], body


def get_json(app: Any, path: str, query: str = "", status: str = "200 OK") -> Any:
    got, headers, body = call(app, path, query)
    assert got == status, body
    assert headers["Content-Type"] == "application/json"
    return json.loads(body)


@pytest.fixture
def app(store: Path) -> Any:
    dash = Dashboard(str(store))
    yield make_app(dash)
    dash.close()


def test_the_list_of_studies_counts_trials_by_state_and_names_the_best(app, store):
    studies = {s["name"]: s for s in get_json(app, "/api/studies")}
    assert sorted(studies) == ["single", "two"]
    single = studies["single"]
    assert single["directions"] == ["minimize"]
    assert single["states"] == {"complete": 28, "pending": 0, "pruned": 1, "failed": 1}
    opt = Optimizer.load(store, "single", read_only=True)
    assert single["best"] == {"number": opt.best.id, "value": opt.best.value}
    assert studies["two"]["best"] is None and studies["two"]["n_trials"] == 30


def test_a_study_describes_its_parameters(app):
    meta = get_json(app, "/api/study", "study=single")
    assert meta["directions"] == ["minimize"]
    by_name = {p["name"]: p for p in meta["params"]}
    assert by_name["lr"]["log"] is True and by_name["lr"]["low"] == 1e-4
    assert by_name["kind"]["choices"] == ["a", "b", "c"]


def test_a_parameter_of_sub_spaces_has_the_choices_and_bounds_of_each(tmp_path):
    from hpo_core import Real

    path = tmp_path / "sub.db"
    space = [
        {"kind": ["a", "c"], "x": Real(0.0, 1.0)},
        {"kind": ["b", "c"], "x": Real(10.0, 20.0)},
    ]
    opt = Optimizer(space, storage=f"sqlite:///{path}", study="sub", seed=0)
    opt.optimize(lambda p: p["x"], n_trials=6)
    dash = Dashboard(str(path))
    try:
        meta = get_json(make_app(dash), "/api/study", "study=sub")
    finally:
        dash.close()
    by_name = {p["name"]: p for p in meta["params"]}
    assert by_name["kind"]["choices"] == ["a", "c", "b"]  # where the page places "b" too
    assert (by_name["x"]["low"], by_name["x"]["high"]) == (0.0, 20.0)


def test_trials_carry_values_params_curves_attrs_and_durations(app):
    body = get_json(app, "/api/trials", "study=single&since=0")
    rows = body["trials"]
    assert body["reset"] is True and [r["number"] for r in rows] == list(range(30))
    assert rows[5]["state"] == "pruned"  # valued at its last report
    assert rows[5]["values"] == [pytest.approx(rows[5]["intermediate"][-1][1])]
    assert rows[6]["state"] == "failed" and rows[6]["values"] is None
    assert rows[0]["intermediate"] == [[s, pytest.approx(v)] for s, v in rows[0]["intermediate"]]
    assert len(rows[0]["intermediate"]) == 4
    assert rows[0]["user_attrs"] == {"fold": 0}
    assert rows[0]["duration"] >= 0 and isinstance(rows[0]["params"]["kind"], str)


def test_since_gives_only_the_trials_changed_after_it(app, store):
    first = get_json(app, "/api/trials", "study=single&since=0")
    assert get_json(app, "/api/trials", f"study=single&since={first['seq']}")["trials"] == []
    opt = Optimizer.load(store, "single")
    t = opt.ask()
    mid = get_json(app, "/api/trials", f"study=single&since={first['seq']}")
    assert mid["reset"] is False and [(r["number"], r["state"]) for r in mid["trials"]] == [
        (30, "pending")
    ]
    opt.tell(t, 1.5)
    opt.tell(opt.ask(), 2.5)
    last = get_json(app, "/api/trials", f"study=single&since={mid['seq']}")
    assert [(r["number"], r["state"]) for r in last["trials"]] == [
        (30, "complete"),
        (31, "complete"),
    ]
    assert last["trials"][0]["values"] == [1.5] and last["seq"] > mid["seq"] > first["seq"]
    # every trial again: the row sent as pending is sent as it is now, not as it was encoded
    again = get_json(app, "/api/trials", "study=single&since=0")
    assert again["seq"] == last["seq"] and len(again["trials"]) == 32
    assert again["trials"][30]["state"] == "complete" and again["trials"][30]["values"] == [1.5]
    summary = {s["name"]: s for s in get_json(app, "/api/studies")}["single"]
    assert summary["n_trials"] == 32 and summary["states"]["complete"] == 30


def test_a_since_the_study_never_reached_starts_the_page_over(app):
    body = get_json(app, "/api/trials", "study=single&since=999999")
    assert body["reset"] is True and len(body["trials"]) == 30


def test_an_unknown_study_is_404_naming_the_studies_there(app):
    for path in ("/api/study", "/api/trials", "/api/importance", "/api/pareto"):
        err = get_json(app, path, "study=nope", status="404 Not Found")
        assert "no study 'nope'" in err["error"] and "['single', 'two']" in err["error"]


def test_bad_requests_are_refused_with_a_reason(app):
    assert (
        "since must be an integer"
        in get_json(app, "/api/trials", "study=single&since=x", status="400 Bad Request")["error"]
    )
    assert "needs ?study=NAME" in get_json(app, "/api/trials", status="400 Bad Request")["error"]
    assert "no such page" in get_json(app, "/api/nothing", status="404 Not Found")["error"]
    status, _, body = call(app, "/api/studies", method="POST")
    assert status == "405 Method Not Allowed" and b"only reads" in body


def test_importance_names_its_method_and_sums_to_one(app):
    imp = get_json(app, "/api/importance", "study=single")
    assert imp["params"] == ["x", "lr", "kind"]
    assert sum(imp["importance"]) == pytest.approx(1.0)
    assert imp["importance"][0] == max(imp["importance"])  # the value is mostly x's doing
    assert imp["method"] == "random-forest permutation importance"


def test_importance_of_several_objectives_is_per_objective(app):
    # objective 0 is a alone; objective 1 is 1 - sqrt(a) + b
    first = get_json(app, "/api/importance", "study=two")
    assert first["objective"] == 0 and first["params"] == ["a", "b"]
    assert first["importance"][0] > 0.9
    second = get_json(app, "/api/importance", "study=two&objective=1")
    assert second["objective"] == 1 and second["importance"][1] > first["importance"][1] + 0.2
    for bad in ("2", "-1", "x"):
        error = get_json(app, "/api/importance", f"study=two&objective={bad}", "400 Bad Request")
        assert error["error"] == f"objective must be an integer in [0, 1], got {bad!r}"
    assert (
        "in [0, 0]"
        in get_json(app, "/api/importance", "study=single&objective=1", "400 Bad Request")["error"]
    )


def test_the_pareto_front_and_its_hypervolume_grow_with_the_trials(app, store):
    body = get_json(app, "/api/pareto", "study=two")
    opt = Optimizer.load(store, "two", read_only=True)
    assert body["front"] == [t.id for t in opt.pareto_front]
    hv = [v for _, v in body["hypervolume"]]
    assert len(hv) == 30 and hv == sorted(hv) and hv[-1] > hv[0] > 0
    # the curve and reference of hpo_core.plots, which the figure of the same study draws
    curve, reference = hypervolume_so_far(opt)
    assert body["hypervolume"] == [
        [t.id, pytest.approx(v)] for t, v in zip(opt.trials, curve, strict=True)
    ]
    assert body["reference"] == pytest.approx(reference.tolist())


def test_the_hypervolume_of_four_objectives_is_drawn_too(tmp_path):
    path = tmp_path / "four.db"
    opt = Optimizer(
        {"x": (0.0, 1.0), "y": (0.0, 1.0)},
        direction=["minimize"] * 4,
        seed=0,
        storage=str(path),
        study="four",
    )
    opt.minimize(lambda p: [p["x"], 1 - p["x"], p["y"], 1 - p["y"] + p["x"]], n_trials=12)
    dash = Dashboard(str(path))
    try:
        body = get_json(make_app(dash), "/api/pareto", "study=four")
    finally:
        dash.close()
    hv = [v for _, v in body["hypervolume"]]
    assert len(hv) == 12 and hv == sorted(hv) and hv[-1] > 0 and len(body["reference"]) == 4


def test_the_page_and_its_files_are_served_from_the_package(app):
    status, headers, body = call(app, "/")
    assert status == "200 OK" and all(
        f"static/{name}".encode() in body for name in ("charts.js", "table.js", "app.js")
    )
    assert headers["Content-Type"].startswith("text/html")
    for name in ("app.js", "charts.js", "table.js", "style.css", "plotly.min.js"):
        status, _, body = call(app, f"/static/{name}")
        assert status == "200 OK" and len(body) > 1000
    assert b'"static/plotly.min.js"' in call(app, "/static/app.js")[2]
    # the installed package's plotly.js, after a line that asks Chrome to compile it eagerly
    first, rest = call(app, "/static/plotly.min.js")[2].split(b"\n", 1)
    assert first == b"//# allFunctionsCalledOnLoad" and rest == plotly_js().read_bytes()
    # and the small bundle of plotly.js, shipped with hpo_core beside its licence, the same way
    static = resources.files("hpo_core.dashboard") / "static"
    assert b'"static/plotly-dashboard.min.js"' in call(app, "/static/app.js")[2]
    first, rest = call(app, "/static/plotly-dashboard.min.js")[2].split(b"\n", 1)
    assert first == b"//# allFunctionsCalledOnLoad"
    assert rest == (static / "plotly-dashboard.min.js").read_bytes()
    assert rest.startswith(b"/* plotly.js v4.1.1 (MIT), traces scatter, bar and contour")
    assert "MIT License" in (static / "plotly-dashboard.LICENSE.txt").read_text()
    assert call(app, "/static/../data.py")[0] == "404 Not Found"


def test_warming_up_computes_importance_before_the_page_asks(store):
    dash = Dashboard(str(store))
    try:
        dash.warm_up().join(timeout=120)
        cached = {name: set(dash.view(name)._cache) for name in dash.names()}
    finally:
        dash.close()
    assert cached == {"single": {"importance 0"}, "two": {"importance 0", "pareto"}}


def test_the_encoded_trials_are_the_trials(store):
    dash = Dashboard(str(store))
    try:
        view = dash.view("single")
        for since in (0, 3, view.seq, 10**6):
            assert json.loads(view.trials_json(since)) == view.trials_since(since)
    finally:
        dash.close()


def test_closing_stops_the_warm_up(store):
    dash = Dashboard(str(store))
    thread = dash.warm_up()
    dash.close()
    assert not thread.is_alive()


def test_serving_leaves_the_file_as_it_was(store):
    def fingerprint() -> tuple[str, int]:
        return hashlib.sha256(store.read_bytes()).hexdigest(), os.stat(store).st_mtime_ns

    before = fingerprint()
    dash = Dashboard(str(store))
    app = make_app(dash)
    for study in ("single", "two"):
        for path in ("/api/study", "/api/trials", "/api/importance", "/api/pareto"):
            get_json(app, path, f"study={study}")
    get_json(app, "/api/studies")
    dash.close()
    assert fingerprint() == before


def test_an_unknown_study_raises_from_the_python_api(store):
    dash = Dashboard(str(store))
    with pytest.raises(UnknownStudy, match="no study 'nope'"):
        dash.view("nope")
    dash.close()


def test_a_missing_file_is_refused(tmp_path):
    with pytest.raises(ValueError, match="no such storage file"):
        Dashboard(str(tmp_path / "none.db"))


def test_the_best_of_a_constrained_study_is_feasible(tmp_path):
    path = tmp_path / "c.db"
    opt = Optimizer({"x": (0.0, 1.0)}, storage=f"sqlite:///{path}", study="c", constraints=True)
    for value, c in [(0.1, 1.0), (0.5, -1.0), (0.3, 0.5), (0.7, 0.0)]:
        opt.tell(opt.ask(), value, constraints=[c])
    dash = Dashboard(str(path))
    (summary,) = get_json(make_app(dash), "/api/studies")
    assert summary["best"] == {"number": 1, "value": 0.5}  # 0.1 and 0.3 are infeasible
    rows = get_json(make_app(dash), "/api/trials", "study=c")["trials"]
    assert [r["constraints"] for r in rows] == [[1.0], [-1.0], [0.5], [0.0]]
    assert get_json(make_app(dash), "/api/study", "study=c")["constrained"] is True
    dash.close()


def test_a_study_on_any_store_is_watched_alike(store_url):
    opt = Optimizer({"x": (0.0, 1.0)}, seed=0, storage=store_url, study="s")
    for _ in range(4):
        t = opt.ask()
        opt.tell(t, t.params["x"])
    dash = Dashboard(store_url)
    try:
        app = make_app(dash)
        assert [s["name"] for s in get_json(app, "/api/studies")] == ["s"]
        first = get_json(app, "/api/trials", "study=s&since=0")
        assert [r["state"] for r in first["trials"]] == ["complete"] * 4
        t = opt.ask()
        opt.tell(t, 0.5)
        new = get_json(app, "/api/trials", f"study=s&since={first['seq']}")
        assert [(r["number"], r["values"]) for r in new["trials"]] == [(4, [0.5])]
        err = get_json(app, "/api/trials", "study=nope", status="404 Not Found")["error"]
        assert "no study 'nope'" in err and "['s']" in err
    finally:
        dash.close()
