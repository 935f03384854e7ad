"""The dashboard's JSON, built from a storage opened read-only.

Each study is watched through the ``Store`` protocol: ``changes(since)`` gives the rows changed
after a sequence number, so a view keeps its rows (as JSON-ready dicts) and the state counts of
its study up to date by reading only what changed since its last look, and a page that polls
with ``since`` gets only the rows changed after the sequence number it has. Importance, the
Pareto front and the hypervolume history are computed from a read-only ``Optimizer`` of the
study, once per number of finished trials.
"""

from __future__ import annotations

import bisect
import json
import math
import threading
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from hpo_core.core import Optimizer
from hpo_core.core.outcomes import parse_direction_text
from hpo_core.plots.hypervolume import hypervolume_so_far
from hpo_core.plots.parameters import importance_scores
from hpo_core.space import CATEGORICAL, Categorical, Space
from hpo_core.space.serialize import space_from_json
from hpo_core.storage import (
    PostgresStorage,
    SQLiteStorage,
    StorageError,
    Store,
    StoredTrial,
    open_existing,
)

__all__ = ["Dashboard", "StudyView", "UnknownStudy"]

#: at most this many points of the hypervolume history (evenly spaced over the trials)
HV_POINTS = 200
#: importance is estimated on the last this-many complete trials (a forest on 10,000 is slow)
IMPORTANCE_ROWS = 1000


class UnknownStudy(LookupError):
    """A study name the storage does not hold."""


