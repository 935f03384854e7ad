"""What ``strategy="bayes"`` adds for several objectives and for constraints.

- Several objectives: ParEGO (Knowles 2006). Each ask draws weights ``w`` uniformly on the
  simplex and models the augmented Chebyshev scalarisation of the objectives scaled to
  ``[0, 1]`` over the complete trials, ``max_k w_k u_k + rho sum_k w_k u_k``; a batch shares
  one draw. Successive asks so aim at different parts of the Pareto front.
- Constraints: one GP per constraint (hyperparameters warm-started, refitted on the objective's
  schedule), the acquisition multiplied by the probability of feasibility
  (``hpo_core.arrays.gp.constrained``), and the incumbent the best *feasible* value.
"""

from __future__ import annotations

import numpy as np

from hpo_core.arrays.gp.likelihood import fit_theta
from hpo_core.arrays.gp.posterior import GP
from hpo_core.arrays.gp.prior import Prior
from hpo_core.arrays.gp.transform import OutputTransform
from hpo_core.strategies.base import History

__all__ = ["ColumnModels", "ConstraintModels", "parego"]

#: weight of the linear term of the augmented Chebyshev scalarisation
RHO = 0.05


def parego(Y: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The ParEGO scalarisation (n,) of objectives Y (n, k) to minimise, with fresh weights."""
    lo, hi = Y.min(axis=0), Y.max(axis=0)
    U = (Y - lo) / np.where(hi > lo, hi - lo, 1.0)
    w = rng.dirichlet(np.ones(Y.shape[1]))
    return np.max(U * w, axis=1) + RHO * (U @ w)


class ColumnModels:
    """A GP per column of a matrix of values to minimise (constraints, or objectives) on the
    complete trials. Hyperparameters are refitted (warm-started) every ask up to 40
    observations and then after each 5% growth, on at most ``fit_max`` observations (a random
    subset beyond); the posterior always uses every observation."""

    def __init__(self, cat: np.ndarray, prior: Prior, fit_max: int = 128) -> None:
        self.cat = cat
        self.prior = prior
        self.fit_max = fit_max
        self.thetas: list[np.ndarray] = []
        self._n_fit = 0

    def fit_columns(
        self, V: np.ndarray, F: np.ndarray, rng: np.random.Generator
    ) -> list[tuple[GP, OutputTransform]]:
        """[(GP on the transformed column, its transform)] for each column of V (n, c)."""
        n = len(V)
        refit = len(self.thetas) != V.shape[1] or n <= 40 or n - self._n_fit >= 0.05 * self._n_fit
        sub = np.arange(n)
        if refit and n > self.fit_max:
            sub = np.sort(rng.choice(n, self.fit_max, replace=False))
        models = []
        for j in range(V.shape[1]):
            c = V[:, j]
            tr = OutputTransform(c)
            zc = tr(c)
            if refit or j >= len(self.thetas):
                starts = [self.prior.mode()] if j >= len(self.thetas) else [self.thetas[j]]
                maxiter = 100 if n <= 100 else 30
                theta = fit_theta(F[sub], zc[sub], self.cat, self.prior, starts, maxiter)
                if j < len(self.thetas):
                    self.thetas[j] = theta
                else:
                    self.thetas.append(theta)
            models.append((GP(F, zc, self.thetas[j], self.cat), tr))
        if refit:
            self._n_fit = n
        return models


class ConstraintModels(ColumnModels):
    """A GP per constraint (``ColumnModels`` on ``history.C``), with each bound 0 carried
    through the constraint's transform."""

    def fit(
        self, history: History, F: np.ndarray, rng: np.random.Generator
    ) -> tuple[list[tuple[GP, float]], np.ndarray]:
        """([(GP, bound on its scale)] per constraint, feasibility of each complete trial)."""
        C = history.C
        models = [(gp, float(tr(np.zeros(1))[0])) for gp, tr in self.fit_columns(C, F, rng)]
        return models, np.all(C <= 0.0, axis=1)
