"""The output transform: any finite values to minimise, scaled robustly for the GP."""

from __future__ import annotations

import numpy as np

__all__ = ["OutputTransform"]


class OutputTransform:
    """Robust scaling of the values to minimise, so any finite ``y`` gives a usable ``z``.

    ``y`` is divided by its largest magnitude (so values spanning 1e-200 to 1e200 neither
    overflow nor lose their order among the large ones), centred on its median and scaled by
    its interquartile range; the bad tail beyond 2 and the good tail beyond -50 are compressed
    logarithmically (a few huge values do not flatten the rest); finally standardised. Constant
    ``y`` gives ``z = 0``. The map is increasing, so the order of the values is kept.
    """

    def __init__(self, y: np.ndarray) -> None:
        y = np.asarray(y, dtype=np.float64)
        if y.ndim != 1 or len(y) == 0 or not np.all(np.isfinite(y)):
            raise ValueError("y must be a non-empty 1-d array of finite values")
        c = float(np.max(np.abs(y)))
        self.c = c if c > 0 else 1.0
        y0 = y / self.c
        self.med = float(np.median(y0))
        q25, q75 = np.percentile(y0, [25, 75])
        s = (q75 - q25) / 1.349
        if not s > 1e-300:
            s = float(np.max(np.abs(y0 - self.med)))
        self.s = s if s > 1e-300 else 1.0
        w = self._warp(y)
        self.mean = float(np.mean(w))
        sd = float(np.std(w))
        self.sd = sd if sd > 1e-12 else 1.0

    def _warp(self, y: np.ndarray) -> np.ndarray:
        u = (np.asarray(y, dtype=np.float64) / self.c - self.med) / self.s
        hi, lo = u > 2.0, u < -50.0
        u[hi] = 2.0 + np.log1p(u[hi] - 2.0)
        u[lo] = -50.0 - np.log1p(-50.0 - u[lo])
        return u

    def __call__(self, y: np.ndarray) -> np.ndarray:
        """z of shape (n,) for y of shape (n,)."""
        return (self._warp(y) - self.mean) / self.sd
