"""The Branin function with a categorical offset: a quick study to try the command line on."""

import math


def branin(params: dict) -> float:
    x, y = params["x"], params["y"]
    a, b, c = 1.0, 5.1 / (4 * math.pi**2), 5 / math.pi
    r, s, t = 6.0, 10.0, 1 / (8 * math.pi)
    value = a * (y - b * x**2 + c * x - r) ** 2 + s * (1 - t) * math.cos(x) + s
    return value + (0.5 if params["variant"] == "shifted" else 0.0)
