"""Studies to watch, the dashboard served from a thread, and a headless Chromium."""

from __future__ import annotations

import math
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hpo_core import Optimizer

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


def require_extra() -> None:
    """Skip without the ``dashboard`` extra (waitress, plotly), except in CI, where it fails."""
    for module in ("waitress", "plotly"):
        try:
            __import__(module)
        except ImportError:
            reason = f"the dashboard extra is not installed (no {module})"
            if os.environ.get("CI"):
                pytest.fail(f"the dashboard tests must run in CI: {reason}", pytrace=False)
            pytest.skip(reason, allow_module_level=True)


def single_study(path: Path, n: int = 30, name: str = "single") -> Optimizer:
    """A study of one objective with learning curves, a pruned and a failed trial."""
    opt = Optimizer(
        {"x": (-5.0, 5.0), "lr": (1e-4, 1e-1, "log"), "kind": ["a", "b", "c"]},
        storage=f"sqlite:///{path}",
        study=name,
        seed=0,
    )
    for i in range(n):
        t = opt.ask()
        for step in range(4):
            t.report(step, (t.params["x"] - 1) ** 2 + 1.0 / (step + 1))
        if i == 5:
            opt.tell(t, None, state="pruned")
        elif i == 6:
            opt.tell(t, None, state="failed")
        else:
            t.user_attrs["fold"] = i % 3
            opt.tell(t, (t.params["x"] - 1) ** 2 + 0.1 * math.log10(t.params["lr"]) ** 2)
    return opt


def two_objective_study(path: Path, n: int = 30, m: int = 2) -> Optimizer:
    """Study "two" (or "three" with ``m=3``): objectives that conflict, so a front forms."""
    opt = Optimizer(
        {"a": (0.0, 1.0), "b": (0.0, 1.0)},
        storage=f"sqlite:///{path}",
        study="two" if m == 2 else "three",
        direction=["minimize"] * m,
        seed=0,
    )
    for _ in range(n):
        t = opt.ask()
        a, b = t.params["a"], t.params["b"]
        opt.tell(t, [a, 1 - math.sqrt(a) + b, 2 - a - b][:m])
    return opt


@pytest.fixture
def store(tmp_path: Path) -> Path:
    """A file with a one-objective study ("single") and a two-objective one ("two")."""
    path = tmp_path / "studies.db"
    single_study(path)
    two_objective_study(path)
    return path


def serve_in_thread(path: Path) -> Iterator[str]:
    from waitress.server import create_server

    from hpo_core.dashboard import Dashboard, make_app

    dash = Dashboard(str(path))
    dash.studies()  # as serve does: every study read before the first page, and the
    dash.warm_up()  # importance computed meanwhile
    server = create_server(make_app(dash), host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}/"
    finally:
        server.close()
        thread.join(timeout=5)
        dash.close()


def chromium_missing() -> str | None:
    """Why the browser tests cannot run here, or None; in CI they must run (never skip)."""
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not os.path.exists(p)]
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("the selenium package")
    if not missing:
        return None
    reason = f"missing {', '.join(missing)} (apt-get install chromium chromium-driver)"
    if os.environ.get("CI"):
        pytest.fail(f"the browser tests must run in CI: {reason}", pytrace=False)
    return reason


def start_browser(profile: Path) -> Any:
    """Headless Chromium under Selenium, on a fresh profile, with the network features off
    (the machine may have no network: Chromium would stall on them)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--enable-unsafe-swiftshader",
        "--window-size=1400,1800",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    reason = chromium_missing()
    if reason:
        pytest.skip(reason)
    profile = tmp_path_factory.mktemp("chromium-profile")
    driver = start_browser(profile)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
