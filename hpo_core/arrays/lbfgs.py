"""Projected limited-memory BFGS on a box, compiled, for many small problems at once.

The GP's hyperparameter fit and the acquisition's local search minimise small smooth functions
(2 to 30 variables) a few times per ask. scipy's L-BFGS-B spends some 50 microseconds of Python
bookkeeping per evaluation and half a millisecond per call, which at these sizes is more than
the function itself costs. Here every step of the method runs in one compiled call per round
of evaluations, and the caller evaluates the function however it likes (reverse
communication): ``minimize_box(fun, X0, lo, hi)`` runs ``m`` independent problems, asking
``fun`` for the values and gradients of all the rows still running at once, so a batched
objective (the acquisition over several starts) costs one call per round.

The method is projected L-BFGS (Bertsekas' two-metric projection with a quasi-Newton metric):
a variable at a bound whose gradient pushes outwards is held; the others move along the
L-BFGS direction (two-loop recursion, ``memory`` pairs), projected onto the box, with a
backtracking (Armijo) line search along the projected path. The stopping rules are scipy's:
the relative decrease of ``f`` below ``ftol``, the largest projected-gradient entry below
``gtol``, or ``maxiter`` iterations. A non-finite value is a failed trial point (the step is
shortened); a non-finite value at the start ends that problem there.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable

import numba
import numpy as np

from hpo_core.arrays._numba import JIT

__all__ = ["minimize_box"]

# status of a problem
_START, _SEARCH, _DONE = 0, 1, 2
_C1 = 1e-4  # Armijo's sufficient-decrease constant
_MAX_BACKTRACK = 30


@numba.njit(**JIT)
def _held(X, G, lo, hi, i, j):  # pragma: no cover - compiled
    """Whether variable j of problem i stays where it is: at a bound its gradient pushes
    against, or fixed (``lo == hi``)."""
    x = X[i, j]
    g = G[i, j]
    return (x <= lo[i, j] and g > 0.0) or (x >= hi[i, j] and g < 0.0) or lo[i, j] >= hi[i, j]


@numba.njit(**JIT)
def _direction(i, X, G, lo, hi, S, Y, rho, n_mem, head, P):  # pragma: no cover - compiled
    """L-BFGS direction of problem i into P[i] on its free variables: 1, or 2 when it fell
    back to the steepest descent (the pairs no longer give a descent direction), 0 when every
    variable is held (a stationary point of the box)."""
    d = X.shape[1]
    mem = S.shape[1]
    q = np.empty(d)
    gmax = 0.0
    for j in range(d):
        q[j] = 0.0 if _held(X, G, lo, hi, i, j) else G[i, j]
        gmax = max(gmax, abs(q[j]))
    if gmax == 0.0:
        return 0
    a = np.empty(mem)
    nm = n_mem[i]
    h = head[i]
    for k in range(nm):  # newest first
        c = (h - 1 - k) % mem
        t = 0.0
        for j in range(d):
            t += S[i, c, j] * q[j]
        a[c] = rho[i, c] * t
        for j in range(d):
            q[j] -= a[c] * Y[i, c, j]
    if nm > 0:
        c = (h - 1) % mem
        sy = 0.0
        yy = 0.0
        for j in range(d):
            sy += S[i, c, j] * Y[i, c, j]
            yy += Y[i, c, j] * Y[i, c, j]
        for j in range(d):
            q[j] *= sy / yy
    for k in range(nm - 1, -1, -1):  # oldest first
        c = (h - 1 - k) % mem
        t = 0.0
        for j in range(d):
            t += Y[i, c, j] * q[j]
        b = rho[i, c] * t
        for j in range(d):
            q[j] += (a[c] - b) * S[i, c, j]
    slope = 0.0
    for j in range(d):
        P[i, j] = 0.0 if _held(X, G, lo, hi, i, j) else -q[j]
        slope += P[i, j] * G[i, j]
    if not slope < 0.0:  # the metric lost positive definiteness on the free set: steepest descent
        for j in range(d):
            P[i, j] = 0.0 if _held(X, G, lo, hi, i, j) else -G[i, j]
        return 2
    return 1


@numba.njit(**JIT)
def _trial(i, X, P, t, lo, hi, Xt):  # pragma: no cover - compiled
    """Trial point of problem i: X[i] + t P[i], projected onto the box."""
    for j in range(X.shape[1]):
        Xt[i, j] = min(max(X[i, j] + t * P[i, j], lo[i, j]), hi[i, j])


@numba.njit(**JIT)
def _projected_gradient_max(i, X, G, lo, hi):  # pragma: no cover - compiled
    out = 0.0
    for j in range(X.shape[1]):
        x = X[i, j]
        out = max(out, abs(min(max(x - G[i, j], lo[i, j]), hi[i, j]) - x))
    return out


@numba.njit(**JIT)
def _accept(i, r, fi, gv, X, f, G, Xt):  # pragma: no cover - compiled
    """Problem i moves to its trial point, with value fi and the gradient gv[r]."""
    for j in range(X.shape[1]):
        X[i, j] = Xt[i, j]
        G[i, j] = gv[r, j]
    f[i] = fi


@numba.njit(**JIT)
def _tell(
    rows, fv, gv, X, f, G, Xt, P, t, S, Y, rho, n_mem, head, it, n_back, status, lo, hi, ints, reals
):  # pragma: no cover - compiled
    """Take the values fv (k,) and gradients gv (k, d) at the trial points of ``rows`` and move
    each of those problems to its next trial point (or end it); returns the problems still
    running. A non-finite value or gradient is a failed point."""
    maxiter, memory = ints[0], ints[1]
    ftol, gtol = reals[0], reals[1]
    d = X.shape[1]
    for r in range(len(rows)):
        i = rows[r]
        fi = fv[r]
        new_direction = False
        ok = np.isfinite(fi)
        for j in range(d):
            ok = ok and np.isfinite(gv[r, j])
        if status[i] == _START:
            _accept(i, r, fi, gv, X, f, G, Xt)
            if not ok:
                f[i] = np.inf
                status[i] = _DONE
            elif _projected_gradient_max(i, X, G, lo, hi) <= gtol:
                status[i] = _DONE
            else:
                new_direction = True
        else:
            step = 0.0
            for j in range(d):
                step += G[i, j] * (Xt[i, j] - X[i, j])
            if ok and fi <= f[i] + _C1 * step:
                sy = 0.0
                yy = 0.0
                for j in range(d):
                    sj = Xt[i, j] - X[i, j]
                    yj = gv[r, j] - G[i, j]
                    sy += sj * yj
                    yy += yj * yj
                if sy > 2.2e-16 * yy and sy > 0.0:  # keep the pair only when curvature is positive
                    h = head[i]
                    for j in range(d):
                        S[i, h, j] = Xt[i, j] - X[i, j]
                        Y[i, h, j] = gv[r, j] - G[i, j]
                    rho[i, h] = 1.0 / sy
                    head[i] = (h + 1) % memory
                    n_mem[i] = min(n_mem[i] + 1, memory)
                f_old = f[i]
                _accept(i, r, fi, gv, X, f, G, Xt)
                it[i] += 1
                if (
                    it[i] >= maxiter
                    or f_old - fi <= ftol * max(abs(f_old), abs(fi), 1.0)
                    or _projected_gradient_max(i, X, G, lo, hi) <= gtol
                ):
                    status[i] = _DONE
                else:
                    new_direction = True
            else:
                n_back[i] += 1
                if n_back[i] > _MAX_BACKTRACK:
                    status[i] = _DONE
                else:
                    # minimiser of the quadratic through f(0), f'(0) and f(t), kept in
                    # [t/10, t/2]; a tenth of the step after a non-finite value
                    tt = t[i]
                    nt = 0.1 * tt
                    if np.isfinite(fi) and step < 0.0:
                        curv = fi - f[i] - step
                        if curv > 0.0:
                            nt = min(max(-0.5 * step * tt / curv, 0.1 * tt), 0.5 * tt)
                    t[i] = nt
                    _trial(i, X, P, nt, lo, hi, Xt)
        if new_direction:
            found = _direction(i, X, G, lo, hi, S, Y, rho, n_mem, head, P)
            if found == 0:
                status[i] = _DONE
                continue
            if found == 2:
                n_mem[i] = 0
            if n_mem[i] == 0:  # first step, or after a reset: at most a unit move
                pmax = 0.0
                for j in range(d):
                    pmax = max(pmax, abs(P[i, j]))
                t[i] = min(1.0, 1.0 / pmax)
            else:
                t[i] = 1.0
            n_back[i] = 0
            status[i] = _SEARCH
            _trial(i, X, P, t[i], lo, hi, Xt)

    return rows[status[rows] != _DONE]


def minimize_box(
    fun: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]],
    X0: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    maxiter: int = 200,
    memory: int = 10,
    ftol: float = 2.2e-9,
    gtol: float = 1e-5,
) -> tuple[np.ndarray, np.ndarray, int]:
    """Minimise ``m`` independent problems on boxes by projected L-BFGS.

    Parameters
    ----------
    fun : callable
        ``fun(X) -> (values, gradients)`` for X of shape (k, d), the trial points of the k
        problems still running; values of shape (k,), gradients of shape (k, d). A non-finite
        value marks a point as failed.
    X0 : ndarray of shape (m, d)
        Starting points (clipped into the box).
    lo, hi : ndarray of shape (d,) or (m, d)
        Bounds; a variable with ``lo == hi`` is held there.
    maxiter : int, default 200
        Iterations (accepted steps) per problem.
    memory : int, default 10
        Correction pairs kept.
    ftol : float, default 2.2e-9
        Stop when ``(f_old - f) <= ftol * max(|f_old|, |f|, 1)`` (scipy's ``factr`` of 1e7).
    gtol : float, default 1e-5
        Stop when every entry of the projected gradient is at most this.

    Returns
    -------
    X : ndarray of shape (m, d)
        The last accepted point of each problem.
    f : ndarray of shape (m,)
        Its value (inf when even the start had none).
    n_eval : int
        Rounds of evaluation (calls of ``fun``).
    """
    X0 = np.atleast_2d(np.asarray(X0, dtype=np.float64))
    m, d = X0.shape
    lo = np.ascontiguousarray(np.broadcast_to(np.asarray(lo, dtype=np.float64), (m, d)))
    hi = np.ascontiguousarray(np.broadcast_to(np.asarray(hi, dtype=np.float64), (m, d)))
    if np.any(lo > hi):
        raise ValueError("lo must not exceed hi")
    for name, value in (("maxiter", maxiter), ("memory", memory)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
            raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
    maxiter, memory = int(maxiter), int(memory)
    Xt = np.ascontiguousarray(np.clip(X0, lo, hi))
    X, G, P = np.empty((m, d)), np.empty((m, d)), np.zeros((m, d))
    f = np.full(m, np.inf)
    t = np.ones(m)
    S, Y = np.zeros((m, memory, d)), np.zeros((m, memory, d))
    rho = np.zeros((m, memory))
    n_mem, head, it, n_back = (np.zeros(m, dtype=np.int64) for _ in range(4))
    status = np.full(m, _START, dtype=np.int64)
    ints = np.array([maxiter, memory], dtype=np.int64)
    reals = np.array([ftol, gtol], dtype=np.float64)
    n_eval = 0
    rows = np.arange(m)
    while len(rows):
        fv, gv = fun(Xt[rows])
        n_eval += 1
        fv = np.ascontiguousarray(fv, dtype=np.float64).reshape(len(rows))
        gv = np.ascontiguousarray(gv, dtype=np.float64).reshape(len(rows), d)
        rows = _tell(rows, fv, gv, X, f, G, Xt, P, t, S, Y, rho, n_mem, head, it, n_back,
                     status, lo, hi, ints, reals)  # fmt: skip
    return X, f, n_eval
