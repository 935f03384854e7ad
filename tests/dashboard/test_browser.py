"""The page in a real headless Chromium (Debian's chromium and chromium-driver, Selenium).

Skipped, with the reason, only where Chromium is missing outside CI; in CI (``CI`` set) a
missing browser fails. ``HPO_CORE_DASHBOARD_SCREENSHOT=docs/img/dashboard.png`` also writes the
README's screenshot.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hpo_core import Optimizer

from .conftest import require_extra, serve_in_thread, single_study, two_objective_study

require_extra()

WAIT = 60.0  # seconds a page has to show what is awaited (a busy machine draws slowly)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    path = tmp_path_factory.mktemp("dashboard") / "studies.db"
    single_study(path, n=60)
    two_objective_study(path)
    two_objective_study(path, m=3)
    yield from ((url, path) for url in serve_in_thread(path))


def until(driver: Any, check: Any, what: str) -> Any:
    from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    # the page redraws as it polls: an element found just before a redraw is looked for again
    wait = WebDriverWait(
        driver, WAIT, poll_frequency=0.1, ignored_exceptions=(StaleElementReferenceException,)
    )
    try:
        return wait.until(lambda d: check(d))
    except TimeoutException:
        pytest.fail(f"the page did not show {what} within {WAIT:g} s")


def errors(driver: Any) -> list[dict[str, Any]]:
    return [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def rows(driver: Any) -> list[int]:
    return driver.execute_script(
        "return [...document.querySelectorAll('#trials tbody tr')]"
        ".map((tr) => Number(tr.dataset.number));"
    )


def matching(driver: Any) -> int:
    """How many trials the table holds (over every page)."""
    return int(driver.find_element("id", "trials").get_attribute("data-matching") or 0)


def lines(driver: Any) -> int:
    """The trials the parallel coordinates draw: parcoords' lines, or the SVG lines (each
    trial's line ends with a gap)."""
    return driver.execute_script(
        "const d = document.getElementById('parallel');"
        "if (!d || !d.data || !d.data.length) return 0;"
        "if (d.data[0].type === 'parcoords') return d.data[0].dimensions[0].values.length;"
        "return d.data.filter((t) => t.mode === 'lines')"
        ".reduce((n, t) => n + t.x.filter((x) => x === null).length, 0);"
    )


def plotted(driver: Any, div: str) -> list[dict[str, Any]]:
    """The traces Plotly drew in ``div`` (names and point counts)."""
    return driver.execute_script(
        f"const d = document.getElementById('{div}');"
        "return (d && d.data ? d.data : []).map((t) => ({name: t.name || '', "
        "n: t.x ? t.x.length : (t.dimensions ? t.dimensions[0].values.length : 0)}));"
    )


def test_the_list_of_studies_loads_without_console_errors(served, browser):
    url, _ = served
    browser.get(url)
    names = until(
        browser,
        lambda d: [a.text for a in d.find_elements("css selector", "#study-list tbody a")] or None,
        "the studies",
    )
    assert names == ["single", "two", "three"]
    text = browser.execute_script("return document.getElementById('study-list').innerText;")
    assert "single minimize 60 58 0 1 1" in " ".join(text.split())
    assert errors(browser) == []


def test_a_study_shows_its_trials_and_charts_without_console_errors(served, browser, tmp_path):
    url, _ = served
    browser.get(url + "#study=single")
    until(browser, lambda d: len(rows(d)) == 60, "the 60 trials")
    for div in ("history", "parallel", "slice", "contour", "curves"):
        until(browser, lambda d, div=div: plotted(d, div), f"the {div} chart")
    until(browser, lambda d: plotted(d, "importance"), "the importance chart")
    assert plotted(browser, "history")[1]["name"] == "best so far"
    assert lines(browser) == 58
    # no chart of 58 trials is thinned, so none says it is
    notes = browser.execute_script(
        "return [...document.querySelectorAll('.note')].map((e) => e.textContent);"
    )
    assert notes and all(n == "" for n in notes)
    # sorting by value puts the best first; filtering by state keeps the pruned one
    header = browser.find_element("css selector", "#trials th[data-key='v0']")
    header.click()
    best = Optimizer.load(served[1], "single", read_only=True).best.id
    assert rows(browser)[0] == best
    browser.find_element("id", "state-filter").send_keys("pruned")
    until(browser, lambda d: rows(d) == [5], "only the pruned trial")
    shot = tmp_path / "dashboard.png"
    assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 10_000
    target = os.environ.get("HPO_CORE_DASHBOARD_SCREENSHOT")
    if target:  # the README's picture: the whole table, in 256 colours to stay small
        from PIL import Image
        from selenium.webdriver.support.ui import Select

        Select(browser.find_element("id", "state-filter")).select_by_value("")
        until(browser, lambda d: len(rows(d)) == 60, "the table again")
        browser.execute_script("window.scrollTo(0, 0)")
        browser.save_screenshot(str(shot))
        Image.open(shot).convert("RGB").quantize(256).save(target, optimize=True)
    assert errors(browser) == []


