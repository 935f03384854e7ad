"""The README's code, the documentation's code and the docstrings' examples run as printed."""

from __future__ import annotations

import doctest
import importlib
import pkgutil
import re
import sys
from pathlib import Path

import pytest

import hpo_core

ROOT = Path(__file__).resolve().parents[1]


def _blocks(path: Path, lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", path.read_text(), flags=re.S)


def _python_blocks(path: Path) -> list[str]:
    return _blocks(path, "python")


DOCS = ROOT / "docs"
PAGES = sorted(p for p in DOCS.rglob("*.md") if "_build" not in p.parts)


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


def _close_figures() -> None:
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")


@pytest.mark.parametrize("page", [p.relative_to(DOCS).as_posix() for p in PAGES])
def test_docs_python_blocks_run(page, tmp_path, monkeypatch):
    """Every ```python block of a page runs: the page's blocks in order in one namespace, in a
    fresh working directory so that the files they write stay out of the repository."""
    # a block that needs what a test machine has not (a database server, a Dask cluster) says
    # so in a comment on its first line and is left out: "# not run here: it needs a server"
    blocks = [b for b in _python_blocks(DOCS / page) if "not run here" not in b.partition("\n")[0]]
    for extra in ("torch", "keras", "keras_tuner"):  # optional packages the test extra leaves out
        if any(re.search(rf"^\s*(import|from) {extra}\b", code, flags=re.M) for code in blocks):
            pytest.importorskip(extra, reason=f"docs/{page} needs {extra}")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setattr(sys, "path", list(sys.path))  # hpo-core run puts the config's folder first
    namespace = {"__name__": "__docs__"}
    _close_figures()  # those other tests left open count towards pyplot's warning of 20
    try:
        for i, code in enumerate(blocks):
            exec(compile(code, f"docs/{page} block {i}", "exec"), namespace)
    finally:  # modules the page wrote (an objectives.py) are not those of the next page
        _close_figures()
        for name, module in list(sys.modules.items()):
            if str(getattr(module, "__file__", None) or "").startswith(str(tmp_path)):
                del sys.modules[name]


def test_docs_have_python_blocks():
    """The runner above finds the pages' code (a fence it does not read would go unchecked)."""
    for page in PAGES:
        fences = re.findall(r"^```(\S*)", page.read_text(), flags=re.M)
        langs = set(fences[::2])  # opening fences only
        assert langs <= {"python", "bash", "toml", "text", "{eval-rst}", "{toctree}"}, page


def test_cli_page_configs_load(tmp_path):
    """The configuration files the command-line page shows are accepted by ``hpo-core run``."""
    from hpo_core.cli.run import _strategy, load_config

    blocks = _blocks(DOCS / "cli.md", "toml")
    assert blocks
    for i, text in enumerate(blocks):
        path = tmp_path / f"study{i}.toml"
        path.write_text(text)
        cfg = load_config(path)
        assert cfg["space"], f"docs/cli.md TOML block {i}"
        _strategy(cfg)  # a strategy table's options are the strategy's own


def test_strategies_page_lists_every_strategy_and_option():
    """The strategies guide names every strategy and every option of its class."""
    import inspect

    from hpo_core.strategies import STRATEGIES

    text = (DOCS / "strategies.md").read_text()
    for name, target in STRATEGIES.items():
        module, cls_name = target.split(":")
        assert f'`"{name}"`' in text, name
        row = next(line for line in text.splitlines() if line.startswith(f'| `"{name}"` | `str'))
        cls = getattr(importlib.import_module(module), cls_name)
        for option in inspect.signature(cls).parameters:
            assert f"`{option}=" in row, (name, option)
