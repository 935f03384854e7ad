"""The PostgreSQL store under load, side by side with Optuna's RDB storage on the same server.

    python -m benchmarks.postgres [--quick] [--url postgresql://...]

Without ``--url`` a throw-away server is started (``tests/pg_server.py``: initdb in a temporary
folder, a unix socket, the server's default durability: fsync and synchronous commit on).

1. Load: 8 processes x 250 trials on one study (exactly 2,000 trials, unique ids, none
   pending?), then a run in which one worker is killed with SIGKILL mid-trial: its trial must be
   failed by the heartbeat and asked again once, nothing else lost.
2. Throughput, 1 and 4 worker processes, random strategy: ask + tell per second in total,
   against Optuna's RDB storage (SQLAlchemy, psycopg 3) on the same server and study layout,
   the two libraries taking turns, three runs each, with the load average at each run.
3. bayes with 4 workers against 1 worker at the same number of trials (Branin): duplicate
   points proposed, and the best value found.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.parallel import load
from hpo_core import Optimizer

ROOT = Path(__file__).resolve().parents[1]

THROUGHPUT_WORKER = """
import sys, time
sys.path.insert(0, {root!r})
from benchmarks.overhead import SPACE
lib, url, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
if lib == "hpo_core":
    from hpo_core import Optimizer
    opt = Optimizer(SPACE, storage=url, study="throughput")
    def step():
        t = opt.ask()
        opt.tell(t, t.params["lr"])
else:
    import optuna
    from benchmarks.translate import optuna_distributions
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    dists = optuna_distributions(SPACE)
    study = optuna.load_study(study_name="throughput", storage=url,
                              sampler=optuna.samplers.RandomSampler())
    def step():
        t = study.ask(dists)
        study.tell(t, t.params["lr"])
step()  # connected, tables read: ready
print("ready", flush=True)
sys.stdin.readline()
for _ in range(n - 1):
    step()
print(time.time(), flush=True)
"""


def throughput(lib: str, url: str, folder: str, workers: int, per_worker: int) -> float:
    """Ask + tell per second, in total, of ``workers`` processes started together."""
    script = Path(folder) / "throughput-worker.py"
    script.write_text(THROUGHPUT_WORKER.format(root=str(ROOT)))
    if lib == "optuna":
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        optuna.create_study(study_name="throughput", storage=url)
    procs = [
        subprocess.Popen(
            [sys.executable, str(script), lib, url, str(per_worker)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(workers)
    ]
    for p in procs:
        assert p.stdout is not None and p.stdout.readline().strip() == "ready"
    start = time.time()
    for p in procs:
        assert p.stdin is not None
        p.stdin.write("go\n")
        p.stdin.flush()
    ends = [float(p.communicate()[0]) for p in procs]
    assert all(p.returncode == 0 for p in procs)
    return workers * (per_worker - 1) / (max(ends) - start)


BAYES_WORKER = """
import sys
sys.path.insert(0, {root!r})
import numpy as np
from benchmarks.problems import branin
from hpo_core import Optimizer
url, study, n, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
opt = Optimizer({{"x0": (-5.0, 10.0), "x1": (0.0, 15.0)}}, strategy="bayes", seed=seed,
                storage=url, study=study)
