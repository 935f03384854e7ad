"""The declared floors and the pins CI tests them with are the same versions."""

from __future__ import annotations

import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]


def _floors() -> dict[str, Version]:
    """Each runtime dependency of pyproject.toml and its one ``>=`` bound."""
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    out = {}
    for dep in deps:
        req = Requirement(dep)
        lows = [Version(s.version) for s in req.specifier if s.operator == ">="]
        assert len(lows) == 1, f"{dep!r}: give a dependency exactly one '>=' floor"
        out[canonicalize_name(req.name)] = lows[0]
    return out


def _pins() -> dict[str, Version]:
    """Each ``name==version`` line of .ci/constraints-lowest.txt."""
    out = {}
    for line in (ROOT / ".ci" / "constraints-lowest.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        req = Requirement(line)
        specs = list(req.specifier)
        assert len(specs) == 1 and specs[0].operator == "==", f"{line!r}: pin with '=='"
        out[canonicalize_name(req.name)] = Version(specs[0].version)
    return out


def test_constraints_pin_every_dependency_at_its_floor():
    assert _pins() == _floors()
