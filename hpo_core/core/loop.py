"""The optimization loop, one trial at a time or many in flight on an executor.

``Optimizer.minimize`` calls ``minimize`` here. With ``n_jobs > 1`` or an ``executor``, the
objective runs elsewhere (a process pool by default, any ``concurrent.futures.Executor``, or a
Dask cluster through a ``dask.distributed.Client``) while this process asks and tells: as soon
as one trial finishes it is told and a new one is asked, so the strategy always sees the trials
in flight as pending.
"""

from __future__ import annotations

import concurrent.futures as cf
import inspect
import numbers
import pickle
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hpo_core.core.trial import Trial
from hpo_core.pruning import TrialPruned
from hpo_core.strategies import SearchSpaceExhausted

if TYPE_CHECKING:
    from hpo_core.core.optimizer import Optimizer

Callbacks = list[Callable[["Optimizer", Trial], None]]
Catch = tuple[type[BaseException], ...]

__all__ = ["minimize"]


def _check_args(opt: Optimizer, n_trials: Any, timeout: Any, n_jobs: Any) -> None:
    if n_trials is not None and (
        isinstance(n_trials, bool) or not isinstance(n_trials, numbers.Integral) or n_trials < 0
    ):
        raise ValueError(f"n_trials must be None or an integer >= 0, got {n_trials!r}")
    if timeout is not None and (
        isinstance(timeout, bool) or not isinstance(timeout, numbers.Real) or not float(timeout) > 0
    ):
        raise ValueError(f"timeout must be None or a number of seconds > 0, got {timeout!r}")
    if n_trials is None and timeout is None and not opt.strategy.finite:
        raise ValueError("give n_trials or timeout (only a grid search ends by itself)")
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, numbers.Integral) or n_jobs < 1:
        raise ValueError(f"n_jobs must be an integer >= 1, got {n_jobs!r}")


class _Progress:
    def __init__(self, opt: Optimizer, total: int | None, enabled: bool) -> None:
        self.opt = opt
        self.bar: Any = None
        if enabled:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=total, unit="trial", dynamic_ncols=True)

    def update(self) -> None:
        if self.bar is not None:
            self.bar.update(1)
            best = self.opt._books.best
            if best is not None and best.value is not None:
                self.bar.set_postfix(best=f"{best.value:.6g}", refresh=False)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def minimize(
    opt: Optimizer,
    objective: Callable[[dict[str, Any]], float],
    n_trials: int | None,
    timeout: float | None,
    callbacks: Iterable[Callable[[Optimizer, Trial], None]],
    catch: tuple[type[BaseException], ...],
    progress: bool,
    n_jobs: int,
    executor: Any,
) -> Trial | list[Trial]:
    _check_args(opt, n_trials, timeout, n_jobs)
    catch = tuple(catch)
    callbacks = list(callbacks)
    deadline = None if timeout is None else time.monotonic() + float(timeout)
    bar = _Progress(opt, n_trials, progress)
    try:
        if n_jobs == 1 and executor is None:
            _serial(opt, objective, n_trials, deadline, callbacks, catch, bar)
        else:
            _parallel(opt, objective, n_trials, deadline, callbacks, catch, bar, n_jobs, executor)
    finally:
        bar.close()
    if len(opt.directions) > 1:
        return opt.pareto_front
    return opt.best


def takes_trial(objective: Callable[..., Any]) -> bool:
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


def _serial(
    opt: Optimizer,
    objective: Callable[..., Any],
    n_trials: int | None,
    deadline: float | None,
    callbacks: Callbacks,
    catch: Catch,
    bar: _Progress,
) -> None:
    wants_trial = takes_trial(objective)
    done = 0
    while n_trials is None or done < n_trials:
        if deadline is not None and time.monotonic() >= deadline:
            break
        try:
            trial = opt.ask()
        except SearchSpaceExhausted:
            break
        try:
            value = objective(trial if wants_trial else dict(trial.params))
        except TrialPruned:
            opt.tell(trial, state="pruned")
        except catch as exc:
            opt.tell(trial, exception=exc)
        except BaseException as exc:
            opt.tell(trial, exception=exc)
            raise
        else:
            opt._tell_result(trial, value)
        done += 1
        for callback in callbacks:
            callback(opt, trial)
        bar.update()


