"""The dashboard's WSGI application and its server.

Routes (every answer is JSON but the page and its files):

- ``/``: the page; ``/static/app.js``, ``charts.js``, ``table.js``, ``style.css``;
  ``/static/plotly.min.js`` from the installed ``plotly`` package (the ``dashboard`` extra)
  and ``/static/plotly-dashboard.min.js``, a smaller bundle of plotly.js shipped with hpo_core
  (MIT, its licence beside it; built by ``tools/plotly-bundle``); never from the internet;
- ``/api/studies``: each study's name, directions, trials by state and best;
- ``/api/study?study=NAME``: its directions and parameters;
- ``/api/trials?study=NAME&since=SEQ``: the trials changed after ``SEQ`` and the new
  sequence number (every trial for ``since=0``);
- ``/api/importance?study=NAME[&objective=K]`` (K in 0 .. objectives - 1, default 0) and
  ``/api/pareto?study=NAME``.

An unknown study or route answers 404 with ``{"error": ...}``; a missing study or a bad
``since`` 400; only GET and HEAD are served (405 otherwise).
"""

from __future__ import annotations

import mimetypes
import os
import urllib.parse
from collections.abc import Callable, Iterable
from importlib import resources
from pathlib import Path
from typing import Any

from hpo_core.dashboard.data import Dashboard, UnknownStudy, dumps
from hpo_core.storage import StorageError

__all__ = ["make_app", "plotly_js", "serve"]

StartResponse = Callable[..., Any]
_STATIC = ("index.html", "app.js", "charts.js", "table.js", "style.css")
#: plotly.js with the traces scatter, bar and contour (every chart of a study with one or two
#: objectives where WebGL is drawn in software), built from its sources by tools/plotly-bundle:
#: a quarter of the full bundle's size, and a fifth of its start-up time in Chromium; the full
#: bundle of the plotly package serves 3-D fronts and WebGL parallel coordinates
SMALL = "plotly-dashboard.min.js"
#: Chrome's compile hint: V8 compiles the script's functions while it streams in, off the
#: page's thread, instead of one by one as plotly starts (its start-up is most of the time
#: before the first chart). Other browsers read a comment.
_EAGER = b"//# allFunctionsCalledOnLoad\n"


def plotly_js() -> Path:
    """The plotly.min.js that the ``plotly`` package ships; ImportError naming the extra."""
    try:
        import plotly
    except ImportError:
        raise ImportError(
            "the dashboard needs plotly (its plotly.min.js): pip install 'hpo_core[dashboard]'"
        ) from None
    path = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    if not path.is_file():
        raise ImportError(f"the installed plotly has no {path}; reinstall plotly")
    return path


def _static(name: str) -> bytes:
    return resources.files("hpo_core.dashboard").joinpath("static", name).read_bytes()


class _Http(Exception):
    def __init__(self, status: str, message: str) -> None:
        super().__init__(message)
        self.status = status


def make_app(dash: Dashboard) -> Callable[[dict[str, Any], StartResponse], Iterable[bytes]]:
    """The WSGI application of ``dash``."""
    files = {name: _static(name) for name in _STATIC}
    plotly_path = plotly_js()

    small = _EAGER + _static(SMALL)

    def plotly_bytes() -> bytes:
        return _EAGER + plotly_path.read_bytes()

    def route(path: str, query: dict[str, list[str]]) -> tuple[str, bytes]:
        if path in ("/", "/index.html"):
            return "text/html; charset=utf-8", files["index.html"]
        if path.startswith("/static/"):
            name = path[len("/static/") :]
            if name == "plotly.min.js":
                return "text/javascript; charset=utf-8", plotly_bytes()
            if name == SMALL:
                return "text/javascript; charset=utf-8", small
            if name in files:
                kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
                return f"{kind}; charset=utf-8", files[name]
            raise _Http("404 Not Found", f"no file {name!r}")
        if path == "/api/studies":
            return "application/json", dumps(dash.studies())
        if path not in ("/api/study", "/api/trials", "/api/importance", "/api/pareto"):
            raise _Http("404 Not Found", f"no such page: {path!r}")
        if "study" not in query:
            raise _Http("400 Bad Request", f"{path} needs ?study=NAME")
        try:
            view = dash.view(query["study"][-1])
        except UnknownStudy as err:
            raise _Http("404 Not Found", str(err)) from None
        if path == "/api/study":
            return "application/json", dumps(view.meta())
        if path == "/api/importance":
            text = query.get("objective", ["0"])[-1]
            try:
                return "application/json", dumps(view.importance(int(text)))
            except ValueError:
                m = len(view.directions)
                raise _Http(
                    "400 Bad Request",
                    f"objective must be an integer in [0, {m - 1}], got {text!r}",
                ) from None
        if path == "/api/pareto":
            return "application/json", dumps(view.pareto())
        text = query.get("since", ["0"])[-1]
        try:
            since = int(text)
        except ValueError:
            raise _Http("400 Bad Request", f"since must be an integer, got {text!r}") from None
        return "application/json", view.trials_json(since)

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        # WSGI hands the decoded path as latin-1 text, the query string as it came
        path = (environ.get("PATH_INFO") or "/").encode("latin-1").decode("utf-8", "replace")
        query = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        try:
            if environ.get("REQUEST_METHOD", "GET") not in ("GET", "HEAD"):
                raise _Http("405 Method Not Allowed", "the dashboard only reads: GET")
            kind, body = route(path, query)
            status = "200 OK"
        except _Http as err:
            status, kind, body = err.status, "application/json", dumps({"error": str(err)})
        except StorageError as err:
            status, kind = "503 Service Unavailable", "application/json"
            body = dumps({"error": str(err)})
        headers = [
            ("Content-Type", kind),
            ("Content-Length", str(len(body))),
            ("Cache-Control", "no-store" if kind == "application/json" else "max-age=3600"),
        ]
        start_response(status, headers)
        return [body]

    return app


def serve(
    storage: str | os.PathLike[str],
    host: str = "127.0.0.1",
    port: int = 8080,
    ready: Callable[[str], None] | None = None,
) -> None:
    """Serve the dashboard of ``storage`` until interrupted (waitress, the ``dashboard``
    extra); ``ready`` is called with the page's address once the port is bound."""
    try:
        from waitress.server import create_server
    except ImportError:
        raise ImportError(
            "the dashboard needs waitress: pip install 'hpo_core[dashboard]'"
        ) from None
    if not isinstance(port, int) or isinstance(port, bool) or not 0 <= port <= 65535:
        raise ValueError(f"port must be an integer in 0..65535, got {port!r}")
    dash = Dashboard(storage)
    dash.studies()  # every study read once now: the first page is served from memory
    app = make_app(dash)
    dash.warm_up()
    try:
        server = create_server(app, host=host, port=port, threads=4, ident="hpo-core")
    except OSError as err:
        dash.close()
        raise ValueError(f"cannot serve on {host}:{port}: {err.strerror or err}") from None
    address = f"http://{host}:{server.effective_port}/"
    if ready is not None:
        ready(address)
    try:
        server.run()
    finally:
        server.close()
        dash.close()
