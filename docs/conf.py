"""Sphinx configuration: the guides are Markdown (MyST), the API reference comes from the
numpy-style docstrings. Build: ``sphinx-build -W --keep-going -b html docs docs/_build/html``."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import hpo_core  # noqa: E402

project = "hpo_core"
author = "hpo_core developers"
copyright = "hpo_core developers"
release = hpo_core.__version__
version = release

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "api/generated/*.md"]

# Markdown: ```toml, ```bash blocks, heading anchors for links between pages
myst_heading_anchors = 3

# The API reference: one page per public name, generated at build time into api/generated/
autosummary_generate = True
templates_path = ["_templates"]  # a class page: its docstring and own members, no method table
autosummary_imported_members = False
autodoc_default_options = {"members": True, "show-inheritance": True}
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_typehints_format = "short"
napoleon_numpy_docstring = True
napoleon_google_docstring = False
napoleon_use_rtype = False
# "Attributes" sections as fields, so a documented property is not described twice
napoleon_use_ivar = True

html_theme = "alabaster"
html_title = "hpo_core"
# wide enough for the configuration examples and the API signatures without scrolling
html_theme_options = {"page_width": "1200px", "sidebar_width": "240px"}
html_static_path: list[str] = []