def _plain(value: Any) -> Any:
    """A parameter or attribute value as the page shows it: JSON scalars kept, non-finite
    numbers as None, anything else (tuples, objects) as its text."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, (np.integer, np.floating)):
        return _plain(value.item())
    if isinstance(value, (list, dict)):
        try:
            json.dumps(value, allow_nan=False)
            return value
        except (TypeError, ValueError):
            return str(value)
    return str(value)


def _floats(values: list[float] | None) -> list[float | None] | None:
    return None if values is None else [v if math.isfinite(v) else None for v in values]


def trial_json(row: StoredTrial) -> dict[str, Any]:
    """One trial as the page reads it."""
    values = row.values if row.values is not None else None
    if values is None and row.value is not None:
        values = [row.value]
    started, finished = row.started_at, row.finished_at
    return {
        "number": row.number,
        "state": row.state,
        "values": _floats(values),
        "params": {k: _plain(v) for k, v in row.params.items()},
        "intermediate": [[s, v if math.isfinite(v) else None] for s, v in row.intermediate.items()],
        "user_attrs": {k: _plain(v) for k, v in row.user_attrs.items()},
        "constraints": _floats(row.constraints),
        "started_at": started,
        "finished_at": finished,
        "duration": None if started is None or finished is None else finished - started,
        "fail_reason": row.fail_reason,
    }


def params_json(space: Space) -> list[dict[str, Any]]:
    """Each parameter's name, kind, log scale, bounds or choices: of its first definition, but
    the choices (or bounds) of every sub-space that defines it alike, as the page places a
    trial by its value among them."""
    out = []
    for name in space.params:
        dims: list[Any] = [
            space.dimensions[space.names[j]] for j, c in enumerate(space.columns) if c == name
        ]
        dim = dims[0]
        log = bool(getattr(dim, "log", False))
        info: dict[str, Any] = {"name": name, "kind": str(dim.kind), "log": log}
        if dim.kind == CATEGORICAL:
            choices = dim
            for other in dims[1:]:
                if other.kind == CATEGORICAL:
                    new = tuple(c for c in other.choices if not _among(c, choices))
                    choices = Categorical(choices.choices + new)
            info["choices"] = [_plain(c) for c in choices.choices]
        else:
            alike = [d for d in dims if d.kind != CATEGORICAL]
            info["low"], info["high"] = min(d.low for d in alike), max(d.high for d in alike)
        out.append(info)
    return out


def _among(value: Any, dim: Categorical) -> bool:
    try:
        dim.index(value)
    except ValueError:
        return False
    return True


def _location(storage: SQLiteStorage | PostgresStorage) -> str:
    """What opens the storage again: a file's path or a server's URL."""
    return storage.path if isinstance(storage, SQLiteStorage) else storage.url


def _shown(storage: SQLiteStorage | PostgresStorage) -> str:
    """The storage as messages name it (a URL without its password)."""
    return storage.path if isinstance(storage, SQLiteStorage) else storage.name


class StudyView:
    """One study of a read-only storage, its rows kept up to date from ``changes``."""

    def __init__(
        self, storage: SQLiteStorage | PostgresStorage, name: str, lock: threading.RLock
    ) -> None:
        self.space, space_text, direction_text = storage.study_space(name, space_from_json)
        self.name = name
        direction, self.constrained = parse_direction_text(direction_text)
        self.directions = [direction] if isinstance(direction, str) else list(direction)
        self.store: Store = storage.open_study(name, space_text, direction_text, self.space)
        self.path = _location(storage)
        self._opt: Optimizer | None = None
        self._opt_storage: SQLiteStorage | PostgresStorage | None = None
        self.analysis_lock = threading.Lock()
        #: the storage's connection is shared by every view: one reader at a time
        self.lock = lock
        self.seq = 0
        self.rows: list[dict[str, Any] | None] = []
        #: (sequence number, trial numbers changed then), in order: what changed since any seq
        self.log: list[list[int]] = []
        self.log_seqs: list[int] = []
        self._cache: dict[str, tuple[int, dict[str, Any]]] = {}
        #: each row's JSON, made when first sent and dropped when the row changes
        self._encoded: dict[int, bytes] = {}

    def refresh(self) -> None:
        """Read the rows changed since the last look (only those)."""
        seq, changed = self.store.changes(self.seq)
        if not changed:
            self.seq = seq
            return
        for row in changed:
            if row.number >= len(self.rows):
                self.rows.extend([None] * (row.number + 1 - len(self.rows)))
            self.rows[row.number] = trial_json(row)
            self._encoded.pop(row.number, None)
        self.log.append([r.number for r in changed])
        self.log_seqs.append(seq)
        self.seq = seq

    @property
    def opt(self) -> Optimizer:
        """A read-only optimizer of the study, for importance and the Pareto front: on a
        connection of its own, made when first needed (not for the first view)."""
        if self._opt is None:
            self._opt_storage = open_existing(self.path, read_only=True)
            self._opt = Optimizer.load(self._opt_storage, self.name, read_only=True)
        return self._opt

    def close(self) -> None:
        """Release the optimizer's connection (the storage's is the dashboard's)."""
        with self.analysis_lock:
            if self._opt_storage is not None:
                self._opt_storage.close()
            self._opt = self._opt_storage = None

    def meta(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "directions": self.directions,
            "constrained": self.constrained,
            "params": params_json(self.space),
        }

    def trials_since(self, since: int) -> dict[str, Any]:
        """The sequence number and the trials changed after ``since``: every trial (and
        ``reset``) for 0 or a number this study never reached (the page then starts over)."""
        with self.lock:
            self.refresh()
            reset = since <= 0 or since > self.seq
            if reset:
                rows = [r for r in self.rows if r is not None]
            else:
                first = bisect.bisect_right(self.log_seqs, since)
                numbers = sorted({n for ns in self.log[first:] for n in ns})
                rows = [r for n in numbers if (r := self.rows[n]) is not None]
            return {"seq": self.seq, "reset": reset, "trials": rows}

    def trials_json(self, since: int) -> bytes:
        """``trials_since(since)`` as JSON bytes, each row encoded once until it changes:
        every trial again (a page opened or reloaded) costs a join, not 10,000 encodings."""
        with self.lock:
            doc = self.trials_since(since)
            parts = []
            for row in doc["trials"]:
                encoded = self._encoded.get(row["number"])
                if encoded is None:
                    encoded = self._encoded[row["number"]] = dumps(row)
                parts.append(encoded)
        head = b'{"seq":%d,"reset":%s,"trials":[' % (
            doc["seq"],
            b"true" if doc["reset"] else b"false",
        )
        return head + b",".join(parts) + b"]}"

    def summary(self) -> dict[str, Any]:
        """Name, directions, trials by state and the best trial (one objective)."""
        with self.lock:
            self.refresh()
            counts = dict.fromkeys(("complete", "pending", "pruned", "failed"), 0)
            best: dict[str, Any] | None = None
            sign = -1.0 if self.directions[0] == "maximize" else 1.0
            for r in self.rows:
                if r is None:
                    continue
                counts[r["state"]] += 1
                if len(self.directions) > 1 or r["state"] != "complete" or not r["values"]:
                    continue
                v = r["values"][0]
                if v is None or (self.constrained and any(c > 0 for c in r["constraints"] or [])):
                    continue
                if best is None or sign * v < sign * best["value"]:
                    best = {"number": r["number"], "value": v}
            return {
                "name": self.name,
                "directions": self.directions,
                "n_trials": sum(counts.values()),
                "states": counts,
                "best": best,
                "seq": self.seq,
            }

    def _cached(
        self, kind: str, compute: Callable[[list[dict[str, Any]]], dict[str, Any]]
    ) -> dict[str, Any]:
        """``compute(rows)``, again only once more trials finished. Computed under the view's
        own lock, with its own optimizer (its own connection): the trials of every study
        stay readable meanwhile."""
        with self.lock:
            self.refresh()
            rows = [r for r in self.rows if r is not None]
        done = sum(1 for r in rows if r["state"] != "pending")
        with self.analysis_lock:
            cached = self._cache.get(kind)
            if cached is None or cached[0] != done:
                cached = self._cache[kind] = (done, compute(rows))
            return cached[1]

    def importance(self, objective: int = 0) -> dict[str, Any]:
        """Relative importance of each parameter for objective ``objective`` (an index into the
        study's directions), recomputed when more trials finished. ValueError naming the range
        for another index."""
        m = len(self.directions)
        if isinstance(objective, bool) or not isinstance(objective, int) or not 0 <= objective < m:
            raise ValueError(
                f"objective must be an integer in [0, {m - 1}] (the study has {m} objective"
                f"{'s' if m > 1 else ''}), got {objective!r}"
            )
        return self._cached(
            f"importance {objective}", lambda rows: self._importance(rows, objective)
        )

    def _importance(self, rows: list[dict[str, Any]], objective: int) -> dict[str, Any]:
        try:
            names, scores, method = importance_scores(
                self.opt,
                n_estimators=50,
                n_repeats=3,
                max_rows=IMPORTANCE_ROWS,
                target=objective if len(self.directions) > 1 else None,
            )
        except ValueError as err:  # fewer than 2 complete trials
            return {"error": str(err)}
        return {
            "params": names,
            "importance": scores.tolist(),
            "method": method,
            "objective": objective,
        }

    def pareto(self) -> dict[str, Any]:
        """The Pareto front (trial numbers) and the hypervolume after each stretch of trials."""
        return self._cached("pareto", self._pareto)

    def _pareto(self, rows: list[dict[str, Any]]) -> dict[str, Any]:
        """The front, and ``plots.hypervolume_so_far`` (its default reference, any number of
        objectives) at up to ``HV_POINTS`` trials, as [trial number, hypervolume] pairs."""
        front = [t.id for t in self.opt.pareto_front]
        out: dict[str, Any] = {"front": front, "hypervolume": [], "reference": None}
        try:
            curve, reference = hypervolume_so_far(self.opt)
        except ValueError:  # no complete (feasible) trial yet
            return out
        numbers = [t.id for t in self.opt.trials]
        cuts = np.unique(np.linspace(1, len(curve), min(HV_POINTS, len(curve))).astype(int))
        out["hypervolume"] = [[numbers[c - 1], float(curve[c - 1])] for c in cuts]
        out["reference"] = reference.tolist()
        return out


