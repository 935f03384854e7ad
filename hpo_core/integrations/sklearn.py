"""scikit-learn adapter: ``SearchCV``, a drop-in for GridSearchCV and RandomizedSearchCV.

``SearchCV`` is a subclass of scikit-learn's ``BaseSearchCV`` that implements only the documented
hook ``_run_search(evaluate_candidates)``: it asks an hpo_core ``Optimizer`` for batches of
candidates, lets scikit-learn cross-validate them, and tells the optimizer each candidate's mean
test score. Everything else (``cv_results_``, refit, scoring, ``best_*`` attributes, prediction
delegation) is scikit-learn's own.
"""

from __future__ import annotations

import copy
import math
import numbers
import warnings
from collections.abc import Callable, Mapping
from typing import Any, Literal

import numpy as np
from sklearn.exceptions import FitFailedWarning
from sklearn.model_selection._search import BaseSearchCV
from sklearn.utils._param_validation import Interval, StrOptions

from hpo_core.core import Optimizer
from hpo_core.integrations._sklearn_cv import _all_fits_failed, _SameSplits, _seed
from hpo_core.integrations._sklearn_space import _size, _Subspace
from hpo_core.space import Space
from hpo_core.strategies import STRATEGIES, SearchSpaceExhausted, Strategy, make_strategy

__all__ = ["SearchCV"]


