"""``hpo-core run CONFIG.toml``: a study described in a TOML file.

.. code-block:: toml

    objective = "objectives:train"     # module:function; the config's folder is importable
    strategy = "random"                # a name in hpo_core.strategies.STRATEGIES, or a table:
                                       # strategy = { name = "tpe", n_startup = 5 }
    n_trials = 50                      # total for the study: a resumed study runs the rest
    timeout = 600                      # seconds, optional
    direction = "minimize"
    seed = 0
    storage = "sqlite:///study.db"     # optional; relative to the config's folder ("memory": none)
                                       # or "postgresql://user:pw@host:5432/db"
    study = "my-study"
    n_jobs = 1
    heartbeat_timeout = 300            # optional, with a storage: a dead run's trials fail

    [space]
    lr = { type = "real", low = 1e-4, high = 1.0, log = true }
    layers = { type = "integer", low = 1, high = 4 }
    activation = ["relu", "tanh"]      # a list: its values
    dropout = { type = "real", low = 0.0, high = 0.5, when = { activation = ["relu"] } }
"""

from __future__ import annotations

import importlib
import inspect
import re
import sys
import tomllib
from pathlib import Path
from typing import Any

from hpo_core.space import Dimension
from hpo_core.space.serialize import dimension_from_json
from hpo_core.storage.postgres import is_postgres_url
from hpo_core.storage.sqlite import scheme_error

__all__ = ["ConfigError", "load_config", "run"]

_KEYS: dict[str, type | tuple[type, ...]] = {
    "objective": str,
    "strategy": (str, dict),
    "n_trials": int,
    "timeout": (int, float),
    "direction": str,
    "seed": int,
    "storage": str,
    "study": str,
    "n_jobs": int,
    "heartbeat_timeout": (int, float),
    "space": dict,
}


#: the keys whose values have a range: (key, test, what the message says)
_RANGES = [
    ("n_trials", lambda v: v >= 1, "must be an integer >= 1"),
    ("timeout", lambda v: v > 0, "must be a number of seconds > 0"),
    ("n_jobs", lambda v: v >= 1, "must be an integer >= 1"),
    ("seed", lambda v: v >= 0, "must be an integer >= 0"),
    ("heartbeat_timeout", lambda v: v > 0, "must be a number of seconds > 0"),
]


class ConfigError(ValueError):
    """A configuration file that cannot be used; the message names the file, key and line."""


def _line_of(text: str, key: str) -> int | None:
    """The line of a key, or of its table when the key is inside an inline table."""
    for leaf in reversed(key.split(".")):
        for i, line in enumerate(text.splitlines(), 1):
            if re.match(rf"\s*(\[space\.)?{re.escape(leaf)}\]?\s*(=|$)", line):
                return i
    return None


def _fail(path: Path, text: str, key: str, msg: str) -> ConfigError:
    line = _line_of(text, key)
    where = f"{path}:{line}" if line else str(path)
    return ConfigError(f"{where}: {key}: {msg}")


def load_config(path: str | Path) -> dict[str, Any]:
    """Read and check a study configuration; ConfigError names the key and line of a fault."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise ConfigError(f"cannot read {path}: {err.strerror}") from None
    except UnicodeDecodeError as err:
        raise ConfigError(f"{path}: not UTF-8 text, as TOML must be: {err}") from None
    try:
        cfg = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path}: not valid TOML: {err}") from None
    for key, value in cfg.items():
        if key not in _KEYS:
            raise _fail(path, text, key, f"unknown key; the keys are {sorted(_KEYS)}")
        kind = _KEYS[key]
        if not isinstance(value, kind) or isinstance(value, bool):
            names = (
                kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
            )
            raise _fail(path, text, key, f"must be a {names}, got {value!r}")
    for key, ok, msg in _RANGES:
        if key in cfg and not ok(cfg[key]):
            raise _fail(path, text, key, f"{msg}, got {cfg[key]!r}")
    for key in ("objective", "space"):
        if key not in cfg:
            raise ConfigError(f"{path}: the key {key!r} is required")
    if "n_trials" not in cfg and "timeout" not in cfg:
        raise ConfigError(f"{path}: give n_trials or timeout")
    space: dict[str, Dimension | list[Any]] = {}
    for name, spec in cfg["space"].items():
        key = f"space.{name}"
        try:
            if isinstance(spec, list):
                space[name] = spec
            elif isinstance(spec, dict):
                unknown = set(spec) - {"type", "low", "high", "log", "choices", "when"}
                if unknown:
                    raise ValueError(f"unknown field(s) {sorted(unknown)}")
                space[name] = dimension_from_json(name, spec)
            else:
                raise ValueError(
                    "must be a list of values or a table with type = 'real', 'integer' or "
                    f"'categorical', got {spec!r}"
                )
        except (ValueError, KeyError, TypeError) as err:
            msg = f"missing field {err}" if isinstance(err, KeyError) else str(err)
            raise _fail(path, text, key, msg) from None
    cfg["space"] = space
    if "heartbeat_timeout" in cfg and cfg.get("storage", "memory") == "memory":
        msg = "needs a storage shared by runs (storage = 'sqlite:///study.db')"
        raise _fail(path, text, "heartbeat_timeout", msg)
    why = scheme_error(cfg.get("storage", ""))
    if why is not None:
        forms = "'sqlite:///study.db', a file path, 'postgresql://user:pw@host:5432/db' or 'memory'"
        raise _fail(path, text, "storage", f"{cfg['storage']!r} {why}; give {forms}")
    if cfg.get("storage") == "memory" or is_postgres_url(cfg.get("storage")):
        pass  # kept in memory (no file named memory), or on a database server: no file path
    elif "storage" in cfg and not cfg["storage"].removeprefix("sqlite:///").strip():
        raise _fail(
            path, text, "storage", "must name a database file ('sqlite:///study.db') or be 'memory'"
        )
    elif "storage" in cfg and not cfg["storage"].startswith("sqlite:////"):
        rel = cfg["storage"].removeprefix("sqlite:///")
        cfg["storage"] = f"sqlite:///{(path.parent / rel).resolve()}"
    cfg["_path"], cfg["_text"] = path, text
    return cfg


def _strategy(cfg: dict[str, Any]) -> Any:
    """The strategy: a name, or a table ``{ name = "...", option = value, ... }`` whose options
    are the strategy class's keyword arguments."""
    from hpo_core.strategies import STRATEGIES

    path, text, spec = cfg["_path"], cfg["_text"], cfg.get("strategy", "random")
    name = spec.get("name") if isinstance(spec, dict) else spec
    if name not in STRATEGIES:
        key = "strategy.name" if isinstance(spec, dict) else "strategy"
        raise _fail(path, text, key, f"must be one of {sorted(STRATEGIES)}, got {name!r}")
    if not isinstance(spec, dict):
        return name
    module, cls_name = STRATEGIES[name].split(":")
    cls = getattr(importlib.import_module(module), cls_name)
    allowed = [p for p in inspect.signature(cls).parameters if p not in ("self", "seed")]
    options = {k: v for k, v in spec.items() if k != "name"}
    for key in options:
        if key not in allowed:
            raise _fail(
                path,
                text,
                f"strategy.{key}",
                f"not an option of {name!r}; its options are {allowed}",
            )
    try:
        return cls(**options)
    except (TypeError, ValueError) as err:
        raise _fail(path, text, "strategy", str(err)) from None