class Dashboard:
    """The studies of one storage, opened read-only; a view per study, made when first asked."""

    def __init__(self, storage: str | Any) -> None:
        self.storage = open_existing(storage, read_only=True)
        self.path = _location(self.storage)
        #: the storage as messages name it (a URL without its password)
        self.shown = _shown(self.storage)
        self._views: dict[str, StudyView] = {}
        self._lock = threading.RLock()
        self._closing = threading.Event()
        self._warming: threading.Thread | None = None

    def names(self) -> list[str]:
        with self._lock:
            return self.storage.study_names()

    def view(self, name: str) -> StudyView:
        with self._lock:
            if name not in self._views:
                if name not in self.storage.study_names():
                    raise UnknownStudy(
                        f"no study {name!r} in {self.shown!r}; it holds "
                        f"{self.storage.study_names()!r}"
                    )
                self._views[name] = StudyView(self.storage, name, self._lock)
            return self._views[name]

    def studies(self) -> list[dict[str, Any]]:
        return [self.view(n).summary() for n in self.names()]

    def warm_up(self) -> threading.Thread:
        """Encode each study's rows and compute its importance (and Pareto front) in a
        background thread, as the page asks for them in its first view: the first importance
        also imports scikit-learn, seconds that the first page would otherwise wait for."""

        def run() -> None:
            for name in self.names():
                if self._closing.is_set():
                    return
                view = self.view(name)
                try:
                    view.trials_json(0)  # every row encoded, for the first page
                    view.importance()
                    if len(view.directions) > 1:
                        view.pareto()
                except StorageError:  # the page's own request says what is wrong
                    continue

        self._warming = threading.Thread(target=run, name="hpo-core-dashboard-warm-up", daemon=True)
        self._warming.start()
        return self._warming

    def close(self) -> None:
        self._closing.set()
        if self._warming is not None:  # it stops after the study it is computing
            self._warming.join()
        with self._lock:
            for view in self._views.values():
                view.close()
            self._views.clear()
            self.storage.close()


def dumps(doc: Mapping[str, Any] | list[Any]) -> bytes:
    """JSON bytes (no NaN: the page's JSON.parse would refuse it)."""
    try:
        return json.dumps(doc, allow_nan=False, separators=(",", ":")).encode()
    except ValueError as err:
        raise StorageError(f"the study holds a value JSON cannot carry: {err}") from None
