"""Adapters between hpo_core and the code or frameworks that drive it.

- ``hpo_core.integrations.sklearn``: ``SearchCV``, a drop-in for scikit-learn's GridSearchCV and
  RandomizedSearchCV, driven by an hpo_core strategy (also at ``hpo_core.sklearn``).
- ``hpo_core.integrations.optuna``: ``Sampler``, any hpo_core strategy as an Optuna sampler
  (needs optuna).
- ``hpo_core.integrations.suggest``: ``suggest``, stateless, for a caller that keeps its own
  history: arrays in, the next points out (also ``hpo_core.suggest``).

Each adapter loads its framework (scikit-learn, Optuna) only when it is imported itself:
``import hpo_core.integrations`` loads none of them.
"""
