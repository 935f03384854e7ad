"""hpo_core strategies as an Optuna sampler.

>>> import optuna                                             # doctest: +SKIP
>>> from hpo_core.integrations.optuna import Sampler          # doctest: +SKIP
>>> study = optuna.create_study(sampler=Sampler("bayes", seed=0))  # doctest: +SKIP

Parameters in the intersection search space of the study's trials (Optuna's own notion) are
sampled jointly by the hpo_core strategy (relative sampling); any other parameter (a dynamic
or conditional one) is sampled independently by Optuna's RandomSampler. The sampler keeps one
hpo_core Optimizer per search space and brings it up to date with the study at every trial:
complete trials are told, running ones (other workers') are pending, failed and pruned ones
are recorded as such. Integer and float distributions with a ``step`` become an integer index
over their grid, so the strategy sees their order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

try:
    import optuna
    from optuna.distributions import (
        BaseDistribution,
        CategoricalDistribution,
        FloatDistribution,
        IntDistribution,
    )
    from optuna.search_space import IntersectionSearchSpace
    from optuna.trial import FrozenTrial, TrialState
except ImportError as err:  # pragma: no cover - exercised only without optuna
    raise ImportError(
        "hpo_core.integrations.optuna needs optuna: pip install 'hpo_core[bench]' or optuna"
    ) from err

from hpo_core.core import Optimizer, Trial
from hpo_core.space import Categorical, Dimension, Integer, Real
from hpo_core.strategies import STRATEGIES, SearchSpaceExhausted, make_strategy

__all__ = ["Sampler"]


def _dimension(dist: BaseDistribution) -> Dimension:
    if isinstance(dist, CategoricalDistribution):
        return Categorical(tuple(dist.choices))
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


def _to_ours(dist: BaseDistribution, value: Any) -> Any:
    if isinstance(dist, IntDistribution) and dist.step != 1:
        return (value - dist.low) // dist.step
    if isinstance(dist, FloatDistribution) and dist.step is not None:
        return round((value - dist.low) / dist.step)
    return value


def _to_optuna(dist: BaseDistribution, value: Any) -> Any:
    if isinstance(dist, IntDistribution):
        return int(dist.low + value * dist.step) if dist.step != 1 else int(value)
    if isinstance(dist, FloatDistribution) and dist.step is not None:
        return float(min(dist.high, dist.low + value * dist.step))
    return value


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
    """

    def __init__(
        self,
        strategy: str = "bayes",
        seed: int | None = None,
        strategy_options: Mapping[str, Any] | None = None,
    ) -> None:
        if strategy not in STRATEGIES:
            raise ValueError(f"strategy must be one of {sorted(STRATEGIES)}, got {strategy!r}")
        make_strategy(strategy)  # fail now, not at the first trial, if it cannot be built
        self.strategy = strategy
        self.seed = seed
        self.strategy_options = dict(strategy_options or {})
        self._independent = optuna.samplers.RandomSampler(seed=seed)
        self._intersection = IntersectionSearchSpace(include_pruned=True)
        self._key: tuple | None = None
        self._opt: Optimizer | None = None
        self._ours: dict[int, Trial] = {}  # Optuna trial number -> hpo_core trial
        self._exhausted = False  # a finite strategy (a grid) has handed out every point

    def reseed_rng(self) -> None:
        self._independent.reseed_rng()

    def infer_relative_search_space(
        self, study: optuna.Study, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        return {
            name: dist
            for name, dist in self._intersection.calculate(study).items()
            if not dist.single()
        }

    def _optimizer(self, study: optuna.Study, space: dict[str, BaseDistribution]) -> Optimizer:
        key = tuple(sorted((n, repr(d)) for n, d in space.items()))
        if key != self._key or self._opt is None:  # the key is set with the optimizer
            cls = type(make_strategy(self.strategy))
            self._opt = Optimizer(
                {n: _dimension(d) for n, d in space.items()},
                strategy=cls(**self.strategy_options),
                direction="maximize" if study.direction.name == "MAXIMIZE" else "minimize",
                seed=self.seed,
            )
            self._key, self._ours, self._exhausted = key, {}, False
        return self._opt

    def _sync(self, study: optuna.Study, opt: Optimizer, space: dict, current: int) -> None:
        states = (TrialState.COMPLETE, TrialState.RUNNING, TrialState.FAIL, TrialState.PRUNED)
        for t in study.get_trials(deepcopy=False, states=states):
            if t.number == current or not all(n in t.params for n in space):
                continue
            ours = self._ours.get(t.number)
            if ours is not None and ours.state != "pending":
                continue
            if ours is None:  # another worker's trial, or one sampled before the space was known
                opt.enqueue({n: _to_ours(d, t.params[n]) for n, d in space.items()})
                ours = self._ours[t.number] = opt.ask()  # the queued params, no number drawn
            if t.state == TrialState.COMPLETE:
                opt.tell(ours, t.value)
            elif t.state == TrialState.FAIL:
                opt.tell(ours, state="failed")
            elif t.state == TrialState.PRUNED:
                last = (
                    t.intermediate_values[max(t.intermediate_values)]
                    if t.intermediate_values
                    else None
                )
                opt.tell(ours, last, state="pruned")

    def sample_relative(
        self, study: optuna.Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        self._raise_error_if_multi_objective(study)
        if not search_space:
            return {}
        opt = self._optimizer(study, search_space)
        self._sync(study, opt, search_space, trial.number)
        try:
            ours = self._ours[trial.number] = opt.ask()
        except SearchSpaceExhausted:
            # as Optuna's GridSampler: this trial gets a valid point (the best one's), and
            # the study stops once it is done (``after_trial``)
            self._exhausted = True
            return self._best_params(study, search_space)
        return {n: _to_optuna(d, ours.params[n]) for n, d in search_space.items()}

    @staticmethod
    def _best_params(study: optuna.Study, space: dict[str, BaseDistribution]) -> dict[str, Any]:
        done = [
            t
            for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
            if all(n in t.params for n in space)
        ]
        if not done:  # every point failed or is running: each parameter sampled independently
            return {}
        sign = -1.0 if study.direction.name == "MAXIMIZE" else 1.0
        best = min(done, key=lambda t: sign * float(t.value if t.value is not None else 0.0))
        return {n: best.params[n] for n in space}

    def after_trial(
        self,
        study: optuna.Study,
        trial: FrozenTrial,
        state: TrialState,
        values: Sequence[float] | None,
    ) -> None:
        if self._exhausted:
            try:
                study.stop()  # every grid point was asked: the study is done, as with GridSampler
            except RuntimeError:  # told outside study.optimize: there is no loop to stop
                pass

    def sample_independent(
        self,
        study: optuna.Study,
        trial: FrozenTrial,
        param_name: str,
        param_distribution: BaseDistribution,
    ) -> Any:
        return self._independent.sample_independent(study, trial, param_name, param_distribution)
