from __future__ import annotations

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from hpo_core import Categorical, Integer, Optimizer, Real, plots  # noqa: E402

SPACE = {
    "lr": Real(1e-4, 1.0, log=True),
    "depth": Integer(1, 6),
    "act": Categorical(["relu", "tanh"]),
    "noise": Real(0.0, 1.0),
}


def objective(p):
    return (np.log10(p["lr"]) + 2) ** 2 + 0.3 * p["depth"] + (p["act"] == "tanh")


@pytest.fixture(scope="module")
def study():
    opt = Optimizer(SPACE, seed=0)
    opt.minimize(objective, n_trials=40)
    opt.tell(opt.ask(), exception=RuntimeError("x"))  # failures are left out
    return opt


def test_best_so_far(study):
    curve = plots.best_so_far(study)
    values = [t.value for t in study.trials if t.state == "complete"]
    assert len(curve) == 41 and curve[-1] == min(values)
    assert np.all(np.diff(curve) <= 0)


def test_convergence_single_and_seeds():
    runs = []
    for seed in range(3):
        o = Optimizer(SPACE, seed=seed)
        o.minimize(objective, n_trials=20)
        runs.append(o)
    fig = plots.convergence({"random": runs, "one": runs[0]}, log=True)
    ax = fig.axes[0]
    assert [line.get_label() for line in ax.get_lines()] == ["random", "one"]
    assert len(ax.get_lines()[0].get_xdata()) == 20
    assert len(ax.collections) == 1  # the quartile band of the three seeds only
    assert ax.get_yscale() == "log" and ax.get_xlabel() == "trial"
    med = ax.get_lines()[0].get_ydata()
    assert med[-1] == np.median([plots.best_so_far(r)[-1] for r in runs])


def test_importance_finds_the_parameter_that_matters(study):
    fig = plots.importance(study)
    ax = fig.axes[0]
    assert "permutation" in ax.get_title()
    labels = [t.get_text() for t in ax.get_yticklabels()]
    widths = [p.get_width() for p in ax.patches]
    assert sorted(labels) == sorted(SPACE)
    assert labels[int(np.argmax(widths))] == "lr"
    assert labels[int(np.argmin(widths))] == "noise"


def test_parallel_coordinates(study):
    fig = plots.parallel_coordinates(study)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == [*SPACE, "value"]
    lines = [line for line in ax.get_lines() if len(line.get_xdata()) == 5]
    assert len(lines) == 40  # one line per complete trial
    texts = {t.get_text() for t in ax.texts}
    assert {"relu", "tanh"} <= texts
    assert "log scale: lr" in ax.get_title()
    with pytest.raises(ValueError, match="unknown parameter 'nope'"):
        plots.parallel_coordinates(study, params=["nope"])


def test_slice_plot(study):
    fig = plots.slice_plot(study, params=["lr", "act"])
    assert len(fig.axes) == 2
    assert fig.axes[0].get_xscale() == "log" and fig.axes[0].get_xlabel() == "lr"
    assert len(fig.axes[0].collections[0].get_offsets()) == 40
    assert [t.get_text() for t in fig.axes[1].get_xticklabels()] == ["relu", "tanh"]


@pytest.fixture
def sub_spaces():
    """A list of sub-spaces that define "kind" and "x" differently: each has two columns."""
    space = [
        {"kind": ["a", "c"], "x": Real(0.0, 1.0)},
        {"kind": ["b", "c"], "x": Real(10.0, 20.0)},
    ]
    opt = Optimizer(space, strategy="random", seed=0)
    opt.optimize(lambda p: p["x"], n_trials=20)
    kinds = {t.params["kind"] for t in opt.trials}
    assert "a" in kinds and "b" in kinds
    return opt


def test_slice_plot_of_sub_spaces_shows_the_choices_of_each(sub_spaces):
    fig = plots.slice_plot(sub_spaces, params=["kind"])
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels == ["a", "c", "b"]
    xs = ax.collections[0].get_offsets()[:, 0]
    assert [labels[int(x)] for x in xs] == [t.params["kind"] for t in sub_spaces.trials]


