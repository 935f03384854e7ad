"""The ask/tell Optimizer: it keeps the books, its strategy proposes."""

from __future__ import annotations

import math
import numbers
import os
import time
import traceback
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from hpo_core._records import check_record, study_from_json, study_to_json, trial_to_record
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
            return self._trial_from_params(trial)
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

    def _trial_from_params(self, params: Mapping[str, Any]) -> Trial:
        x = self.space.encode(params)  # validates names and ranges
        plain = {
            name: dim.decode(u) if dim.kind else float(params[name])
            for (name, dim), u in zip(self.space.dimensions.items(), x, strict=True)
        }
        return self._new_trial(x, plain)

    # ------------------------------------------------------------------ export / import
    def to_records(self) -> list[dict[str, Any]]:
        """Every trial as a plain dict (keys: id, params, state, value, intermediate,
        started_at, finished_at, duration, user_attrs, fail_reason)."""
        return [trial_to_record(t) for t in self._trials]

    @classmethod
    def from_trials(
        cls,
        space: Space | Mapping[str, Any],
        records: Iterable[Mapping[str, Any]],
        strategy: str | Strategy = "random",
        direction: str = "minimize",
        seed: int | None = None,
    ) -> Optimizer:
        """A new optimizer whose history holds ``records`` (e.g. from ``to_records`` or from
        earlier experiments): each needs ``params``, and ``value`` (or a ``state``).

        Records are validated first: a bad one raises ValueError naming its position and
        nothing is recorded. Pending records stay pending (tell them later, or as failed).
        """
        opt = cls(space, strategy=strategy, direction=direction, seed=seed)
        checked = [check_record(i, r) for i, r in enumerate(records)]
        for i, r in enumerate(checked):
            try:
                opt.space.encode(r["params"])
            except ValueError as err:
                raise ValueError(f"record {i}: {err}") from None
        for r in checked:
            t = opt._trial_from_params(r["params"])
            t.intermediate.update(r.get("intermediate") or {})
            t.user_attrs.update(r.get("user_attrs") or {})
            if r.get("started_at") is not None:
                t.started_at = r["started_at"]
            if r["state"] != "pending":
                value = r.get("value")
                opt.tell(t, value, state=r["state"])
                if r["state"] == "failed" and r.get("fail_reason"):
                    t.fail_reason = r["fail_reason"]
                if r.get("finished_at") is not None:
                    t.finished_at = r["finished_at"]
        return opt

    def to_json(self, path: str | os.PathLike[str] | None = None, indent: int | None = None) -> str:
        """The space, direction and every trial as JSON; written to ``path`` when given."""
        text = study_to_json(self.space, self.direction, self.to_records(), indent)
        if path is not None:
            Path(path).write_text(text)
        return text

    @classmethod
    def from_json(
        cls,
        text_or_path: str | os.PathLike[str],
        strategy: str | Strategy = "random",
        seed: int | None = None,
    ) -> Optimizer:
        """An optimizer restored from ``to_json`` output (a JSON string or a file path)."""
        text = str(text_or_path)
        if not text.lstrip().startswith("{"):
            text = Path(text_or_path).read_text()
        space, direction, records = study_from_json(text)
        return cls.from_trials(space, records, strategy=strategy, direction=direction, seed=seed)

    def to_dataframe(self) -> Any:
        """The trials as a pandas DataFrame, one row a trial, one ``params_<name>`` column a
        parameter (pandas must be installed)."""
        try:
            import pandas as pd
        except ImportError:
            raise ImportError("to_dataframe needs pandas: pip install pandas") from None
        rows = []
        for r in self.to_records():
            params = r.pop("params")
            inter = r.pop("intermediate")
            rows.append(
                {**r, **{f"params_{k}": v for k, v in params.items()}, "n_reports": len(inter)}
            )
        return pd.DataFrame(rows).set_index("id")

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
                    value = objective(dict(trial.params))
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


def _progress_bar(total: int | None) -> Any:
    from tqdm.auto import tqdm

    return tqdm(total=total, unit="trial", dynamic_ncols=True)
