"""Small estimators and data shared by the SearchCV tests."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.datasets import load_iris
from sklearn.preprocessing import StandardScaler

from hpo_core import Real

X_IRIS, Y_IRIS = load_iris(return_X_y=True)
X_IRIS = StandardScaler().fit_transform(X_IRIS)  # so that LogisticRegression converges fast
RNG = np.random.default_rng(0)
X_R = RNG.normal(size=(40, 3))
Y_R = X_R @ np.array([1.0, -2.0, 0.5]) + 0.1 * RNG.normal(size=40)


class Bowl(RegressorMixin, BaseEstimator):
    """A regressor whose score is a known function of its parameters (fast, deterministic)."""

    def __init__(self, a=0.0, b=0.0, fail_above=None, require_weight=False):
        self.a = a
        self.b = b
        self.fail_above = fail_above
        self.require_weight = require_weight

    def fit(self, X, y, sample_weight=None):
        if self.fail_above is not None and self.a > self.fail_above:
            raise ValueError("a is too large")
        if self.require_weight and sample_weight is None:
            raise ValueError("sample_weight was not passed")
        self.n_features_in_ = np.asarray(X).shape[1]
        self.fitted_ = True
        return self

    def predict(self, X):
        return np.zeros(len(X))

    def score(self, X, y, sample_weight=None):
        return -((self.a - 1.0) ** 2) - (self.b + 0.5) ** 2


BOWL_SPACE = {"a": Real(-3.0, 3.0), "b": Real(-3.0, 3.0)}


class FoldProbe(Bowl):
    """Scores the sum of the first feature over the test fold: which fold it was given."""

    def score(self, X, y, sample_weight=None):
        return float(np.sum(X[:, 0]))
