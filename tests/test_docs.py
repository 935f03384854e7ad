"""The README's code and the docstrings' examples run as printed."""

from __future__ import annotations

import doctest
import importlib
import pkgutil
import re
from pathlib import Path

import pytest

import hpo_core

ROOT = Path(__file__).resolve().parents[1]


def _python_blocks(path: Path) -> list[str]:
    return re.findall(r"```python\n(.*?)```", path.read_text(), flags=re.S)


@pytest.mark.parametrize("i", range(len(_python_blocks(ROOT / "README.md"))))
def test_readme_python_blocks_run(i):
    code = _python_blocks(ROOT / "README.md")[i]
    exec(compile(code, f"README.md block {i}", "exec"), {"__name__": "__readme__"})


def _modules():
    for info in pkgutil.walk_packages(hpo_core.__path__, "hpo_core."):
        if info.name.endswith("__main__"):
            continue
        yield info.name


@pytest.mark.parametrize("name", sorted(_modules()))
def test_docstring_examples(name):
    try:
        module = importlib.import_module(name)
    except ImportError as err:  # a module of an optional extra that is not installed
        pytest.skip(f"{name}: {err}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
