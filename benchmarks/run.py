"""Run benchmarks from the command line.

Quality (best value per trial; raw results as JSON lines, then the report)::

    python -m benchmarks.run --problems branin,hartmann6 --libs random,sobol,optuna-tpe \\
        --seeds 5 --budget 50 --out benchmarks/out/quick

Speed, kept apart from quality runs::

    python -m benchmarks.run --scaling --libs bayes,optuna-gp,skopt-gp --out DIR
    python -m benchmarks.run --startup --libs bayes --out DIR

See benchmarks/README.md for the names of problems, libraries and sets.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.env import environment, header, limit_threads

__all__ = ["main", "resolve_problems", "run_quality"]

RESULTS = "results.jsonl"


def resolve_problems(spec: str) -> list[str]:
    """Comma-separated problem names and suites (see ``benchmarks.problems.SUITES``)."""
    from benchmarks.problems import SUITES, get_problem

    out: list[str] = []
    for raw in (s.strip() for s in spec.split(",")):
        if not raw:
            continue
        names = list(SUITES[raw]) if raw in SUITES else [raw]
        for name in names:
            get_problem(name)  # ValueError with the known names
            if name not in out:
                out.append(name)
    if not out:
        raise ValueError(f"no problem given in {spec!r}")
    return out


def _done(path: Path) -> set[tuple]:
    keys: set[tuple] = set()
    if path.exists():
        for line in path.read_text().splitlines():
            if line.strip():
                r = json.loads(line)
                if r.get("status") in ("ok", "skipped"):
                    keys.add((r["lib"], r["problem"], r["seed"], r["budget"]))
    return keys


def _warm_up(lib: str, problem: Any, budget: int) -> None:
    """One untimed run on a cheap stand-in with the same space: imports, numba cache loads and
    first-call set-up are paid here, not in the first timed run (start-up has its own mode)."""
    from benchmarks.libs import run_one
    from benchmarks.problems import Problem
    from hpo_core.space import Space

    space = Space(problem.space)
    cheap = Problem("warm-up", problem.space, lambda p: float(((space.encode(p) - 0.3) ** 2).sum()))
    run_one(lib, cheap, 10**6, min(budget, 25))


def run_quality(
    problems: list[str],
    libs: list[str],
    seeds: list[int],
    budget: int,
    out: Path,
    warm_up: bool = True,
    resume: bool = False,
    log: Any = print,
) -> Path:
    """Run every (library, problem, seed) once, each in a fresh optimizer; append JSON lines
    to ``out/results.jsonl`` and return its path. With ``resume``, runs already there are
    skipped (a killed run picks up where it stopped)."""
    from benchmarks.libs import run_one, unavailable
    from benchmarks.problems import get_problem

    out.mkdir(parents=True, exist_ok=True)
    path = out / RESULTS
    done = _done(path) if resume else set()
    if not resume and path.exists():
        path.unlink()
    warmed: set[tuple] = set()
    with path.open("a") as fh:
        for pname in problems:
            problem = get_problem(pname)
            kinds = tuple(sorted({type(d).__name__ for d in problem.space.values()}))
            if any(getattr(d, "when", None) for d in problem.space.values()):
                kinds += ("conditional",)  # another code path in some adapters
            for lib in libs:
                why = unavailable(lib)
                if why is not None and (lib, pname, None, budget) not in done:
                    rec = {"lib": lib, "problem": pname, "seed": None, "budget": budget}
                    fh.write(json.dumps({**rec, "status": "skipped", "note": why}) + "\n")
                    log(why)
            for seed in seeds:
                for lib in libs:
                    if unavailable(lib) is not None or (lib, pname, seed, budget) in done:
                        continue
                    if warm_up and (lib, kinds) not in warmed:
                        _warm_up(lib, problem, budget)
                        warmed.add((lib, kinds))
                    rec = run_one(lib, problem, seed, budget)
                    fh.write(json.dumps(rec) + "\n")
                    fh.flush()
                    best = f"{rec['best'][-1]:.6g}" if rec.get("best") else "-"
                    opt = sum(rec.get("opt_time", [])) / max(rec.get("n_trials", 0), 1)
                    log(
                        f"{pname:14s} {lib:18s} seed {seed:3d}: {rec['status']:5s} best {best:>12s}"
                        f"  opt {opt * 1e3:8.2f} ms/trial  wall {rec.get('wall', 0):7.2f} s"
                        + (f"  [{rec['note']}]" if rec.get("note") else "")
                    )
    return path


def _ints(spec: str, name: str) -> list[int]:
    try:
        vals = [int(s) for s in spec.split(",") if s.strip()]
    except ValueError:
        raise SystemExit(f"--{name} takes comma-separated integers, got {spec!r}") from None
    if not vals or min(vals) < 1:
        raise SystemExit(f"--{name} takes integers >= 1, got {spec!r}")
    return vals


def _parser() -> argparse.ArgumentParser:
    from benchmarks.libs import ALIASES, LIB_SETS, lib_names
    from benchmarks.problems import SUITES, problem_names

    p = argparse.ArgumentParser(
        prog="python -m benchmarks.run",
        description="Benchmark hpo_core strategies against reference libraries.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=(
            f"problems: {', '.join(problem_names())} (ackley, rosenbrock, levy, styblinski, "
            f"rastrigin take any size: ackley7); suites: "
            + "; ".join(f"{k} = {','.join(v)}" for k, v in SUITES.items())
            + f"\n\nlibraries: {', '.join(lib_names())}; a bare hpo_core strategy name "
            f"(random, sobol, ...) means hpo_core's; aliases: "
            + ", ".join(f"{k} = {v}" for k, v in ALIASES.items())
            + "; sets: hpo_core (every hpo_core strategy), default (hpo_core + "
            + ",".join(LIB_SETS["default"])
            + "), "
            + "; ".join(f"{k} = {','.join(v)}" for k, v in LIB_SETS.items() if v and k != "default")
        ),
    )
    p.add_argument("--problems", default="synthetic", help="names or suites, comma-separated")
    p.add_argument("--libs", default="default", help="libraries or sets, comma-separated")
    p.add_argument("--seeds", type=int, default=5, help="number of seeds (default 5)")
    p.add_argument("--seed-start", type=int, default=0, help="first seed (default 0)")
    p.add_argument("--budget", type=int, default=50, help="evaluations per run (default 50)")
    p.add_argument("--out", type=Path, default=Path("benchmarks/out"), help="output directory")
    p.add_argument("--threads", type=int, default=1, help="threads per library (default 1)")
    p.add_argument("--resume", action="store_true", help="keep results in OUT, run the rest")
    p.add_argument("--no-warmup", action="store_true", help="no untimed warm-up run per library")
    p.add_argument("--no-report", action="store_true", help="only the raw JSON lines")
    p.add_argument("--at", default=None, help="report: budgets to tabulate, e.g. 10,30,50")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--scaling", action="store_true", help="time one ask after n told points")
    mode.add_argument("--startup", action="store_true", help="import + first ask, cold/warm cache")
    p.add_argument("--n", default="50,100,200,400,800,1600", help="scaling: told points")
    p.add_argument("--repeats", type=int, default=3, help="scaling: asks timed per n (median)")
    p.add_argument(
        "--max-seconds",
        type=float,
        default=120.0,
        help="scaling: stop a library's n once one measurement takes longer (default 120)",
    )
    p.add_argument("--startup-n", type=int, default=20, help="startup: told points before the ask")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    limit_threads(args.threads)
    from benchmarks.libs import is_model_based, resolve_libs

    try:
        libs = resolve_libs(args.libs)
        problems = resolve_problems(args.problems)
    except ValueError as err:
        raise SystemExit(str(err)) from None
    argv = sys.argv[1:] if argv is None else argv
    command = "python -m benchmarks.run " + shlex.join(argv)
    env = environment()
    args.out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    if args.scaling or args.startup:
        from benchmarks import speed

        if args.libs == "default":  # the model-based ones are the point of these tables
            libs = [lib for lib in libs if is_model_based(lib)]
        problem = problems[0] if args.problems != "synthetic" else "hartmann6"
        if args.scaling:
            rows = speed.scaling(
                libs, problem, tuple(_ints(args.n, "n")), args.repeats, args.max_seconds, log
            )
            title, table, name = (
                f"Seconds per ask + tell on {problem}",
                speed.scaling_table(rows),
                "scaling",
            )
        else:
            rows = speed.startup(libs, problem, args.startup_n, log)
            title, table, name = f"Start-up on {problem}", speed.startup_table(rows), "startup"
        with (args.out / f"{name}.jsonl").open("w") as fh:
            fh.writelines(json.dumps(r) + "\n" for r in rows)
        took = time.perf_counter() - t0
        md = f"# {title}\n\n{header(command, env)}- took {took:.0f} s\n\n{table}"
        (args.out / f"{name}.md").write_text(md)
        print(md)
        return 0

    if args.seeds < 1 or args.budget < 1:
        raise SystemExit("--seeds and --budget must be >= 1")
    seeds = list(range(args.seed_start, args.seed_start + args.seeds))
    run_quality(problems, libs, seeds, args.budget, args.out, not args.no_warmup, args.resume, log)
    took = time.perf_counter() - t0
    if args.resume and (args.out / "meta.json").exists():  # the time of the earlier part too
        took += json.loads((args.out / "meta.json").read_text()).get("seconds", 0.0)
    meta = {
        "command": command,
        "env": env,
        "seconds": took,
        "problems": problems,
        "libs": libs,
        "seeds": seeds,
        "budget": args.budget,
        "threads": args.threads,
    }
    (args.out / "meta.json").write_text(json.dumps(meta, indent=1))
    log(f"done in {took:.0f} s: {args.out / RESULTS}")
    if not args.no_report:
        from benchmarks.report import write_report

        at = _ints(args.at, "at") if args.at else None
        log(f"report: {write_report(args.out, at=at)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