def _objective(cfg: dict[str, Any]) -> Any:
    path, text, spec = cfg["_path"], cfg["_text"], cfg["objective"]
    module, _, name = spec.partition(":")
    if not module or not name:
        raise _fail(path, text, "objective", f"must be 'module:function', got {spec!r}")
    sys.path.insert(0, str(path.parent.resolve()))
    try:
        fn = getattr(importlib.import_module(module), name)
    except ImportError as err:
        raise _fail(path, text, "objective", f"cannot import {module!r}: {err}") from None
    except AttributeError:
        raise _fail(path, text, "objective", f"module {module!r} has no {name!r}") from None
    except SyntaxError as err:  # the module's own file and line
        where = f"{err.filename}:{err.lineno}" if err.lineno else err.filename
        msg = f"cannot import {module!r}: {where}: {type(err).__name__}: {err.msg}"
        raise _fail(path, text, "objective", msg) from None
    if not callable(fn):
        raise _fail(path, text, "objective", f"{spec!r} is not callable")
    return fn


def run(config: str | Path, progress: bool = True) -> int:
    """Run (or resume) the study of a configuration file and print the best trial."""
    from hpo_core import Optimizer
    from hpo_core.core import loop

    cfg = load_config(config)
    objective = _objective(cfg)
    if cfg.get("n_jobs", 1) > 1 and loop.takes_trial(objective):
        msg = (
            f"{cfg['objective']!r} takes a trial (to report and prune), so it runs in this "
            "process only: set n_jobs = 1, and to run trials side by side start this command "
            "once per worker with a shared storage"
        )
        raise _fail(cfg["_path"], cfg["_text"], "n_jobs", msg)
    strategy = _strategy(cfg)
    try:
        opt = Optimizer(
            cfg["space"],
            strategy=strategy,
            direction=cfg.get("direction", "minimize"),
            seed=cfg.get("seed"),
            storage=cfg.get("storage"),
            study=cfg.get("study", "default"),
            heartbeat_timeout=cfg.get("heartbeat_timeout"),
        )
    except ValueError as err:
        raise ConfigError(f"{cfg['_path']}: {err}") from None
    done = len(opt.trials)
    # the study's total, so that a rerun resumes it, and runs of the file at once share it
    total = n_trials = cfg.get("n_trials")
    name = cfg.get("study", "default")
    if n_trials is not None and done >= n_trials:
        print(
            f"study {name!r}: {done} of {n_trials} trials done; nothing to run; "
            "raise n_trials to continue"
        )
        n_trials = 0
    elif done:
        more = "" if n_trials is None else f" of {n_trials}; running {n_trials - done} more"
        print(f"resuming study {name!r}: {done} trials recorded{more}")
        if n_trials is not None:
            n_trials -= done
    try:
        if n_trials != 0:  # as opt.optimize, stopping once the study holds the total
            timeout, n_jobs = cfg.get("timeout"), cfg.get("n_jobs", 1)
            args = (n_trials, timeout, (), (Exception,), progress, n_jobs, None)
            loop.minimize(opt, objective, *args, total=total)
    except KeyboardInterrupt:
        kept = (
            "the study was kept in memory and is lost; set storage to keep it"
            if cfg.get("storage") in (None, "memory")
            else f"{len(opt.trials)} trials are saved; run the same command again to resume"
        )
        print(f"\ninterrupted: {kept}", file=sys.stderr)
        return 130
    if not any(t.state == "complete" for t in opt.trials):
        return 0 if n_trials == 0 else 1
    best = opt.best
    print(f"best of {len(opt.trials)} trials: value {best.value:.6g} (trial {best.id})")
    for name, value in best.params.items():
        print(f"  {name} = {value!r}")
    return 0