def test_parallel_coordinates_of_sub_spaces_draw_each_trial_where_its_value_lies(sub_spaces):
    ax = plots.parallel_coordinates(sub_spaces, params=["kind", "x"]).axes[0]
    lines = [line for line in ax.get_lines() if len(line.get_xdata()) == 3]
    for line, t in zip(lines, sub_spaces.trials, strict=True):
        kind, x, _ = line.get_ydata()
        if t.params["x"] > 1.0:  # the second sub-space's: not on the axes of the first's
            assert np.isnan(kind) and np.isnan(x)
        else:
            assert ["a", "c"][int(kind * 2)] == t.params["kind"]  # the cell of its choice
            assert x == pytest.approx(t.params["x"])


def test_draws_on_given_axes(study):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    assert plots.convergence(study, ax=ax) is fig
    assert plots.importance(study, ax=ax) is fig


def test_needs_two_complete_trials():
    opt = Optimizer(SPACE)
    opt.tell(opt.ask(), 1.0)
    with pytest.raises(ValueError, match="at least 2 complete trials"):
        plots.slice_plot(opt)


def test_importance_from_the_gp_lengthscales_of_a_bayes_study():
    opt = Optimizer(SPACE, strategy="bayes", seed=0)
    opt.minimize(objective, n_trials=16)
    fig = plots.importance(opt, method="gp")
    ax = fig.axes[0]
    assert "GP lengthscales" in ax.get_title()
    labels = [t.get_text() for t in ax.get_yticklabels()]
    widths = dict(zip(labels, [p.get_width() for p in ax.patches], strict=True))
    ls = opt.strategy.lengthscales
    cols = {name: j for j, name in enumerate(opt.space.names)}
    # bars proportional to 1 / lengthscale
    ratio = widths["lr"] / widths["noise"]
    assert np.isclose(ratio, ls[cols["noise"]] / ls[cols["lr"]])
    assert widths["lr"] > widths["noise"]


def test_contour_of_the_gp_posterior_mean(study):
    fig = plots.contour(study, "lr", "depth", resolution=20)
    ax = fig.axes[0]
    assert ax.get_xlabel() == "lr" and ax.get_ylabel() == "depth"
    assert ax.get_xscale() == "log" and ax.get_yscale() == "linear"
    points, best = ax.collections[-2:]
    assert len(points.get_offsets()) == 40
    b = study.best
    assert np.allclose(best.get_offsets()[0], [b.params["lr"], b.params["depth"]])
    x0, x1 = ax.get_xlim()
    assert x0 <= 1e-4 * 1.01 and x1 >= 0.99  # the whole range of lr
    assert len(fig.axes) == 2  # the plot and its colour bar
    assert fig.axes[1].get_ylabel() == "posterior mean of the value"


def test_contour_rejects_bad_parameters(study):
    with pytest.raises(ValueError, match="'act' is categorical"):
        plots.contour(study, "lr", "act")
    with pytest.raises(ValueError, match="unknown parameter 'nope'"):
        plots.contour(study, "lr", "nope")
    with pytest.raises(ValueError, match="two different parameters"):
        plots.contour(study, "lr", "lr")
    with pytest.raises(ValueError, match="resolution must be an integer >= 5"):
        plots.contour(study, "lr", "depth", resolution=2)


def test_a_bayes_study_loaded_from_its_file_shows_the_same_importance(tmp_path):
    opt = Optimizer(SPACE, strategy="bayes", seed=0, storage=f"sqlite:///{tmp_path / 's.db'}")
    opt.optimize(objective, n_trials=16)
    loaded = Optimizer.load(tmp_path / "s.db", read_only=True)
    here = plots.parameters.importance_scores(opt)
    assert plots.parameters.importance_scores(loaded)[1].tolist() == here[1].tolist()
    names, own, text = plots.parameters.importance_scores(opt, method="gp")
    _, fitted, _ = plots.parameters.importance_scores(loaded, method="gp")
    assert text.startswith("GP lengthscales")  # the strategy's own GP, or one fitted alike
    assert np.argmax(own) == np.argmax(fitted) == names.index("lr")
    f1 = plots.importance(opt).axes[0].get_title()
    assert f1 == plots.importance(loaded).axes[0].get_title()
    with pytest.raises(ValueError, match=r"method must be one of \['forest', 'gp'\], got 'rf'"):
        plots.importance(opt, method="rf")


