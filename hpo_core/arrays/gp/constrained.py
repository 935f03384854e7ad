"""The acquisition times the probability of feasibility, for black-box constraints.

Each constraint ``c_j(x) <= 0`` has a GP of its own on transformed values, with the bound 0
carried through the same transform (``t_j``). The probability that x is feasible is
``prod_j Phi((t_j - mu_j) / sigma_j)``; the acquisition maximised is, in log space,
``a(x) + sum_j log Phi((t_j - mu_j) / sigma_j)`` (log EI times the probability of
feasibility: Gardner et al. 2014, Gelbart et al. 2014). While no observed point is feasible
there is no incumbent, and only the probability of feasibility is maximised.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from hpo_core.arrays.gp.acq_opt import AcquisitionProblem
from hpo_core.arrays.gp.acquisition import _acquisition
from hpo_core.arrays.gp.kernels import features
from hpo_core.arrays.gp.posterior import GP

__all__ = ["ConstrainedProblem", "log_feasibility", "log_feasibility_grad"]

_PI = 2  # the acquisition code of log Phi((best - mu) / sigma)


def log_feasibility(models: Sequence[tuple[GP, float]], F: np.ndarray) -> np.ndarray:
    """log P(every constraint <= its bound) at feature rows F (m, d), shape (m,)."""
    out = np.zeros(len(F))
    for gp, bound in models:
        mu, var = gp.predict(F)
        out += _acquisition(mu, var, bound, _PI, 0.0)[0]
    return out


def log_feasibility_grad(
    models: Sequence[tuple[GP, float]], A: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """log P(feasible) (m,) at feature rows A (m, d), and its gradient wrt A's rows (m, d)."""
    a, g = np.zeros(len(A)), np.zeros(A.shape)
    for gp, bound in models:
        mu, var, dmu, dvar = gp.predict_grad(A)
        v, gmu, gvar = _acquisition(mu, var, bound, _PI, 0.0)
        a = a + v
        g = g + gmu[:, None] * dmu + gvar[:, None] * dvar
    return a, g


class ConstrainedProblem(AcquisitionProblem):
    """An ``AcquisitionProblem`` whose value adds ``sum_j log Phi((t_j - mu_j) / sigma_j)``.

    Parameters
    ----------
    gp, best, kind, beta, levels, snap
        As in ``AcquisitionProblem`` (the objective's GP and incumbent).
    models : sequence of (GP, float)
        Each constraint's GP and its bound on the GP's (transformed) scale.
    objective : bool, default True
        False drops the objective's term (no feasible incumbent yet).
    """

    def __init__(
        self,
        gp: GP,
        best: float,
        kind: str,
        beta: float,
        levels: np.ndarray,
        snap: Callable[[np.ndarray], np.ndarray],
        models: Sequence[tuple[GP, float]],
        objective: bool = True,
    ) -> None:
        super().__init__(gp, best, kind, beta, levels, snap)
        self.models = list(models)
        self.objective = bool(objective)

    def score(self, X: np.ndarray) -> np.ndarray:
        a = super().score(X) if self.objective else np.zeros(len(X))
        return a + log_feasibility(self.models, features(X, self.levels))

    def value_grad(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        X = np.ascontiguousarray(X, dtype=np.float64)
        if self.objective:
            a, g = super().value_grad(X)
        else:
            a, g = np.zeros(len(X)), np.zeros(X.shape)
        v, gv = log_feasibility_grad(self.models, features(X, self.levels))
        return a + v, g + gv
