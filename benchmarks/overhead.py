"""Framework time per trial: ask + tell, random strategy, in memory, side by side with Optuna.

    python -m benchmarks.overhead [--trials 10000] [--repeats 3]

A 4-parameter mixed space (log real, real, integer, categorical) and a trivial objective, so
what is measured is the library's own bookkeeping and sampling. Each library runs ``--repeats``
times in this process; the table gives the median time per trial and the ratio.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time

import hpo_core
from benchmarks.translate import optuna_distributions
from hpo_core import Categorical, Integer, Optimizer, Real

#: the 4-parameter mixed space of the overhead and storage benchmarks
SPACE = {
    "lr": Real(1e-5, 1e-1, log=True),
    "dropout": Real(0.0, 0.5),
    "layers": Integer(1, 8),
    "act": Categorical(["relu", "tanh", "gelu"]),
}


def objective(lr: float, dropout: float, layers: int, act: str) -> float:
    return lr * dropout + layers + (act == "relu")


def run_hpo_core(n: int, seed: int) -> float:
    opt = Optimizer(SPACE, strategy="random", seed=seed)
    start = time.perf_counter()
    for _ in range(n):
        t = opt.ask()
        p = t.params
        opt.tell(t, objective(p["lr"], p["dropout"], p["layers"], p["act"]))
    return (time.perf_counter() - start) / n


def run_optuna(n: int, seed: int) -> float:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    dists = optuna_distributions(SPACE)
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=seed))
    start = time.perf_counter()
    for _ in range(n):
        t = study.ask(dists)
        p = t.params
        study.tell(t, objective(p["lr"], p["dropout"], p["layers"], p["act"]))
    return (time.perf_counter() - start) / n


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)

    rows = [("hpo_core random", hpo_core.__version__, run_hpo_core)]
    try:
        import optuna

        rows.append(("Optuna RandomSampler", optuna.__version__, run_optuna))
    except ImportError:
        print("optuna is not installed (pip install -e '.[bench]'): no reference to compare with")
    results = {}
    for name, version, fn in rows:
        times = [fn(args.trials, seed) for seed in range(args.repeats)]
        results[name] = (version, statistics.median(times))
    print(
        f"ask + tell, 4-parameter mixed space, {args.trials} trials, median of {args.repeats}; "
        f"Python {platform.python_version()} on {platform.machine()}"
    )
    print("| library | version | us per trial | ratio to hpo_core |")
    print("|---|---|---:|---:|")
    base = results["hpo_core random"][1]
    for name, (version, t) in results.items():
        print(f"| {name} | {version} | {t * 1e6:.1f} | {t / base:.1f}x |")


if __name__ == "__main__":
    main()
