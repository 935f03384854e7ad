from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest

from hpo_core import (
    HyperbandPruner,
    MedianPruner,
    Optimizer,
    Real,
    SuccessiveHalvingPruner,
    Trial,
    TrialPruned,
    TrialState,
)


def mk(tid: int, values: dict[int, float], state: str = "complete") -> Trial:
    t = Trial(tid, {})
    t.intermediate = dict(values)
    t.state = TrialState(state)
    return t


def others(columns: list[dict[int, float]], state: str = "complete", start: int = 100):
    return [mk(start + i, v, state) for i, v in enumerate(columns)]


# ---------------------------------------------------------------------------- median
def test_median_of_the_others_at_the_same_step():
    p = MedianPruner(n_startup_trials=0)
    trials = others([{1: 1.0, 2: 9.0}, {1: 2.0, 2: 9.0}, {1: 3.0, 2: 9.0}])
    assert p.prune(mk(0, {1: 2.5}, "pending"), trials)
    assert not p.prune(mk(0, {1: 1.5}, "pending"), trials)
    assert not p.prune(mk(0, {1: 2.0}, "pending"), trials)  # equal to the median: kept
    # at step 2 the others all have 9.0, whatever they had at step 1
    assert not p.prune(mk(0, {2: 8.0}, "pending"), trials)
    # no one reported at step 3: nothing to compare with
    assert not p.prune(mk(0, {3: 100.0}, "pending"), trials)


def test_median_even_count_and_best_so_far():
    p = MedianPruner(n_startup_trials=0)
    trials = others([{1: 1.0}, {1: 2.0}, {1: 3.0}, {1: 10.0}])  # median 2.5
    assert p.prune(mk(0, {1: 2.6}, "pending"), trials)
    assert not p.prune(mk(0, {1: 2.4}, "pending"), trials)
    # judged by its best value so far (0.1 at step 0), not the last one
    assert not p.prune(mk(0, {0: 0.1, 1: 5.0}, "pending"), trials)


def test_median_warmup():
    p = MedianPruner(n_startup_trials=0, n_warmup_steps=3)
    trials = others([{s: 1.0 for s in range(6)}] * 3)
    assert not p.prune(mk(0, {2: 5.0}, "pending"), trials)
    assert p.prune(mk(0, {2: 5.0, 3: 5.0}, "pending"), trials)


def test_median_min_trials_counts_complete_trials_only():
    p = MedianPruner(n_startup_trials=3)
    two = others([{1: 1.0}, {1: 1.0}])
    pruned = others([{1: 1.0}] * 5, state="pruned", start=200)
    bad = mk(0, {1: 5.0}, "pending")
    assert not p.prune(bad, two + pruned)
    assert p.prune(bad, two + pruned + others([{1: 1.0}], start=300))


def test_median_uses_pruned_and_ignores_pending_values():
    p = MedianPruner(n_startup_trials=1)
    base = others([{1: 1.0}])
    assert p.prune(mk(0, {1: 2.0}, "pending"), base)
    # two pruned trials at 5.0 raise the median to 5.0
    assert not p.prune(mk(0, {1: 2.0}, "pending"), base + others([{1: 5.0}] * 2, "pruned", 9))
    # pending trials (other workers in flight) do not count
    assert p.prune(mk(0, {1: 2.0}, "pending"), base + others([{1: 5.0}] * 2, "pending", 9))


def test_median_interval_steps():
    p = MedianPruner(n_startup_trials=0, interval_steps=2)
    trials = others([{s: 1.0 for s in range(8)}] * 3)
    assert p.prune(mk(0, {1: 5.0}, "pending"), trials)  # first report of block 0
    assert p.prune(mk(0, {1: 5.0, 2: 5.0}, "pending"), trials)  # block 1 begins
    assert not p.prune(mk(0, {1: 5.0, 2: 5.0, 3: 5.0}, "pending"), trials)  # block 1 again


def test_median_maximize():
    p = MedianPruner(n_startup_trials=0)
    trials = others([{1: 1.0}, {1: 2.0}, {1: 3.0}])
    assert p.prune(mk(0, {1: 1.5}, "pending"), trials, "maximize")
    assert not p.prune(mk(0, {1: 2.5}, "pending"), trials, "maximize")
    with pytest.raises(ValueError, match="direction must be one of"):
        p.prune(mk(0, {1: 2.5}, "pending"), trials, "max")


