"""Log expected hypervolume improvement (EHVI) of independent GPs, exact for 2 and 3 objectives.

Every objective is minimised. The region that a new point ``y`` would add to the hypervolume
of a front ``P`` up to a reference ``r`` -- the points below ``r`` that no point of ``P``
dominates -- is cut into disjoint boxes ``[l_b, u_b]`` (``box_decomposition``; ``l_bk`` may
be ``-inf``). The improvement is ``sum_b prod_k (min(u_bk, .) - max(l_bk, y_k))_+``, and each
factor is ``(u - max(l, y))_+ = (u - y)_+ - (l - y)_+``. With the objectives independent
Gaussians given x (one GP each), the expectation factorises:

    EHVI(x) = sum_b prod_k (psi_k(u_bk) - psi_k(l_bk)),   psi_k(z) = E[(z - Y_k)_+],

and ``psi`` is the expected improvement below ``z`` (``sigma h((z - mu) / sigma)``), so the
log of each factor comes from the same underflow-free ``log h`` as log EI
(``hpo_core.arrays.gp.acquisition``), as ``log psi(u) + log(-expm1(log psi(l) - log
psi(u)))``, and the sum over boxes is a log-sum-exp: far from the front, where EHVI itself
underflows, its log still ranks points and has a gradient (the "log EHVI" of Ament et al.
2023, exact here instead of sampled).

Boxes: ``n + 1`` for a front of ``n`` points in 2 objectives, at most ``(n + 1)^2 / 2`` in 3
(one 2-objective decomposition per slab between consecutive values of the third). Beyond 3
objectives the count grows as ``n^(k - 1)``; the strategy uses ParEGO there.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import NamedTuple

import numba
import numpy as np

from hpo_core.arrays._numba import JIT
from hpo_core.arrays.evo.pareto import non_dominated
from hpo_core.arrays.gp.acq_opt import AcquisitionProblem
from hpo_core.arrays.gp.acquisition import VAR_MIN, _log_h
from hpo_core.arrays.gp.constrained import log_feasibility, log_feasibility_grad
from hpo_core.arrays.gp.kernels import features
from hpo_core.arrays.gp.posterior import GP

__all__ = ["EHVIProblem", "box_decomposition", "log_ehvi", "pareto_min"]


def pareto_min(Z: np.ndarray) -> np.ndarray:
    """The distinct non-dominated rows of Z (n, k), every column minimised, sorted by column 0."""
    Z = np.unique(np.asarray(Z, dtype=np.float64).reshape(len(Z), -1), axis=0)
    if len(Z) < 2:
        return Z
    if Z.shape[1] == 2:  # sorted by (z0, z1): a row is kept when z1 beats every earlier one
        prev = np.minimum.accumulate(np.concatenate([[np.inf], Z[:-1, 1]]))
        return Z[Z[:, 1] < prev]
    return Z[non_dominated(Z)]


def _boxes2(P: np.ndarray, r0: float, r1: float) -> list[tuple[float, float, float, float]]:
    """(l0, u0, l1, u1) of the boxes of the 2-objective region below (r0, r1) that the
    non-dominated P (sorted by column 0, so column 1 decreasing) leaves undominated."""
    if len(P) == 0:
        return [(-math.inf, r0, -math.inf, r1)]
    out = [(-math.inf, float(P[0, 0]), -math.inf, r1)]
    for i in range(len(P)):
        nxt = float(P[i + 1, 0]) if i + 1 < len(P) else r0
        out.append((float(P[i, 0]), nxt, -math.inf, float(P[i, 1])))
    return out


def box_decomposition(
    front: np.ndarray, reference: np.ndarray, floor: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Disjoint boxes covering the region below ``reference`` (and above ``floor``, when
    given) that ``front`` leaves undominated, for 2 or 3 objectives (minimised).

    Parameters
    ----------
    front : ndarray of shape (n, k)
        Points; dominated ones, duplicates and those not strictly below the reference are
        dropped.
    reference : ndarray of shape (k,)
    floor : ndarray of shape (k,), optional
        Lower bounds of the region (below every point of the front); ``-inf`` when omitted.

    Returns
    -------
    lower, upper : ndarray of shape (b, k)
        Box corners; ``lower`` holds ``-inf`` where no floor is given.
    """
    ref = np.asarray(reference, dtype=np.float64).reshape(-1)
    k = len(ref)
    if k not in (2, 3):
        raise ValueError(f"box_decomposition takes 2 or 3 objectives, got {k}")
    P = np.asarray(front, dtype=np.float64).reshape(-1, k)
    P = pareto_min(P[np.all(P < ref, axis=1)]) if len(P) else P
    if k == 2:
        boxes = [(a, b, c, d, -math.inf, math.inf) for a, b, c, d in _boxes2(P, ref[0], ref[1])]
    else:
        cuts = np.unique(P[:, 2])
        boxes = [
            (-math.inf, ref[0], -math.inf, ref[1], -math.inf, cuts[0] if len(cuts) else ref[2])
        ]
        for j, z in enumerate(cuts):
            top = float(cuts[j + 1]) if j + 1 < len(cuts) else float(ref[2])
            below = P[P[:, 2] <= z][:, :2]
            Q = pareto_min(below)
            boxes += [(*b, float(z), top) for b in _boxes2(Q, ref[0], ref[1])]
    B = np.array(boxes, dtype=np.float64)
    lower, upper = B[:, 0::2][:, :k], B[:, 1::2][:, :k]
    if floor is not None:
        lower = np.maximum(lower, np.asarray(floor, dtype=np.float64).reshape(1, k))
    return np.ascontiguousarray(lower), np.ascontiguousarray(upper)


