from __future__ import annotations

import subprocess
import sys

import pytest


def test_import_is_light():
    # compiled kernels and scipy are loaded when a strategy needs them, not at import
    code = "import sys, hpo_core, hpo_core.arrays; print(sorted({'numba', 'scipy', 'sklearn'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_import_loads_no_layer_until_a_name_is_used():
    code = (
        "import sys, hpo_core; before = sorted(m for m in sys.modules if m.startswith('hpo_core.')); "
        "from hpo_core import Optimizer, suggest; "
        "print(before, Optimizer.__module__, suggest.__module__, 'Optimizer' in dir(hpo_core))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == [
        "[]",
        "hpo_core.core.optimizer",
        "hpo_core.integrations.suggest",
        "True",
    ]


def test_unknown_names_raise_attribute_error():
    import hpo_core

    assert set(hpo_core.__all__) == set(hpo_core._PUBLIC) | {"__version__"}
    for name in hpo_core._PUBLIC:
        assert getattr(hpo_core, name).__name__ == name
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = hpo_core.nope


def test_integrations_load_their_framework_only_when_imported():
    code = (
        "import sys, hpo_core.integrations, hpo_core.integrations.suggest; "
        "print(sorted({'optuna', 'sklearn'} & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_gp_public_path_reexports_the_arrays_layer():
    import hpo_core.gp
    from hpo_core.arrays import gp

    assert hpo_core.gp.__all__ == ["Surrogate", "fit", "warmup"]
    assert callable(hpo_core.gp.fit) and hpo_core.gp.fit is gp.fit  # the function, no module
    assert hpo_core.gp.Surrogate is gp.Surrogate and isinstance(hpo_core.gp.Surrogate, type)
    assert hpo_core.gp.warmup is gp.warmup


@pytest.mark.parametrize(
    ("module", "name"),
    [
        ("hpo_core", "Optimizer"),
        ("hpo_core", "suggest"),
        ("hpo_core.sklearn", "SearchCV"),
        ("hpo_core.integrations.optuna", "Sampler"),
        ("hpo_core.gp", "fit"),
        ("hpo_core.plots", "convergence"),
        ("hpo_core.pruning", "MedianPruner"),
        ("hpo_core.hypergradient", "HypergradientSGD"),
        ("hpo_core.storage", "SQLiteStorage"),
        ("hpo_core.metrics", "hypervolume"),
        ("hpo_core.strategies.random", "RandomSearch"),
        ("hpo_core.strategies.sobol", "SobolSearch"),
        ("hpo_core.strategies.grid", "GridSearch"),
        ("hpo_core.strategies.bayes", "BayesianOptimization"),
        ("hpo_core.strategies.tpe", "TPE"),
        ("hpo_core.strategies.ga", "GeneticAlgorithm"),
        ("hpo_core.strategies.de", "DifferentialEvolution"),
        ("hpo_core.strategies.cmaes", "CMAES"),
        ("hpo_core.strategies.nsga2", "NSGA2"),
        ("hpo_core.strategies.chain", "CoarseToFine"),
    ],
)
def test_public_paths_users_have_still_work(module, name):
    import importlib

    assert callable(getattr(importlib.import_module(module), name))
