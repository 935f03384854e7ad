"""Spaces as JSON-ready dicts and back (study files, storages, the CLI's config)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from hpo_core.space.dimensions import Categorical, Dimension, Integer, Real
from hpo_core.space.space import Space

__all__ = [
    "dimension_from_json",
    "dimension_to_json",
    "space_fingerprint",
    "space_from_json",
    "space_to_json",
]


def dimension_to_json(dim: Dimension) -> dict[str, Any]:
    out: dict[str, Any]
    if isinstance(dim, Real):
        out = {"type": "real", "low": dim.low, "high": dim.high, "log": dim.log}
    elif isinstance(dim, Integer):
        out = {"type": "integer", "low": dim.low, "high": dim.high, "log": dim.log}
    else:
        out = {"type": "categorical", "choices": list(dim.choices)}
    if dim.when:
        out["when"] = {parent: list(values) for parent, values in dim.when}
    return out


def dimension_from_json(name: str, spec: Mapping[str, Any]) -> Dimension:
    kind = spec.get("type")
    when = spec.get("when")
    if kind == "real":
        return Real(spec["low"], spec["high"], log=spec.get("log", False), when=when)
    if kind == "integer":
        return Integer(spec["low"], spec["high"], log=spec.get("log", False), when=when)
    if kind == "categorical":
        return Categorical(tuple(spec["choices"]), when=when)
    raise ValueError(
        f"parameter {name!r}: type must be 'real', 'integer' or 'categorical', got {kind!r}"
    )


def space_to_json(space: Space) -> dict[str, Any]:
    """Each column's dimension, under its internal name, with the parameter it decodes to."""
    return {
        name: {**dimension_to_json(dim), "param": out}
        for (name, dim), out in zip(space.dimensions.items(), space.columns, strict=True)
    }


def space_from_json(doc: Mapping[str, Any]) -> Space:
    dims = {n: dimension_from_json(n, s) for n, s in doc.items()}
    return Space._from_parts(dims, {n: s.get("param", n) for n, s in doc.items()})


def space_fingerprint(space: Space) -> str:
    """A text that two spaces share exactly when they are the same space (what a storage keeps
    to refuse a study reopened with another space)."""
    return json.dumps(space_to_json(space), default=repr)