class SearchCV(BaseSearchCV):
    """Cross-validated search over hyperparameters, driven by an hpo_core strategy.

    A drop-in for ``GridSearchCV`` / ``RandomizedSearchCV``: the same ``fit``, ``cv_results_``,
    ``best_params_``, ``best_score_``, ``best_estimator_``, ``best_index_``, refit, scoring,
    ``predict`` / ``score`` delegation. Candidates are proposed by an hpo_core strategy that
    learns from the scores of the candidates before them.

    Parameters
    ----------
    estimator : estimator object
        The estimator (or Pipeline) to tune; parameters of a Pipeline step are ``step__param``.
    search_space : dict, list of dicts, or Space
        Parameter name -> a list of values (as GridSearchCV takes them), a frozen scipy.stats
        distribution (as RandomizedSearchCV takes them: ``uniform``, ``loguniform`` and
        ``randint`` are read as ranges; any other distribution with a ``ppf`` is searched over its
        quantiles, so random search draws from it exactly), an hpo_core ``Real`` / ``Integer`` /
        ``Categorical``, or a tuple ``(low, high)`` / ``(low, high, "log")``: a range, NOT a list
        of values (use a list for values; a 2-tuple warns that GridSearchCV reads it otherwise).
        ``param_grid`` or ``param_distributions`` (GridSearchCV's and RandomizedSearchCV's names)
        may be given instead, and then read tuples as those classes do, as values. A list of
        dicts is a union of spaces: with ``strategy="grid"`` (a strategy whose class is
        ``finite``) each sub-grid is enumerated in turn, in GridSearchCV's order; other
        strategies search one space with a hidden choice among the dicts (a conditional space,
        see ``hpo_core.Space``).
    strategy : str or Strategy, default "bayes"
        A name in ``hpo_core.strategies.STRATEGIES`` (``"random"``, ``"sobol"``, ``"grid"``,
        ``"coarse-to-fine"``, ``"bayes"`` ...) or a Strategy instance with its options (copied at
        each fit). ``"grid"`` over lists gives exactly GridSearchCV's candidates, in its order.
    n_iter : int, None or "auto", default "auto"
        Number of candidates to evaluate (each is cross-validated ``n_splits`` times). A grid
        stops early when exhausted; ``None`` is allowed with a finite strategy only (``"grid"``,
        or an instance whose class sets ``finite = True``) and means the whole grid.
        ``"auto"``: the whole grid with a finite strategy, as GridSearchCV, else 50.
    scoring, n_jobs, cv, refit, verbose, error_score, return_train_score, pre_dispatch
        As in GridSearchCV. With several metrics, the optimizer maximises the mean test score of
        ``refit`` when it names a metric, else of the first metric listed (of a dict's first
        key, or of the first key a callable returns). A candidate whose fits all fail gets
        ``error_score``: NaN (the default) records a failed trial, a number is told as its score.
    n_points : int or None, default None
        Candidates asked and cross-validated together (a batch the strategy spreads out).
        Default: the effective number of jobs (``joblib.effective_n_jobs(n_jobs)``), at least 1.
        Every batch is cross-validated on the same splits (those of the first ``cv.split``
        call), even with a shuffling ``cv`` whose ``random_state`` is not fixed, so scores are
        comparable across batches as in GridSearchCV. A finite strategy (``"grid"``) does not
        learn from scores, so it ignores ``n_points``: its candidates are cross-validated in
        one call, as GridSearchCV does, and ``cv_results_`` has the same rows.
    random_state : int, RandomState instance or None
        Seeds the strategy; an int reproduces the search.

    Attributes
    ----------
    cv_results_, best_params_, best_score_, best_estimator_, best_index_, scorer_, n_splits_,
    refit_time_, multimetric_
        As in GridSearchCV.
    optimizers_ : list of Optimizer
        The optimizer of each search space (one, or one per grid of a list with
        ``strategy="grid"``), with the
        full trial history (values are mean test scores; ``direction="maximize"``). A parameter
        searched over a distribution's quantiles appears there as its quantile in (0, 1); its
        value is in ``cv_results_``. scikit-learn refuses a batch whose fits all failed: its
        candidates are evaluated once more with the next batch, and one
        that never reaches ``cv_results_`` is still a trial here (with a FitFailedWarning).
    best_train_test_gap_ : float
        With ``return_train_score=True``: mean train score minus mean test score of the best
        candidate, for the refit metric (large values mean overfitting). The same figure for
        every candidate: ``cv_results_["mean_train_<m>"] - cv_results_["mean_test_<m>"]``.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.svm import SVC
    >>> from hpo_core.sklearn import SearchCV
    >>> X, y = load_iris(return_X_y=True)
    >>> search = SearchCV(SVC(), {"C": (1e-2, 1e2, "log")}, strategy="random", n_iter=5,
    ...                   cv=3, random_state=0).fit(X, y)
    >>> len(search.cv_results_["params"]), bool(search.best_score_ > 0.9)
    (5, True)

    Nested cross-validation (an unbiased estimate of the tuned model's score): the search runs
    inside each outer fold.

    >>> from sklearn.model_selection import cross_val_score
    >>> inner = SearchCV(SVC(), {"C": (1e-2, 1e2, "log")}, strategy="random", n_iter=4, cv=3,
    ...                  random_state=0)
    >>> scores = cross_val_score(inner, X, y, cv=3)
    >>> scores.shape, bool(scores.mean() > 0.9)
    ((3,), True)
    """

    _parameter_constraints: dict = {
        **BaseSearchCV._parameter_constraints,
        "search_space": [dict, list, Space, None],
        "param_grid": [dict, list, None],
        "param_distributions": [dict, list, None],
        "strategy": [str, Strategy],
        "n_iter": [Interval(numbers.Integral, 1, None, closed="left"), None, StrOptions({"auto"})],
        "n_points": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        estimator: Any,
        search_space: Any = None,
        strategy: str | Strategy = "bayes",
        n_iter: int | Literal["auto"] | None = "auto",
        scoring: Any = None,
        n_jobs: int | None = None,
        n_points: int | None = None,
        cv: Any = None,
        refit: bool | str | Callable = True,
        random_state: Any = None,
        verbose: int = 0,
        error_score: Any = np.nan,
        return_train_score: bool = False,
        pre_dispatch: int | str = "2*n_jobs",
        param_grid: Any = None,
        param_distributions: Any = None,
    ) -> None:
        super().__init__(
            estimator=estimator,
            scoring=scoring,
            n_jobs=n_jobs,
            refit=refit,
            cv=cv,
            verbose=verbose,
            pre_dispatch=pre_dispatch,
            error_score=error_score,
            return_train_score=return_train_score,
        )
        self.search_space = search_space
        self.param_grid = param_grid
        self.param_distributions = param_distributions
        self.strategy = strategy
        self.n_iter = n_iter
        self.n_points = n_points
        self.random_state = random_state

    # ------------------------------------------------------------------ set-up
    def _finite(self) -> bool:
        """Whether the strategy lists a finite set of points (a grid): then each dict of a list
        is searched in turn and ``n_iter=None`` means every point."""
        s = self.strategy
        if isinstance(s, str):
            return s in STRATEGIES and make_strategy(s).finite
        return bool(getattr(s, "finite", False))

    def _space_spec(self) -> tuple[str, Any]:
        """The search space as given, under one of its three names."""
        given = [
            (name, value)
            for name, value in (
                ("search_space", self.search_space),
                ("param_grid", self.param_grid),
                ("param_distributions", self.param_distributions),
            )
            if value is not None
        ]
        if len(given) != 1:
            names = " and ".join(name for name, _ in given) or "none"
            raise ValueError(
                "give the search space once, as search_space (or param_grid, GridSearchCV's "
                f"name, or param_distributions, RandomizedSearchCV's); got {names}"
            )
        return given[0]

    def _subspaces(self) -> list[_Subspace]:
        name, spec = self._space_spec()
        values = name != "search_space"  # scikit-learn's names: a tuple is its values there
        specs = list(spec) if isinstance(spec, list) else [spec]
        if not specs:
            raise ValueError(f"{name} is an empty list; give at least one dict")
        if self._finite():  # each grid in turn, in ParameterGrid's order
            return [_Subspace(s, sort=True, tuples_are_values=values) for s in specs]
        # one space; a list of dicts is a choice among them (a conditional space)
        sub = _Subspace(specs if len(specs) > 1 else specs[0], sort=False, tuples_are_values=values)
        if sub.space is None:
            raise ValueError(f"{name} needs at least one parameter, got an empty dict")
        return [sub]

    def _make_strategy(self) -> str | Strategy:
        s = self.strategy
        if isinstance(s, Strategy):
            if getattr(s, "_bound", False):
                raise ValueError(
                    "strategy is a Strategy instance that already serves an optimizer; "
                    "pass a new (unused) instance"
                )
            return copy.deepcopy(s)
        if not isinstance(s, str) or s not in STRATEGIES:
            raise ValueError(
                f"strategy must be one of {sorted(STRATEGIES)} or a Strategy instance, got {s!r}"
            )
        if s == "coarse-to-fine":
            from hpo_core.strategies.chain import CoarseToFine

            return CoarseToFine(budget=int(self._n_iter()))
        return s

    def _n_iter(self) -> float:
        """The number of candidates: ``n_iter``, with ``"auto"`` the whole grid of a finite
        strategy and 50 for others; inf for the whole grid."""
        if self.n_iter == "auto":
            return np.inf if self._finite() else 50
        return np.inf if self.n_iter is None else int(self.n_iter)

    def _batch_size(self) -> int:
        if self.n_points is not None:
            return int(self.n_points)
        from joblib import effective_n_jobs

        return max(1, int(effective_n_jobs(self.n_jobs)))

    def _metric(self, results: dict[str, Any]) -> str:
        if "mean_test_score" in results:
            return "score"
        if isinstance(self.refit, str):
            return self.refit
        scoring = self.scoring
        if isinstance(scoring, Mapping):
            return str(next(iter(scoring)))
        if isinstance(scoring, (list, tuple)):
            return str(scoring[0])
        if isinstance(scoring, set):
            return str(sorted(scoring)[0])
        keys = [k[len("mean_test_") :] for k in results if k.startswith("mean_test_")]
        return keys[0]

    # ------------------------------------------------------------------ search
    def _run_search(self, evaluate_candidates: Callable) -> None:
        """Ask batches of candidates, cross-validate them, tell their mean test scores."""
        if self.n_iter is None and not self._finite():
            raise ValueError(
                "n_iter=None (the whole grid) needs a finite strategy such as 'grid', "
                f"got {self.strategy!r}"
            )
        subspaces = self._subspaces()
        self.optimizers_: list[Optimizer] = []
        self._metric_name: str | None = None
        self._last_failure: ValueError | None = None
        self._n_recorded = 0
        # BaseSearchCV documents its checked splitter as _checked_cv_orig for this hook
        self._same_splits = _SameSplits(self._checked_cv_orig)
        try:
            self._search(evaluate_candidates, subspaces)
            if self._n_recorded == 0 and self._last_failure is not None:
                raise self._last_failure  # every fit failed: scikit-learn's own message
        finally:
            del self._same_splits, self._last_failure, self._n_recorded, self._metric_name

    def _search(self, evaluate_candidates: Callable, subspaces: list[_Subspace]) -> None:
        remaining = self._n_iter()
        # a finite strategy (a grid) does not learn from scores: every candidate is asked first
        # and cross-validated in one call, as GridSearchCV does, so that candidates whose fits
        # all fail are in cv_results_ with error_score, whatever their place in the grid
        finite = self._finite()
        batch = 1024 if finite else self._batch_size()
        seed = _seed(self.random_state)
        carry: list[tuple[Optimizer | None, Any, dict]] = []
        for i, sub in enumerate(subspaces):
            if remaining <= 0:
                break
            if sub.space is None:  # an empty dict of a grid list: the estimator as it is
                carry.append((None, None, {}))
                remaining -= 1
                continue
            size = None if finite else _size(sub.space)
            if size is not None and remaining > size:  # as RandomizedSearchCV does
                warnings.warn(
                    f"The total space of parameters {size} is smaller than n_iter="
                    f"{remaining}. Running {size} iterations. For every point in scikit-learn's"
                    " order, use strategy='grid'.",
                    UserWarning,
                    stacklevel=5,
                )
                remaining = size
            opt = Optimizer(
                sub.space,
                strategy=self._make_strategy(),
                direction="maximize",
                seed=None if seed is None else seed + i,
            )
            self.optimizers_.append(opt)
            while remaining > 0:
                try:
                    trials = opt.ask(int(min(batch, remaining)))
                except SearchSpaceExhausted:
                    break
                remaining -= len(trials)
                new = [(opt, t, sub.params(t.params)) for t in trials]
                if finite:
                    carry += new  # all of them in one call, below
                else:
                    carry = self._evaluate(evaluate_candidates, carry, new)
        if finite and carry:
            carry = self._evaluate(evaluate_candidates, [], carry)
        self._drop(carry)

    def _evaluate(
        self, evaluate_candidates: Callable, carry: list, new: list
    ) -> list[tuple[Optimizer | None, Any, dict]]:
        """Cross-validate ``carry + new`` and tell the scores; return the candidates to carry on.

        scikit-learn raises when every fit of one ``evaluate_candidates`` call fails. Candidates
        of such a batch are evaluated once more, with the next batch, so that they appear in
        ``cv_results_`` with ``error_score`` as in GridSearchCV and the search goes on; those
        that fail on every fit again are given up (told as failed, with a warning): fitting
        them over and over would cost what the search is for.
        """
        batch = carry + new
        try:
            results = evaluate_candidates([p for _, _, p in batch], cv=self._same_splits)
        except ValueError as err:
            if not _all_fits_failed(err):
                raise
            self._last_failure = err
            self._drop(carry)  # their second try
            return new
        self._n_recorded += len(batch)
        if self._metric_name is None:
            self._metric_name = self._metric(results)
        scores = np.asarray(results[f"mean_test_{self._metric_name}"], dtype=float)
        for (opt, t, _), s in zip(batch, scores[-len(batch) :], strict=True):
            if opt is not None:  # None: the estimator as it is (an empty dict of a grid list)
                opt.tell(t, float(s))  # NaN (error_score=nan) records a failed trial
        return []

    def _drop(self, failed: list) -> None:
        """Tell candidates that could not be recorded in cv_results_ (every fit failed)."""
        if not failed:
            return
        numeric = isinstance(self.error_score, numbers.Real) and math.isfinite(self.error_score)
        for opt, t, _ in failed:
            if opt is None:
                continue
            if numeric:
                opt.tell(t, float(self.error_score))
            else:
                opt.tell(t, exception=self._last_failure)
        warnings.warn(
            f"{len(failed)} candidate(s) failed on every fit and are left out of cv_results_ "
            "(they are in optimizers_)",
            FitFailedWarning,
            stacklevel=3,
        )

    # ------------------------------------------------------------------ reading
    @property
    def best_train_test_gap_(self) -> float:
        """Mean train minus mean test score of the best candidate (refit metric)."""
        if not hasattr(self, "cv_results_") or not hasattr(self, "best_index_"):
            raise AttributeError("best_train_test_gap_ is available after fit with a refit metric")
        metric = "score" if not self.multimetric_ else self.refit
        if not isinstance(metric, str):
            raise AttributeError("best_train_test_gap_ needs refit to name a metric")
        key = f"mean_train_{metric}"
        if key not in self.cv_results_:
            raise AttributeError("best_train_test_gap_ needs return_train_score=True")
        i = self.best_index_
        return float(self.cv_results_[key][i] - self.cv_results_[f"mean_test_{metric}"][i])
