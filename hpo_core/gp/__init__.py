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
``K``          ``k(X, X) + noise I``, shape (n, n); ``L`` its lower Cholesky factor;
               ``Kinv`` its inverse; ``alpha = Kinv z``
``mu, var``    posterior mean and variance of the latent function (noise excluded)
``best``       incumbent, the smallest (transformed) value observed or fantasised
``u``          ``(best - mu) / sigma``: the standardised improvement
=============  ==============================================================================

Modules: ``kernels`` (kernel matrices and gradients, compiled), ``fit`` (output transform,
marginal likelihood, hyperparameter fit, the ``GP`` model with incremental Cholesky growth),
``acquisition`` (LogEI, UCB, PI and gradients, compiled), ``acq_opt`` (maximising the
acquisition over a mixed space).
"""

from __future__ import annotations
