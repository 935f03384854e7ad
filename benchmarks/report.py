"""Tables and convergence plots from the raw JSON lines of a quality run.

``python -m benchmarks.report DIR [--at 10,30,50]`` writes ``DIR/report.md`` and
``DIR/plots/<problem>.png``. Per problem: the best value found after several budgets, median
and quartiles over seeds; the simple regret (best minus the known optimum, floored at 0 for
rounding) at the full budget; the optimizer's own seconds per trial. Then the libraries' ranks
(by median final best value) on every problem and their mean rank.

A run that stopped before a budget (a grid that is used up, scipy's DE converged) counts with
its final best value at the larger budgets.
"""

from __future__ import annotations

import argparse
import json
import math
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["load", "best_at", "problem_table", "rank_table", "plot_problem", "write_report"]


def load(path: Path) -> list[dict[str, Any]]:
    """The records of ``path`` (a results.jsonl file or the directory holding it)."""
    path = Path(path)
    if path.is_dir():
        path = path / "results.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def best_at(rec: dict[str, Any], budget: int) -> float:
    """Best value within the first ``budget`` trials (the final best when the run is shorter)."""
    best = rec.get("best") or []
    if not best:
        return math.nan
    return float(best[min(budget, len(best)) - 1])


def _curve(rec: dict[str, Any], budget: int) -> np.ndarray:
    best = np.asarray(rec.get("best") or [np.nan], dtype=float)
    if len(best) >= budget:
        return best[:budget]
    return np.concatenate([best, np.full(budget - len(best), best[-1])])


def _quartiles(x: list[float]) -> tuple[float, float, float]:
    a = np.asarray([v for v in x if not math.isnan(v)], dtype=float)
    if a.size == 0:
        return math.nan, math.nan, math.nan
    q1, med, q3 = np.percentile(a, [25, 50, 75])
    return float(med), float(q1), float(q3)


def _g(v: float, digits: int = 4) -> str:
    return "--" if math.isnan(v) else f"{v:.{digits}g}"


def _cell(x: list[float], digits: int = 4) -> str:
    med, q1, q3 = _quartiles(x)
    if math.isnan(med):
        return "--"
    if len(x) == 1 or q1 == q3:
        return _g(med, digits)
    return f"{_g(med, digits)} [{_g(q1, 3)}, {_g(q3, 3)}]"


def _ms(s: float) -> str:
    if math.isnan(s):
        return "--"
    return f"{s * 1e3:.3g}" if s < 10 else f"{s * 1e3:.0f}"


