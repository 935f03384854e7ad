from __future__ import annotations

import subprocess
import sys

import pytest


def test_import_is_light():
    # compiled kernels and scipy are loaded when a strategy needs them, not at import
    code = "import sys, hpo_core; print(sorted({'numba', 'scipy', 'sklearn'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_integrations_load_their_framework_only_when_imported():
    code = (
        "import sys, hpo_core.integrations, hpo_core.integrations.suggest; "
        "print(sorted({'optuna', 'sklearn'} & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_numba_threads_restores():
    import numba

    from hpo_core._numba import numba_threads

    before = numba.get_num_threads()
    with numba_threads(1):
        assert numba.get_num_threads() == 1
    assert numba.get_num_threads() == before
    with pytest.raises(ValueError, match="n must be between 1 and"):
        with numba_threads(0):
            pass
