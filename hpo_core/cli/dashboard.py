"""``hpo-core dashboard STORAGE``: serve the live dashboard of a storage's studies."""

from __future__ import annotations

import sys
import urllib.parse

__all__ = ["dashboard"]


def dashboard(storage: str, study: str | None, host: str, port: int) -> int:
    """Serve until interrupted; the page opens on ``study`` when one is named (it must exist)."""
    try:
        from hpo_core.dashboard import Dashboard, UnknownStudy, plotly_js, serve

        plotly_js()
        import waitress  # noqa: F401
    except ImportError as err:
        print(f"hpo-core: error: {err}; pip install 'hpo_core[dashboard]'", file=sys.stderr)
        return 2
    dash = Dashboard(storage)  # a missing or foreign file fails here, before the port is bound
    shown = dash.shown
    try:
        if study is not None:
            try:
                dash.view(study)
            except UnknownStudy as err:
                raise ValueError(str(err)) from None
    finally:
        dash.close()
    fragment = "" if study is None else "#study=" + urllib.parse.quote(study, safe="")

    def ready(address: str) -> None:
        print(f"hpo-core dashboard of {shown} at {address}{fragment} (Ctrl-C stops)")
        sys.stdout.flush()

    try:
        serve(storage, host, port, ready)
    except KeyboardInterrupt:
        pass
    return 0