def test_a_study_being_written_fills_the_table_without_a_reload(served, browser):
    url, path = served
    opt = Optimizer({"u": (0.0, 1.0), "v": (1, 10)}, storage=f"sqlite:///{path}", study="live")
    opt.tell(opt.ask(), 0.0)
    stop = threading.Event()

    def write() -> None:
        writer = Optimizer.load(path, "live")
        while not stop.is_set():
            t = writer.ask()
            time.sleep(0.05)
            writer.tell(t, t.params["u"] * t.params["v"])

    thread = threading.Thread(target=write, daemon=True)
    thread.start()
    try:
        browser.get(url + "#study=live")
        until(browser, lambda d: matching(d) >= 3, "the first trials")
        browser.execute_script("window.__notReloaded = true;")
        seen = matching(browser)
        until(browser, lambda d: matching(d) > seen + 2, "trials told after it loaded")
        assert browser.execute_script("return window.__notReloaded === true;")
    finally:
        stop.set()
        thread.join(timeout=10)
    told = len(Optimizer.load(path, "live", read_only=True).trials)
    until(browser, lambda d: matching(d) == told, f"all {told} trials")
    assert errors(browser) == []


@pytest.mark.parametrize(("study", "div"), [("two", "pareto"), ("three", "pareto3d")])
def test_several_objectives_show_their_front(served, browser, study, div):
    url, path = served
    front = Optimizer.load(path, study, read_only=True).pareto_front
    browser.get(url + "#study=" + study)
    traces = until(
        browser,
        lambda d: {t["name"]: t["n"] for t in plotted(d, div)} or None,
        f"the Pareto front in #{div}",
    )
    assert traces == {"dominated": 30 - len(front), "Pareto front": len(front)}
    until(browser, lambda d: plotted(d, "hypervolume"), "the hypervolume")
    assert plotted(browser, "hypervolume")[0]["n"] == 30
    assert browser.find_element("id", "pareto-panel").is_displayed()
    assert browser.find_element("id", "pareto3d").is_displayed() == (study == "three")
    assert errors(browser) == []


def test_importance_follows_the_objective_picked(served, browser):
    url, _ = served
    title = (
        "const d = document.getElementById('importance');"
        "return d && d.layout ? d.layout.xaxis.title.text : null;"
    )
    browser.get("about:blank")
    browser.get(url + "#study=two")
    until(browser, lambda d: "for objective 0" in (d.execute_script(title) or ""), "objective 0")
    first = browser.execute_script("return document.getElementById('importance').data[0].x;")
    browser.execute_script(
        "const s = document.getElementById('objective'); s.value = '1';"
        "s.dispatchEvent(new Event('change'));"
    )
    until(browser, lambda d: "for objective 1" in (d.execute_script(title) or ""), "objective 1")
    second = browser.execute_script("return document.getElementById('importance').data[0].x;")
    assert sorted(first) != sorted(second)
    assert errors(browser) == []


def test_the_small_bundle_serves_two_objectives_and_the_full_one_a_3d_front(served, browser):
    url, _ = served
    loaded = "return [...document.scripts].map((s) => s.src.split('/').pop()).filter(Boolean);"
    browser.get("about:blank")  # a new page (a new hash alone would keep the last one)
    browser.get(url + "#study=two")
    until(browser, lambda d: plotted(d, "pareto") and plotted(d, "history"), "the charts of two")
    assert "plotly-dashboard.min.js" in browser.execute_script(loaded)
    assert "plotly.min.js" not in browser.execute_script(loaded)
    # the same page opens a study of three objectives: the full bundle replaces the small one,
    # and every chart is drawn again with it
    browser.execute_script("location.hash = '#study=three';")
    until(browser, lambda d: plotted(d, "pareto3d"), "the 3-D front of three")
    until(browser, lambda d: plotted(d, "history") and plotted(d, "pareto"), "the charts of three")
    assert "plotly.min.js" in browser.execute_script(loaded)
    assert (
        browser.execute_script("return document.getElementById('study-title').textContent;")
        == "three"
    )
    assert errors(browser) == []


