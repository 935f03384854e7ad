"""The executor side of the parallel loop: where trials run, how a worker's failure comes home,
and how a pool is stopped or replaced when it breaks.

A worker process that dies (killed, a crash, the out-of-memory killer) breaks a
``ProcessPoolExecutor``: every trial on it ends with ``BrokenExecutor``. The loop records those
trials as failed with ``death_reason``, and replaces a pool it owns (``executor=None``) until
``MAX_DEATHS`` pools have died in a row.
"""

from __future__ import annotations

import concurrent.futures as cf
import importlib
import pickle
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["MAX_DEATHS", "Failure", "call", "check_picklable", "death_reason", "make", "slots"]

#: pools that may die in a row (no trial coming back from a worker in between) before the loop
#: stops: an objective that kills every worker it runs in would otherwise never end
MAX_DEATHS = 3


@dataclass
class Failure:
    """An exception raised by the objective in a worker, with its traceback text."""

    text: str
    exception: BaseException | None


def call(objective: Callable[[dict[str, Any]], float], params: dict[str, Any]) -> Any:
    """Run in the worker: the value, or a Failure that carries the traceback home."""
    try:
        return objective(params)
    except BaseException as exc:  # every failure goes home as a record
        text = traceback.format_exc()
        try:
            pickle.dumps(exc)
        except Exception:  # an exception that cannot travel: its text does
            return Failure(text, None)
        return Failure(text, exc)


def _is_dask(executor: Any) -> bool:
    return hasattr(executor, "get_executor") and hasattr(executor, "scheduler_info")


def make(executor: Any, n_jobs: int) -> tuple[cf.Executor, bool]:
    """(an Executor, whether we own it: we shut it down, and replace it when it breaks)."""
    if executor is None:
        return cf.ProcessPoolExecutor(max_workers=n_jobs), True
    if _is_dask(executor):
        return executor.get_executor(), False  # a dask.distributed.Client
    if isinstance(executor, cf.Executor):
        return executor, False
    raise ValueError(
        "executor must be None, a concurrent.futures.Executor or a dask.distributed.Client, "
        f"got {executor!r}"
    )


def slots(executor: Any, n_jobs: int) -> int:
    """How many trials to keep in flight."""
    if n_jobs > 1 or executor is None:
        return n_jobs
    if _is_dask(executor):
        return max(
            1, sum(w.get("nthreads", 1) for w in executor.scheduler_info()["workers"].values())
        )
    return max(1, getattr(executor, "_max_workers", 1))


def check_picklable(objective: Callable[..., Any], executor: Any) -> None:
    """TypeError, before any trial is asked, for an objective that cannot reach the workers.

    Threads share the objective; the standard process pool pickles it; other executors (dask,
    loky, ...) serialise functions with cloudpickle, which also takes lambdas and closures.
    """
    if isinstance(executor, cf.ThreadPoolExecutor):
        return
    try:
        pickle.dumps(objective)
        return
    except Exception as exc:
        error = exc
    if executor is not None and not isinstance(executor, cf.ProcessPoolExecutor):
        try:
            importlib.import_module("cloudpickle").dumps(objective)
            return
        except ImportError:
            pass
        except Exception as exc:
            error = exc
    where = "a process pool (n_jobs > 1)" if executor is None else f"the executor {executor!r}"
    raise TypeError(
        f"the objective {objective!r} cannot be pickled to run on {where}: "
        f"{type(error).__name__}: {error}. Define it as a function at the top level of a module "
        "(not a lambda, a nested function or a method of a local class), or run it on threads "
        "with executor=concurrent.futures.ThreadPoolExecutor(...)"
    ) from error


def death_reason(exc: BaseException) -> str:
    """A failed trial's reason when its pool broke under it."""
    return (
        "a worker process died (killed, crashed, or out of memory) while this trial was running "
        f"or waiting on its pool: {type(exc).__name__}: {exc}"
    )


def stop(pool: cf.Executor, owned: bool, wait: bool) -> None:
    """Shut down a pool we own; without waiting, its workers are terminated mid-trial."""
    if not owned:
        return  # the caller's executor: its futures of ours are cancelled, it lives on
    if wait:
        pool.shutdown(wait=True)
        return
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(timeout=2.0)
        if process.is_alive():  # it ignored SIGTERM
            process.kill()
            process.join(timeout=2.0)
