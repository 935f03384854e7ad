"""A scrambled Sobol sequence without importing ``scipy.stats``.

``scipy.stats.qmc`` is the reference, but importing ``scipy.stats`` costs about as much as the
rest of the start-up of the GP together. This generator reads the same Joe-Kuo direction
numbers that scipy ships (falling back to ``scipy.stats.qmc`` when that file is not found),
applies a linear matrix scramble and a digital shift drawn from the caller's generator, and
produces points in Gray-code order, like scipy: unscrambled, the two sequences are identical.
"""

from __future__ import annotations

import importlib.util
import os

import numba
import numpy as np

from hpo_core.arrays._numba import JIT

__all__ = ["Sobol"]

BITS = 30
_DIRECTIONS: dict[str, np.ndarray] = {}


def _direction_file() -> str | None:
    spec = importlib.util.find_spec("scipy")  # imports scipy itself only (cheap)
    for root in (spec.submodule_search_locations or []) if spec else []:
        path = os.path.join(root, "stats", "_sobol_direction_numbers.npz")
        if os.path.exists(path):
            return path
    return None


def _directions(d: int) -> np.ndarray:
    """Direction numbers of shape (d, BITS), as integers with BITS binary digits."""
    if "poly" not in _DIRECTIONS:
        path = _direction_file()
        if path is None:  # pragma: no cover - a scipy that keeps the file elsewhere
            import scipy.stats

            path = os.path.join(
                os.path.dirname(scipy.stats.__file__), "_sobol_direction_numbers.npz"
            )
        with np.load(path) as data:
            _DIRECTIONS["poly"], _DIRECTIONS["vinit"] = data["poly"], data["vinit"]
    poly, vinit = _DIRECTIONS["poly"], _DIRECTIONS["vinit"]
    if d > len(poly):
        raise ValueError(f"d must be at most {len(poly)} for a Sobol sequence, got {d}")
    v = np.zeros((d, BITS), dtype=np.int64)
    v[0, :] = 1
    for k in range(1, d):
        p = int(poly[k])
        m = p.bit_length() - 1
        v[k, :m] = vinit[k, :m]
        for j in range(m, BITS):
            new = int(v[k, j - m])
            pow2 = 1
            for i in range(m):
                pow2 <<= 1
                if (p >> (m - 1 - i)) & 1:
                    new ^= pow2 * int(v[k, j - i - 1])
            v[k, j] = new
    return v << (BITS - 1 - np.arange(BITS))


class Sobol:
    """Points of a (scrambled) Sobol sequence on ``[0, 1)^d``.

    Parameters
    ----------
    d : int
        Dimension.
    rng : numpy Generator or None
        Draws the scramble; None gives the plain (unscrambled) sequence.
    """

    def __init__(self, d: int, rng: np.random.Generator | None) -> None:
        if isinstance(d, bool) or not isinstance(d, (int, np.integer)) or d < 1:
            raise ValueError(f"d must be an integer >= 1, got {d!r}")
        d = int(d)
        self.d = d
        v = _directions(d)
        self._shift = np.zeros(d, dtype=np.int64)
        if rng is not None:
            # linear matrix scramble: v' = M v over GF(2), M lower triangular with unit diagonal
            # acting on the binary digits (most significant first); then a random digital shift
            digits = (v[:, :, None] >> (BITS - 1 - np.arange(BITS))) & 1  # (d, col, digit)
            M = np.tril(rng.integers(0, 2, size=(d, BITS, BITS)), -1) + np.eye(BITS, dtype=int)
            scr = np.einsum("kab,kcb->kca", M, digits) & 1
            v = np.sum(scr << (BITS - 1 - np.arange(BITS)), axis=2)
            self._shift = rng.integers(0, 1 << BITS, size=d, dtype=np.int64)
        self._v = v
        self._count = 0

    def random(self, n: int) -> np.ndarray:
        """The next n points, shape (n, d)."""
        X = _points(self._count, n, self._v, self._shift)
        self._count += n
        return X


@numba.njit(**JIT)
def _points(start, n, v, shift):  # pragma: no cover - compiled
    """Points start .. start + n - 1 in Gray-code order: the first from its Gray code, each
    next one from its predecessor by one XOR per column (of the direction number of the
    lowest zero bit of the predecessor's index)."""
    d = v.shape[0]
    out = np.empty((n, d))
    x = shift.copy()
    if n == 0:
        return out
    gray = start ^ (start >> 1)
    for b in range(BITS):
        if (gray >> b) & 1:
            for j in range(d):
                x[j] ^= v[j, b]
    scale = 1.0 / (1 << BITS)
    for i in range(n):
        if i > 0:
            c = 0
            k = start + i - 1
            while k & 1:
                k >>= 1
                c += 1
            for j in range(d):
                x[j] ^= v[j, c]
        for j in range(d):
            out[i, j] = x[j] * scale
    return out
