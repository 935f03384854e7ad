"""The compiled math: numpy arrays in, numpy arrays out.

Nothing here knows trials, search spaces or strategies, and nothing here imports any part of
``hpo_core`` outside ``hpo_core.arrays``: the strategies adapt their history to these arrays.
Importing this package loads nothing; numba is imported by the modules that hold kernels.

``gp`` the Gaussian-process surrogate, ``parzen`` the Parzen estimators of TPE, ``evo`` the
evolutionary operators and Pareto sorting, ``lbfgs`` a projected L-BFGS for many small box
problems at once, ``qmc`` a scrambled Sobol sequence, ``logphi`` the log of the normal CDF.
"""