# ---------------------------------------------------------------------------- SH / ASHA
def test_sh_rungs():
    assert [SuccessiveHalvingPruner(1, 3).rung_step(k) for k in range(4)] == [1, 3, 9, 27]
    assert [SuccessiveHalvingPruner(2, 2, 1).rung_step(k) for k in range(3)] == [4, 8, 16]


def test_sh_promotes_top_fraction_at_a_rung():
    trials = others([{1: float(v)} for v in range(1, 9)])  # 8 others at rung 0 (step 1)
    # 9 values at the rung: the best 9 // 3 = 3 go on
    assert not SuccessiveHalvingPruner(1, 3).prune(mk(0, {1: 2.5}, "pending"), trials)
    assert SuccessiveHalvingPruner(1, 3).prune(mk(0, {1: 3.5}, "pending"), trials)
    # maximize: the largest values go on
    assert not SuccessiveHalvingPruner(1, 3).prune(mk(0, {1: 7.5}, "pending"), trials, "maximize")
    assert SuccessiveHalvingPruner(1, 3).prune(mk(0, {1: 5.5}, "pending"), trials, "maximize")


def test_sh_first_trials_and_before_the_first_rung():
    p = SuccessiveHalvingPruner(min_resource=1, reduction_factor=3)
    assert not p.prune(mk(0, {1: 100.0}, "pending"), [])  # alone at the rung: goes on
    # fewer than reduction_factor values: only the best goes on
    assert p.prune(mk(1, {1: 2.0}, "pending"), others([{1: 1.0}]))
    assert not p.prune(mk(2, {1: 0.5}, "pending"), others([{1: 1.0}]))
    late = SuccessiveHalvingPruner(min_resource=3, reduction_factor=3)
    assert not late.prune(mk(0, {1: 100.0, 2: 100.0}, "pending"), others([{2: 1.0, 3: 1.0}]))
    assert late.prune(mk(0, {3: 100.0}, "pending"), others([{2: 1.0, 3: 1.0}]))


def test_sh_min_early_stopping_rate_moves_the_first_rung():
    p = SuccessiveHalvingPruner(1, 3, min_early_stopping_rate=1)  # rungs at 3, 9, 27
    trials = others([{s: 1.0 for s in range(1, 10)}] * 5)
    assert not p.prune(mk(0, {1: 5.0, 2: 5.0}, "pending"), trials)
    assert p.prune(mk(0, {1: 5.0, 2: 5.0, 3: 5.0}, "pending"), trials)


def test_sh_second_rung_and_rung_value_at_first_step_past_it():
    p = SuccessiveHalvingPruner(1, 2)  # rungs at 1, 2, 4
    # competitor reported at steps 1 and 5 only: its value at rung 4 is the one at step 5
    comp = others([{1: 9.0, 5: 1.0}, {1: 9.0, 5: 1.0}, {1: 9.0, 5: 1.0}])
    t = mk(0, {1: 0.0}, "pending")
    assert not p.prune(t, comp)  # best at rung 1
    t.intermediate[2] = 0.0
    assert not p.prune(t, comp)  # alone at rung 2 (step 2): nobody else reported there
    t.intermediate[3] = 2.0
    assert not p.prune(t, comp)  # step 3 is no rung
    t.intermediate[4] = 2.0
    assert p.prune(t, comp)  # at rung 4 the others have 1.0


def test_sh_promotion_is_not_revoked_and_pending_trials_compete():
    p = SuccessiveHalvingPruner(1, 3)
    t = mk(0, {1: 5.0}, "pending")
    assert not p.prune(t, [t])  # the first to reach rung 0
    # other workers' trials, still pending, reach rung 0 with better values
    crowd = others([{1: 1.0}] * 6, state="pending")
    t.intermediate[2] = 5.0
    assert not p.prune(t, [t, *crowd])  # promoted at rung 0 before they came
    newcomer = mk(1, {1: 5.0}, "pending")
    assert p.prune(newcomer, [t, newcomer, *crowd])  # the pending ones compete