@numba.njit(**JIT)
def _log_psi(z, mu, v):  # pragma: no cover - compiled
    """log E[(z - Y)_+] for Y ~ N(mu, v), and its derivatives wrt mu and v."""
    if z == -math.inf:
        return -math.inf, 0.0, 0.0
    s = math.sqrt(v)
    u = (z - mu) / s
    lh, dlh = _log_h(u)
    return 0.5 * math.log(v) + lh, -dlh / s, 0.5 / v - dlh * 0.5 * u / v


class _Boxes(NamedTuple):
    """Boxes as the kernel takes them: the distinct finite ends of each objective's intervals,
    the distinct intervals as indices into them, and each box's interval per objective."""

    ends: np.ndarray  # (k, c) distinct finite ends per objective, padded
    n_ends: np.ndarray  # (k,)
    lo: np.ndarray  # (k, p) index of each interval's lower end in ends, -1 for -inf
    hi: np.ndarray  # (k, p) index of its upper end
    n_pairs: np.ndarray  # (k,)
    box: np.ndarray  # (b, k) the interval of each box per objective


def _index(lower: np.ndarray, upper: np.ndarray) -> _Boxes:
    b, k = lower.shape
    ends, pairs, box = [], [], np.empty((b, k), dtype=np.int64)
    for j in range(k):
        iv, inv = np.unique(
            np.column_stack([lower[:, j], upper[:, j]]), axis=0, return_inverse=True
        )
        e = np.unique(iv[np.isfinite(iv)])
        lo = np.where(np.isfinite(iv[:, 0]), np.searchsorted(e, iv[:, 0]), -1)
        pairs.append((lo, np.searchsorted(e, iv[:, 1])))
        ends.append(e)
        box[:, j] = inv.reshape(-1)
    c, p = max(len(e) for e in ends), max(len(q[0]) for q in pairs)
    E = np.zeros((k, c))
    LO = np.zeros((k, p), dtype=np.int64)
    HI = np.zeros((k, p), dtype=np.int64)
    for j in range(k):
        E[j, : len(ends[j])] = ends[j]
        LO[j, : len(pairs[j][0])], HI[j, : len(pairs[j][1])] = pairs[j]
    n_ends = np.array([len(e) for e in ends], dtype=np.int64)
    n_pairs = np.array([len(q[0]) for q in pairs], dtype=np.int64)
    return _Boxes(E, n_ends, LO, HI, n_pairs, box)


@numba.njit(**JIT)
def _log_ehvi(mu, var, ends, n_ends, lo, hi, n_pairs, box):  # pragma: no cover - compiled
    """log EHVI (m,) at posterior means and variances (m, k), and its derivatives wrt them
    (see ``_Boxes`` for the other arguments). ``psi`` is computed once per point at each
    distinct end, each interval's factor once per point, then summed over the boxes."""
    m, k = mu.shape
    nb = box.shape[0]
    val = np.empty(m)
    gmu = np.zeros((m, k))
    gvar = np.zeros((m, k))
    lp = np.empty((k, ends.shape[1]))
    ap = np.empty((k, ends.shape[1]))
    bp = np.empty((k, ends.shape[1]))
    logd = np.empty((k, lo.shape[1]))
    dm = np.empty((k, lo.shape[1]))
    dv = np.empty((k, lo.shape[1]))
    terms = np.empty(nb)
    for i in range(m):
        for j in range(k):
            v = var[i, j]
            floored = v < VAR_MIN
            if floored:
                v = VAR_MIN
            for c in range(n_ends[j]):
                lp[j, c], ap[j, c], bp[j, c] = _log_psi(ends[j, c], mu[i, j], v)
            for q in range(n_pairs[j]):
                u, w = hi[j, q], lo[j, q]
                lu, au, bu = lp[j, u], ap[j, u], bp[j, u]
                if w < 0:
                    ld, gm, gv = lu, au, bu
                elif u <= w:
                    ld, gm, gv = -math.inf, 0.0, 0.0
                else:
                    one_r = -math.expm1(lp[j, w] - lu)
                    if one_r < 1e-300:
                        ld, gm, gv = lu - 690.0, 0.0, 0.0
                    else:
                        r = 1.0 - one_r
                        ld = lu + math.log(one_r)
                        gm = (au - r * ap[j, w]) / one_r
                        gv = (bu - r * bp[j, w]) / one_r
                logd[j, q], dm[j, q] = ld, gm
                dv[j, q] = 0.0 if floored else gv
        top = -math.inf
        for b in range(nb):
            t = 0.0
            for j in range(k):
                t += logd[j, box[b, j]]
            terms[b] = t
            if t > top:
                top = t
        if top == -math.inf:
            val[i] = -math.inf
            continue
        s = 0.0
        for b in range(nb):
            terms[b] = math.exp(terms[b] - top)
            s += terms[b]
        val[i] = top + math.log(s)
        for b in range(nb):
            w = terms[b] / s
            for j in range(k):
                q = box[b, j]
                gmu[i, j] += w * dm[j, q]
                gvar[i, j] += w * dv[j, q]
    return val, gmu, gvar


