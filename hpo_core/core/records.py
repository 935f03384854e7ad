"""Trials as plain records (dicts), and spaces and studies as JSON.

A record is a dict with the keys of ``RECORD_KEYS``: what ``Optimizer.to_records`` writes and
``Optimizer.from_trials`` reads. Only ``params`` is required when reading; ``state`` defaults to
"complete" when a value is given, and ids are assigned anew in the order of the records.
"""

from __future__ import annotations

import json
import math
import numbers
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from hpo_core.core.trial import Trial
from hpo_core.space import Space
from hpo_core.space.serialize import (
    space_from_json,
    space_to_json,
    value_from_json,
    value_to_json,
)

if TYPE_CHECKING:
    from hpo_core.core.optimizer import Optimizer

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
    "values",
    "constraints",
)
FORMAT_VERSION = 1


def trial_to_record(t: Trial, multi: bool = False, constrained: bool = False) -> dict[str, Any]:
    """The trial as a record; ``values`` and ``constraints`` keys only in studies that have
    several objectives or constraints (older readers never see them otherwise)."""
    rec = {
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
    if multi:
        rec["values"] = t.values
    if constrained:
        rec["constraints"] = None if t.constraints is None else list(t.constraints)
    return rec


def check_record(i: int, record: Any) -> Mapping[str, Any]:
    if not isinstance(record, Mapping):
        raise ValueError(f"record {i} must be a dict with at least 'params', got {record!r}")
    if "params" not in record:
        raise ValueError(f"record {i} has no 'params': {dict(record)!r}")
    unknown = set(record) - set(RECORD_KEYS)
    if unknown:
        raise ValueError(f"record {i} has unknown keys {sorted(unknown)}; allowed: {RECORD_KEYS}")
    told = record.get("value") is not None or record.get("values") is not None
    state = record.get("state") or ("complete" if told else None)
    if state not in ("pending", "complete", "failed", "pruned"):
        raise ValueError(
            f"record {i}: state must be 'pending', 'complete', 'failed' or 'pruned' "
            f"(or left out with a value), got {record.get('state')!r}"
        )
    for key in ("started_at", "finished_at"):
        at = record.get(key)
        if at is not None and (
            isinstance(at, bool) or not isinstance(at, (int, float)) or not math.isfinite(at)
        ):
            raise ValueError(
                f"record {i}: {key} must be None or seconds since the epoch (a finite number), "
                f"got {at!r}"
            )
    for key in ("intermediate", "user_attrs"):
        if record.get(key) is not None and not isinstance(record[key], Mapping):
            raise ValueError(f"record {i}: {key} must be a dict, got {record[key]!r}")
    return {**record, "state": state}


def _finite_or_none(x: float | None) -> float | None:
    return x if x is None or math.isfinite(x) else None


def restore(
    cls: type[Optimizer],
    space: Any,
    records: Iterable[Mapping[str, Any]],
    strategy: Any,
    direction: Any,
    seed: int | None,
    constraints: bool,
) -> Optimizer:
    """``Optimizer.from_trials``: an optimizer of ``cls`` holding ``records``; with a seed and
    records, its strategy draws from ``SeedSequence([seed, len(records)])``, not from the
    stream the recorded run drew its first points from."""
    records = list(records)
    own = seed  # a bad seed goes on to the optimizer's own error
    if records and isinstance(seed, numbers.Integral) and not isinstance(seed, bool) and seed >= 0:
        own = int(np.random.SeedSequence([int(seed), len(records)]).generate_state(1)[0])
    opt = cls(space, strategy=strategy, direction=direction, seed=own, constraints=constraints)
    load_records(opt, records)
    return opt


def load_records(opt: Optimizer, records: Iterable[Mapping[str, Any]]) -> None:
    """Record ``records`` in ``opt`` (all validated before any is recorded)."""
    checked = [check_record(i, r) for i, r in enumerate(records)]
    for i, r in enumerate(checked):
        try:
            opt.space.encode(r["params"])
        except ValueError as err:
            raise ValueError(f"record {i}: {err}") from None
    books = opt._books
    for r in checked:
        plain, x = books.params_and_x(r["params"])
        t = books.new_trial(x, plain)
        t.intermediate.update(r.get("intermediate") or {})
        t.user_attrs.update(r.get("user_attrs") or {})
        if r.get("started_at") is not None:
            t.started_at = r["started_at"]
        if r["state"] != "pending":
            value = r.get("value")
            if len(opt.directions) > 1 and r.get("values") is not None:
                value = r["values"]
            opt.tell(t, value, state=r["state"], constraints=r.get("constraints"))
            if r["state"] == "failed" and r.get("fail_reason"):
                t.fail_reason = r["fail_reason"]
            if r.get("finished_at") is not None:
                t.finished_at = r["finished_at"]


def to_dataframe(records: list[dict[str, Any]]) -> Any:
    try:
        import pandas as pd
    except ImportError:
        raise ImportError("to_dataframe needs pandas: pip install pandas") from None
    rows = []
    for r in records:
        params = r.pop("params")
        inter = r.pop("intermediate")
        rows.append({**r, **{f"params_{k}": v for k, v in params.items()}, "n_reports": len(inter)})
    return pd.DataFrame(rows).set_index("id")


def study_to_json(
    space: Space,
    direction: str | list[str],
    records: Iterable[dict[str, Any]],
    indent: int | None,
    path: str | os.PathLike[str] | None = None,
    constraints: bool = False,
) -> str:
    doc = {
        "format": "hpo_core.study",
        "version": FORMAT_VERSION,
        "direction": direction,
        **({"constraints": True} if constraints else {}),
        "space": space_to_json(space),
        "trials": [
            {
                **r,
                "params": {k: value_to_json(v) for k, v in r["params"].items()},
                "value": _finite_or_none(r["value"]),
                "intermediate": list(r["intermediate"].items()),
            }
            for r in records
        ],
    }
    try:
        text = json.dumps(doc, indent=indent, allow_nan=False)
    except (TypeError, ValueError) as err:
        raise TypeError(
            f"the study cannot be written as JSON ({err}); categorical choices and user_attrs "
            "must be JSON values (str, int, float, bool, None, lists and dicts of them)"
        ) from None
    if path is not None:
        Path(path).write_text(text)
    return text


def study_from_json(
    text_or_path: str | os.PathLike[str],
) -> tuple[Space, str | list[str], list[dict[str, Any]], bool]:
    """(space, direction, records, constraints) of a study written by ``study_to_json``."""
    text = os.fspath(text_or_path)
    if not text.strip():
        raise ValueError("from_json takes a JSON study or the path of a file holding one, got ''")
    if not text.lstrip("\ufeff \t\r\n").startswith("{"):
        path = Path(text)
        if not path.is_file():
            raise ValueError(
                f"not a JSON study, nor the path of a file: {text[:80]!r} "
                f"({'a directory' if path.is_dir() else 'no such file'})"
            )
        text = path.read_text(encoding="utf-8-sig")
    try:
        doc = json.loads(text.lstrip("\ufeff"))
    except json.JSONDecodeError as err:
        raise ValueError(f"not a JSON study: {err}") from None
    if not isinstance(doc, dict) or doc.get("format") != "hpo_core.study":
        raise ValueError("not an hpo_core study: the JSON has no 'format': 'hpo_core.study'")
    if doc.get("version") != FORMAT_VERSION:
        raise ValueError(
            f"study format version {doc.get('version')!r} is not supported "
            f"(this hpo_core reads version {FORMAT_VERSION})"
        )
    missing = [k for k in ("space", "direction", "trials") if k not in doc]
    if missing:
        raise ValueError(f"the JSON study has no {missing[0]!r} (keys: {sorted(doc)})")
    space = space_from_json(doc["space"])
    records = []
    for r in doc["trials"]:
        r = dict(r)
        r["params"] = {k: value_from_json(v) for k, v in r["params"].items()}
        r["intermediate"] = {int(k): float(v) for k, v in r.get("intermediate", [])}
        r.pop("duration", None)
        records.append(r)
    return space, doc["direction"], records, bool(doc.get("constraints", False))
