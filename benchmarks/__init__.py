"""Benchmarks: hpo_core's strategies against reference libraries on shared problems.

- ``benchmarks.problems``: test functions with known optima and scikit-learn tuning tasks.
- ``benchmarks.libs``: one adapter per optimizer (hpo_core strategies, Optuna, Hyperopt,
  scikit-optimize, cma, scipy), all run the same way and timed the same way.
- ``benchmarks.translate``: search spaces in each reference library's own types.
- ``benchmarks.speed``: time per ask after n told points, start-up cold and warm.
- ``benchmarks.run``: the command line (quality runs, ``--scaling``, ``--startup``).
- ``benchmarks.report``: tables and convergence plots from the raw JSON lines.
- ``benchmarks.env``: the header (versions, machine) that goes with every table.

See benchmarks/README.md.
"""
