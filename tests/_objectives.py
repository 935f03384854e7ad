"""Objectives that worker processes can import (parallel tests)."""

from __future__ import annotations

import os
import signal
import time


def quadratic(params):
    return (params["x"] - 1.0) ** 2


def sleepy(params):
    time.sleep(0.2)
    return (params["x"] - 1.0) ** 2


def pid(params):
    time.sleep(0.05)
    return float(os.getpid())


def fails_on_negative(params):
    if params["x"] < 0:
        raise ArithmeticError(f"negative x: {params['x']}")
    return params["x"]


def raises_key_error(params):
    raise KeyError("missing column")


def dies_below_zero(params):
    """The worker process dies without a word (as under the out-of-memory killer)."""
    if params["x"] < 0:
        os._exit(1)
    return params["x"]


def killed(params):
    os.kill(os.getpid(), signal.SIGKILL)


def sleeps_long(params):
    time.sleep(30)
    return params["x"]
