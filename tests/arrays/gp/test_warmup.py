"""warmup: every kernel an ask calls from Python is compiled or loaded from the cache."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

# in a fresh interpreter: no kernel has a signature before warmup, each has one after
CODE = """
import json
from hpo_core.arrays import lbfgs, qmc
from hpo_core.arrays.evo import pareto
from hpo_core.arrays.gp import acq_opt, acquisition, cholesky, ehvi, kernels, likelihood, warmup

kernels_of_an_ask = {
    "qmc._points": qmc._points,
    "kernels._gram": kernels._gram,
    "kernels._cross": kernels._cross,
    "kernels._cross_grad": kernels._cross_grad,
    "kernels._gram_dk": kernels._gram_dk,
    "kernels._gram_grad_kd": kernels._gram_grad_kd,
    "likelihood._nlp": likelihood._nlp,
    "lbfgs._tell": lbfgs._tell,
    "cholesky._append_row": cholesky._append_row,
    "acquisition._acquisition": acquisition._acquisition,
    "acq_opt._value_grad": acq_opt._value_grad,
    "ehvi._log_ehvi": ehvi._log_ehvi,
    "pareto._first_front": pareto._first_front,
}
before = {name: len(k.signatures) for name, k in kernels_of_an_ask.items()}
warmup()
after = {name: len(k.signatures) for name, k in kernels_of_an_ask.items()}
print(json.dumps([before, after]))
"""


def test_warmup_loads_every_kernel_an_ask_calls():
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    out = subprocess.run(
        [sys.executable, "-c", CODE], capture_output=True, text=True, check=True, cwd=ROOT, env=env
    )
    before, after = json.loads(out.stdout.strip().splitlines()[-1])
    assert before == dict.fromkeys(before, 0)
    assert [name for name, n in after.items() if n < 1] == []
