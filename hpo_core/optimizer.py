"""The ask/tell Optimizer: it keeps the books, its strategy proposes."""

from __future__ import annotations

import inspect
import math
import numbers
import time
import traceback
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

from hpo_core.pruning import Pruner, TrialPruned
from hpo_core.space import Space
from hpo_core.strategies import SearchSpaceExhausted, Strategy, make_strategy
from hpo_core.strategies.base import COMPLETE, FAILED, PENDING, PRUNED, History
from hpo_core.trial import Trial, TrialState

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
    direction : {"minimize", "maximize"}, default "minimize"
    seed : int or None
        The same seed gives the same sequence of asks, bit for bit, on one machine.
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
        direction: str = "minimize",
        seed: int | None = None,
        *,
        pruner: Pruner | None = None,
    ) -> None:
        self.space = space if isinstance(space, Space) else Space(space)
        if direction not in _DIRECTIONS:
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
        if pruner is not None:
            pruner.setup()
        self.pruner = pruner
        self.strategy = make_strategy(strategy)
        self.strategy.setup(self.space, np.random.default_rng(seed))
        self._trials: list[Trial] = []
        d = self.space.d
        self._X = np.empty((64, d))
        self._y = np.full(64, np.nan)
        self._states = np.zeros(64, dtype=np.int8)
        self._best: Trial | None = None
        self._best_key = math.inf

    # ------------------------------------------------------------------ history
    @property
    def trials(self) -> list[Trial]:
        """Every trial so far, in id order (a new list; the trials themselves are live)."""
        return list(self._trials)

    @property
    def best(self) -> Trial:
        """The best complete trial (the first of equals). ValueError when there is none."""
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
        return History(self._X, self._y, self._states, len(self._trials))

    def _new_trial(self, x: np.ndarray, params: dict[str, Any]) -> Trial:
        t = len(self._trials)
        if t == len(self._states):
            self._X = np.concatenate([self._X, np.empty_like(self._X)])
            self._y = np.concatenate([self._y, np.full(t, np.nan)])
            self._states = np.concatenate([self._states, np.zeros(t, dtype=np.int8)])
        self._X[t] = x
        trial = Trial(t, params)
        self._trials.append(trial)
        return trial

    # ------------------------------------------------------------------ ask
    def ask(self, n: int | None = None) -> Any:
        """Ask for a configuration to evaluate.

        ``ask()`` returns one pending ``Trial``; ``ask(n)`` a list of n trials, all pending at
        once, which the strategy spreads out. A grid near its end returns the points it has
        left; ``SearchSpaceExhausted`` is raised when it has none.
        """
        k = 1 if n is None else n
        if type(k) is not int and (isinstance(k, bool) or not isinstance(k, numbers.Integral)):
            raise ValueError(f"n must be None or an integer >= 1, got {n!r}")
        if k < 1:
            raise ValueError(f"n must be None or an integer >= 1, got {n!r}")
        X = self.strategy.propose(self.history(), int(k))
        if type(X) is not np.ndarray or X.dtype != np.float64:
            X = np.asarray(X, dtype=float)
        if X.ndim != 2 or X.shape[1] != self.space.d or not 1 <= len(X) <= k:
            raise RuntimeError(
                f"{type(self.strategy).__name__}.propose returned shape {X.shape}, "
                f"expected (1..{k}, {self.space.d})"
            )
        decode = self.space.decode
        if n is None:
            return self._new_trial(X[0], decode(X[0]))
        return [self._new_trial(x, decode(x)) for x in X]

    # ------------------------------------------------------------------ tell
    def tell(
        self,
        trial: Trial | int | Mapping[str, Any],
        value: float | None = None,
        *,
        state: str | None = None,
        exception: BaseException | None = None,
    ) -> Trial:
        """Record the result of a trial and return it.

        Parameters
        ----------
        trial : Trial, int or dict
            The trial (or its id) that was asked; or a dict of parameters that was not asked
            (a result from elsewhere, to warm-start the search), recorded as a new trial.
        value : float
            The objective's value. NaN or infinity records a failed trial with the reason.
        state : {"complete", "failed", "pruned"}, optional
            Default "complete", or "failed" when ``exception`` is given. A pruned trial keeps
            ``value`` or, when it is None, its last reported intermediate value.
        exception : BaseException, optional
            The exception the objective raised: records a failed trial with its text.

        Raises
        ------
        ValueError
            An unknown trial id, a trial told already, a bad state, or a missing value.
        TypeError
            A value that is not a real number.
        """
        if state is None:
            state = TrialState.FAILED if exception is not None else TrialState.COMPLETE
        elif state not in ("complete", "failed", "pruned"):
            raise ValueError(f"state must be 'complete', 'failed' or 'pruned', got {state!r}")
        else:
            state = TrialState(state)
        if (
            value is not None
            and type(value) is not float
            and (isinstance(value, bool) or not isinstance(value, numbers.Real))
        ):
            raise TypeError(f"value must be a real number, got {value!r} ({type(value).__name__})")
        if state is TrialState.COMPLETE and value is None:
            raise ValueError("value is required to tell a complete trial")
        t = self._resolve(trial)
        reason = None
        if exception is not None:
            state = TrialState.FAILED
            reason = "".join(traceback.format_exception_only(type(exception), exception)).strip()
        if value is not None:
            value = float(value)
            if not math.isfinite(value):
                if state is TrialState.COMPLETE:
                    state, reason = TrialState.FAILED, f"the objective returned {value!r}"
                value = None if state is TrialState.FAILED else value
        if state is TrialState.PRUNED and value is None and t.intermediate:
            value = t.intermediate[max(t.intermediate)]
        if state is TrialState.FAILED and reason is None:
            reason = "told as failed"
        t.state, t.value, t.fail_reason = state, value, reason
        t.finished_at = time.time()
        self._states[t.id] = _STATE_CODE[state]
        if value is not None and math.isfinite(value):
            self._y[t.id] = self._sign * value
        if state is TrialState.COMPLETE and self._sign * value < self._best_key:
            self._best, self._best_key = t, self._sign * value
        return t

    def _resolve(self, trial: Trial | int | Mapping[str, Any]) -> Trial:
        if isinstance(trial, Trial):
            tid = trial.id
            if not (0 <= tid < len(self._trials) and self._trials[tid] is trial):
                raise ValueError(f"trial {tid} does not belong to this optimizer")
        elif isinstance(trial, Mapping):
            x = self.space.encode(trial)  # validates names and ranges
            params = {
                name: dim.decode(u) if dim.kind else float(trial[name])
                for (name, dim), u in zip(self.space.dimensions.items(), x, strict=True)
            }
            return self._new_trial(x, params)
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
    ) -> Trial:
        """Run ``objective(params) -> float`` on asked configurations; return the best trial.

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
        """
        if n_trials is not None and (
            isinstance(n_trials, bool) or not isinstance(n_trials, numbers.Integral) or n_trials < 0
        ):
            raise ValueError(f"n_trials must be None or an integer >= 0, got {n_trials!r}")
        if timeout is not None and (
            isinstance(timeout, bool) or not isinstance(timeout, numbers.Real) or not timeout > 0
        ):
            raise ValueError(f"timeout must be None or a number of seconds > 0, got {timeout!r}")
        if n_trials is None and timeout is None and self.strategy.name != "grid":
            raise ValueError("give n_trials or timeout (only a grid search ends by itself)")
        catch = tuple(catch)
        callbacks = list(callbacks)
        takes_trial = _takes_trial(objective)
        deadline = None if timeout is None else time.monotonic() + float(timeout)
        bar = _progress_bar(n_trials) if progress else None
        done = 0
        try:
            while n_trials is None or done < n_trials:
                if deadline is not None and time.monotonic() >= deadline:
                    break
                try:
                    trial = self.ask()
                except SearchSpaceExhausted:
                    break
                try:
                    value = objective(trial if takes_trial else dict(trial.params))
                except TrialPruned:
                    self.tell(trial, state="pruned")
                except catch as exc:
                    self.tell(trial, exception=exc)
                except BaseException as exc:
                    self.tell(trial, exception=exc)
                    raise
                else:
                    try:
                        self.tell(trial, value)
                    except TypeError as exc:
                        self.tell(trial, exception=exc)
                        raise TypeError(
                            f"the objective must return a real number, got {value!r}"
                        ) from None
                done += 1
                for callback in callbacks:
                    callback(self, trial)
                if bar is not None:
                    bar.update(1)
                    if self._best is not None:
                        bar.set_postfix(best=f"{self._best.value:.6g}", refresh=False)
        finally:
            if bar is not None:
                bar.close()
        return self.best


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


def _progress_bar(total: int | None) -> Any:
    from tqdm.auto import tqdm

    return tqdm(total=total, unit="trial", dynamic_ncols=True)
