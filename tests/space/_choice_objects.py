"""Module-level objects used as categorical choices (imported by another process too)."""

from __future__ import annotations


def relu(x: float) -> float:
    return max(x, 0.0)


def tanh(x: float) -> float:
    return x


class Adam:
    """An optimizer-like class whose instances have the default repr (with an address)."""


class Sgd:
    pass


def space() -> dict:
    return {"act": [relu, tanh], "opt": [Adam, Sgd], "inst": [Adam(), Sgd()], "lr": (0.1, 1.0)}
