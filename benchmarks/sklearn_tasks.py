"""The scikit-learn tuning tasks of the benchmarks (see ``benchmarks.problems``): data that
scikit-learn ships, an estimator built from the parameters, 3-fold stratified cross-validation
with fixed folds, one BLAS/OpenMP thread.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any

import numpy as np

from benchmarks.translate import check_active as _check_active
from hpo_core.space import Categorical, Integer, Real

if TYPE_CHECKING:
    from benchmarks.problems import Problem

__all__ = ["MODEL_DIGITS_SPACE", "SKLEARN_TASKS", "SklearnTask"]


def _when(model: str) -> dict[str, list[str]]:
    return {"model": [model]}


# ---------------------------------------------------------------- scikit-learn tasks
@dataclass(frozen=True)
class SklearnTask:
    """A scikit-learn tuning task: data, an estimator built from params, and a score.

    ``objective(params)`` is the mean 3-fold cross-validated loss (lower is better). The same
    pieces serve a search estimator: ``load()`` gives ``(X, y)``, ``estimator(params)`` a fitted-
    ready estimator, ``scoring`` the scikit-learn scorer name (greater is better).
    """

    name: str
    space: dict[str, Any]
    load: Callable[[], tuple[np.ndarray, np.ndarray]] = field(repr=False)
    estimator: Callable[[Mapping[str, Any]], Any] = field(repr=False)
    scoring: str = "accuracy"
    cv: int = 3

    def objective(self, params: Mapping[str, Any]) -> float:
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.model_selection import StratifiedKFold, cross_val_score
        from threadpoolctl import threadpool_limits

        X, y = self.load()
        folds = StratifiedKFold(self.cv, shuffle=True, random_state=0)
        with threadpool_limits(1), warnings.catch_warnings():
            # unscaled data or extreme C: solvers stop at max_iter; the score still counts
            warnings.simplefilter("ignore", ConvergenceWarning)
            score = cross_val_score(self.estimator(params), X, y, cv=folds, scoring=self.scoring)
        score = float(np.mean(score))
        # scorers are "greater is better": accuracy -> error rate, neg_log_loss -> log-loss
        return 1.0 - score if self.scoring == "accuracy" else -score

    def problem(self) -> Problem:
        from benchmarks.problems import Problem

        return Problem(self.name, self.space, self.objective, None, "sklearn")


@cache
def _digits() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)
    X, _, y, _ = train_test_split(X, y, train_size=900, stratify=y, random_state=0)
    return X, y


@cache
def _cancer() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_breast_cancer

    return load_breast_cancer(return_X_y=True)


@cache
def _wine() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_wine

    return load_wine(return_X_y=True)


def _svc(params: Mapping[str, Any]) -> Any:
    from sklearn.svm import SVC

    return SVC(C=params["C"], gamma=params["gamma"])


def _hgb(params: Mapping[str, Any]) -> Any:
    from sklearn.ensemble import HistGradientBoostingClassifier

    return HistGradientBoostingClassifier(
        learning_rate=params["learning_rate"],
        max_leaf_nodes=params["max_leaf_nodes"],
        min_samples_leaf=params["min_samples_leaf"],
        l2_regularization=params["l2_regularization"],
        max_iter=50,
        early_stopping=False,
        random_state=0,
    )


def _pipe(params: Mapping[str, Any]) -> Any:
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import MinMaxScaler, RobustScaler, StandardScaler
    from sklearn.svm import SVC

    scalers = {"standard": StandardScaler, "minmax": MinMaxScaler, "robust": RobustScaler}
    scaler = scalers[params["scaler"]]() if params["scaler"] in scalers else "passthrough"
    C, model = params["C"], params["model"]
    if model == "logreg":
        clf = LogisticRegression(C=C, max_iter=300)
    else:
        kernel = "linear" if model == "svc-linear" else "rbf"
        svc = SVC(C=C, kernel=kernel, gamma=params["gamma"], random_state=0)
        clf = CalibratedClassifierCV(svc, ensemble=False)
    return Pipeline([("scaler", scaler), ("clf", clf)])


MODEL_DIGITS_SPACE = {
    "model": Categorical(("svc", "rf", "logreg")),
    "svc_C": Real(1e-3, 1e3, log=True, when=_when("svc")),
    "svc_gamma": Real(1e-4, 1.0, log=True, when=_when("svc")),
    "rf_n_estimators": Integer(10, 100, log=True, when=_when("rf")),
    "rf_max_depth": Integer(2, 30, when=_when("rf")),
    "rf_max_features": Real(0.1, 1.0, when=_when("rf")),
    "logreg_C": Real(1e-4, 1e2, log=True, when=_when("logreg")),
}


def _model(params: Mapping[str, Any]) -> Any:
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.svm import SVC

    p = _check_active(MODEL_DIGITS_SPACE, params)
    if p["model"] == "svc":
        return SVC(C=p["svc_C"], gamma=p["svc_gamma"])
    if p["model"] == "rf":
        return RandomForestClassifier(
            n_estimators=p["rf_n_estimators"],
            max_depth=p["rf_max_depth"],
            max_features=p["rf_max_features"],
            n_jobs=1,
            random_state=0,
        )
    return LogisticRegression(C=p["logreg_C"], max_iter=300)


SKLEARN_TASKS: dict[str, SklearnTask] = {
    "svc-digits": SklearnTask(
        "svc-digits",
        {"C": Real(1e-3, 1e3, log=True), "gamma": Real(1e-6, 1.0, log=True)},
        _digits,
        _svc,
        "accuracy",
    ),
    "hgb-cancer": SklearnTask(
        "hgb-cancer",
        {
            "learning_rate": Real(1e-3, 1.0, log=True),
            "max_leaf_nodes": Integer(2, 64),
            "min_samples_leaf": Integer(1, 100),
            "l2_regularization": Real(1e-6, 10.0, log=True),
        },
        _cancer,
        _hgb,
        "neg_log_loss",
    ),
    "pipe-wine": SklearnTask(
        "pipe-wine",
        {
            "scaler": Categorical(("standard", "minmax", "robust", "none")),
            "model": Categorical(("logreg", "svc-linear", "svc-rbf")),
            "C": Real(1e-3, 1e3, log=True),
            "gamma": Real(1e-4, 10.0, log=True),
        },
        _wine,
        _pipe,
        "neg_log_loss",
    ),
    "model-digits": SklearnTask("model-digits", MODEL_DIGITS_SPACE, _digits, _model, "accuracy"),
}
