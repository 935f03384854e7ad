"""hpo_core strategies as an Optuna sampler.

>>> import optuna                                             # doctest: +SKIP
>>> from hpo_core.integrations.optuna import Sampler          # doctest: +SKIP
>>> study = optuna.create_study(sampler=Sampler("bayes", seed=0))  # doctest: +SKIP

Parameters in the intersection search space of the study's trials (Optuna's own notion) are
sampled jointly by the hpo_core strategy (relative sampling). A dynamic (define-by-run)
parameter that the finished trials have exactly when a categorical parameter of that space
takes some of its values (``if act == "relu": trial.suggest_float("slope", ...)``) joins the
joint space as a conditional dimension (``when={"act": ["relu"]}``); any other dynamic
parameter is sampled by the same strategy on that parameter alone, from the trials that have
it. Only the grid leaves dynamic parameters to Optuna's RandomSampler.

The sampler keeps, per study, one hpo_core Optimizer per search space and brings it up to date
with the study at every trial, behind a lock (``study.optimize(n_jobs=k)`` is safe): complete
trials are told with the parameters they really ran (enqueued ones included), running ones
(other workers') are pending, failed and pruned ones are recorded as such, and a trial that
failed before suggesting every parameter is recorded as failed. Integer and float
distributions with a ``step`` become an integer index over their grid, so the strategy sees
their order.

Several objectives (``directions=[...]``) work with the strategies that accept them
(``nsga2``, ``bayes``, ``random``, ``sobol``, ``grid``); the others raise ValueError, as
Optuna's single-objective samplers do. ``constraints_func`` is Optuna's: its values are stored
in the trial's system attributes after each trial and told to the strategy (satisfied when
``<= 0``), and so are the values a trial sets with ``trial.set_constraint`` (Optuna 5; in the
order of their names), with or without ``constraints_func``, as Optuna's own samplers take
them. Optuna keeps a trial of value ±inf COMPLETE; the strategy is told it clipped to the
finite range of the study's complete values, as Optuna's GPSampler does (0.0 before any finite
value). A finite strategy (the grid) that has handed out every point stops the study as
Optuna's GridSampler does.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Mapping, Sequence
from typing import Any

try:
    import optuna
    from optuna.distributions import BaseDistribution
    from optuna.samplers._base import _process_constraints_after_trial
    from optuna.search_space import IntersectionSearchSpace
    from optuna.trial import FrozenTrial, TrialState
except ImportError as err:  # pragma: no cover - exercised only without optuna
    raise ImportError(
        "hpo_core.integrations.optuna needs optuna: pip install 'hpo_core[bench]' or optuna"
    ) from err

import numpy as np

from hpo_core.integrations._optuna_books import (
    Conditions,
    StudyBooks,
    Track,
    infer_conditions,
    to_optuna,
    track_seed,
    trial_constraints,
)
from hpo_core.strategies import STRATEGIES, SearchSpaceExhausted, make_strategy

__all__ = ["Sampler"]

_DONE = (TrialState.COMPLETE, TrialState.PRUNED)  # the trials Optuna's intersection reads


class Sampler(optuna.samplers.BaseSampler):
    """An Optuna sampler that asks an hpo_core strategy.

    Parameters
    ----------
    strategy : str, default "bayes"
        A name in ``hpo_core.strategies.STRATEGIES``.
    seed : int or None
        Seeds the strategy and the independent sampler.
    strategy_options : dict, optional
        Options passed to the strategy's class.
    constraints_func : callable, optional
        Optuna's: ``constraints_func(frozen_trial) -> sequence of float``, called after each
        complete or pruned trial, each value satisfied when ``<= 0``.
    """

    def __init__(
        self,
        strategy: str = "bayes",
        seed: int | None = None,
        strategy_options: Mapping[str, Any] | None = None,
        *,
        constraints_func: Callable[[FrozenTrial], Sequence[float]] | None = None,
    ) -> None:
        if strategy not in STRATEGIES:
            raise ValueError(f"strategy must be one of {sorted(STRATEGIES)}, got {strategy!r}")
        if seed is not None and (
            isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0
        ):  # Optuna takes True, and every trial would then fail in the strategy
            raise ValueError(f"seed must be None or an integer >= 0, got {seed!r}")
        if strategy_options is not None and not isinstance(strategy_options, Mapping):
            raise TypeError(
                f"strategy_options must be None or a dict of the strategy's options, got "
                f"{strategy_options!r}"
            )
        if constraints_func is not None and not callable(constraints_func):
            raise TypeError(f"constraints_func must be None or callable, got {constraints_func!r}")
        probe = make_strategy(strategy)  # fail now, not at the first trial, if it cannot be built
        type(probe)(**dict(strategy_options or {}))  # and its options too
        self.strategy = strategy
        self.seed = seed
        self.strategy_options = dict(strategy_options or {})
        self.constraints_func = constraints_func
        self._multi = probe.multi_objective
        self._univariate = not probe.finite  # a grid leaves dynamic parameters to random
        self._seed = seed  # becomes a fresh one with reseed_rng
        self._independent = optuna.samplers.RandomSampler(seed=seed)
        self._lock = threading.Lock()  # guards the dict of studies
        #: per storage, per study (name and id): its books and its search space; a storage's
        #: entries go with it, and a study deleted and made again under its name starts anew
        self._studies: weakref.WeakKeyDictionary[
            Any, dict[tuple[str, int], tuple[StudyBooks, IntersectionSearchSpace]]
        ] = weakref.WeakKeyDictionary()

    def __getstate__(self) -> dict[str, Any]:
        """Picklable, as Optuna's samplers are (to save one and resume a study with it):
        without its books and their lock; a restored sampler rebuilds each study's optimizers
        from the study's trials at its next step, as after ``reseed_rng``."""
        state = self.__dict__.copy()
        del state["_lock"], state["_studies"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()
        self._studies = weakref.WeakKeyDictionary()

    # ------------------------------------------------------------------ per study
    def _entry(self, study: optuna.Study) -> tuple[StudyBooks, IntersectionSearchSpace]:
        key = (study.study_name, study._study_id)
        with self._lock:
            per_study = self._studies.setdefault(study._storage, {})
            entry = per_study.get(key)
            if entry is None:
                entry = per_study[key] = (StudyBooks(), IntersectionSearchSpace(True))
            return entry

    def _study_books(self, study: optuna.Study) -> StudyBooks:
        return self._entry(study)[0]

    def _track(
        self,
        study: optuna.Study,
        space: dict[str, BaseDistribution],
        name: str,
        constrained: bool,
        conditions: Conditions | None = None,
    ) -> Track:
        return Track(
            space,
            self.strategy,
            self.strategy_options,
            [d.name.lower() for d in study.directions],
            constrained,
            track_seed(self._seed, name) if name else self._seed,
            conditions,
        )

    def _constrained(self, books: StudyBooks, trials: Sequence[FrozenTrial]) -> bool:
        """Whether the study's trials are told with constraints: ``constraints_func`` is
        given, or a finished trial has constraint values (``trial.set_constraint``); each
        finished trial is looked at once."""
        if self.constraints_func is not None or books.constrained:
            return True
        for t in trials:
            if t.state in _DONE and t.number not in books.checked:
                books.checked.add(t.number)
                if trial_constraints(t) is not None:
                    books.constrained = True
                    return True
        return False

    def _check_objectives(self, study: optuna.Study) -> None:
        if len(study.directions) > 1 and not self._multi:
            raise ValueError(
                f"strategy {self.strategy!r} optimises a single objective, but the study has "
                f"{len(study.directions)}: use one of 'nsga2', 'bayes', 'random', 'sobol', 'grid'"
            )

    def reseed_rng(self) -> None:
        """A fresh seed for everything: the independent sampler and every strategy (their
        optimizers are rebuilt from the studies' trials at their next step)."""
        self._independent.reseed_rng()
        self._seed = int(np.random.SeedSequence().generate_state(1)[0])
        with self._lock:
            books = [b for per in self._studies.values() for b, _ in per.values()]
        for b in books:
            with b.lock:
                b.clear()

    # ------------------------------------------------------------------ relative
    def infer_relative_search_space(
        self, study: optuna.Study, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        books = self._study_books(study)
        with books.lock:  # Optuna's IntersectionSearchSpace keeps a cache: one thread at a time
            inter = self._entry(study)[1].calculate(study)
            space = {name: dist for name, dist in inter.items() if not dist.single()}
            if self._univariate and space:  # dynamic parameters tied to a categorical's value
                done = study.get_trials(deepcopy=False, states=_DONE)
                found = infer_conditions(done, space)
                books.conditions[trial.number] = {n: (c, v) for n, (_, c, v) in found.items()}
                space.update({n: d for n, (d, _, _) in found.items()})
        return space

    def sample_relative(
        self, study: optuna.Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        self._check_objectives(study)
        if not search_space:
            return {}
        books = self._study_books(study)
        with books.lock:
            conditions = books.conditions.pop(trial.number, {})
            if any(
                n not in search_space or c not in search_space for n, (c, _) in conditions.items()
            ):
                # a space of the caller's, not the one inferred for this trial (as Optuna's
                # PartialFixedSampler gives, without the parameters it fixes)
                conditions = {}
            track = books.joint
            trials = study.get_trials(deepcopy=False)
            constrained = self._constrained(books, trials)
            if (
                track is None
                or track.space != search_space
                or track.conditions != conditions
                or track.opt.constraints != constrained
            ):
                track = books.joint = self._track(study, search_space, "", constrained, conditions)
            track.sync(trials, trial.number)
            if not track.exhausted:
                try:
                    ours = track.ask(trial)
                    return {
                        n: to_optuna(d, ours.params[n])
                        for n, d in search_space.items()
                        if n in ours.params  # a dynamic parameter its parent leaves out
                    }
                except SearchSpaceExhausted:
                    track.exhausted = True
        # as Optuna's GridSampler: this trial gets a valid point (the best one's), and the
        # study stops once it is done (``after_trial``)
        return self._best_params(study, search_space)

    @staticmethod
    def _best_params(study: optuna.Study, space: dict[str, BaseDistribution]) -> dict[str, Any]:
        done = [
            t
            for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
            if all(n in t.params for n in space)
        ]
        if not done:  # every point failed or is running: each parameter sampled independently
            return {}
        if len(study.directions) == 1:
            sign = -1.0 if study.direction.name == "MAXIMIZE" else 1.0
            done.sort(key=lambda t: sign * float(t.value if t.value is not None else 0.0))
        return {n: done[0].params[n] for n in space}

    # ------------------------------------------------------------------ independent
    def sample_independent(
        self,
        study: optuna.Study,
        trial: FrozenTrial,
        param_name: str,
        param_distribution: BaseDistribution,
    ) -> Any:
        self._check_objectives(study)
        if not self._univariate or param_distribution.single():
            return self._independent.sample_independent(
                study, trial, param_name, param_distribution
            )
        books = self._study_books(study)
        key = (param_name, repr(param_distribution))
        with books.lock:
            track = books.single.get(key)
            trials = study.get_trials(deepcopy=False)
            constrained = self._constrained(books, trials)
            if track is None or track.opt.constraints != constrained:
                space = {param_name: param_distribution}
                track = books.single[key] = self._track(study, space, param_name, constrained)
            track.sync(trials, trial.number)
            ours = track.ask(trial)
        return to_optuna(param_distribution, ours.params[param_name])

    # ------------------------------------------------------------------ after a trial
    def after_trial(
        self,
        study: optuna.Study,
        trial: FrozenTrial,
        state: TrialState,
        values: Sequence[float] | None,
    ) -> None:
        if self.constraints_func is not None:
            _process_constraints_after_trial(self.constraints_func, study, trial, state)
        books = self._study_books(study)
        if books.joint is not None and books.joint.exhausted:
            try:
                study.stop()  # every grid point was asked: the study is done, as with GridSampler
            except RuntimeError:  # told outside study.optimize: there is no loop to stop
                pass
