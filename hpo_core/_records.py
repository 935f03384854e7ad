"""Trials as plain records (dicts), and spaces and studies as JSON.

A record is a dict with the keys of ``RECORD_KEYS``: what ``Optimizer.to_records`` writes and
``Optimizer.from_trials`` reads. Only ``params`` is required when reading; ``state`` defaults to
"complete" when a value is given, and ids are assigned anew in the order of the records.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from typing import Any

from hpo_core.space import Categorical, Dimension, Integer, Real, Space
from hpo_core.trial import Trial

RECORD_KEYS = (
    "id",
    "params",
    "state",
    "value",
    "intermediate",
    "started_at",
    "finished_at",
    "duration",
    "user_attrs",
    "fail_reason",
)
FORMAT_VERSION = 1


def trial_to_record(t: Trial) -> dict[str, Any]:
    return {
        "id": t.id,
        "params": dict(t.params),
        "state": t.state.value,
        "value": t.value,
        "intermediate": dict(t.intermediate),
        "started_at": t.started_at,
        "finished_at": t.finished_at,
        "duration": t.duration,
        "user_attrs": dict(t.user_attrs),
        "fail_reason": t.fail_reason,
    }


def check_record(i: int, record: Any) -> Mapping[str, Any]:
    if not isinstance(record, Mapping):
        raise ValueError(f"record {i} must be a dict with at least 'params', got {record!r}")
    if "params" not in record:
        raise ValueError(f"record {i} has no 'params': {dict(record)!r}")
    unknown = set(record) - set(RECORD_KEYS)
    if unknown:
        raise ValueError(f"record {i} has unknown keys {sorted(unknown)}; allowed: {RECORD_KEYS}")
    state = record.get("state") or ("complete" if record.get("value") is not None else None)
    if state not in ("pending", "complete", "failed", "pruned"):
        raise ValueError(
            f"record {i}: state must be 'pending', 'complete', 'failed' or 'pruned' "
            f"(or left out with a value), got {record.get('state')!r}"
        )
    return {**record, "state": state}


def dimension_to_json(dim: Dimension) -> dict[str, Any]:
    if isinstance(dim, Real):
        return {"type": "real", "low": dim.low, "high": dim.high, "log": dim.log}
    if isinstance(dim, Integer):
        return {"type": "integer", "low": dim.low, "high": dim.high, "log": dim.log}
    return {"type": "categorical", "choices": list(dim.choices)}


def dimension_from_json(name: str, spec: Mapping[str, Any]) -> Dimension:
    kind = spec.get("type")
    if kind == "real":
        return Real(spec["low"], spec["high"], log=spec.get("log", False))
    if kind == "integer":
        return Integer(spec["low"], spec["high"], log=spec.get("log", False))
    if kind == "categorical":
        return Categorical(tuple(spec["choices"]))
    raise ValueError(
        f"parameter {name!r}: type must be 'real', 'integer' or 'categorical', got {kind!r}"
    )


def _finite_or_none(x: float | None) -> float | None:
    return x if x is None or math.isfinite(x) else None


def study_to_json(
    space: Space, direction: str, records: Iterable[dict[str, Any]], indent: int | None
) -> str:
    doc = {
        "format": "hpo_core.study",
        "version": FORMAT_VERSION,
        "direction": direction,
        "space": {name: dimension_to_json(d) for name, d in space.dimensions.items()},
        "trials": [
            {
                **r,
                "value": _finite_or_none(r["value"]),
                "intermediate": list(r["intermediate"].items()),
            }
            for r in records
        ],
    }
    try:
        return json.dumps(doc, indent=indent, allow_nan=False)
    except (TypeError, ValueError) as err:
        raise TypeError(
            f"the study cannot be written as JSON ({err}); categorical choices and user_attrs "
            "must be JSON values (str, int, float, bool, None, lists and dicts of them)"
        ) from None


def study_from_json(text: str) -> tuple[Space, str, list[dict[str, Any]]]:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as err:
        raise ValueError(f"not a JSON study: {err}") from None
    if not isinstance(doc, dict) or doc.get("format") != "hpo_core.study":
        raise ValueError("not an hpo_core study: the JSON has no 'format': 'hpo_core.study'")
    if doc.get("version") != FORMAT_VERSION:
        raise ValueError(
            f"study format version {doc.get('version')!r} is not supported "
            f"(this hpo_core reads version {FORMAT_VERSION})"
        )
    space = Space({n: dimension_from_json(n, s) for n, s in doc["space"].items()})
    records = []
    for r in doc["trials"]:
        r = dict(r)
        r["intermediate"] = {int(k): float(v) for k, v in r.get("intermediate", [])}
        r.pop("duration", None)
        records.append(r)
    return space, doc["direction"], records
