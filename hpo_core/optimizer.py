"""The ask/tell Optimizer: it keeps the books, its strategy proposes."""

from __future__ import annotations

import inspect
import json
import math
import numbers
import os
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from hpo_core import _objectives, _records
from hpo_core.pruning import Pruner
from hpo_core.space import Space
from hpo_core.strategies import Strategy, make_strategy
from hpo_core.strategies.base import COMPLETE, FAILED, PENDING, PRUNED, History
from hpo_core.trial import Trial, TrialState, told_state

if TYPE_CHECKING:
    from concurrent.futures import Executor

    from hpo_core.storage import SQLiteStorage, StudyLink

__all__ = ["Optimizer"]

_STATE_CODE = {
    TrialState.PENDING: PENDING,
    TrialState.COMPLETE: COMPLETE,
    TrialState.FAILED: FAILED,
    TrialState.PRUNED: PRUNED,
}
_DIRECTIONS = ("minimize", "maximize")


class Optimizer:
    """Ask for configurations, tell their results; the optimizer keeps the whole history.

    Parameters
    ----------
    space : Space or dict
        The search space (see ``Space`` for what a dict may hold).
    strategy : str or Strategy, default "random"
        A name (``"random"``, ``"sobol"``, ``"grid"``, and the model-based ones installed:
        see ``hpo_core.strategies.STRATEGIES``) or a strategy instance with its options.
    direction : {"minimize", "maximize"} or list of them, default "minimize"
        A list makes a study with several objectives: ``tell(trial, [v1, v2, ...])``, one
        value per direction; ``pareto_front`` holds the non-dominated trials (``best`` has no
        meaning there and raises), and the strategy must accept several objectives
        (``"nsga2"``, ``"bayes"``, ``"random"``, ``"sobol"``, ``"grid"``).
    constraints : bool, default False
        With True, every complete trial is told with ``constraints=[c1, ...]``, each satisfied
        when ``<= 0``; ``best`` and ``pareto_front`` hold only feasible trials. ``"nsga2"``
        and ``"bayes"`` model the constraints; the other strategies see the values ranked by
        feasibility (see ``hpo_core.strategies.base``), so they prefer feasible points too.
    seed : int or None
        The same seed gives the same sequence of asks, bit for bit, on one machine.
    storage : None, "memory", "sqlite:///file.db", a path, or a SQLiteStorage
        Where the trials live. In memory by default; with SQLite every ask and tell is a
        transaction, a new optimizer on the same study resumes it, and several processes can
        share one study (see ``hpo_core.storage``).
    study : str, default "default"
        The study's name within the storage.
    heartbeat_timeout : float or None
        With a storage: a pending trial whose optimizer has not signalled for this many seconds
        (its process died) is marked failed by the next ask, and its parameters are asked again
        once (``retry_stale``). Give every worker of a study the same value.
    pruner : Pruner or None
        Decides ``should_prune(trial)`` from intermediate reports (see ``hpo_core.pruning``);
        None never prunes.

    Examples
    --------
    >>> opt = Optimizer({"x": (-5.0, 5.0)}, seed=0)
    >>> for _ in range(20):
    ...     trial = opt.ask()
    ...     _ = opt.tell(trial, (trial.params["x"] - 1.0) ** 2)
    >>> opt.best.value < 1.0
    True
    """

    def __init__(
        self,
        space: Space | Mapping[str, Any],
        strategy: str | Strategy = "random",
        direction: str | Sequence[str] = "minimize",
        seed: int | None = None,
        *,
        constraints: bool = False,
        storage: str | os.PathLike[str] | SQLiteStorage | None = None,
        study: str = "default",
        heartbeat_timeout: float | None = None,
        retry_stale: bool = True,
        pruner: Pruner | None = None,
    ) -> None:
        self.space = space if isinstance(space, Space) else Space(space)
        self._mo: _objectives.Outcomes | None = None
        if not isinstance(direction, str) or constraints is not False:
            if not isinstance(constraints, bool):
                raise ValueError(f"constraints must be True or False, got {constraints!r}")
            dirs = _objectives.parse_directions(direction)
            self._mo = _objectives.Outcomes(dirs, constraints)
            direction = dirs[0] if len(dirs) == 1 else dirs
        elif direction not in _DIRECTIONS:
            raise ValueError(f"direction must be one of {_DIRECTIONS}, got {direction!r}")
        self.direction = direction
        self._sign = 1.0 if direction == "minimize" else -1.0
        if seed is not None and (
            isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0
        ):
            raise ValueError(f"seed must be None or an integer >= 0, got {seed!r}")
        self.seed = seed
        if pruner is not None and not isinstance(pruner, Pruner):
            raise TypeError(f"pruner must be None or a Pruner, got {pruner!r}")
        if pruner is not None and self._mo is not None and self._mo.m > 1:
            raise ValueError("a pruner needs a single objective; this study has several")
        if pruner is not None:
            pruner.setup()
        self.pruner = pruner
        self.strategy = make_strategy(strategy)
        if self._mo is not None:
            self._mo.rank_feasible = self._mo.constrained and not self.strategy.handles_constraints
        if self._mo is not None and self._mo.m > 1 and not self.strategy.multi_objective:
            raise ValueError(
                f"strategy {self.strategy.name or type(self.strategy).__name__!r} optimises a "
                f"single objective, but direction has {self._mo.m}: use one of 'nsga2', "
                "'bayes', 'random', 'sobol', 'grid'"
            )
        self._trials: list[Trial] = []
        d = self.space.d
        self._X = np.empty((64, d))
        self._y = np.full(64, np.nan)
        self._states = np.zeros(64, dtype=np.int8)
        self._best: Trial | None = None
        self._best_key = math.inf
        self._queue: deque[tuple[dict[str, Any], dict[str, Any]]] = deque()
        self._link: StudyLink | None = None
        worker = 0
        if storage is not None and storage != "memory":
            from hpo_core.storage import StudyLink

            self._link = StudyLink(self, storage, study, heartbeat_timeout, retry_stale)
            worker = self._link.worker
        elif heartbeat_timeout is not None:
            raise ValueError("heartbeat_timeout needs a storage shared by workers (storage=...)")
        # a resumed study or a second worker draws from its own stream
        rng_seed = seed if worker == 0 or seed is None else [seed, worker]
        self.strategy.setup(self.space, np.random.default_rng(rng_seed))

    # ------------------------------------------------------------------ history
    @property
    def directions(self) -> list[str]:
        """The direction of each objective (one for a single objective)."""
        return [self.direction] if isinstance(self.direction, str) else list(self.direction)

    @property
    def constraints(self) -> bool:
        """Whether trials are told with constraints (``constraints=True``)."""
        return self._mo is not None and self._mo.constrained

    @property
    def pareto_front(self) -> list[Trial]:
        """The complete trials that no other complete trial dominates (feasible ones only in
        a constrained study), in id order. With one objective: the trials tied for best."""
        if self._link is not None:
            self._link.sync()
        return _objectives.pareto_front(self)

    @property
    def trials(self) -> list[Trial]:
        """Every trial so far, in id order (a new list; the trials themselves are live)."""
        if self._link is not None:
            self._link.sync()
        return list(self._trials)

    @property
    def best(self) -> Trial:
        """The best complete trial (the first of equals). ValueError when there is none.

        In a constrained study, the best feasible trial; with several objectives there is no
        single best (ValueError: see ``pareto_front``)."""
        if self._link is not None:
            self._link.sync()
        if self._mo is not None:
            self._mo.check_best(self)
        if self._best is None:
            failed = sum(t.state == TrialState.FAILED for t in self._trials)
            msg = f"no complete trial yet ({len(self._trials)} trials, {failed} failed)"
            first = next((t for t in self._trials if t.state == TrialState.FAILED), None)
            if first is not None:
                msg += f"; the first failure: {first.fail_reason}"
            raise ValueError(msg)
        return self._best

    def history(self) -> History:
        """The encoded history that the strategy sees (see ``History``)."""
        if self._link is not None:
            self._link.sync()
        return self._history()

    def _history(self) -> History:
        if self._mo is not None:
            return self._mo.history(self)
        return History(self._X, self._y, self._states, len(self._trials))

    def _new_trial(
        self, x: np.ndarray, params: dict[str, Any], started_at: float | None = None
    ) -> Trial:
        t = len(self._trials)
        if t == len(self._states):
            self._X = np.concatenate([self._X, np.empty_like(self._X)])
            self._y = np.concatenate([self._y, np.full(t, np.nan)])
            self._states = np.concatenate([self._states, np.zeros(t, dtype=np.int8)])
        self._X[t] = x
        trial = Trial(t, params, started_at)
        self._trials.append(trial)
        return trial

    def _params_and_x(self, params: Mapping[str, Any]) -> tuple[dict[str, Any], np.ndarray]:
        x = self.space.encode(params)  # validates names and ranges
        # ints and choices as the space decodes them, reals exactly as given
        plain = self.space.decode(x)
        for name, value in plain.items():
            if type(value) is float:
                plain[name] = float(params[name])
        return plain, x

    # ------------------------------------------------------------------ ask
    def ask(self, n: int | None = None) -> Any:
        """Ask for a configuration to evaluate.

        ``ask()`` returns one pending ``Trial``; ``ask(n)`` a list of n trials, all pending at
        once, which the strategy spreads out. Parameters given to ``enqueue`` come first. A grid
        near its end returns the points it has left; ``SearchSpaceExhausted`` is raised when it
        has none.
        """
        k = 1 if n is None else n
        if type(k) is not int and (isinstance(k, bool) or not isinstance(k, numbers.Integral)):
            raise ValueError(f"n must be None or an integer >= 1, got {n!r}")
        if k < 1:
            raise ValueError(f"n must be None or an integer >= 1, got {n!r}")
        if self._link is not None:
            trials = self._link.ask(int(k))
        elif self._queue:
            trials = self._ask_queued(int(k))
        else:
            X = self._propose(int(k))
            decode = self.space.decode
            if n is None:
                return self._new_trial(X[0], decode(X[0]))
            trials = [self._new_trial(x, decode(x)) for x in X]
        return trials[0] if n is None else trials

    def _propose(self, k: int) -> np.ndarray:
        X = self.strategy.propose(self._history(), k)
        if type(X) is not np.ndarray or X.dtype != np.float64:
            X = np.asarray(X, dtype=float)
        if X.ndim != 2 or X.shape[1] != self.space.d or not 1 <= len(X) <= k:
            raise RuntimeError(
                f"{type(self.strategy).__name__}.propose returned shape {X.shape}, "
                f"expected (1..{k}, {self.space.d})"
            )
        # inactive conditional columns are imputed, so the history never holds leftovers
        return self.space.impute(X) if self.space.conditional else X

    def _ask_queued(self, k: int) -> list[Trial]:
        trials = []
        while self._queue and len(trials) < k:
            params, attrs = self._queue.popleft()
            plain, x = self._params_and_x(params)
            t = self._new_trial(x, plain)
            t.user_attrs.update(attrs)
            trials.append(t)
        if len(trials) < k:
            trials += [
                self._new_trial(x, self.space.decode(x)) for x in self._propose(k - len(trials))
            ]
        return trials

    def enqueue(
        self, params: Mapping[str, Any], user_attrs: Mapping[str, Any] | None = None
    ) -> None:
        """Have the next ask return these parameters (validated now) before the strategy's."""
        self._params_and_x(params)
        if self._link is not None:
            self._link.enqueue(dict(params), dict(user_attrs or {}))
        else:
            self._queue.append((dict(params), dict(user_attrs or {})))

    # ------------------------------------------------------------------ tell
    def tell(
        self,
        trial: Trial | int | Mapping[str, Any],
        value: float | None = None,
        *,
        state: str | None = None,
        exception: BaseException | None = None,
        constraints: Sequence[float] | None = None,
    ) -> Trial:
        """Record the result of a trial and return it.

        Parameters
        ----------
        trial : Trial, int or dict
            The trial (or its id) that was asked; or a dict of parameters that was not asked
            (a result from elsewhere, to warm-start the search), recorded as a new trial.
        value : float, or sequence of float with several objectives
            The objective's value (one per direction). NaN or infinity records a failed trial
            with the reason.
        state : {"complete", "failed", "pruned"}, optional
            Default "complete", or "failed" when ``exception`` is given. A pruned trial keeps
            ``value`` or, when it is None, its last reported intermediate value.
        exception : BaseException, optional
            The exception the objective raised: records a failed trial with its text.
        constraints : sequence of float, optional
            Constraint values (``constraints=True`` studies; required for complete trials),
            each satisfied when ``<= 0``; always as many as the first trial told.

        Raises
        ------
        ValueError
            An unknown trial id, a trial told already, a bad state, a missing value, or values
            or constraints of the wrong length.
        TypeError
            A value that is not a real number (or sequence of them).
        """
        if self._mo is not None or constraints is not None:
            if self._mo is None:
                raise ValueError(
                    "constraints were told, but the optimizer was made without constraints=True"
                )
            return self._mo.tell(self, trial, value, state, exception, constraints)
        state, reason = told_state(state, exception)
        if (
            value is not None
            and type(value) is not float
            and (isinstance(value, bool) or not isinstance(value, numbers.Real))
        ):
            raise TypeError(f"value must be a real number, got {value!r} ({type(value).__name__})")
        if state is TrialState.COMPLETE and value is None:
            raise ValueError("value is required to tell a complete trial")
        if value is not None:
            value = float(value)
            if not math.isfinite(value):
                if state is TrialState.COMPLETE:
                    state, reason = TrialState.FAILED, f"the objective returned {value!r}"
                value = None if state is TrialState.FAILED else value
        if state is TrialState.FAILED and reason is None:
            reason = "told as failed"
        return self._finish(trial, state, value, reason)

    def _finish(
        self,
        trial: Trial | int | Mapping[str, Any],
        state: TrialState,
        value: float | None,
        reason: str | None,
        values: Sequence[float] | None = None,
        constraints: Sequence[float] | None = None,
    ) -> Trial:
        if self._link is not None:
            return self._link.tell(trial, state, value, reason, values, constraints)
        t = self._trial_from_params(trial) if isinstance(trial, Mapping) else self._resolve(trial)
        self._record(t, state, value, reason, time.time(), values, constraints)
        return t

    def _trial_from_params(self, params: Mapping[str, Any]) -> Trial:
        plain, x = self._params_and_x(params)
        return self._new_trial(x, plain)

    def _record(
        self,
        t: Trial,
        state: TrialState,
        value: float | None,
        reason: str | None,
        at: float,
        values: Sequence[float] | None = None,
        constraints: Sequence[float] | None = None,
    ) -> None:
        """Write a trial's outcome into the books (no checks: the callers made them)."""
        if self._mo is not None:
            self._mo.record(self, t, state, value, reason, at, values, constraints)
            return
        if state is TrialState.PRUNED and value is None and t.intermediate:
            value = t.intermediate[max(t.intermediate)]
        t.state, t.value, t.fail_reason, t.finished_at = state, value, reason, at
        self._states[t.id] = _STATE_CODE[state]
        if value is not None and math.isfinite(value):
            self._y[t.id] = self._sign * value
            if state is TrialState.COMPLETE and self._sign * value < self._best_key:
                self._best, self._best_key = t, self._sign * value

    def _resolve(self, trial: Trial | int) -> Trial:
        if isinstance(trial, Trial):
            tid = trial.id
            if not (0 <= tid < len(self._trials) and self._trials[tid] is trial):
                raise ValueError(f"trial {tid} does not belong to this optimizer")
        elif isinstance(trial, numbers.Integral) and not isinstance(trial, bool):
            tid = int(trial)
            if not 0 <= tid < len(self._trials):
                raise ValueError(
                    f"unknown trial id {tid}; ids run from 0 to {len(self._trials) - 1}"
                )
        else:
            raise TypeError(f"tell takes a Trial, a trial id or a params dict, got {trial!r}")
        t = self._trials[tid]
        if t.state is not TrialState.PENDING:
            raise ValueError(f"trial {tid} is already {t.state.value}; a trial is told once")
        return t

    # ------------------------------------------------------------------ export / import
    def to_records(self) -> list[dict[str, Any]]:
        """Every trial as a plain dict (keys: id, params, state, value, intermediate,
        started_at, finished_at, duration, user_attrs, fail_reason)."""
        if self._mo is not None:
            multi, cons = self._mo.m > 1, self._mo.constrained
            return [_records.trial_to_record(t, multi, cons) for t in self.trials]
        return [_records.trial_to_record(t) for t in self.trials]

    @classmethod
    def from_trials(
        cls,
        space: Space | Mapping[str, Any],
        records: Iterable[Mapping[str, Any]],
        strategy: str | Strategy = "random",
        direction: str | Sequence[str] = "minimize",
        seed: int | None = None,
        constraints: bool = False,
    ) -> Optimizer:
        """A new optimizer whose history holds ``records`` (e.g. from ``to_records`` or from
        earlier experiments): each needs ``params``, and ``value`` (or a ``state``).

        Records are validated first: a bad one raises ValueError naming its position and
        nothing is recorded. Pending records stay pending (tell them later, or as failed).
        """
        opt = cls(space, strategy=strategy, direction=direction, seed=seed, constraints=constraints)
        _records.load_records(opt, records)
        return opt

    def to_json(self, path: str | os.PathLike[str] | None = None, indent: int | None = None) -> str:
        """The space, direction and every trial as JSON; written to ``path`` when given."""
        return _records.study_to_json(
            self.space, self.direction, self.to_records(), indent, path, self.constraints
        )

    @classmethod
    def from_json(
        cls,
        text_or_path: str | os.PathLike[str],
        strategy: str | Strategy = "random",
        seed: int | None = None,
    ) -> Optimizer:
        """An optimizer restored from ``to_json`` output (a JSON string or a file path)."""
        space, direction, records, cons = _records.study_from_json(text_or_path)
        return cls.from_trials(
            space, records, strategy=strategy, direction=direction, seed=seed, constraints=cons
        )

    @classmethod
    def load(
        cls,
        storage: str | os.PathLike[str] | SQLiteStorage,
        study: str | None = None,
        strategy: str | Strategy = "random",
        seed: int | None = None,
    ) -> Optimizer:
        """Open a stored study without restating its space (read from the storage). ``study``
        may be left out when the storage holds exactly one."""
        from hpo_core.storage import SQLiteStorage, open_existing

        store = storage if isinstance(storage, SQLiteStorage) else open_existing(storage)
        names = store.study_names()
        if study is None:
            if len(names) != 1:
                raise ValueError(f"name the study: {store.path!r} holds {names!r}")
            study = names[0]
        space_text, direction_text = store.study_info(study)
        space = _records.space_from_json(json.loads(space_text))
        direction, cons = _objectives.parse_direction_text(direction_text)
        return cls(
            space,
            strategy=strategy,
            direction=direction,
            seed=seed,
            storage=store,
            study=study,
            constraints=cons,
        )

    def to_dataframe(self) -> Any:
        """The trials as a pandas DataFrame, one row a trial, one ``params_<name>`` column a
        parameter (pandas must be installed)."""
        return _records.to_dataframe(self.to_records())

    # ------------------------------------------------------------------ pruning
    def should_prune(self, trial: Trial | int) -> bool:
        """Whether the pruner would stop this pending trial now, from its reports so far.

        Call it after each ``trial.report(step, value)``; when True, stop and tell the trial
        with ``state="pruned"`` (or raise ``TrialPruned`` inside ``minimize``).
        """
        t = self._resolve(trial)  # a pending trial of this optimizer
        if self.pruner is None or not t.intermediate:
            return False
        return bool(self.pruner.prune(t, self._trials, self.direction))

    # ------------------------------------------------------------------ loop
    def minimize(
        self,
        objective: Callable[[dict[str, Any]], float],
        n_trials: int | None = None,
        timeout: float | None = None,
        callbacks: Iterable[Callable[[Optimizer, Trial], None]] = (),
        catch: tuple[type[BaseException], ...] = (Exception,),
        progress: bool = False,
        n_jobs: int = 1,
        executor: Executor | Any | None = None,
    ) -> Any:
        """Run ``objective(params) -> float`` on asked configurations; return the best trial
        (with several objectives, the list ``pareto_front``).

        An objective whose single parameter is named ``trial`` or annotated ``Trial`` is
        called with the Trial instead (its ``params`` are the configuration): it may
        ``trial.report(step, value)``, check ``optimizer.should_prune(trial)`` and raise
        ``TrialPruned``, which records the trial as pruned with its last reported value.

        Stops after ``n_trials``, after ``timeout`` seconds (checked between trials), or when
        a grid is exhausted, whichever comes first; one of the first two is required unless the
        strategy is a grid. The objective's value is minimised or maximised per ``direction``.
        Exceptions in ``catch`` become failed trials and the loop goes on; any other exception
        is recorded as a failure of its trial and then raised. ``callbacks`` are called as
        ``callback(optimizer, trial)`` after each trial. ``progress=True`` shows a tqdm bar.
        With several objectives the objective returns one value per direction; with
        ``constraints=True`` it returns ``(value, [c1, ...])``.

        With ``n_jobs=k > 1`` or an ``executor`` (any ``concurrent.futures.Executor``, or a
        ``dask.distributed.Client``), k trials run at a time (a process pool of k by default),
        and a new one is asked as soon as one finishes; the objective must then be picklable.
        """
        from hpo_core import parallel

        return parallel.minimize(
            self, objective, n_trials, timeout, callbacks, catch, progress, n_jobs, executor
        )


def _takes_trial(objective: Callable[..., Any]) -> bool:
    """True for an objective whose single parameter is named ``trial`` or annotated Trial."""
    try:
        params = list(inspect.signature(objective).parameters.values())
    except (TypeError, ValueError):
        return False
    if len(params) != 1:
        return False
    p = params[0]
    ann = p.annotation
    return (
        p.name == "trial"
        or ann is Trial
        or (isinstance(ann, str) and (ann == "Trial" or ann.endswith(".Trial")))
    )
