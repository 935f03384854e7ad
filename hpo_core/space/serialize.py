"""Spaces as JSON-ready dicts and back (study files, storages, the CLI's config).

JSON has no tuples: a tuple (a choice, or inside one) is written ``{"__tuple__": [...]}`` so
that it reads back as the tuple listed; nor keys other than strings: a dict with one (such as
scikit-learn's ``class_weight={0: 1, 1: 5}``) is written ``{"__items__": [[key, value], ...]}``
(a dict that would read as such a marker is wrapped in ``{"__dict__": {...}}``). Files written
before, with tuples as plain lists, read as they did.
"""

from __future__ import annotations

import json
import re
import types
from collections.abc import Callable, Mapping
from typing import Any

from hpo_core.space.dimensions import Categorical, Dimension, Integer, Real
from hpo_core.space.space import Space

__all__ = [
    "dimension_from_json",
    "dimension_to_json",
    "legacy_space_fingerprint",
    "space_fingerprint",
    "space_from_json",
    "space_to_json",
    "value_from_json",
    "value_to_json",
]

_TUPLE, _DICT, _ITEMS = "__tuple__", "__dict__", "__items__"
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


def value_to_json(value: Any) -> Any:
    """A value in a form ``json`` writes and ``value_from_json`` reads back (tuples kept)."""
    if isinstance(value, tuple):
        return {_TUPLE: [value_to_json(v) for v in value]}
    if isinstance(value, list):
        return [value_to_json(v) for v in value]
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            return {_ITEMS: [[value_to_json(k), value_to_json(v)] for k, v in value.items()]}
        out = {k: value_to_json(v) for k, v in value.items()}
        marker = len(value) == 1 and next(iter(value)) in (_TUPLE, _DICT, _ITEMS)
        return {_DICT: out} if marker else out
    return value


def value_from_json(value: Any) -> Any:
    """The value that ``value_to_json`` wrote (plain JSON values unchanged)."""
    if isinstance(value, list):
        return [value_from_json(v) for v in value]
    if isinstance(value, dict):
        if len(value) == 1:
            ((key, inner),) = value.items()
            if key == _TUPLE and isinstance(inner, list):
                return tuple(value_from_json(v) for v in inner)
            if key == _DICT and isinstance(inner, dict):
                return {k: value_from_json(v) for k, v in inner.items()}
            if key == _ITEMS and isinstance(inner, list) and all(_pair(kv) for kv in inner):
                try:
                    return {value_from_json(k): value_from_json(v) for k, v in inner}
                except TypeError:  # a key that is no key (a list): a plain dict after all
                    pass
        return {k: value_from_json(v) for k, v in value.items()}
    return value


def _pair(item: Any) -> bool:
    return isinstance(item, list) and len(item) == 2


def _same(value: Any) -> Any:
    return value


def dimension_to_json(
    dim: Dimension, value: Callable[[Any], Any] = value_to_json
) -> dict[str, Any]:
    out: dict[str, Any]
    if isinstance(dim, Real):
        out = {"type": "real", "low": dim.low, "high": dim.high, "log": dim.log}
    elif isinstance(dim, Integer):
        out = {"type": "integer", "low": dim.low, "high": dim.high, "log": dim.log}
    else:
        out = {"type": "categorical", "choices": [value(c) for c in dim.choices]}
    if dim.when:
        out["when"] = {parent: [value(v) for v in values] for parent, values in dim.when}
    return out


def dimension_from_json(name: str, spec: Mapping[str, Any]) -> Dimension:
    kind = spec.get("type")
    when = spec.get("when")
    if isinstance(when, Mapping):  # anything else is the dimension's to refuse
        when = {parent: value_from_json(values) for parent, values in when.items()}
    if kind == "real":
        return Real(spec["low"], spec["high"], log=spec.get("log", False), when=when)
    if kind == "integer":
        return Integer(spec["low"], spec["high"], log=spec.get("log", False), when=when)
    if kind == "categorical":
        choices = spec["choices"]
        if not isinstance(choices, list):  # a string would be taken as its letters
            raise ValueError(f"parameter {name!r}: choices must be a list, got {choices!r}")
        return Categorical(tuple(value_from_json(c) for c in choices), when=when)
    raise ValueError(
        f"parameter {name!r}: type must be 'real', 'integer' or 'categorical', got {kind!r}"
    )


def space_to_json(space: Space, value: Callable[[Any], Any] = value_to_json) -> dict[str, Any]:
    """Each column's dimension, under its internal name, with the parameter it decodes to."""
    return {
        name: {**dimension_to_json(dim, value), "param": out}
        for (name, dim), out in zip(space.dimensions.items(), space.columns, strict=True)
    }


def space_from_json(doc: Mapping[str, Any]) -> Space:
    dims = {n: dimension_from_json(n, s) for n, s in doc.items()}
    return Space._from_parts(dims, {n: s.get("param", n) for n, s in doc.items()})


def describe(obj: Any) -> str:
    """A text naming an object that has no JSON form, the same in every process: its repr, but
    a function by its ``module.qualname`` and with memory addresses left out."""
    text = repr(obj)
    if not _ADDRESS.search(text):
        return text
    if isinstance(obj, (types.FunctionType, types.BuiltinFunctionType, types.MethodType)):
        return f"<{type(obj).__name__} {obj.__module__}.{obj.__qualname__}>"
    return _ADDRESS.sub("", text)


def space_fingerprint(space: Space) -> str:
    """A text that two spaces share exactly when they are the same space (what a storage keeps
    to refuse a study reopened with another space, and reads the space back from)."""
    return json.dumps(space_to_json(space), default=describe)


def legacy_space_fingerprint(space: Space) -> str:
    """The fingerprint that earlier versions stored (tuples as lists), to reopen their studies."""
    return json.dumps(space_to_json(space, _same), default=repr)