opt.minimize(lambda p: branin(np.array([p["x0"], p["x1"]])), n_trials=n)
"""


def bayes(url: str, folder: str, workers: int, n_trials: int, seed: int) -> tuple[int, float]:
    """(duplicate points, best value) of ``workers`` bayes processes sharing ``n_trials``."""
    script = Path(folder) / "bayes-worker.py"
    script.write_text(BAYES_WORKER.format(root=str(ROOT)))
    study = f"bayes-{workers}-{seed}"
    procs = [
        subprocess.Popen(
            [sys.executable, str(script), url, study, str(n_trials // workers), str(seed)]
        )
        for _ in range(workers)
    ]
    assert all(p.wait() == 0 for p in procs)
    trials = Optimizer.load(url, study=study, read_only=True).trials
    assert len(trials) == n_trials
    points = {(t.params["x0"], t.params["x1"]) for t in trials}
    return n_trials - len(points), min(t.value for t in trials if t.value is not None)


def _database(server: object | None, url: str | None, name: str) -> str:
    if server is not None:
        return server.create_db(name)  # type: ignore[attr-defined]
    assert url is not None
    return url


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller runs, for a smoke check")
    parser.add_argument("--url", help="an existing empty database (default: a throw-away server)")
    parser.add_argument(
        "--parts",
        default="load,throughput,bayes",
        help="which parts to run, comma-separated (default: load,throughput,bayes)",
    )
    args = parser.parse_args(argv)
    parts = set(args.parts.split(","))
    if not parts <= {"load", "throughput", "bayes"}:
        parser.error(f"--parts takes load, throughput and bayes, got {args.parts!r}")
    per_worker, n_tp, n_optuna, n_bayes = (25, 100, 20, 20) if args.quick else (250, 500, 30, 60)
    server = None
    if args.url is None:
        from tests.pg_server import PgServer, find_bin

        bindir = find_bin()
        if bindir is None:
            sys.exit("no PostgreSQL server found; give --url")
        server = PgServer(bindir, fsync=True)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            os.chmod(tmp, 0o755)
            _run(server, args.url, tmp, parts, per_worker, n_tp, n_optuna, n_bayes)
    finally:
        if server is not None:
            server.stop()


def _run(server, url, tmp, parts, per_worker, n_tp, n_optuna, n_bayes) -> None:  # type: ignore[no-untyped-def]
    print(f"# PostgreSQL storage ({os.cpu_count()} cores, server on the same machine)\n")
    if "load" in parts:
        print(f"## Load: 8 processes x {per_worker} trials on one study\n")
        print("| run | trials | unique ids | complete | failed | pending | retried | seconds |")
        print("|---|---:|---|---:|---:|---:|---:|---:|")
        for name, kill in (("all workers live", False), ("one worker killed mid-trial", True)):
            db = _database(server, url, f"load_{kill}".lower())
            r = load(db, tmp, 8, per_worker, kill)
            print(
                f"| {name} | {r['trials']} | {r['unique ids']} | {r['complete']} | {r['failed']} "
                f"| {r['pending']} | {r['retried']} | {r['seconds']:.1f} |",
                flush=True,
            )

    if "throughput" in parts:
        print("\n## Throughput, random strategy, ask + tell per second in total\n")
        print(f"hpo_core {n_tp}, Optuna {n_optuna} trials per worker; they take turns\n")
        print("| workers | run | load average | hpo_core | Optuna RDB storage | ratio |")
        print("|---:|---:|---:|---:|---:|---:|")
        for workers in (1, 4):
            for run in range(1, 4):
                name = f"tp_{workers}_{run}"
                ours = throughput("hpo_core", _database(server, url, name), tmp, workers, n_tp)
                pg = _database(server, url, name + "_optuna")
                pg = pg.replace("postgresql://", "postgresql+psycopg://")  # psycopg 3 dialect
                theirs = throughput("optuna", pg, tmp, workers, n_optuna)
                print(
                    f"| {workers} | {run} | {os.getloadavg()[0]:.1f} | {ours:.0f} | "
                    f"{theirs:.1f} | {ours / theirs:.1f}x |",
                    flush=True,
                )

    if "bayes" in parts:
        print(f"\n## bayes on Branin (optimum 0.397887), {n_bayes} trials\n")
        print("| seed | workers | duplicate points | best value |\n|---:|---:|---:|---:|")
        db = _database(server, url, "bayes")
        for seed in (0, 1):
            for workers in (1, 4):
                dup, best = bayes(db, tmp, workers, n_bayes, seed)
                print(f"| {seed} | {workers} | {dup} | {best:.4f} |", flush=True)


if __name__ == "__main__":
    main()
