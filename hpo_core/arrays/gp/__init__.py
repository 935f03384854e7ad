"""The Gaussian-process surrogate: arrays in, arrays out (no trials, no spaces).

Notation
--------
=============  ==============================================================================
``n``          observed points (rows of ``X``); ``m`` fantasised (pending) points
``d``          input dimensions (columns of the unit-cube encoding)
``X``          inputs, shape (n, d), on ``[0, 1]^d``
``y``          observed values to minimise, shape (n,); ``z`` the same after ``OutputTransform``
``cat``        shape (d,), 1 where a column is categorical (the kernel sees one-hot codes:
               two points differ by 1 in that column when their choices differ, else 0)
``levels``     shape (d,), number of values of a categorical column (0 elsewhere)
``theta``      log-hyperparameters, shape (d + 2,): ``log l_1 .. log l_d, log s2, log noise``
``l_j``        lengthscale of column j; ``w_j = 1 / l_j^2``
``s2``         signal variance; ``noise`` observation-noise variance (floored)
``r``          scaled distance, ``r^2 = sum_j w_j delta_j^2``
``k(r)``       Matern-5/2: ``s2 (1 + sqrt5 r + 5/3 r^2) exp(-sqrt5 r)``
``K``          ``k(X, X) + noise I``, shape (n, n); ``L`` its lower Cholesky factor and
               ``Linv`` the inverse of ``L``; ``Kinv = Linv' Linv``; ``alpha = Kinv z``
``mu, var``    posterior mean and variance of the latent function (noise excluded)
``best``       incumbent, the smallest (transformed) value observed or fantasised
``u``          ``(best - mu) / sigma``: the standardised improvement
=============  ==============================================================================

Modules: ``kernels`` (kernel matrices and gradients, compiled), ``transform`` (the output
transform), ``prior`` (priors on theta and their box), ``cholesky`` (factors of K and their
inverses, grown by rows), ``likelihood`` (marginal likelihood and the hyperparameter fit),
``posterior`` (the ``GP`` model), ``acquisition`` (LogEI, UCB, PI and gradients, compiled),
``acq_opt`` (maximising the acquisition over a mixed space), ``constrained`` (the acquisition
times the probability of feasibility), ``surrogate`` (``fit(X, y)`` -> a ``Surrogate`` with
``predict`` and ``acquisition`` in the caller's coordinates and units).
"""

from __future__ import annotations

from hpo_core.arrays.gp.surrogate import Surrogate, fit

__all__ = ["Surrogate", "fit", "warmup"]


def warmup() -> None:
    """Compile (or load from the numba cache) every kernel an ask uses, on a tiny problem.

    Call it once at start-up to move the compile time out of the first ask.
    """
    import numpy as np

    from hpo_core.arrays.evo.pareto import non_dominated
    from hpo_core.arrays.gp.acq_opt import AcquisitionProblem, maximize
    from hpo_core.arrays.gp.ehvi import EHVIProblem
    from hpo_core.arrays.gp.kernels import features
    from hpo_core.arrays.gp.likelihood import fit_theta, neg_log_posterior
    from hpo_core.arrays.gp.posterior import GP
    from hpo_core.arrays.gp.prior import Prior
    from hpo_core.arrays.qmc import Sobol

    rng = np.random.default_rng(0)
    Sobol(2, rng).random(4)
    kinds = np.array([0, 2])
    levels = np.array([0, 2])
    X = np.column_stack([rng.random(6), [0.25, 0.75] * 3])
    F = features(X, levels)
    z = np.sin(6 * X[:, 0])
    cat = kinds == 2
    prior = Prior(2)
    theta = fit_theta(F, z, cat, prior, [prior.mode()], maxiter=3)
    neg_log_posterior(theta, F, z, cat, prior)  # the likelihood beyond NLP_COMPILED_MAX rows
    gp = GP(F[:5], z[:5], theta, cat).append(F[5:], z[5:])
    gp.predict_grad(F[:2])  # the constraints' probability of feasibility, EHVI

    def snap(A: np.ndarray) -> np.ndarray:
        A = np.clip(A, 0.0, 1.0)
        A[:, 1] = (np.minimum(np.floor(A[:, 1] * 2), 1) + 0.5) / 2
        return A

    prob = AcquisitionProblem(gp, float(z.min()), "logei", 2.0, levels, snap)
    maximize(prob, rng.random((8, 2)), X[:2], rng, kinds, levels, X, n_starts=2, maxiter=3)
    Z = np.column_stack([z, -z])  # several objectives: their front and log EHVI
    EHVIProblem([gp, gp], Z[non_dominated(Z)], Z.max(axis=0) + 1.0, levels, snap).score(X[:2])
