"""What ``strategy="bayes"`` adds for several objectives and for constraints.

- Several objectives: ParEGO (Knowles 2006). Each ask draws weights ``w`` uniformly on the
  simplex and models the augmented Chebyshev scalarisation of the objectives scaled to
  ``[0, 1]`` over the complete trials, ``max_k w_k u_k + rho sum_k w_k u_k``; a batch shares
  one draw. Successive asks so aim at different parts of the Pareto front.
- Constraints: one GP per constraint (hyperparameters refitted each ask, warm-started), the
  acquisition multiplied by the probability of feasibility (``hpo_core.gp.constrained``), and
  the incumbent the best *feasible* value.
"""

from __future__ import annotations

import numpy as np

from hpo_core.gp.fit import GP, OutputTransform, Prior, fit_theta
from hpo_core.strategies.base import History

__all__ = ["ConstraintModels", "parego"]

#: weight of the linear term of the augmented Chebyshev scalarisation
RHO = 0.05


def parego(Y: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The ParEGO scalarisation (n,) of objectives Y (n, k) to minimise, with fresh weights."""
    lo, hi = Y.min(axis=0), Y.max(axis=0)
    U = (Y - lo) / np.where(hi > lo, hi - lo, 1.0)
    w = rng.dirichlet(np.ones(Y.shape[1]))
    return np.max(U * w, axis=1) + RHO * (U @ w)


class ConstraintModels:
    """A GP per constraint on the complete trials, refitted each ask from the last fit."""

    def __init__(self, cat: np.ndarray, prior: Prior) -> None:
        self.cat = cat
        self.prior = prior
        self.thetas: list[np.ndarray] = []

    def fit(self, history: History, F: np.ndarray) -> tuple[list[tuple[GP, float]], np.ndarray]:
        """([(GP, bound on its scale)] per constraint, feasibility of each complete trial)."""
        C = history.C
        models = []
        maxiter = 100 if len(C) <= 100 else 30
        for j in range(C.shape[1]):
            c = C[:, j]
            tr = OutputTransform(c)
            zc = tr(c)
            bound = float(tr(np.zeros(1))[0])
            starts = [self.prior.mode()] if j >= len(self.thetas) else [self.thetas[j]]
            theta = fit_theta(F, zc, self.cat, self.prior, starts, maxiter)
            if j < len(self.thetas):
                self.thetas[j] = theta
            else:
                self.thetas.append(theta)
            models.append((GP(F, zc, theta, self.cat), bound))
        return models, np.all(C <= 0.0, axis=1)
