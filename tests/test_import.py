from __future__ import annotations

import subprocess
import sys


def test_import_is_light():
    # compiled kernels and scipy are loaded when a strategy needs them, not at import
    code = "import sys, hpo_core, hpo_core.arrays; print(sorted({'numba', 'scipy', 'sklearn'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
