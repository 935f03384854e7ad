"""Plain numpy references of the compiled Pareto kernels in ``hpo_core.arrays.evo.pareto``.

Written for clarity, not speed: ranks by peeling fronts, hypervolume by summing the cells of
the grid that the points' coordinates draw (exact, O(n^(m+1))).
"""

from __future__ import annotations

import itertools

import numpy as np


def dominates(F, v, a, b):
    if v[a] != v[b]:
        return v[a] < v[b]
    if v[a] > 0:
        return False
    return bool(np.all(F[a] <= F[b]) and np.any(F[a] < F[b]))


def ranks(F, v=None):
    n = len(F)
    v = np.zeros(n) if v is None else v
    rank = np.full(n, -1)
    left = set(range(n))
    r = 0
    while left:
        front = [i for i in left if not any(dominates(F, v, j, i) for j in left if j != i)]
        for i in front:
            rank[i] = r
        left -= set(front)
        r += 1
    return rank


def crowding(F, rank):
    n, m = F.shape
    out = np.zeros(n)
    for r in np.unique(rank):
        idx = np.flatnonzero(rank == r)
        if len(idx) <= 2:
            out[idx] = np.inf
            continue
        for k in range(m):
            vals = F[idx, k]
            order = np.argsort(vals, kind="stable")
            span = vals[order[-1]] - vals[order[0]]
            out[idx[order[[0, -1]]]] = np.inf
            if span > 0:
                gaps = (vals[order[2:]] - vals[order[:-2]]) / span
                out[idx[order[1:-1]]] += gaps
    return out


def hypervolume(P, ref):
    P = np.asarray(P, dtype=float)
    P = P[np.all(P < ref, axis=1)]
    if len(P) == 0:
        return 0.0
    axes = [np.unique(np.concatenate([P[:, k], [ref[k]]])) for k in range(P.shape[1])]
    total = 0.0
    for cell in itertools.product(*[range(len(a) - 1) for a in axes]):
        lo = np.array([a[c] for a, c in zip(axes, cell, strict=True)])
        hi = np.array([a[c + 1] for a, c in zip(axes, cell, strict=True)])
        if np.any(np.all(P <= lo, axis=1)):
            total += float(np.prod(hi - lo))
    return total
