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
    assert plotted(browser, "parallel")[0]["n"] == 58
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
        until(browser, lambda d: len(rows(d)) >= 3, "the first trials")
        browser.execute_script("window.__notReloaded = true;")
        seen = max(rows(browser))
        until(browser, lambda d: max(rows(d)) > seen + 2, "trials told after it loaded")
        assert browser.execute_script("return window.__notReloaded === true;")
    finally:
        stop.set()
        thread.join(timeout=10)
    told = len(Optimizer.load(path, "live", read_only=True).trials)
    until(browser, lambda d: len(rows(d)) == told, f"all {told} trials")
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
