"""Studies whose choices are objects reopen in another process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from hpo_core import Optimizer, Space
from hpo_core.space.serialize import describe, space_fingerprint
from tests.space import _choice_objects as objs

ROOT = Path(__file__).resolve().parents[2]

RESUME = """
import sys
from hpo_core import Optimizer
from tests.space import _choice_objects as objs
opt = Optimizer(objs.space(), seed=1, storage=sys.argv[1])
assert len(opt.trials) == 1, opt.trials
assert opt.trials[0].params["act"] is objs.tanh, opt.trials[0].params
opt.tell({"act": objs.relu, "opt": objs.Sgd, "inst": opt.space["inst"].choices[0], "lr": 0.5}, 2.0)
print(len(opt.trials))
"""


def test_object_choices_are_described_without_addresses():
    assert describe(objs.relu) == "<function tests.space._choice_objects.relu>"
    assert describe(objs.Adam) == "<class 'tests.space._choice_objects.Adam'>"
    assert describe(objs.Adam()) == "<tests.space._choice_objects.Adam object>"
    assert "0x" not in space_fingerprint(Space(objs.space()))
    assert space_fingerprint(Space(objs.space())) == space_fingerprint(Space(objs.space()))
    assert space_fingerprint(Space({"a": [1, (2, 3)]})) == '{"a": {"type": "categorical", ' + (
        '"choices": [1, {"__tuple__": [2, 3]}], "param": "a"}}'
    )


def test_a_study_of_object_choices_resumes_in_another_process(tmp_path):
    db = str(tmp_path / "objs.db")
    opt = Optimizer(objs.space(), seed=0, storage=db)
    opt.tell(
        {"act": objs.tanh, "opt": objs.Adam, "inst": opt.space["inst"].choices[1], "lr": 0.3}, 1.0
    )
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    done = subprocess.run(
        [sys.executable, "-c", RESUME, db], env=env, cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "2"
    again = Optimizer(objs.space(), seed=0, storage=db)
    assert [t.params["act"] for t in again.trials] == [objs.tanh, objs.relu]
    assert again.trials[1].params["opt"] is objs.Sgd