def test_parallel_coordinates_has_a_colour_bar_of_the_values(study):
    fig = plots.parallel_coordinates(study)
    assert len(fig.axes) == 2  # the plot and its colour bar
    bar = fig.axes[1]
    values = [t.value for t in study.trials if t.state == "complete"]
    assert bar.get_ylabel() == "value"
    assert bar.get_ylim() == pytest.approx((min(values), max(values)))


@pytest.fixture(scope="module")
def two_objectives():
    opt = Optimizer({"a": (0.0, 1.0), "b": (0.0, 1.0)}, direction=["minimize", "maximize"], seed=0)
    for _ in range(30):
        t = opt.ask()
        opt.tell(t, [t.params["a"], t.params["a"] - t.params["b"] ** 2])
    return opt


def test_pareto_front_marks_the_front_in_two_dimensions(two_objectives):
    fig = plots.pareto_front(two_objectives)
    ax = fig.axes[0]
    dominated, front = ax.collections
    ids = {t.id for t in two_objectives.pareto_front}
    assert len(front.get_offsets()) == len(ids) and len(dominated.get_offsets()) == 30 - len(ids)
    on = [t.values for t in two_objectives.trials if t.id in ids]
    assert sorted(map(tuple, front.get_offsets().tolist())) == sorted(map(tuple, on))
    assert ax.get_xlabel() == "objective 0 (minimize)"
    assert ax.get_ylabel() == "objective 1 (maximize)"
    assert f"{len(ids)} of 30" in ax.get_title()


def test_pareto_front_in_three_dimensions():
    opt = Optimizer({"a": (0.0, 1.0), "b": (0.0, 1.0)}, direction=["minimize"] * 3, seed=1)
    for _ in range(20):
        t = opt.ask()
        a, b = t.params["a"], t.params["b"]
        opt.tell(t, [a, b, 2 - a - b])
    fig = plots.pareto_front(opt)
    ax = fig.axes[0]
    assert ax.name == "3d" and ax.get_zlabel() == "objective 2 (minimize)"
    assert sum(len(c.get_offsets()) for c in ax.collections) == 20


def test_pareto_front_refuses_what_it_cannot_draw(study, two_objectives):
    with pytest.raises(ValueError, match="several objectives; this one has 1"):
        plots.pareto_front(study)
    with pytest.raises(ValueError, match=r"2 or 3 indices in 0..1, got \[0, 2\]"):
        plots.pareto_front(two_objectives, objectives=(0, 2))
    with pytest.raises(ValueError, match=r"got \[1, 1\] \(each index once\)"):
        plots.pareto_front(two_objectives, objectives=[1, 1])
    import matplotlib.pyplot as plt

    three = Optimizer({"x": Real(0.0, 1.0)}, direction=["minimize"] * 3, seed=0)
    three.optimize(lambda p: [p["x"], 1 - p["x"], p["x"] ** 2], n_trials=4)
    with pytest.raises(ValueError, match="three objectives are drawn on 3-D axes"):
        plots.pareto_front(three, ax=plt.subplots()[1])  # not TypeError from Axes.scatter
    assert plots.pareto_front(three, objectives=(0, 2), ax=plt.subplots()[1])


def test_pareto_front_takes_numpy_indices(two_objectives):
    fig = plots.pareto_front(two_objectives, objectives=np.array([1, 0]))
    assert fig.axes[0].get_xlabel().startswith("objective 1")


def test_learning_curves_mark_the_pruned_trials():
    opt = Optimizer({"x": (0.0, 1.0)}, seed=0)
    for i in range(6):
        t = opt.ask()
        steps = 2 if i % 3 == 0 else 5
        for s in range(steps):
            t.report(s, t.params["x"] / (s + 1))
        if steps == 2:
            opt.tell(t, None, state="pruned")
        else:
            opt.tell(t, t.params["x"] / 5)
    opt.tell(opt.ask(), 0.5)  # reported nothing: left out
    fig = plots.learning_curves(opt)
    ax = fig.axes[0]
    red = [line for line in ax.get_lines() if line.get_color() == "tab:red"]
    crosses = [line for line in red if line.get_marker() == "x"]
    assert len(crosses) == 2 and all(len(line.get_xdata()) == 1 for line in crosses)
    assert [c.get_xdata()[0] for c in crosses] == [1, 1]  # where they stopped
    assert len(ax.get_lines()) == 4 + 2 * 2
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "not pruned (4)",
        "pruned (2)",
    ]
    assert len(plots.learning_curves(opt, max_trials=3).axes[0].get_lines()) == 4
    with pytest.raises(ValueError, match="max_trials must be an integer >= 1"):
        plots.learning_curves(opt, max_trials=0)


