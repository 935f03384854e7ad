"""The dashboard on a large study: the first view and an update, on the server and in a browser.

    python -m benchmarks.dashboard [--trials 10000] [--repeats 5] [--browser] [--loads 5]

Writes a SQLite study of ``--trials`` trials (the 4-parameter mixed space of the overhead
benchmark, every tenth trial with learning curves, one in twenty pruned), then measures on the
WSGI application itself (no network):

- the first view: a fresh ``Dashboard`` (the file opened read-only) answering the list of
  studies, the study and every trial (``since=0``), in wall and CPU time (the CPU time is what
  to read on a busy machine), and the JSON's size; then every trial again from a server that
  has read the studies (as ``serve`` does before the first page);
- an update: 10 trials told meanwhile, then ``trials?since=SEQ``: only those rows are read;
- importance and the Pareto front, which the page asks for after its first view.

With ``--browser`` (Debian's chromium and chromium-driver, Selenium): ``--loads`` cold loads of
the study's page, each in a fresh headless Chromium (nothing cached, plotly.js included),
timed by the page's own marks from the start of navigation: every trial arrived, the table shows
them, plotly.js started (the small bundle, for this study of one objective), each chart
drawn (its Plotly promise resolved) and the last of them (median and max); then the time from
telling a trial until the page has it (without a reload: it polls every second).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.overhead import SPACE, objective
from hpo_core import Optimizer
from hpo_core.dashboard import Dashboard, make_app

#: the page's own marks (``window.hpoTiming``), in the order they come
MARKS = {
    "opened": "app.js opened the study",
    "meta": "its description arrived",
    "trials": "every trial arrived",
    "table": "the table shows them",
    "plotly": "plotly.js started",
    "history": "history drawn",
    "parallel": "parallel coordinates drawn",
    "slice": "slice drawn",
    "contour": "contour drawn",
    "curves": "learning curves drawn",
    "importance": "importance drawn",
    "all": "the whole first view (table and every chart) drawn",
}
#: plotly.js's bundles: hpo_core's small one (a study of one objective), the full one
BUNDLES = ("plotly-dashboard.min.js", "plotly.min.js")
#: the charts of a study of one objective: at the window's 1400 x 1800 pixels, all in view
CHARTS = ("history", "parallel", "slice", "contour", "curves", "importance")


def write_study(path: Path, n: int, study: str = "big") -> Optimizer:
    opt = Optimizer(SPACE, storage=f"sqlite:///{path}", study=study, seed=0)
    for i in range(0, n, 500):
        for k, t in enumerate(opt.ask(min(500, n - i))):
            j = i + k
            value = objective(**t.params)
            t.user_attrs["batch"] = i // 500
            if j % 10 == 0:
                for step in range(5):
                    t.report(step, value + 1.0 / (step + 1))
            opt.tell(t, None if j % 20 == 0 else value, state="pruned" if j % 20 == 0 else None)
    return opt


def get(app: Any, path: str, query: str = "") -> bytes:
    got: list[str] = []
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": query}
    environ["wsgi.input"] = io.BytesIO()
    body = b"".join(app(environ, lambda status, headers: got.append(status)))
    assert got == ["200 OK"], (path, query, body[:200])
    return body


def timed(step: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    out = step()
    return time.perf_counter() - start, out


def server_side(path: Path, writer: Optimizer, repeats: int) -> dict[str, Any]:
    first, cpu, sizes = [], [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        dash = Dashboard(str(path))
        app = make_app(dash)
        get(app, "/api/studies")
        get(app, "/api/study", "study=big")
        body = get(app, "/api/trials", "study=big&since=0")
        first.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
        sizes.append(len(body))
        dash.close()
    dash = Dashboard(str(path))
    app = make_app(dash)
    seq = json.loads(get(app, "/api/trials", "study=big&since=0"))["seq"]
    updates, rows = [], []
    for _ in range(repeats):
        for t in writer.ask(10):
            writer.tell(t, objective(**t.params))
        took, body = timed(lambda seq=seq: get(app, "/api/trials", f"study=big&since={seq}"))
        doc = json.loads(body)
        updates.append(took)
        rows.append(len(doc["trials"]))
        seq = doc["seq"]
        get(app, "/api/studies")  # the list page's poll, also incremental
    warm, _ = timed(lambda: get(app, "/api/trials", "study=big&since=0"))
    imp, _ = timed(lambda: get(app, "/api/importance", "study=big"))
    imp_again, _ = timed(lambda: get(app, "/api/importance", "study=big"))
    dash.close()
    return {
        "first view, cold (s)": statistics.median(first),
        "first view, cold, CPU time (s)": statistics.median(cpu),
        "first view JSON (MB)": statistics.median(sizes) / 1e6,
        "every trial again, studies read (s)": warm,
        "update of 10 trials (ms)": 1e3 * statistics.median(updates),
        "rows in an update": max(rows),
        "importance, first (s)": imp,
        "importance, unchanged (ms)": 1e3 * imp_again,
    }


def page_load(url: str) -> dict[str, float]:
    """One cold load of the study's page in a fresh headless Chromium (nothing cached): the
    page's marks (ms since navigation began) once every chart in the first view is drawn;
    ``all`` is the last of them."""
    from selenium.webdriver.support.ui import WebDriverWait

    from tests.dashboard.conftest import start_browser

    profile = Path(tempfile.mkdtemp(prefix="chromium-bench-"))
    driver = start_browser(profile)
    driver.set_script_timeout(300)  # a page drawing on a busy machine answers late
    try:
        driver.get(url + "#study=big")
        marks = WebDriverWait(driver, 180, poll_frequency=0.05).until(
            lambda d: d.execute_script(
                f"const t = window.hpoTiming; return t && {list(CHARTS)!r}.every((k) => t[k])"
                " ? t : null;"
            )
        )
        return {**marks, "all": max(marks[k] for k in ("table", *CHARTS))}
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def plotly_alone(url: str, bundle: str = "plotly-dashboard.min.js") -> float:
    """Seconds from adding a plotly.js bundle (``plotly-dashboard.min.js``, which a study of one
    objective draws with, or ``plotly.min.js``) to an empty page (the dashboard's style sheet)
    until it has started, in a fresh Chromium: the floor under any chart of a cold first
    view."""
    from selenium.webdriver.support.ui import WebDriverWait

    from tests.dashboard.conftest import start_browser

    profile = Path(tempfile.mkdtemp(prefix="chromium-bench-"))
    driver = start_browser(profile)
    try:
        driver.get(url + "static/style.css")
        driver.execute_script(
            "window.t0 = performance.now(); const s = document.createElement('script');"
            f"s.src = '/static/{bundle}';"
            "s.onload = () => { window.t1 = performance.now(); };"
            "document.head.append(s);"
        )
        took = WebDriverWait(driver, 120, poll_frequency=0.05).until(
            lambda d: d.execute_script("return window.t1 ? window.t1 - window.t0 : null;")
        )
        return took / 1e3
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def browser_side(path: Path, writer: Optimizer, loads: int) -> dict[str, Any]:
    """Timed by the page itself (``window.hpoTiming``: ms since it began loading), so the
    numbers are the browser's, not Selenium's round trips; median and max over ``loads``
    cold page loads."""
    from selenium.webdriver.support.ui import WebDriverWait

    from tests.dashboard.conftest import serve_in_thread, start_browser

    served = serve_in_thread(path)
    url = next(served)
    try:
        timings = [page_load(url) for _ in range(loads)]
        alone = {b: [plotly_alone(url, b) for _ in range(loads)] for b in BUNDLES}
        profile = Path(tempfile.mkdtemp(prefix="chromium-bench-"))
        driver = start_browser(profile)
        driver.get(url + "#study=big")
        WebDriverWait(driver, 180).until(
            lambda d: d.execute_script("return window.hpoTiming.table ? 1 : null;")
        )
        lags = []
        for _ in range(5):
            t = writer.ask()
            writer.tell(t, objective(**t.params))
            told = time.time()
            arrived = WebDriverWait(driver, 30, poll_frequency=0.05).until(
                lambda d, n=t.id: d.execute_script(
                    f"const a = window.hpoArrived; return a.numbers.includes({n}) ? a.at : null;"
                )
            )
            lags.append(arrived / 1e3 - told)
            time.sleep(0.5)
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
    finally:
        served.close()
    out: dict[str, Any] = {}
    for key, what in MARKS.items():
        got = [t[key] / 1e3 for t in timings if key in t]
        if got:
            out[f"browser: {what} (s after the page began loading), median / max"] = (
                statistics.median(got),
                max(got),
            )
    for bundle, took in alone.items():
        out[f"browser: {bundle} alone on an empty page, fetched and started (s), median / max"] = (
            statistics.median(took),
            max(took),
        )
    out["browser: a told trial reaches the page after (s)"] = statistics.median(lags)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--browser", action="store_true", help="also time headless Chromium")
    parser.add_argument("--loads", type=int, default=5, help="cold page loads to time")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.db"
        took, writer = timed(lambda: write_study(path, args.trials))
        print(f"wrote {args.trials} trials in {took:.1f} s ({path.stat().st_size / 1e6:.1f} MB)")
        results = server_side(path, writer, args.repeats)
        if args.browser:
            results |= browser_side(path, writer, args.loads)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"\n{os.cpu_count()} CPUs, load average {load}")
    print(f"\n| measure ({args.trials} trials) | value |\n|---|---|")
    for name, value in results.items():
        shown = (
            " / ".join(f"{v:.3g}" for v in value) if isinstance(value, tuple) else f"{value:.3g}"
        )
        print(f"| {name} | {shown} |")


if __name__ == "__main__":
    main()