def test_thinning_keeps_what_it_must_and_the_same_sample_as_trials_arrive(served, browser):
    url, _ = served
    browser.get(url)
    thinned = browser.execute_script(
        "const {thin, records} = window.hpoCharts;"
        "const rows = (n) => Array.from({length: n}, (_, i) => ({number: i}));"
        "const numbers = (rs) => rs.map((r) => r.number);"
        "const values = [5, 7, 3, 3, 4, 1, 2, 0.5].map((v, i) => ({number: i, values: [v]}));"
        "return {small: numbers(thin(rows(50), 100, [])),"
        " big: numbers(thin(rows(10000), 1000, [9999, 3, 7])),"
        " later: numbers(thin(rows(10100), 1000, [9999, 3, 7])),"
        " records: numbers(records(values, 0, true)),"
        " recordsMax: numbers(records(values, 0, false)),"
        " feasible: numbers(records(values.map((r, i) =>"
        "   ({...r, constraints: i === 2 || i === 7 ? [0.5, -1] : [0, -1]})), 0, true))};"
    )
    assert thinned["small"] == list(range(50))
    big = thinned["big"]
    assert len(big) == 1000 and big == sorted(big) and {3, 7, 9999} <= set(big)
    # a spread over every trial, not the first or the last thousand
    assert min(big) < 500 and sum(n >= 5000 for n in big) > 300
    # a hundred more trials change about a hundredth of the sample, not all of it
    assert len(set(big) & set(thinned["later"])) > 950
    assert thinned["records"] == [0, 2, 5, 7] and thinned["recordsMax"] == [0, 1]
    assert thinned["feasible"] == [0, 3, 5]  # trials 2 and 7 break a constraint


@pytest.fixture(scope="module")
def large(served: tuple[str, Path]) -> tuple[str, Path]:
    """A study of 1,500 random trials (every fourth with learning curves) in the served file."""
    url, path = served
    opt = Optimizer(
        {"x": (-5.0, 5.0), "y": (0.0, 1.0), "kind": ["a", "b"]},
        storage=f"sqlite:///{path}",
        study="large",
        strategy="random",
        seed=1,
    )
    for _ in range(3):
        for i, t in enumerate(opt.ask(500)):
            value = t.params["x"] ** 2 + t.params["y"]
            if i % 4 == 0:
                for step in range(3):
                    t.report(step, value + 1.0 / (step + 1))
            opt.tell(t, value)
    return url, path


@pytest.mark.parametrize("webgl", ["off", "on"])
def test_a_large_study_is_thinned_saying_so_and_paged(large, browser, webgl):
    url, path = large
    browser.get(url + f"?webgl={webgl}#study=large")
    until(browser, lambda d: matching(d) == 1500, "the 1,500 trials")
    for div in ("history", "parallel", "slice", "contour", "curves"):
        until(browser, lambda d, div=div: plotted(d, div), f"the {div} chart")
    note = {
        n: browser.find_element("id", f"{n}-note").text
        for n in ("history", "parallel", "slice", "contour", "curves")
    }
    assert note["history"] == "showing 500 of 1,500 trials (every new best and a sample)"
    assert note["slice"] == "showing 500 of 1,500 trials (the best 50 and a sample)"
    assert note["contour"].startswith("showing 250 of 1,500 trials")
    assert note["curves"] == "showing 300 of 375 trials (the latest that reported)"
    drawn = {t["name"]: t["n"] for t in plotted(browser, "history")}
    assert drawn["value"] == 500
    most = 500 if webgl == "off" else 1500
    assert note["parallel"] == (
        "showing 500 of 1,500 trials (the best 50 and a sample)" if webgl == "off" else ""
    )
    assert lines(browser) == most
    kind = browser.execute_script("return document.getElementById('parallel').data[0].type;")
    assert kind == ("scatter" if webgl == "off" else "parcoords")
    # one page of rows in the document; the next page goes on where it ended
    assert rows(browser) == list(range(100))
    text = browser.find_element("id", "table-count").text
    assert text == "rows 1-100 of 1500 matching trials"
    browser.find_element("id", "next").click()
    until(browser, lambda d: rows(d) == list(range(100, 200)), "the second page")
    # sorting is over every trial: the best of all 1,500 comes first
    browser.find_element("css selector", "#trials th[data-key='v0']").click()
    best = Optimizer.load(path, "large", read_only=True).best.id
    until(browser, lambda d: rows(d)[:1] == [best], "the best trial first")
    # the download holds every matching trial, not the page shown, in the table's order
    csv = browser.execute_script("return tableCSV();").splitlines()
    assert len(csv) == 1501 and csv[0].startswith("#,state,value,duration (s),x,y,kind")
    assert csv[1].split(",")[0] == str(best)
    assert errors(browser) == []


def test_a_chart_out_of_the_window_is_drawn_when_scrolled_to(large, browser):
    url, _ = large
    browser.set_window_size(1400, 700)
    try:
        browser.get(url + "#study=large")
        until(browser, lambda d: plotted(d, "parallel"), "the charts in view")
        # the learning curves, below the window, wait for it
        assert browser.execute_script("return state.stale.has('curves');")
        assert plotted(browser, "curves") == []
        browser.execute_script("document.getElementById('curves').scrollIntoView();")
        until(browser, lambda d: plotted(d, "curves"), "the learning curves once in view")
        assert errors(browser) == []
    finally:
        browser.set_window_size(1400, 1800)