# ---------------------------------------------------------------------------- Hyperband
def test_hyperband_brackets_and_budgets():
    p = HyperbandPruner(min_resource=1, max_resource=27, reduction_factor=3)
    assert p.n_brackets == 4
    assert p._budgets == [27, 12, 6, 4]
    assert [b.min_early_stopping_rate for b in p._brackets] == [0, 1, 2, 3]
    counts = Counter(p.bracket(i) for i in range(4900))
    for i, budget in enumerate(p._budgets):
        assert abs(counts[i] / 4900 - budget / 49) < 0.03
    assert [p.bracket(i) for i in range(50)] == [p.bracket(i) for i in range(50)]
    other = HyperbandPruner(1, 27, 3, seed=1)
    assert [other.bracket(i) for i in range(50)] != [p.bracket(i) for i in range(50)]
    assert HyperbandPruner(1, 26, 3).n_brackets == 3
    assert HyperbandPruner(5, 5, 3).n_brackets == 1


def test_hyperband_compares_within_the_bracket_only():
    p = HyperbandPruner(min_resource=1, max_resource=27, reduction_factor=3)
    ids = {i: [j for j in range(200) if p.bracket(j) == i] for i in range(4)}
    b0, b1 = ids[0], ids[1]
    # bracket-0 competitors are bad, bracket-1 ones are good
    trials = [mk(j, {1: 9.0}) for j in b0[1:4]] + [mk(j, {1: 0.0, 3: 0.0}) for j in b1[:6]]
    assert not p.prune(mk(b0[0], {1: 5.0}, "pending"), trials)
    assert p.prune(mk(b0[4], {1: 10.0}, "pending"), trials)  # a fresh trial
    # a bracket-1 trial is not checked at step 1; at step 3 it meets the good ones
    assert not p.prune(mk(b1[6], {1: 5.0}, "pending"), trials)
    assert p.prune(mk(b1[6], {1: 5.0, 3: 5.0}, "pending"), trials)
    # the last bracket prunes only at max_resource
    b3 = ids[3][0]
    good = [mk(j, {s: 0.0 for s in range(1, 28)}) for j in ids[3][1:4]]
    assert not p.prune(mk(b3, {s: 5.0 for s in range(1, 27)}, "pending"), good)


# ---------------------------------------------------------------------------- options
@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: MedianPruner(n_startup_trials=-1), "n_startup_trials must be an integer >= 0"),
        (lambda: MedianPruner(n_warmup_steps=1.5), "n_warmup_steps must be an integer >= 0"),
        (lambda: MedianPruner(interval_steps=0), "interval_steps must be an integer >= 1"),
        (lambda: SuccessiveHalvingPruner(min_resource=0), "min_resource must be an integer >= 1"),
        (lambda: SuccessiveHalvingPruner(reduction_factor=1), "reduction_factor must be an"),
        (lambda: SuccessiveHalvingPruner(min_early_stopping_rate=-1), "min_early_stopping_rate"),
        (lambda: HyperbandPruner(min_resource=4, max_resource=2), "max_resource must be >="),
        (lambda: HyperbandPruner(max_resource=True), "max_resource must be an integer"),
        (lambda: HyperbandPruner(reduction_factor=1), "reduction_factor must be an integer >= 2"),
    ],
)
def test_bad_options(make, match):
    with pytest.raises(ValueError, match=match):
        make()


# ---------------------------------------------------------------------------- optimizer
def test_optimizer_should_prune():
    opt = Optimizer({"x": Real(0.0, 1.0)}, seed=0)
    t = opt.ask()
    t.report(1, 1.0)
    assert opt.should_prune(t) is False  # no pruner
    with pytest.raises(TypeError, match="pruner must be None or a Pruner"):
        Optimizer({"x": Real(0.0, 1.0)}, pruner="median")
    shared = MedianPruner()
    Optimizer({"x": Real(0.0, 1.0)}, pruner=shared)
    with pytest.raises(ValueError, match="already serves an optimizer"):
        Optimizer({"x": Real(0.0, 1.0)}, pruner=shared)
    opt = Optimizer({"x": Real(0.0, 1.0)}, seed=0, pruner=MedianPruner(n_startup_trials=1))
    a, b = opt.ask(2)
    assert opt.should_prune(a) is False  # nothing reported
    a.report(1, 1.0)
    opt.tell(a, 1.0)
    b.report(1, 2.0)
    assert opt.should_prune(b) is True
    assert opt.should_prune(b.id) is True
    opt.tell(b, state="pruned")
    assert b.value == 2.0 and b.state == "pruned"
    assert np.isnan(opt.history().y).sum() == 0 and opt.history().states.tolist() == [1, 3]
    with pytest.raises(ValueError, match="already pruned"):
        opt.should_prune(b)


