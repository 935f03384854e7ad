"""The books the Optuna sampler keeps for one study: an hpo_core Optimizer per search space.

A ``Track`` is one Optimizer over some of the study's parameters (the joint, relative search
space, or one dynamic parameter), kept in step with the study: a finished Optuna trial is told
once with the parameters it really ran; an Optuna trial asked by this process is the hpo_core
trial it was asked as; a running trial of another worker is recorded as pending. A
``StudyBooks`` holds one study's tracks behind one lock, so threads take its steps one at a
time and one study never sees another's trials.
"""

from __future__ import annotations

import dataclasses
import math
import threading
import zlib
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from optuna.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from optuna.study._constrained_optimization import _CONSTRAINTS_KEY
from optuna.trial import FrozenTrial, TrialState

from hpo_core.core import Optimizer, Trial
from hpo_core.space import Categorical, Dimension, Integer, Real
from hpo_core.strategies import make_strategy

__all__ = [
    "Conditions",
    "StudyBooks",
    "Track",
    "infer_conditions",
    "to_optuna",
    "track_seed",
    "trial_constraints",
]

#: dynamic parameter -> (its categorical parent in the joint space, the parent's values that
#: make it appear)
Conditions = dict[str, tuple[str, tuple[Any, ...]]]


def _dimension(dist: BaseDistribution) -> Dimension:
    if isinstance(dist, CategoricalDistribution):  # each choice once, as Optuna stores them
        c = dist.choices
        return Categorical(tuple(v for i, v in enumerate(c) if not _listed(v, c[:i])))
    if isinstance(dist, IntDistribution):
        if dist.step != 1:
            return Integer(0, (dist.high - dist.low) // dist.step)
        return (
            Integer(dist.low, dist.high, log=dist.log)
            if dist.low < dist.high
            else Categorical((dist.low,))
        )
    if isinstance(dist, FloatDistribution):
        if dist.step is not None:
            return Integer(0, round((dist.high - dist.low) / dist.step))
        return (
            Real(dist.low, dist.high, log=dist.log)
            if dist.low < dist.high
            else Categorical((dist.low,))
        )
    raise ValueError(f"unsupported Optuna distribution {dist!r}")


def _listed(value: Any, choices: Sequence[Any]) -> bool:
    """Whether a choice equal to ``value`` and of its type is among ``choices`` (a choice
    listed twice; hpo_core keeps 1, 1.0 and True apart)."""
    return any(type(value) is type(c) and value == c for c in choices)


def _to_ours(dist: BaseDistribution, value: Any) -> Any:
    """A value of Optuna's distribution in hpo_core's terms: the index of a stepped value on
    its grid. ValueError for a value off the grid (an enqueued one: Optuna runs it), which
    no index stands for (Optuna's own tolerance for floats)."""
    if isinstance(dist, IntDistribution) and dist.step != 1:
        k, off = divmod(value - dist.low, dist.step)
        if off:
            raise ValueError(f"{value!r} is not on the grid of {dist}")
        return k
    if isinstance(dist, FloatDistribution) and dist.step is not None:
        k = (value - dist.low) / dist.step
        if abs(k - round(k)) > 1e-8:
            raise ValueError(f"{value!r} is not on the grid of {dist}")
        return round(k)
    return value


def to_optuna(dist: BaseDistribution, value: Any) -> Any:
    """An hpo_core parameter value as Optuna's distribution holds it."""
    if isinstance(dist, IntDistribution):
        return int(dist.low + value * dist.step) if dist.step != 1 else int(value)
    if isinstance(dist, FloatDistribution) and dist.step is not None:
        return float(min(dist.high, dist.low + value * dist.step))
    return value


def track_seed(seed: int | None, name: str) -> int | None:
    """A seed of its own for the track of parameter ``name`` (None stays None)."""
    if seed is None:
        return None
    return int(np.random.SeedSequence([seed, zlib.crc32(name.encode())]).generate_state(1)[0])


def trial_constraints(t: FrozenTrial) -> list[float] | None:
    """The trial's constraint values (None when it has none), read as Optuna's own samplers
    read them: those of ``constraints_func`` (a list under one key), then those of
    ``trial.set_constraint(key, value)`` (one key each, taken in the order of their names)."""
    attrs = t.system_attrs
    out = [float(c) for c in attrs.get(_CONSTRAINTS_KEY) or ()]
    prefix = _CONSTRAINTS_KEY + ":"
    out += [float(attrs[k]) for k in sorted(k for k in attrs if k.startswith(prefix))]
    return out or None


def _clip(values: Sequence[float], lo: list[float], hi: list[float]) -> list[float]:
    """±inf replaced by the finite range of the study's complete values (0.0 when there is
    none), as Optuna's GPSampler does: the trial stays complete, at the worst (or best) value
    seen."""
    out = []
    for v, a, b in zip(values, lo, hi, strict=True):
        if math.isinf(v):
            v = (b if v > 0 else a) if a <= b else 0.0
        out.append(float(v))
    return out


def infer_conditions(
    trials: Sequence[FrozenTrial], joint: Mapping[str, BaseDistribution]
) -> dict[str, tuple[BaseDistribution, str, tuple[Any, ...]]]:
    """The dynamic parameters of the finished ``trials`` that appear exactly when a categorical
    parameter of the ``joint`` space takes some of its values (a define-by-run ``if``): name ->
    (its distribution, the parent, those values). Each must have one distribution throughout."""
    parents = {
        n: tuple(d.choices)
        for n, d in sorted(joint.items())
        if isinstance(d, CategoricalDistribution) and all(n in t.params for t in trials)
    }
    seen: dict[str, BaseDistribution | None] = {}
    for t in trials:
        for n, d in t.distributions.items():
            if n not in joint and not d.single() and seen.setdefault(n, d) != d:
                seen[n] = None  # a dynamic range: left to the parameter's own track
    out: dict[str, tuple[BaseDistribution, str, tuple[Any, ...]]] = {}
    for n, dist in seen.items():
        if dist is None:
            continue
        for c, choices in parents.items():
            on = {t.params[c] for t in trials if n in t.params}
            exact = all((n in t.params) == (t.params[c] in on) for t in trials)
            if exact and len(on) < len(choices):
                out[n] = (dist, c, tuple(v for v in choices if v in on))
                break
    return out


class Track:
    """One hpo_core Optimizer over ``space`` (Optuna's distributions), in step with a study;
    a parameter of ``conditions`` is active only when its parent takes one of its values."""

    def __init__(
        self,
        space: Mapping[str, BaseDistribution],
        strategy: str,
        options: Mapping[str, Any],
        directions: list[str],
        constrained: bool,
        seed: int | None,
        conditions: Conditions | None = None,
    ) -> None:
        self.space = dict(space)
        self.conditions = dict(conditions or {})
        dims = {n: _dimension(d) for n, d in self.space.items()}
        for n, (parent, values) in self.conditions.items():
            dims[n] = dataclasses.replace(dims[n], when={parent: list(values)})
        cls = type(make_strategy(strategy))
        self.opt = Optimizer(
            dims,
            strategy=cls(**options),
            direction=directions[0] if len(directions) == 1 else directions,
            seed=seed,
            constraints=constrained,
        )
        self.ours: dict[int, Trial] = {}  # running Optuna trial number -> hpo_core trial
        self.done: set[int] = set()  # Optuna trial numbers told
        self.exhausted = False  # a finite strategy (a grid) has handed out every point

    def _params(self, t: FrozenTrial) -> dict[str, Any] | None:
        """The trial's parameters of this space in hpo_core's terms (None: not all of them)."""
        out = {}
        for n, d in self.space.items():
            cond = self.conditions.get(n)
            if cond is not None and t.params.get(cond[0], _ABSENT) not in cond[1]:
                if n in t.params:  # there although its parent says not: not of this space
                    return None
                continue
            if n not in t.params or t.distributions[n] != d:
                return None
            try:
                out[n] = _to_ours(d, t.params[n])
            except ValueError:  # an enqueued value off a stepped grid: not of this space
                return None
        return out

    def sync(self, trials: Sequence[FrozenTrial], current: int) -> None:
        """Tell the strategy every trial that finished since the last look."""
        for t in trials:
            if t.number == current or t.number in self.done or t.state == TrialState.WAITING:
                continue
            params = self._params(t)
            ours = self.ours.get(t.number)
            if t.state == TrialState.RUNNING:
                if ours is None and params is not None:  # another worker's trial
                    try:
                        self.opt.enqueue(params)
                    except ValueError:  # an enqueued value outside the distribution
                        continue  # not in our space: not pending in it either
                    self.ours[t.number] = self.opt.ask()  # the queued params, no number drawn
                continue
            self.done.add(t.number)
            self.ours.pop(t.number, None)
            if ours is not None and params != ours.params:
                # it failed before suggesting all of them (or ran others): not left pending
                self.opt.tell(ours, state="failed")
                ours = None
            if params is None:
                continue
            try:
                self._tell(t, ours if ours is not None else params, trials)
            except ValueError:  # an enqueued value outside the distribution: not in our space
                if ours is not None:
                    raise

    def _tell(self, t: FrozenTrial, ours: Trial | dict, trials: Sequence[FrozenTrial]) -> None:
        opt = self.opt
        cons = trial_constraints(t) if opt.constraints else None
        if cons is not None:
            cons = np.nan_to_num(np.asarray(cons, dtype=float), posinf=1e300, neginf=-1e300)
        if t.state == TrialState.COMPLETE:
            if opt.constraints and cons is None:  # constraints_func failed: not a result
                opt.tell(ours, state="failed")
                return
            values = list(t.values)
            if not all(map(math.isfinite, values)):
                values = _clip(values, *_finite_range(trials, len(values)))
            opt.tell(ours, values[0] if len(values) == 1 else values, constraints=cons)
        elif t.state == TrialState.FAIL:
            opt.tell(ours, state="failed")
        else:
            iv = t.intermediate_values
            last = iv[max(iv)] if iv and len(opt.directions) == 1 else None
            opt.tell(ours, last, state="pruned", constraints=cons)

    def ask(self, trial: FrozenTrial) -> Trial:
        """The hpo_core trial of Optuna trial ``trial`` (asked now, or earlier as another
        worker's): the study's enqueued (fixed) parameters in place of the strategy's."""
        ours = self.ours.get(trial.number)
        if ours is None:
            fixed = trial.system_attrs.get("fixed_params") or {}
            try:
                fixed = {n: _to_ours(d, fixed[n]) for n, d in self.space.items() if n in fixed}
                if len(fixed) == len(self.space):  # nothing left to the strategy
                    self.opt.enqueue(fixed)
                    ours = self.opt.ask()
                else:
                    ours = self.opt.ask(fixed=fixed)
            except ValueError:  # an enqueued value outside the distribution or off its grid:
                ours = self.opt.ask()  # not ours to keep
            self.ours[trial.number] = ours
        return ours


def _finite_range(trials: Sequence[FrozenTrial], m: int) -> tuple[list[float], list[float]]:
    """Per objective (of m), the least and greatest finite value of the complete trials
    (inf and -inf where there is none)."""
    done = [t.values for t in trials if t.state == TrialState.COMPLETE and t.values]
    if not done:
        return [math.inf] * m, [-math.inf] * m
    V = np.asarray(done, dtype=float)
    fin = np.where(np.isfinite(V), V, np.nan)
    with np.errstate(all="ignore"):
        ok = np.isfinite(fin).any(axis=0)
        lo = np.where(ok, np.nanmin(np.where(ok, fin, 0.0), axis=0), np.inf)
        hi = np.where(ok, np.nanmax(np.where(ok, fin, 0.0), axis=0), -np.inf)
    return lo.tolist(), hi.tolist()


_ABSENT = object()


class StudyBooks:
    """One study's tracks behind one lock: the joint space's, and one per dynamic parameter."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.joint: Track | None = None
        self.single: dict[tuple[str, str], Track] = {}
        #: the conditions inferred with each trial's relative search space, by trial number
        self.conditions: dict[int, Conditions] = {}
        #: whether a finished trial has constraint values, and the finished trials looked at
        self.constrained = False
        self.checked: set[int] = set()

    def clear(self) -> None:
        """Forget every track: the next steps rebuild them from the study."""
        self.joint, self.single = None, {}
