from __future__ import annotations

import subprocess
import sys


def test_import_is_light():
    # compiled kernels and scipy are loaded when a strategy needs them, not at import
    code = "import sys, hpo_core, hpo_core.arrays; print(sorted({'numba', 'scipy', 'sklearn'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_gp_public_path_reexports_the_arrays_layer():
    import hpo_core.gp
    from hpo_core.arrays import gp

    assert hpo_core.gp.__all__ == ["Surrogate", "fit", "warmup"]
    assert callable(hpo_core.gp.fit) and hpo_core.gp.fit is gp.fit  # the function, no module
    assert hpo_core.gp.Surrogate is gp.Surrogate and isinstance(hpo_core.gp.Surrogate, type)
    assert hpo_core.gp.warmup is gp.warmup