def test_minimize_with_trial_objectives_and_pruning():
    opt = Optimizer({"x": Real(0.0, 1.0)}, seed=0, pruner=SuccessiveHalvingPruner(1, 3))

    def objective(trial):
        loss = 0.0
        for step in range(1, 10):
            loss = trial.params["x"] + 1.0 / step
            trial.report(step, loss)
            if opt.should_prune(trial):
                raise TrialPruned
        return loss

    best = opt.minimize(objective, n_trials=20)
    states = Counter(t.state.value for t in opt.trials)
    assert states["pruned"] > 5 and states["complete"] >= 1
    for t in opt.trials:
        assert t.value == t.intermediate[t.last_step]
    assert best.value == min(t.value for t in opt.trials if t.state == "complete")

    seen = []

    def annotated(t: Trial) -> float:
        seen.append(type(t))
        return t.params["x"]

    def plain(params):
        seen.append(type(params))
        return params["x"]

    Optimizer({"x": Real(0.0, 1.0)}).minimize(annotated, n_trials=1)
    Optimizer({"x": Real(0.0, 1.0)}).minimize(plain, n_trials=1)
    assert seen == [Trial, dict]


def _prune_small_x(params):
    if params["x"] < 0.5:
        raise TrialPruned
    return params["x"]


def test_parallel_minimize_records_trial_pruned_and_refuses_trial_objectives():
    from concurrent.futures import ThreadPoolExecutor

    opt = Optimizer({"x": Real(0.0, 1.0)}, seed=0)
    with ThreadPoolExecutor(2) as pool:
        opt.minimize(_prune_small_x, n_trials=12, executor=pool)
    for t in opt.trials:
        assert t.state.value == ("pruned" if t.params["x"] < 0.5 else "complete")

    def objective(trial):
        return trial.params["x"]

    with pytest.raises(ValueError, match="an objective that takes a trial .* use n_jobs=1"):
        Optimizer({"x": Real(0.0, 1.0)}).minimize(objective, n_trials=2, n_jobs=2)


def test_a_failed_optimizer_leaves_its_pruner_free():
    pruner = MedianPruner()
    with pytest.raises(ValueError, match="strategy must be one of"):
        Optimizer({"x": Real(0.0, 1.0)}, strategy="nope", pruner=pruner)
    with pytest.raises(ValueError, match="retry_stale"):
        Optimizer({"x": Real(0.0, 1.0)}, retry_stale="yes", pruner=pruner)
    assert Optimizer({"x": Real(0.0, 1.0)}, pruner=pruner).pruner is pruner


def test_workers_on_one_storage_prune_on_each_other_s_reports(tmp_path):
    url = str(tmp_path / "s.db")
    a, b = (
        Optimizer({"x": Real(0.0, 1.0)}, seed=s, storage=url, study="s", pruner=p)
        for s, p in ((0, SuccessiveHalvingPruner(1, 2)), (1, SuccessiveHalvingPruner(1, 2)))
    )
    ta, tb = a.ask(), b.ask()
    ta.report(1, 0.1)
    assert not a.should_prune(ta)
    tb.report(1, 5.0)  # worse than the other worker's trial at the same rung
    assert b.should_prune(tb)