def log_ehvi(
    mu: np.ndarray, var: np.ndarray, lower: np.ndarray, upper: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """log EHVI and its derivatives wrt the posterior means and variances.

    Parameters
    ----------
    mu, var : ndarray of shape (m, k)
        Posterior mean and variance of each objective (minimised) at m points.
    lower, upper : ndarray of shape (b, k)
        The boxes of ``box_decomposition``.

    Returns
    -------
    value : ndarray of shape (m,)
    d_mu, d_var : ndarray of shape (m, k)
    """
    mu = np.ascontiguousarray(mu, dtype=np.float64)
    var = np.ascontiguousarray(var, dtype=np.float64)
    lower = np.ascontiguousarray(lower, dtype=np.float64)
    upper = np.ascontiguousarray(upper, dtype=np.float64)
    if mu.ndim != 2 or mu.shape != var.shape:
        raise ValueError(f"mu and var must have one shape (m, k), got {mu.shape}, {var.shape}")
    if lower.shape != upper.shape or lower.ndim != 2 or lower.shape[1] != mu.shape[1]:
        raise ValueError(
            f"lower and upper must have shape (b, {mu.shape[1]}), got {lower.shape}, {upper.shape}"
        )
    return _log_ehvi(mu, var, *_index(lower, upper))


class EHVIProblem(AcquisitionProblem):
    """log EHVI of one GP per objective, plus ``sum_j log Phi((t_j - mu_j) / sigma_j)`` for
    each constraint model, in the interface that ``maximize`` takes.

    Parameters
    ----------
    gps : sequence of GP
        One per objective, on transformed (minimised) values.
    front, reference : ndarray
        The front so far (observed and fantasised, feasible) and the reference point, on the
        GPs' scales.
    levels, snap
        As in ``AcquisitionProblem``.
    models : sequence of (GP, float)
        Each constraint's GP and its bound on the GP's scale.
    objective : bool, default True
        False drops the EHVI term (no feasible point yet): the probability of feasibility alone.
    floor : ndarray of shape (k,), optional
        Lower bound of the improvement region (see ``box_decomposition``).
    """

    def __init__(
        self,
        gps: Sequence[GP],
        front: np.ndarray,
        reference: np.ndarray,
        levels: np.ndarray,
        snap: Callable[[np.ndarray], np.ndarray],
        models: Sequence[tuple[GP, float]] = (),
        objective: bool = True,
        floor: np.ndarray | None = None,
    ) -> None:
        super().__init__(gps[0], 0.0, "logei", 1.0, levels, snap)
        self.gps = list(gps)
        self.lower, self.upper = box_decomposition(front, reference, floor)
        self._boxes = _index(self.lower, self.upper)
        self.models = list(models)
        self.objective = bool(objective)

    def score(self, X: np.ndarray) -> np.ndarray:
        F = features(X, self.levels)
        a = np.zeros(len(X))
        if self.objective:
            stats = [gp.predict(F) for gp in self.gps]
            mu = np.column_stack([s[0] for s in stats])
            var = np.column_stack([s[1] for s in stats])
            a = _log_ehvi(mu, var, *self._boxes)[0]
        return a + log_feasibility(self.models, F)

    def value_grad(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        A = features(np.ascontiguousarray(X, dtype=np.float64), self.levels)
        a, g = np.zeros(len(A)), np.zeros(A.shape)
        if self.objective:
            stats = [gp.predict_grad(A) for gp in self.gps]
            mu = np.column_stack([s[0] for s in stats])
            var = np.column_stack([s[1] for s in stats])
            a, gmu, gvar = _log_ehvi(mu, var, *self._boxes)
            for j, (_, _, dmu, dvar) in enumerate(stats):
                g += gmu[:, j : j + 1] * dmu + gvar[:, j : j + 1] * dvar
        v, gv = log_feasibility_grad(self.models, A)
        return a + v, g + gv
