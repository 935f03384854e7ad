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
import time
import traceback
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from hpo_core.core import pool
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


def _check_catch(catch: Any) -> Catch:
    """``catch`` as a tuple: one exception class, or any iterable of them."""
    if isinstance(catch, type) and issubclass(catch, BaseException):
        return (catch,)
    bad = TypeError(
        "catch must be an exception class or an iterable of exception classes "
        f"(e.g. (ValueError, ArithmeticError)), got {catch!r}"
    )
    if isinstance(catch, (str, bytes)):
        raise bad
    try:
        classes = tuple(catch)
    except TypeError:
        raise bad from None
    if not all(isinstance(c, type) and issubclass(c, BaseException) for c in classes):
        raise bad
    return classes


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
    catch: type[BaseException] | Iterable[type[BaseException]],
    progress: bool,
    n_jobs: int,
    executor: Any,
    total: int | None = None,
) -> Trial | list[Trial]:
    """``Optimizer.minimize``; with ``total``, no trial is asked once the study holds that many
    (every worker's, pending ones too: a configuration file's ``n_trials``, which several runs
    of the file share)."""
    _check_args(opt, n_trials, timeout, n_jobs)
    classes = _check_catch(catch)
    callbacks = list(callbacks)
    if n_trials == 0:  # nothing runs: the best so far
        return _best(opt, ran=False)
    deadline = None if timeout is None else time.monotonic() + float(timeout)
    bar = _Progress(opt, n_trials, progress)
    try:
        more = _below(opt, total)
        if n_jobs == 1 and executor is None:
            _serial(opt, objective, n_trials, deadline, callbacks, classes, bar, more)
        else:
            args = (n_trials, deadline, callbacks, classes, bar, n_jobs, executor, more)
            _parallel(opt, objective, *args)
    finally:
        bar.close()
    return _best(opt, ran=True)


def _below(opt: Optimizer, total: int | None) -> Callable[[], bool]:
    """Whether the study, caught up with every worker's trials, holds fewer than ``total``."""
    if total is None:
        return lambda: True

    def more() -> bool:
        opt._study.sync()
        return len(opt._books.trials) < total

    return more


def _best(opt: Optimizer, ran: bool) -> Trial | list[Trial]:
    if len(opt.directions) > 1:
        return opt.pareto_front
    try:
        return opt.best
    except ValueError as exc:
        if ran:
            raise
        raise ValueError(
            f"n_trials=0: no trial ran, and the study has no trial to return as best ({exc})"
        ) from None


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
    more: Callable[[], bool],
) -> None:
    wants_trial = takes_trial(objective)
    done = 0
    while n_trials is None or done < n_trials:
        if deadline is not None and time.monotonic() >= deadline:
            break
        if not more():
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
    more: Callable[[], bool],
) -> None:
    if takes_trial(objective):
        raise ValueError(
            "an objective that takes a trial (to report and prune) runs in this process: "
            "use n_jobs=1 and no executor, or run one minimize per worker on a shared storage"
        )
    pool.check_picklable(objective, executor)
    slots = pool.slots(executor, n_jobs)
    ex, owned = pool.make(executor, n_jobs)
    running: dict[cf.Future[Any], Trial] = {}  # a trial leaves once it is told
    asked = 0
    deaths = 0  # pools broken in a row, no trial coming back from a worker in between
    exhausted = False
    error: BaseException | None = None  # raised once the trials in flight are told
    broken: BaseException | None = None  # the BrokenExecutor of a pool that just died

    def told(trial: Trial) -> None:
        for callback in callbacks:
            callback(opt, trial)
        bar.update()

    try:
        while True:
            while (
                error is None
                and broken is None
                and not exhausted
                and len(running) < slots
                and (n_trials is None or asked < n_trials)
                and (deadline is None or time.monotonic() < deadline)
                and more()
            ):
                try:
                    trial = opt.ask()
                except SearchSpaceExhausted:
                    exhausted = True
                    break
                asked += 1
                try:
                    running[ex.submit(pool.call, objective, dict(trial.params))] = trial
                except cf.BrokenExecutor as exc:  # a worker died since the last wait
                    opt._fail(trial, pool.death_reason(exc))
                    told(trial)
                    broken = exc
                except BaseException as exc:
                    opt._fail(trial, f"not started: {type(exc).__name__}: {exc}")
                    raise
            if not running and broken is None:
                break
            done, _ = cf.wait(list(running), return_when=cf.FIRST_COMPLETED)
            broken = broken or next((b for f in done if (b := _broken(f)) is not None), None)
            if broken is not None:  # a broken pool settles every future it holds at once
                done, _ = cf.wait(list(running))
            for future in done:
                trial = running[future]
                raised, back = _finish(opt, trial, future, catch)
                del running[future]
                error = raised or error
                deaths = 0 if back else deaths
                told(trial)
            if broken is not None:
                deaths += 1
                if not owned or deaths >= pool.MAX_DEATHS:
                    raise RuntimeError(_broken_message(ex, owned, deaths)) from broken
                pool.stop(ex, owned, wait=False)
                ex, owned = pool.make(None, n_jobs)
                broken = None
        if error is not None:
            raise error
    finally:
        # interrupted (Ctrl-C, a failing callback): what is still in flight is recorded, not
        # lost, and not waited for
        wait = not running and broken is None
        try:
            for future, trial in running.items():
                future.cancel()
                if trial.state == "pending":
                    opt._fail(trial, "interrupted: the loop stopped before this trial finished")
        finally:
            pool.stop(ex, owned, wait=wait)


def _broken(future: cf.Future[Any]) -> BaseException | None:
    """The BrokenExecutor a future ended with, when its pool broke under it."""
    if future.cancelled():
        return None
    exc = future.exception()
    return exc if isinstance(exc, cf.BrokenExecutor) else None


def _broken_message(ex: cf.Executor, owned: bool, deaths: int) -> str:
    if owned:
        return (
            f"the worker processes died {deaths} times in a row, no trial coming back in "
            "between (killed, crashed, out of memory?): stopping. The trials they ran are "
            "recorded as failed."
        )
    return (
        f"the executor {ex!r} is broken: a worker died. The trials in flight are recorded as "
        "failed; give a working executor, or leave executor=None for a process pool that is "
        "replaced when a worker dies"
    )


def _finish(
    opt: Optimizer, trial: Trial, future: cf.Future[Any], catch: Catch
) -> tuple[BaseException | None, bool]:
    """Tell a finished trial: (the exception to raise when it is not one to catch, whether
    it came back from its worker; False when the pool broke under it)."""
    try:
        result = future.result()
    except cf.BrokenExecutor as exc:
        opt._fail(trial, pool.death_reason(exc))
        return None, False
    except BaseException as exc:  # the executor itself failed (pickling a result, a cluster)
        result = pool.Failure("".join(traceback.format_exception(exc)), exc)
    if not isinstance(result, pool.Failure):
        try:
            opt._tell_result(trial, result)
        except (TypeError, ValueError) as exc:
            return exc, True
        return None, True
    error = result.exception
    if isinstance(error, TrialPruned):
        opt.tell(trial, state="pruned")
        return None, True
    opt._fail(trial, result.text.strip())
    if error is None:
        return RuntimeError(f"trial {trial.id} failed in a worker:\n{result.text}"), True
    return (None if isinstance(error, catch) else error), True