def test_pruning_with_many_workers():
    # batches of pending trials reporting in turn: ASHA decides as reports arrive
    opt = Optimizer({"x": Real(0.0, 1.0)}, seed=1, pruner=SuccessiveHalvingPruner(1, 2))
    for _ in range(4):
        batch = opt.ask(4)
        running = list(batch)
        for step in range(1, 9):
            for t in list(running):
                t.report(step, t.params["x"] * (1.0 + 1.0 / step))
                if opt.should_prune(t):
                    opt.tell(t, state="pruned")
                    running.remove(t)
        for t in running:
            opt.tell(t, t.intermediate[8])
    states = Counter(t.state.value for t in opt.trials)
    assert states["pruned"] >= 8 and states["complete"] >= 1
    assert opt.best.value == pytest.approx(min(t.params["x"] for t in opt.trials) * 1.125)


# ---------------------------------------------------------------------------- examples
def test_numpy_mlp_example():
    from examples.numpy_mlp import run

    full = run(None, n_trials=8, seed=0, epochs=9)
    asha = run("asha", n_trials=8, seed=0, epochs=9)
    assert full["epochs"] == 72 and full["pruned"] == 0
    assert asha["pruned"] > 0 and asha["epochs"] < 72
    assert full["best_loss"] < math.log(10)  # learns something: better than uniform guessing
    assert asha["best_loss"] >= full["best_loss"]  # the same configurations, some cut short


@pytest.mark.slow
def test_torch_mlp_example():
    pytest.importorskip("torch")
    from examples.torch_mlp import run

    stats = run("asha", n_trials=4, seed=0, epochs=3)
    assert stats["epochs"] <= 12 and stats["best_loss"] < math.log(10)


def test_docs_pruning_blocks_run():
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "docs" / "pruning.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert len(blocks) == 2
    for i, code in enumerate(blocks):
        exec(compile(code, f"docs/pruning.md block {i}", "exec"), {"__name__": "__docs__"})


# ---------------------------------------------------------------------------- parity with Optuna
def _curves(seed: int, n: int, steps: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    a, b = rng.random(n), rng.random(n) * 3
    noise = 0.02 * rng.standard_normal((n, steps))
    return a[:, None] + b[:, None] / np.arange(1, steps + 1) + noise  # (n, steps)


def _last_steps_ours(pruner, curves, direction):
    opt = Optimizer({"x": Real(0.0, 1.0)}, seed=0, direction=direction, pruner=pruner)
    out = []
    for curve in curves:
        t = opt.ask()
        for step, v in enumerate(curve, start=1):
            t.report(step, float(v))
            if opt.should_prune(t):
                opt.tell(t, state="pruned")
                break
        else:
            opt.tell(t, float(curve[-1]))
        out.append(t.last_step)
    return out


def _last_steps_optuna(pruner, curves, direction):
    optuna = pytest.importorskip("optuna")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(study_name="0", direction=direction, pruner=pruner)
    out = []
    for curve in curves:
        t = study.ask()
        last = len(curve)
        for step, v in enumerate(curve, start=1):
            t.report(float(v), step)
            if t.should_prune():
                study.tell(t, state=optuna.trial.TrialState.PRUNED)
                last = step
                break
        else:
            study.tell(t, float(curve[-1]))
        out.append(last)
    return out


@pytest.mark.parametrize("direction", ["minimize", "maximize"])
@pytest.mark.parametrize("seed", [0, 1])
def test_successive_halving_decides_as_optuna(seed, direction):
    optuna = pytest.importorskip("optuna")
    curves = _curves(seed, 40, 27)
    ours = _last_steps_ours(SuccessiveHalvingPruner(1, 3), curves, direction)
    ref = optuna.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=3)
    assert ours == _last_steps_optuna(ref, curves, direction)
    assert min(ours) < 27  # something was pruned


@pytest.mark.parametrize("seed", [0, 1])
def test_hyperband_decides_as_optuna(seed):
    # Optuna hashes "{study_name}_{trial number}"; a study named "0" matches seed=0 here
    optuna = pytest.importorskip("optuna")
    curves = _curves(seed, 60, 27)
    ours = _last_steps_ours(HyperbandPruner(1, 27, 3), curves, "minimize")
    ref = optuna.pruners.HyperbandPruner(min_resource=1, max_resource=27, reduction_factor=3)
    assert ours == _last_steps_optuna(ref, curves, "minimize")
    assert min(ours) < 27
