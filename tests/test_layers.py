"""The package's layers: each folder imports only the layers below it, and stays small.

    cli -> dashboard -> plots, core, metrics
    cli, plots, integrations -> core -> strategies -> arrays
                                core -> storage, space

Checked on the source (import statements, attribute names), so a change that crosses a layer
fails here before it tangles the package.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from hpo_core import Optimizer

PACKAGE = Path(__file__).resolve().parents[1] / "hpo_core"
MODULES = sorted(PACKAGE.rglob("*.py"))

#: layer -> the hpo_core layers it may import (itself always allowed)
ALLOWED = {
    "arrays": set(),
    "space": set(),
    "storage": set(),
    "strategies": {"arrays", "space"},
    "core": {"strategies", "space", "storage", "pruning", "metrics", "arrays"},
    "dashboard": {"core", "plots", "metrics", "space", "storage"},
}


def _layer(path: Path) -> str:
    rel = path.relative_to(PACKAGE)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def _imports(path: Path) -> set[str]:
    """The hpo_core layers a module imports, at any depth of the module (lazy imports too)."""
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)
    return {n.split(".")[1] for n in names if n.startswith("hpo_core.")}


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_layer_imports_only_what_lies_below(layer):
    crossing = {}
    for path in MODULES:
        if _layer(path) != layer:
            continue
        outside = _imports(path) - ALLOWED[layer] - {layer}
        if outside:
            crossing[str(path.relative_to(PACKAGE))] = sorted(outside)
    assert crossing == {}


def test_no_module_over_400_lines():
    long = {
        str(p.relative_to(PACKAGE)): n
        for p in MODULES
        if (n := len(p.read_text().splitlines())) > 400
    }
    assert long == {}


def test_nothing_outside_the_core_touches_optimizer_internals():
    opt = Optimizer({"x": (0.0, 1.0)})
    private = {n for n in vars(opt) if n.startswith("_") and not n.startswith("__")}
    private |= {n for n in vars(Optimizer) if n.startswith("_") and not n.startswith("__")}
    assert private  # the check below must have names to look for
    pattern = re.compile(r"\.(" + "|".join(sorted(private)) + r")\b")
    found = {}
    for path in MODULES:
        if _layer(path) == "core":
            continue
        hits = pattern.findall(path.read_text())
        if hits:
            found[str(path.relative_to(PACKAGE))] = sorted(set(hits))
    assert found == {}
