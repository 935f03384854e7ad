"""The ask/tell Optimizer: it keeps the books, its strategy proposes."""

from __future__ import annotations

import numbers
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, overload

import numpy as np

from hpo_core.core import records as _records
from hpo_core.core.books import Books
from hpo_core.core.outcomes import Objectives, parse_direction_text
from hpo_core.core.study import Study, open_store
from hpo_core.core.trial import Trial, TrialState
from hpo_core.pruning import Pruner
from hpo_core.space import Space
from hpo_core.space.serialize import space_from_json
from hpo_core.strategies import History, Strategy, make_strategy

if TYPE_CHECKING:
    from concurrent.futures import Executor

    from hpo_core.storage import StorageArg

__all__ = ["Optimizer"]


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
    storage : None, "memory", "sqlite:///file.db", a path, "postgresql://user:pw@host/db", or
        an open SQLiteStorage or PostgresStorage
        Where the trials live. In memory by default; with SQLite or PostgreSQL every ask and
        tell is a transaction, a new optimizer on the same study resumes it, and several
        processes (on one machine with SQLite, on many with PostgreSQL) can share one study
        (see ``hpo_core.storage`` and docs/cluster.md).
    study : str, default "default"
        The study's name within the storage.
    heartbeat_timeout : float or None
        With a storage: a pending trial whose optimizer has not signalled for this many seconds
        (its process died) is marked failed by the next ask. Give every worker the same value.
    retry_stale : bool, default True
        Ask such a trial's parameters again, once (``user_attrs["retry_of"]``).
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
        storage: StorageArg | None = None,
        study: str = "default",
        heartbeat_timeout: float | None = None,
        retry_stale: bool = True,
        pruner: Pruner | None = None,
    ) -> None:
        self.space = space if isinstance(space, Space) else Space(space)
        objectives = Objectives(direction, constraints)
        self._objectives = objectives
        #: one word for a single objective, else the list of directions
        self.direction: str | list[str] = objectives.direction
        if seed is not None and (
            isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0
        ):
            raise ValueError(f"seed must be None or an integer >= 0, got {seed!r}")
        self.seed = seed
        if pruner is not None and not isinstance(pruner, Pruner):
            raise TypeError(f"pruner must be None or a Pruner, got {pruner!r}")
        if pruner is not None and objectives.m > 1:
            raise ValueError("a pruner needs a single objective; this study has several")
        if pruner is not None and getattr(pruner, "_bound", False):
            pruner.setup()  # refuses an instance that serves another optimizer
        self.pruner = pruner
        self.strategy = make_strategy(strategy)
        if objectives.m > 1 and not self.strategy.multi_objective:
            raise ValueError(
                f"strategy {self.strategy.name or type(self.strategy).__name__!r} optimises a "
                f"single objective, but direction has {objectives.m}: use one of 'nsga2', "
                "'bayes', 'random', 'sobol', 'grid'"
            )
        rank_feasible = constraints and not self.strategy.handles_constraints
        books = Books(self.space, objectives, rank_feasible)
        if not isinstance(retry_stale, bool):
            raise ValueError(f"retry_stale must be True or False, got {retry_stale!r}")
        store = open_store(self.space, objectives, storage, study, heartbeat_timeout)
        self._study = Study(books, self.strategy, store, heartbeat_timeout, retry_stale)
        self._books = books
        rng_seed = seed if store.worker == 0 or seed is None else [seed, store.worker]
        self.strategy.setup(self.space, np.random.default_rng(rng_seed))  # a worker's own stream
        if pruner is not None:  # bound once nothing else can fail
            pruner.setup()

    # ------------------------------------------------------------------ history
    @property
    def directions(self) -> list[str]:
        """The direction of each objective (one for a single objective)."""
        return list(self._objectives.directions)

    @property
    def constraints(self) -> bool:
        """Whether trials are told with constraints (``constraints=True``)."""
        return self._objectives.constrained

    @property
    def pareto_front(self) -> list[Trial]:
        """The complete trials that no other complete trial dominates (feasible ones only in
        a constrained study), in id order. With one objective: the trials tied for best."""
        self._study.sync()
        return self._books.pareto_front()

    @property
    def trials(self) -> list[Trial]:
        """Every trial so far, in id order (a new list; the trials themselves are live)."""
        self._study.sync()
        return list(self._books.trials)

    @property
    def best(self) -> Trial:
        """The best complete trial (the first of equals). ValueError when there is none.

        In a constrained study, the best feasible trial; with several objectives there is no
        single best (ValueError: see ``pareto_front``)."""
        self._study.sync()
        best = self._books.best
        if best is None or self._objectives.m > 1:
            raise self._books.no_best_error()
        return best

    def history(self) -> History:
        """The encoded history that the strategy sees (see ``History``)."""
        self._study.sync()
        return self._books.history()

    # ------------------------------------------------------------------ ask
    @overload
    def ask(self, n: None = None, *, fixed: Mapping[str, Any] | None = None) -> Trial: ...

    @overload
    def ask(self, n: int, *, fixed: Mapping[str, Any] | None = None) -> list[Trial]: ...

    def ask(
        self, n: int | None = None, *, fixed: Mapping[str, Any] | None = None
    ) -> Trial | list[Trial]:
        """Ask for a configuration to evaluate.

        ``ask()`` returns one pending ``Trial``; ``ask(n)`` a list of n trials, all pending at
        once, which the strategy spreads out. Parameters given to ``enqueue`` come first. A grid
        near its end returns the points it has left; ``SearchSpaceExhausted`` is raised when it
        has none. ``fixed`` (some parameters' values, validated) replaces those parameters in
        the strategy's points, so the trials hold what will really be evaluated.
        """
        k = 1 if n is None else n
        if type(k) is not int and (isinstance(k, bool) or not isinstance(k, numbers.Integral)):
            raise ValueError(f"n must be None or an integer >= 1, got {n!r}")
        if k < 1:
            raise ValueError(f"n must be None or an integer >= 1, got {n!r}")
        trials = self._study.ask(int(k), dict(fixed) if fixed else None)
        return trials[0] if n is None else trials

    def enqueue(
        self, params: Mapping[str, Any], user_attrs: Mapping[str, Any] | None = None
    ) -> None:
        """Have the next ask return these parameters (validated now) before the strategy's."""
        self._study.enqueue(params, user_attrs or {})

    # ------------------------------------------------------------------ tell
    def tell(
        self,
        trial: Trial | int | Mapping[str, Any],
        value: float | Sequence[float] | None = None,
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
        told = self._objectives.check(value, state, exception, constraints)
        return self._study.tell(trial, told)

    # ------------------------------------------------------------------ export / import
    def to_records(self) -> list[dict[str, Any]]:
        """Every trial as a plain dict (keys: id, params, state, value, intermediate,
        started_at, finished_at, duration, user_attrs, fail_reason)."""
        multi, cons = self._objectives.m > 1, self._objectives.constrained
        return [_records.trial_to_record(t, multi, cons) for t in self.trials]

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
        nothing is recorded. Pending records stay pending (tell them later, or as failed). With
        ``seed`` and records, the strategy draws from ``SeedSequence([seed, len(records)])``:
        a run restored with the seed it ran with does not ask its first points again.
        """
        return _records.restore(cls, space, records, strategy, direction, seed, constraints)

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
        storage: StorageArg,
        study: str | None = None,
        strategy: str | Strategy = "random",
        seed: int | None = None,
        read_only: bool = False,
    ) -> Optimizer:
        """Open a stored study without restating its space (read from the storage). ``study``
        may be left out when the storage holds exactly one.

        With ``read_only=True`` the study is only read (``trials``, ``best``, exports): nothing
        is written to the file, which may be read-only, and the next optimizer to resume the
        study draws the same numbers as if it had not been looked at; ask and tell raise
        ``StorageError``."""
        from hpo_core.storage import open_existing

        store = open_existing(storage, read_only=read_only)
        study = store.the_study(study)
        space, _, direction_text = store.study_space(study, space_from_json)
        direction, cons = parse_direction_text(direction_text)
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
        """The trials as a pandas DataFrame (one ``params_<name>`` column a parameter)."""
        return _records.to_dataframe(self.to_records())

    # ------------------------------------------------------------------ pruning
    def should_prune(self, trial: Trial | int) -> bool:
        """Whether the pruner would stop this pending trial now, from its reports so far.

        Call it after each ``trial.report(step, value)``; when True, stop and tell the trial
        with ``state="pruned"`` (or raise ``TrialPruned`` inside ``minimize``).
        """
        self._study.sync()  # the other workers' reports, with a shared storage
        t = self._books.resolve(trial)  # a pending trial of this optimizer
        if self.pruner is None or not t.intermediate:
            return False
        return bool(self.pruner.prune(t, self._books.trials, self.directions[0]))

    # ------------------------------------------------------------------ loop
    def optimize(
        self,
        objective: Callable[[dict[str, Any]], float],
        n_trials: int | None = None,
        timeout: float | None = None,
        callbacks: Iterable[Callable[[Optimizer, Trial], None]] = (),
        catch: type[BaseException] | Iterable[type[BaseException]] = (Exception,),
        progress: bool = False,
        n_jobs: int = 1,
        executor: Executor | Any | None = None,
    ) -> Trial | list[Trial]:
        """Run ``objective(params) -> float`` on asked configurations, minimising or maximising
        it per ``direction``; return the best trial (with several objectives, the list
        ``pareto_front``). ``minimize`` is the same method under its former name.

        An objective whose single parameter is named ``trial`` or annotated ``Trial`` is
        called with the Trial instead (its ``params`` are the configuration): it may
        ``trial.report(step, value)``, check ``optimizer.should_prune(trial)`` and raise
        ``TrialPruned``, which records the trial as pruned with its last reported value.

        Stops after ``n_trials`` more trials (this call's count: a resumed study runs that many
        besides those it has; a configuration file's ``n_trials`` is the study's total), after
        ``timeout`` seconds (checked between trials), or when a grid is exhausted, whichever
        comes first; one of the first two is required unless the strategy is a grid.
        ``n_trials=0`` runs nothing and returns the best so far (ValueError when no trial has
        completed). Exceptions in ``catch`` (a class or an iterable of classes) become failed
        trials and the loop goes on; any other exception is recorded as a failure of its trial
        and then raised. ``callbacks`` are called as ``callback(optimizer, trial)`` after each
        trial. ``progress=True`` shows a tqdm bar. With several objectives the objective returns
        one value per direction; with ``constraints=True`` it returns ``(value, [c1, ...])``.

        With ``n_jobs=k > 1`` or an ``executor`` (any ``concurrent.futures.Executor``, or a
        ``dask.distributed.Client``), k trials run at a time (a process pool of k by default),
        and a new one is asked as soon as one finishes; the objective must then be picklable
        (checked before the first trial: TypeError) unless the executor runs threads. A worker
        that dies fails the trials on its pool; the default pool is replaced, 3 deaths in a row
        (or a broken ``executor``) raise RuntimeError. On an interrupt (KeyboardInterrupt) the
        trials in flight are recorded as failed and not waited for.
        """
        from hpo_core.core import loop

        args = (objective, n_trials, timeout, callbacks, catch, progress, n_jobs, executor)
        return loop.minimize(self, *args)

    minimize = optimize

    # ------------------------------------------------------------------ for the loop
    def _fail(self, trial: Trial, reason: str) -> None:
        """Record a trial as failed with this reason (a worker's traceback, an interruption)."""
        self._study.tell(trial, (TrialState.FAILED, None, reason, None))

    def _tell_result(self, trial: Trial, result: Any) -> None:
        """Tell what an objective returned (in ``minimize``); a result of the wrong form is
        recorded as the trial's failure and raised as TypeError or ValueError."""
        try:
            value, cons = self._objectives.split_result(result)
            self.tell(trial, value, constraints=cons)
        except (TypeError, ValueError) as exc:
            if trial.state == "pending":
                self.tell(trial, exception=exc)
            raise type(exc)(
                f"the objective must return {self._objectives.returns()}: {exc}"
            ) from None