def default_budgets(budget: int) -> list[int]:
    """A few budgets up to ``budget``: a fifth, a half, all (deduplicated, >= 1)."""
    return sorted({max(1, budget // 5), max(1, budget // 2), budget})


def _by(records: list[dict[str, Any]]) -> tuple[dict, dict]:
    runs: dict[tuple[str, str], list[dict]] = defaultdict(list)
    other: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for r in records:
        key = (r["problem"], r["lib"])
        (runs if r["status"] == "ok" else other)[key].append(r)
    return runs, other


def problem_table(records: list[dict[str, Any]], problem: str, at: list[int] | None = None) -> str:
    """Markdown table for one problem: one row per library."""
    runs, other = _by([r for r in records if r["problem"] == problem])
    libs = list(dict.fromkeys(r["lib"] for r in records if r["problem"] == problem))
    budget = max((r["budget"] for r in records if r["problem"] == problem), default=1)
    at = [b for b in (at or default_budgets(budget)) if b <= budget] or [budget]
    optimum = next((r.get("optimum") for r in records if r["problem"] == problem), None)
    cols = [f"best @{b}" for b in at]
    if optimum is not None:
        cols.append(f"regret @{at[-1]}")
    cols += ["opt ms/trial", "wall s", "seeds"]
    lines = ["| library | " + " | ".join(cols) + " |", "|---" * (len(cols) + 1) + "|"]
    notes = []
    for lib in libs:
        rs = runs.get((problem, lib), [])
        for r in other.get((problem, lib), []):
            seed = "" if r.get("seed") is None else f" (seed {r['seed']})"
            notes.append(f"{lib}{seed}: {r['status']}: {r.get('note')}")
        notes += [f"{lib}: {r['note']}" for r in rs if r.get("note")]
        warned = [r for r in rs if r.get("warnings")]
        if warned:
            first = warned[0]["warnings"][0]
            first = first if len(first) <= 160 else first[:157] + "..."
            notes.append(f"{lib} warned in {len(warned)} of {len(rs)} runs, e.g. {first}")
        if not rs:
            continue
        row = [_cell([best_at(r, b) for r in rs]) for b in at]
        if optimum is not None:
            row.append(_cell([max(best_at(r, at[-1]) - optimum, 0.0) for r in rs], 3))
        opt = [sum(r["opt_time"]) / max(r["n_trials"], 1) for r in rs]
        row += [
            _ms(_quartiles(opt)[0]),
            f"{_quartiles([r['wall'] for r in rs])[0]:.2f}",
            str(len(rs)),
        ]
        lines.append(f"| {lib} | " + " | ".join(row) + " |")
    notes = list(dict.fromkeys(notes))
    return "\n".join(lines + ([""] + [f"- {n}" for n in notes] if notes else [])) + "\n"


def ranks(records: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """problem -> lib -> rank of the library's median final best value (1 best; ties share)."""
    from scipy.stats import rankdata

    runs, _ = _by(records)
    out: dict[str, dict[str, float]] = {}
    for problem in dict.fromkeys(r["problem"] for r in records):
        meds = {
            lib: _quartiles([best_at(r, r["budget"]) for r in rs])[0]
            for (p, lib), rs in runs.items()
            if p == problem
        }
        meds = {k: v for k, v in meds.items() if not math.isnan(v)}
        if meds:
            rk = rankdata(list(meds.values()), method="average")
            out[problem] = dict(zip(meds, (float(v) for v in rk), strict=True))
    return out


def rank_table(records: list[dict[str, Any]]) -> str:
    """Markdown: rank of each library on each problem, and the mean rank (sorted by it)."""
    rk = ranks(records)
    problems = list(rk)
    libs = list(dict.fromkeys(lib for p in problems for lib in rk[p]))
    mean = {lib: float(np.mean([rk[p][lib] for p in problems if lib in rk[p]])) for lib in libs}
    lines = [
        "| library | mean rank | " + " | ".join(problems) + " |",
        "|---" * (len(problems) + 2) + "|",
    ]
    for lib in sorted(libs, key=mean.get):
        cells = [f"{rk[p][lib]:g}" if lib in rk[p] else "--" for p in problems]
        lines.append(f"| {lib} | {mean[lib]:.2f} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def plot_problem(records: list[dict[str, Any]], problem: str, path: Path) -> Path | None:
    """Median and quartile band of the best so far (regret where the optimum is known, on a log
    scale) against trials, one line per library; saved as a PNG at ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    runs, _ = _by([r for r in records if r["problem"] == problem])
    if not runs:
        return None
    optimum = next((r.get("optimum") for r in records if r["problem"] == problem), None)
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for (_, lib), rs in runs.items():
        budget = max(r["budget"] for r in rs)
        curves = np.array([_curve(r, budget) for r in rs])
        if optimum is not None:
            curves = np.maximum(curves - optimum, 1e-12)
        q1, med, q3 = np.percentile(curves, [25, 50, 75], axis=0)
        x = np.arange(1, budget + 1)
        (line,) = ax.plot(x, med, label=lib, lw=1.6)
        ax.fill_between(x, q1, q3, color=line.get_color(), alpha=0.15, lw=0)
    ax.set_xlabel("trials")
    if optimum is not None:
        ax.set_yscale("log")
        ax.set_ylabel("simple regret (best so far - optimum)")
    else:
        ax.set_ylabel("best value so far")
    ax.set_title(f"{problem}: median and quartiles over seeds")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8, ncol=2)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def write_report(out: Path, at: list[int] | None = None, plots: bool = True) -> Path:
    """Write ``out/report.md`` (and ``out/plots/*.png``) from ``out/results.jsonl``."""
    from benchmarks.env import header

    out = Path(out)
    records = load(out)
    meta_path = out / "meta.json"
    meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
    parts = ["# Benchmark results\n"]
    if meta:
        parts.append(header(meta.get("command"), meta.get("env")))
        seeds = meta.get("seeds", [])
        parts.append(
            f"- seeds {seeds[0]}..{seeds[-1]} ({len(seeds)}), budget {meta.get('budget')}, "
            f"{meta.get('threads', 1)} thread(s) per library; the run took "
            f"{meta.get('seconds', 0) / 60:.1f} min\n"
            if seeds
            else ""
        )
    parts.append(
        "Cells: median [first quartile, third quartile] over seeds. `opt ms/trial`: the "
        "optimizer's own time per trial (wall time minus time in the objective), median over "
        "seeds. Lower is better everywhere.\n"
    )
    parts += ["## Ranks across problems\n", rank_table(records)]
    for problem in dict.fromkeys(r["problem"] for r in records):
        parts += [f"## {problem}\n", problem_table(records, problem, at)]
        if plots and plot_problem(records, problem, out / "plots" / f"{problem}.png"):
            parts.append(f"![{problem}](plots/{problem}.png)\n")
    path = out / "report.md"
    path.write_text("\n".join(parts))
    return path


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.report", description=__doc__.split("\n")[0]
    )
    p.add_argument("out", type=Path, help="directory holding results.jsonl")
    p.add_argument("--at", default=None, help="budgets to tabulate, e.g. 10,30,50")
    p.add_argument("--no-plots", action="store_true")
    args = p.parse_args(argv)
    at = [int(s) for s in args.at.split(",")] if args.at else None
    print(write_report(args.out, at=at, plots=not args.no_plots))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
