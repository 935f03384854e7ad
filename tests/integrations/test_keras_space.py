"""KerasTuner hyperparameters as hpo_core dimensions (no training)."""

from __future__ import annotations

import pytest

keras_tuner = pytest.importorskip("keras_tuner")

from hpo_core import Optimizer  # noqa: E402
from hpo_core.integrations import _keras_space as ks  # noqa: E402
from hpo_core.space import Categorical, Integer, Real, Space  # noqa: E402


def declare(build):
    hp = keras_tuner.HyperParameters()
    build(hp)
    return hp, ks.translate(hp.space)


def by_key(params):
    return {p.key: p for p in params}


def test_int_with_step_is_an_index_over_its_grid():
    _, params = declare(lambda hp: hp.Int("units", 8, 64, step=8))
    p = by_key(params)["units"]
    assert p.dim == Integer(0, 7)
    assert p.grid == [8, 16, 24, 32, 40, 48, 56, 64]
    assert p.keras(3) == 32 and isinstance(p.keras(3), int)
    assert p.ours(40) == 4 and p.ours(p.hp.default) == 0


def test_int_step_one_and_log_sampling():
    _, params = declare(
        lambda hp: (
            hp.Int("n", 1, 10),
            hp.Int("width", 4, 256, sampling="log"),
            hp.Int("filters", 4, 64, step=2, sampling="log"),
        )
    )
    p = by_key(params)
    assert p["n"].dim == Integer(1, 10) and p["n"].grid is None
    assert p["width"].dim == Integer(4, 256, log=True)
    assert p["filters"].grid == [4, 8, 16, 32, 64]
    assert p["filters"].dim == Integer(0, 4)
    assert p["filters"].ours(16) == 2 and p["filters"].keras(4) == 64


def test_float_log_and_step():
    _, params = declare(
        lambda hp: (
            hp.Float("lr", 1e-4, 1e-1, sampling="log"),
            hp.Float("dropout", 0.0, 0.5, step=0.1),
            hp.Float("scale", 0.1, 1000.0, step=10, sampling="log"),
            hp.Float("alpha", 0.0, 1.0),
        )
    )
    p = by_key(params)
    assert p["lr"].dim == Real(1e-4, 1e-1, log=True)
    assert p["alpha"].dim == Real(0.0, 1.0)
    # KerasTuner's own grid, which floors 0.5 // 0.1 to 4: 0.0 ... 0.4
    assert p["dropout"].grid == pytest.approx(list(p["dropout"].hp.values))
    assert p["dropout"].dim == Integer(0, len(p["dropout"].grid) - 1)
    assert p["dropout"].keras(2) == pytest.approx(0.2) and p["dropout"].ours(0.3) == 3
    assert p["scale"].grid == pytest.approx([0.1, 1.0, 10.0, 100.0, 1000.0])
    assert p["scale"].ours(10.0) == 2
    assert p["lr"].ours(5.0) == 1e-1  # clipped into the range


def test_choice_boolean_fixed():
    hp, params = declare(
        lambda hp: (
            hp.Choice("act", ["relu", "tanh"]),
            hp.Choice("batch", [32, 64, 128]),
            hp.Boolean("bn"),
            hp.Fixed("epochs", 3),
        )
    )
    p = by_key(params)
    assert p["act"].dim == Categorical(("relu", "tanh"))
    assert p["batch"].dim == Categorical((32, 64, 128))
    assert p["bn"].dim == Categorical((False, True))
    assert p["epochs"].dim is None
    assert set(ks.space_of(params)) == {"act", "batch", "bn"}
    values = ks.to_keras(params, {"act": "tanh", "batch": 64, "bn": True})
    assert values == {"act": "tanh", "batch": 64, "bn": True, "epochs": 3}


def build_conditional(hp):
    model = hp.Choice("model", ["mlp", "cnn"])
    with hp.conditional_scope("model", ["mlp"]):
        hp.Int("units", 16, 128, step=16)
        with hp.conditional_scope("units", [16, 32]):  # a numeric parent
            hp.Float("dropout", 0.0, 0.5)
    with hp.conditional_scope("model", ["cnn"]):
        hp.Int("filters", 8, 32, step=8)
    hp.Fixed("depth", 2)
    with hp.conditional_scope("depth", [3]):  # can never hold
        hp.Int("third", 1, 4)
    return model


def test_conditional_scope_becomes_when():
    hp, params = declare(build_conditional)
    p = by_key(params)
    assert p["units"].dim.when == (("model", ("mlp",)),)
    assert p["filters"].dim.when == (("model", ("cnn",)),)
    assert p["dropout"].dim.when == (("model", ("mlp",)),)  # the numeric parent is dropped
    assert p["third"].dim is None and p["third"].never
    space = Space(ks.space_of(params))
    assert space.conditional
    # only the active branch's parameters are asked and sent to KerasTuner
    opt = Optimizer(space, strategy="random", seed=1)
    seen = set()
    for _ in range(12):
        ours = opt.ask().params
        seen.add(ours["model"])
        values = ks.to_keras(params, ours)
        if ours["model"] == "mlp":
            assert "units" in values and "filters" not in values
        else:
            assert "filters" in values and "units" not in values
        assert values["depth"] == 2 and "third" not in values
        assert ks.to_hpo(params, values) == ours
    assert seen == {"mlp", "cnn"}


def test_values_of_a_trial_run_before_a_parameter_appeared_take_its_default():
    _, params = declare(lambda hp: (hp.Int("units", 8, 64, step=8, default=32), hp.Boolean("bn")))
    assert ks.to_hpo(params, {"bn": True}) == {"units": 3, "bn": True}


def test_the_same_name_under_other_conditions_gets_its_own_key():
    def build(hp):
        hp.Choice("model", ["a", "b"])
        with hp.conditional_scope("model", ["a"]):
            hp.Int("units", 1, 4)
        with hp.conditional_scope("model", ["b"]):
            hp.Int("units", 10, 40, step=10)

    _, params = declare(build)
    p = by_key(params)
    assert set(p) == {"model", "units", "units#2"}
    assert ks.to_keras(params, {"model": "b", "units#2": 2}) == {"model": "b", "units": 30}
    assert ks.to_hpo(params, {"model": "b", "units": 30}) == {"model": "b", "units#2": 2}


def test_a_condition_holds_for_the_values_kerastuner_finds_equal():
    def build(hp):
        hp.Choice("scale", [0.5, 1.0, 2.0])
        with hp.conditional_scope("scale", [1, 2]):  # ints, as KerasTuner accepts for 1.0, 2.0
            hp.Int("extra", 1, 3)
        hp.Boolean("bn")
        with hp.conditional_scope("bn", [1]):
            hp.Float("momentum", 0.5, 0.99)
        with hp.conditional_scope("scale", [3]):  # no choice of scale is 3
            hp.Int("never", 1, 3)

    hp, params = declare(build)
    p = by_key(params)
    assert p["extra"].dim.when == (("scale", (1.0, 2.0)),)
    assert p["momentum"].dim.when == (("bn", (True,)),)
    assert p["never"].dim is None and p["never"].never
    opt = Optimizer(ks.space_of(params), strategy="random", seed=0)
    for _ in range(12):
        ours = opt.ask().params
        values = ks.to_keras(params, ours)
        active = hp.copy()
        active.values = values
        # a value is sent exactly when KerasTuner holds it active
        assert ("extra" in values) == active.is_active("extra") == (ours["scale"] >= 1)
        assert ("momentum" in values) == active.is_active("momentum") == ours["bn"]
        assert ks.to_hpo(params, values) == ours
