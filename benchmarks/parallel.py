"""Parallel execution and SQLite storage, side by side with Optuna where it has a counterpart.

    python -m benchmarks.parallel [--quick]

1. Speed-up: ``minimize(n_jobs=2)`` against ``n_jobs=1`` on an objective that sleeps 0.2 s.
2. SQLite throughput: ask + tell per second on one study, against Optuna's RDB storage on
   SQLite in the same run.
3. Load: 4 processes x 250 trials on one SQLite study (exactly 1000 complete trials with
   unique ids?), then a run in which one of the 4 workers is killed with SIGKILL mid-trial and
   the others finish the study (heartbeat timeout 1 s): nothing told is lost.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from benchmarks.overhead import SPACE
from benchmarks.translate import optuna_distributions
from hpo_core import Optimizer

ROOT = Path(__file__).resolve().parents[1]


def sleepy(params: dict) -> float:
    time.sleep(0.2)
    return params["lr"] * params["layers"]


def speedup(n_trials: int) -> tuple[float, float]:
    times = []
    for n_jobs in (1, 2):
        opt = Optimizer(SPACE, seed=0)
        start = time.perf_counter()
        opt.minimize(sleepy, n_trials=n_trials, n_jobs=n_jobs)
        times.append(time.perf_counter() - start)
    return times[0], times[1]


def throughput_hpo(path: str, n: int) -> float:
    opt = Optimizer(SPACE, seed=0, storage=f"sqlite:///{path}")
    start = time.perf_counter()
    for _ in range(n):
        t = opt.ask()
        opt.tell(t, t.params["lr"])
    return n / (time.perf_counter() - start)


def throughput_optuna(path: str, n: int) -> float:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    dists = optuna_distributions(SPACE)
    study = optuna.create_study(
        storage=f"sqlite:///{path}", sampler=optuna.samplers.RandomSampler(seed=0)
    )
    start = time.perf_counter()
    for _ in range(n):
        t = study.ask(dists)
        study.tell(t, t.params["lr"])
    return n / (time.perf_counter() - start)


WORKER = """
import sys, time
sys.path.insert(0, {root!r})
from benchmarks.parallel import SPACE
from hpo_core import Optimizer
db, n, hang_at = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
opt = Optimizer(SPACE, storage=db, study="load", heartbeat_timeout=1.0)
count = 0
def objective(p):
    global count
    count += 1
    if count == hang_at:
        print("hanging", flush=True)
        time.sleep(3600)
    time.sleep(0.002)
    return p["lr"] * p["layers"]
opt.minimize(objective, n_trials=n)
"""


def load(url: str, folder: str, workers: int, per_worker: int, kill_one: bool) -> dict:
    """``workers`` processes x ``per_worker`` trials on study "load" of storage ``url`` (a
    SQLite or PostgreSQL URL), one of them killed mid-trial with ``kill_one``; the worker
    script is written to ``folder``."""
    script = Path(folder) / f"load-worker-{kill_one}.py"
    script.write_text(textwrap.dedent(WORKER.format(root=str(ROOT))))
    procs = []
    start = time.perf_counter()
    for i in range(workers):
        hang = per_worker // 2 if kill_one and i == 0 else 0
        procs.append(
            subprocess.Popen(
                [sys.executable, str(script), url, str(per_worker), str(hang)],
                stdout=subprocess.PIPE,
                text=True,
            )
        )
    if kill_one:
        assert procs[0].stdout.readline().strip() == "hanging"
        os.kill(procs[0].pid, signal.SIGKILL)
        procs[0].wait()
        # a replacement worker finishes the killed one's share (its hung trial, asked again
        # once, and the rest); its asks fail the stale trial
        time.sleep(1.2)
        procs.append(
            subprocess.Popen(
                [
                    sys.executable,
                    str(script),
                    url,
                    str(per_worker - per_worker // 2 + 1),
                    "0",
                ],
                stdout=subprocess.PIPE,
                text=True,
            )
        )
    codes = [p.wait() for p in procs[1:] if kill_one] if kill_one else [p.wait() for p in procs]
    elapsed = time.perf_counter() - start
    trials = Optimizer.load(url, study="load", read_only=True).trials
    ids = [t.id for t in trials]
    return {
        "exit codes": codes,
        "trials": len(trials),
        "unique ids": len(set(ids)) == len(ids) == (max(ids) + 1 if ids else 0),
        "complete": sum(t.state == "complete" for t in trials),
        "failed": sum(t.state == "failed" for t in trials),
        "pending": sum(t.state == "pending" for t in trials),
        "retried": sum("retry_of" in t.user_attrs for t in trials),
        "seconds": elapsed,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller runs, for a smoke check")
    args = parser.parse_args(argv)
    n_speed, n_tp, per_worker = (10, 200, 50) if args.quick else (40, 2000, 250)

    print(f"# Parallel execution and SQLite storage ({os.cpu_count()} cores)\n")
    t1, t2 = speedup(n_speed)
    print(f"## Speed-up, {n_speed} trials of a 0.2 s objective\n")
    print("| n_jobs | seconds | speed-up |\n|---:|---:|---:|")
    print(f"| 1 | {t1:.2f} | 1.00x |\n| 2 | {t2:.2f} | {t1 / t2:.2f}x |\n")

    with tempfile.TemporaryDirectory() as tmp:
        ours = throughput_hpo(os.path.join(tmp, "hpo.db"), n_tp)
        try:
            theirs = throughput_optuna(os.path.join(tmp, "optuna.db"), n_tp // 4)
        except ImportError:
            theirs = float("nan")
        print(f"## SQLite throughput, ask + tell on one study ({n_tp} trials)\n")
        print("| library | trials per second | ratio |\n|---|---:|---:|")
        print(f"| hpo_core | {ours:.0f} | {ours / theirs:.1f}x |")
        print(f"| Optuna RDB storage | {theirs:.0f} | 1.0x |\n")

        print(f"## Load: 4 processes x {per_worker} trials on one study\n")
        print("| run | trials | unique ids | complete | failed | pending | retried | seconds |")
        print("|---|---:|---|---:|---:|---:|---:|---:|")
        for name, kill in (("all workers live", False), ("one worker killed mid-trial", True)):
            r = load(f"sqlite:///{os.path.join(tmp, f'load-{kill}.db')}", tmp, 4, per_worker, kill)
            print(
                f"| {name} | {r['trials']} | {r['unique ids']} | {r['complete']} | {r['failed']} "
                f"| {r['pending']} | {r['retried']} | {r['seconds']:.1f} |"
            )


if __name__ == "__main__":
    main()