def test_learning_curves_need_reports(study):
    with pytest.raises(ValueError, match="no trial of the study reported"):
        plots.learning_curves(study)


def _constrained_study():
    """x + y minimised, feasible only where x >= 0.5: the infeasible trials hold the smallest
    values."""
    opt = Optimizer({"x": Real(0.0, 1.0), "y": Real(0.0, 1.0)}, constraints=True, seed=0)
    for _ in range(12):
        t = opt.ask()
        opt.tell(t, t.params["x"] + t.params["y"], constraints=[0.5 - t.params["x"]])
    assert min(t.value for t in opt.trials) < opt.best.value  # an infeasible trial is lower
    return opt


def test_best_so_far_of_a_constrained_study_counts_feasible_trials_only():
    opt = _constrained_study()
    curve = plots.best_so_far(opt)
    expected, best = [], np.inf
    for t in opt.trials:
        if all(c <= 0 for c in t.constraints):
            best = min(best, t.value)
        expected.append(np.nan if np.isinf(best) else best)
    assert np.array_equal(curve, expected, equal_nan=True)
    assert curve[-1] == opt.best.value


def test_contour_of_a_constrained_study_stars_the_best_feasible_trial():
    opt = _constrained_study()
    best = plots.contour(opt, "x", "y", resolution=10).axes[0].collections[-1]
    assert np.allclose(best.get_offsets()[0], [opt.best.params["x"], opt.best.params["y"]])


def test_numpy_integers_are_taken_where_integers_are(two_objectives):
    opt = Optimizer({"x": Real(0.0, 1.0), "y": Real(0.0, 1.0)}, seed=0)
    for _ in range(4):
        t = opt.ask()
        t.report(0, 1.0)
        opt.tell(t, t.params["x"])
    ax = plots.learning_curves(opt, max_trials=np.int64(3)).axes[0]
    assert ax.get_title() == "Learning curves, 3 trials"
    fig = plots.contour(opt, "x", "y", resolution=np.int64(6))
    assert fig.axes[0].collections  # drawn
    # numpy 2 shows np.int64(0), older versions 0
    with pytest.raises(ValueError, match=r"max_trials must be an integer >= 1, got (np.int64\()?0"):
        plots.learning_curves(opt, max_trials=np.int64(0))
    with pytest.raises(ValueError, match="^the hypervolume needs a study with several"):
        plots.hypervolume_so_far(opt)


def test_importance_scores_on_the_last_rows_checks_their_number(study):
    names, scores, _ = plots.importance_scores(study, n_estimators=10, n_repeats=2, max_rows=20)
    assert names == list(SPACE) and np.isclose(scores.sum(), 1.0)
    for bad in (0, 1, -5, 2.5, True):  # 0 and -5 took all rows or dropped the first ones
        with pytest.raises(ValueError, match="max_rows must be None or an integer >= 2"):
            plots.importance_scores(study, max_rows=bad)


@pytest.mark.parametrize("target", [0, 1])  # minimised, maximised
def test_parallel_coordinates_draws_the_best_trial_darkest(two_objectives, target):
    ax = plots.parallel_coordinates(two_objectives, target=target).axes[0]
    lines = [line for line in ax.get_lines() if len(line.get_xdata()) == 3]
    done = [t for t in two_objectives.trials if t.state == "complete"]
    sign = 1 if two_objectives.directions[target] == "minimize" else -1
    order = np.argsort([sign * t.values[target] for t in done])

    def lightness(line):
        r, g, b, _ = matplotlib.colors.to_rgba(line.get_color())
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    best, worst = lines[order[0]], lines[order[-1]]
    assert lightness(best) < lightness(worst)