@dataclass
class _Failure:
    """An exception raised by the objective in a worker, with its traceback text."""

    text: str
    exception: BaseException | None


def _call(objective: Callable[[dict[str, Any]], float], params: dict[str, Any]) -> Any:
    """Run in the worker: the value, or a _Failure that carries the traceback home."""
    try:
        return objective(params)
    except BaseException as exc:  # every failure goes home as a record
        text = traceback.format_exc()
        try:
            pickle.dumps(exc)
        except Exception:  # an exception that cannot travel: its text does
            return _Failure(text, None)
        return _Failure(text, exc)


def _executor(executor: Any, n_jobs: int) -> tuple[cf.Executor, bool]:
    """(an Executor, whether we own it and must shut it down)."""
    if executor is None:
        return cf.ProcessPoolExecutor(max_workers=n_jobs), True
    if hasattr(executor, "get_executor") and hasattr(executor, "scheduler_info"):
        return executor.get_executor(), False  # a dask.distributed.Client
    if isinstance(executor, cf.Executor):
        return executor, False
    raise ValueError(
        "executor must be None, a concurrent.futures.Executor or a dask.distributed.Client, "
        f"got {executor!r}"
    )


def _slots(executor: Any, n_jobs: int) -> int:
    """How many trials to keep in flight."""
    if n_jobs > 1 or executor is None:
        return n_jobs
    if hasattr(executor, "scheduler_info"):
        return max(
            1, sum(w.get("nthreads", 1) for w in executor.scheduler_info()["workers"].values())
        )
    return max(1, getattr(executor, "_max_workers", 1))


def _parallel(
    opt: Optimizer,
    objective: Callable[..., Any],
    n_trials: int | None,
    deadline: float | None,
    callbacks: Callbacks,
    catch: Catch,
    bar: _Progress,
    n_jobs: int,
    executor: Any,
) -> None:
    if takes_trial(objective):
        raise ValueError(
            "an objective that takes a trial (to report and prune) runs in this process: "
            "use n_jobs=1 and no executor, or run one minimize per worker on a shared storage"
        )
    slots = _slots(executor, n_jobs)
    pool, owned = _executor(executor, n_jobs)
    running: dict[cf.Future[Any], Trial] = {}
    asked = 0
    exhausted = False
    error: BaseException | None = None  # raised once the trials in flight are told
    try:
        while True:
            while (
                error is None
                and not exhausted
                and len(running) < slots
                and (n_trials is None or asked < n_trials)
                and (deadline is None or time.monotonic() < deadline)
            ):
                try:
                    trial = opt.ask()
                except SearchSpaceExhausted:
                    exhausted = True
                    break
                running[pool.submit(_call, objective, dict(trial.params))] = trial
                asked += 1
            if not running:
                break
            done, _ = cf.wait(list(running), return_when=cf.FIRST_COMPLETED)
            for future in done:
                trial = running.pop(future)
                error = _finish(opt, trial, future, catch) or error
                for callback in callbacks:
                    callback(opt, trial)
                bar.update()
        if error is not None:
            raise error
    finally:
        # interrupted (Ctrl-C, a failing callback): what is still in flight is recorded, not lost
        for future, trial in running.items():
            future.cancel()
            opt._fail(trial, "interrupted: the loop stopped")
        if owned:
            pool.shutdown(wait=True, cancel_futures=True)


def _finish(
    opt: Optimizer, trial: Trial, future: cf.Future[Any], catch: Catch
) -> BaseException | None:
    """Tell a finished trial; return the exception to raise when it is not one to catch."""
    try:
        result = future.result()
    except BaseException as exc:  # the executor itself failed (a worker died, pickling)
        result = _Failure("".join(traceback.format_exception(exc)), exc)
    if not isinstance(result, _Failure):
        try:
            opt._tell_result(trial, result)
        except (TypeError, ValueError) as exc:
            return exc
        return None
    error = result.exception
    if isinstance(error, TrialPruned):
        opt.tell(trial, state="pruned")
        return None
    opt._fail(trial, result.text.strip())
    if error is None:
        return RuntimeError(f"trial {trial.id} failed in a worker:\n{result.text}")
    return None if isinstance(error, catch) else error
