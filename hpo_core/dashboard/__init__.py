"""A live dashboard of the studies in a storage (the ``dashboard`` extra: waitress, plotly).

``hpo-core dashboard STORAGE`` serves a page that lists the studies and shows one: its trials
table, optimization history, parallel coordinates, parameter importance, slice and contour
plots, learning curves and, with several objectives, the Pareto front and its hypervolume. The
page polls for the trials changed since the sequence number it has, so it follows a running
study and an update costs the server only the new rows.

The storage is opened read-only: watching a study never changes it.

Layout: data.py (the JSON, built through the ``Store`` protocol), app.py (the WSGI application
and ``serve``), static/ (the page: index.html, app.js, style.css).
"""

from hpo_core.dashboard.app import make_app, plotly_js, serve
from hpo_core.dashboard.data import Dashboard, StudyView, UnknownStudy

__all__ = ["Dashboard", "StudyView", "UnknownStudy", "make_app", "plotly_js", "serve"]
