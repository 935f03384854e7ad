"""The plots of a study with several objectives: hypervolume history, Pareto front, target=."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from hpo_core import Optimizer, plots  # noqa: E402
from hpo_core.metrics import hypervolume, non_dominated  # noqa: E402

SPACE = {"a": (0.0, 1.0), "b": (0.0, 1.0)}


def _study(directions, n=40, constrained=False, seed=0):
    """Objective 0 follows a, objective 1 follows b (each in its own direction), more
    objectives mix them; with constraints, a + b <= 1.4 is feasible."""
    direction = directions if len(directions) > 1 else directions[0]
    opt = Optimizer(SPACE, direction=direction, constraints=constrained, seed=seed)
    for i in range(n):
        t = opt.ask()
        a, b = t.params["a"], t.params["b"]
        if i % 9 == 4:
            opt.tell(t, exception=RuntimeError("x"))  # failures add nothing
            continue
        values = [a + 0.1 * b, 0.2 * (1 - a) ** 2 + b, a * b, 1 - a - b][: len(directions)]
        values = [v if d == "minimize" else -v for v, d in zip(values, directions, strict=True)]
        told = values if len(values) > 1 else values[0]
        opt.tell(t, told, constraints=[a + b - 1.4] if constrained else None)
    return opt


@pytest.fixture(scope="module")
def mixed():
    return _study(["minimize", "maximize"], constrained=True)


def _brute_curve(opt, reference):
    """The hypervolume after each trial, from scratch on each prefix."""
    signs = np.array([1.0 if d == "minimize" else -1.0 for d in opt.directions])
    r = signs * np.asarray(reference, dtype=float)
    out, rows = [], []
    for t in opt.trials:
        ok = t.state == "complete" and all(c <= 0 for c in t.constraints or ())
        if ok:
            rows.append(signs * np.array(t.values))
        P = np.array(rows).reshape(-1, len(signs))
        P = P[np.all(P < r, axis=1)]
        out.append(hypervolume(P[non_dominated(P)], r) if len(P) else 0.0)
    return np.array(out)


@pytest.mark.parametrize(
    "directions, constrained",
    [
        (["minimize", "maximize"], True),
        (["maximize", "minimize", "minimize"], False),
        (["minimize"] * 4, True),
    ],
)
def test_hypervolume_line_is_the_hypervolume_of_each_prefix(directions, constrained):
    opt = _study(directions, constrained=constrained)
    signs = np.array([1.0 if d == "minimize" else -1.0 for d in directions])
    Y = np.array(
        [
            signs * np.array(t.values)
            for t in opt.trials
            if t.state == "complete" and all(c <= 0 for c in t.constraints or ())
        ]
    )
    span = Y.max(axis=0) - Y.min(axis=0)
    reference = signs * (Y.max(axis=0) + 0.1 * span)  # the documented default
    fig = plots.hypervolume_history(opt)
    ax = fig.axes[0]
    (line,) = ax.get_lines()
    assert list(line.get_xdata()) == list(range(1, len(opt.trials) + 1))
    expected = _brute_curve(opt, reference)
    assert np.allclose(line.get_ydata(), expected, rtol=1e-12, atol=0)
    assert expected[-1] > expected[len(expected) // 4] > 0  # the front grew
    label = ax.get_legend().get_texts()[0].get_text()
    assert label.startswith("reference point (" + ", ".join(f"{v:.4g}" for v in reference))
    assert label.endswith("default") and ax.get_ylabel() == "hypervolume"


def test_a_given_reference_is_used_and_trials_beyond_it_add_nothing(mixed):
    reference = [0.8, -0.2]  # minimise objective 0 below 0.8; maximise objective 1 above -0.2
    curve, ref = plots.hypervolume_so_far(mixed, reference)
    assert ref.tolist() == reference
    assert np.allclose(curve, _brute_curve(mixed, reference), rtol=1e-12, atol=0)
    assert curve[0] == 0.0 or mixed.trials[0].values[0] < 0.8
    label = plots.hypervolume_history(mixed, reference).axes[0].get_legend().get_texts()[0]
    assert label.get_text() == "reference point (0.8, -0.2), given"


def test_pending_and_failed_trials_keep_the_hypervolume(mixed):
    opt = _study(["minimize", "maximize"], n=12)
    opt.ask()  # pending
    curve, _ = plots.hypervolume_so_far(opt)
    states = [t.state for t in opt.trials]
    assert len(curve) == 13 and states[-1] == "pending" and "failed" in states
    for i, s in enumerate(states):
        if s != "complete" and i:
            assert curve[i] == curve[i - 1]
    assert np.all(np.diff(curve) >= 0)


def test_hypervolume_refuses_what_it_cannot_draw(mixed):
    one = _study(["minimize"], n=5)
    with pytest.raises(ValueError, match="several objectives; this one has 1"):
        plots.hypervolume_history(one)
    with pytest.raises(ValueError, match=r"reference must be 2 finite numbers"):
        plots.hypervolume_history(mixed, reference=[1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"reference must be 2 finite numbers"):
        plots.hypervolume_history(mixed, reference=[1.0, float("nan")])
    with pytest.raises(ValueError, match="reference must be 2 numbers"):
        plots.hypervolume_history(mixed, reference=["a", "b"])
    empty = Optimizer(SPACE, direction=["minimize", "minimize"])
    with pytest.raises(ValueError, match="no complete trial to set a reference point"):
        plots.hypervolume_history(empty)


def test_pareto_front_crosses_the_infeasible_and_fades_the_dominated(mixed):
    ax = plots.pareto_front(mixed).axes[0]
    dominated, front, infeasible = ax.collections
    done = [t for t in mixed.trials if t.state == "complete"]
    bad = [t.values for t in done if t.constraints[0] > 0]
    ids = {t.id for t in mixed.pareto_front}
    assert bad and sorted(map(tuple, infeasible.get_offsets().tolist())) == sorted(map(tuple, bad))
    assert len(front.get_offsets()) == len(ids)
    assert len(dominated.get_offsets()) == len(done) - len(ids) - len(bad)
    assert dominated.get_alpha() < 1 and front.get_alpha() in (None, 1)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "dominated",
        "Pareto front",
        "infeasible",
    ]
    assert ax.get_title().endswith(f", {len(bad)} infeasible")
    assert ax.get_lines()[0].get_drawstyle() == "steps-post"  # objective 0 minimised


def test_pareto_front_steps_the_other_way_when_x_is_maximised():
    opt = _study(["maximize", "minimize"], n=20)
    ax = plots.pareto_front(opt).axes[0]
    assert len(ax.collections) == 2  # no constraints: nothing crossed
    assert ax.get_lines()[0].get_drawstyle() == "steps-pre"


def test_pareto_front_in_three_dimensions_crosses_the_infeasible():
    opt = _study(["minimize"] * 3, constrained=True)
    ax = plots.pareto_front(opt).axes[0]
    assert ax.name == "3d"
    counts = [len(c.get_offsets()) for c in ax.collections]
    done = [t for t in opt.trials if t.state == "complete"]
    assert counts[2] == sum(t.constraints[0] > 0 for t in done) > 0
    assert sum(counts) == len(done)


@pytest.fixture(scope="module")
def two():
    return _study(["minimize", "maximize"], n=40, seed=1)


def _column(opt, k):
    return np.array([t.values[k] for t in opt.trials if t.state == "complete"])


def test_target_is_needed_with_several_objectives_and_checked(two):
    for draw in (plots.convergence, plots.importance, plots.parallel_coordinates):
        with pytest.raises(ValueError, match=r"has 2 objectives: pass target= .* 0\.\.1"):
            draw(two)
    with pytest.raises(ValueError, match=r"has 2 objectives: pass target="):
        plots.contour(two, "a", "b")
    with pytest.raises(ValueError, match=r"has 2 objectives: pass target="):
        plots.slice_plot(two)
    for bad in (2, -1, True, "0", 1.0):
        with pytest.raises(ValueError, match=r"target must be None, an objective index in 0\.\.1"):
            plots.best_so_far(two, target=bad)
    with pytest.raises(ValueError, match="target must return a real number"):
        plots.best_so_far(two, target=lambda v: "x")
    with pytest.raises(ValueError, match="target_name must be None or a string"):
        plots.slice_plot(two, target=0, target_name=3)


def test_best_so_far_follows_the_direction_of_the_objective_picked(two):
    trials = two.trials
    for k, best in ((0, np.fmin), (1, np.fmax)):
        v = np.array([t.values[k] if t.state == "complete" else np.nan for t in trials])
        assert np.array_equal(plots.best_so_far(two, target=k), best.accumulate(v))
    total = np.array(
        [t.values[0] - t.values[1] if t.state == "complete" else np.nan for t in trials]
    )  # a function of the values is minimised
    curve = plots.best_so_far(two, target=lambda v: v[0] - v[1])
    assert np.array_equal(curve, np.fmin.accumulate(total))
    ax = plots.convergence(two, target=1).axes[0]
    assert np.array_equal(
        ax.get_lines()[0].get_ydata(),
        np.fmax.accumulate(
            np.array([t.values[1] if t.state == "complete" else np.nan for t in trials])
        ),
    )
    assert ax.get_ylabel() == "best objective 1 so far"
    ax = plots.convergence(two, target=lambda v: v[0] - v[1], target_name="cost").axes[0]
    assert ax.get_ylabel() == "best cost so far"


def test_parallel_coordinates_and_slices_draw_the_target_column(two):
    for k in (0, 1):
        fig = plots.parallel_coordinates(two, target=k)
        ax, bar = fig.axes
        assert ax.get_xticklabels()[-1].get_text() == f"objective {k}"
        assert bar.get_ylim() == pytest.approx((_column(two, k).min(), _column(two, k).max()))
        ax = plots.slice_plot(two, params=["a"], target=k).axes[0]
        assert ax.collections[0].get_offsets()[:, 1].tolist() == _column(two, k).tolist()
        assert ax.get_ylabel() == f"objective {k}"
    fig = plots.parallel_coordinates(two, target=lambda v: 2 * v[1], target_name="twice")
    assert fig.axes[1].get_ylabel() == "twice"
    assert fig.axes[1].get_ylim() == pytest.approx(
        (2 * _column(two, 1).min(), 2 * _column(two, 1).max())
    )


def test_importance_is_that_of_the_objective_picked(two):
    names, first, _ = plots.importance_scores(two, target=0, n_estimators=50, n_repeats=3)
    assert names[int(np.argmax(first))] == "a"  # objective 0 follows a
    ax = plots.importance(two, target=1).axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    widths = [p.get_width() for p in ax.patches]
    assert labels[int(np.argmax(widths))] == "b"  # objective 1 follows b
    assert ax.get_xlabel() == "relative importance for objective 1"
    _, gp0, _ = plots.importance_scores(two, method="gp", target=0)
    _, gp1, _ = plots.importance_scores(two, method="gp", target=lambda v: v[1])
    assert gp0[0] > gp1[0] + 0.1  # a GP fitted to each target: b counts more in objective 1


def test_contour_marks_the_best_of_the_objective_picked(two):
    done = [t for t in two.trials if t.state == "complete"]
    for k, pick in ((0, np.argmin), (1, np.argmax)):
        fig = plots.contour(two, "a", "b", resolution=10, target=k)
        best = fig.axes[0].collections[-1].get_offsets()[0]
        b = done[int(pick(_column(two, k)))]
        assert np.allclose(best, [b.params["a"], b.params["b"]])
        assert fig.axes[1].get_ylabel() == f"posterior mean of objective {k}"


def test_a_single_objective_takes_target_too():
    opt = _study(["maximize"], n=10)
    assert np.array_equal(plots.best_so_far(opt, target=0), plots.best_so_far(opt), equal_nan=True)
    negated = plots.best_so_far(opt, target=lambda v: -v[0])
    assert np.array_equal(-negated, plots.best_so_far(opt), equal_nan=True)
    assert plots.slice_plot(opt).axes[0].get_ylabel() == "value"
