"""``hpo-core show | best | plot | export``: look at a stored study from the shell."""

from __future__ import annotations

import csv
import io
import json
import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from hpo_core.core import Optimizer

if TYPE_CHECKING:
    from matplotlib.figure import SubFigure

__all__ = ["show", "best", "plot", "export"]


def _fmt(value: Any) -> str:
    return f"{value:.6g}" if isinstance(value, float) else str(value)


def _value(t: Any) -> str:
    """The value, or the values of a study with several objectives, as text ("" if none)."""
    values = t.values
    if values is None:
        return ""
    return _fmt(values[0]) if len(values) == 1 else ", ".join(_fmt(v) for v in values)


def show(storage: str, study: str | None, limit: int | None) -> int:
    opt = Optimizer.load(storage, study, read_only=True)
    trials = opt.trials
    names = list(opt.space.params)
    several = len(opt.directions) > 1
    header = ["id", "state", "values" if several else "value", *names]
    rows = [
        [str(t.id), t.state.value, _value(t)]
        + [_fmt(t.params[n]) if n in t.params else "-" for n in names]
        for t in (trials[-limit:] if limit else trials)
    ]
    widths = [
        max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(header)
    ]
    print("  ".join(h.rjust(w) for h, w in zip(header, widths, strict=True)))
    for r in rows:
        print("  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)))
    counts = {
        s: sum(t.state == s for t in trials) for s in ("complete", "failed", "pruned", "pending")
    }
    print(f"\n{len(trials)} trials: " + ", ".join(f"{n} {s}" for s, n in counts.items() if n))
    if several:
        front = opt.pareto_front
        print(f"Pareto front ({', '.join(opt.directions)}): trials {[t.id for t in front]}")
        return 0
    try:
        b = opt.best
    except ValueError as err:  # none complete, or none feasible
        print(err)
        return 0
    print(f"best: trial {b.id}, value {_fmt(b.value)}, params {b.params}")
    return 0


def best(storage: str, study: str | None) -> int:
    """The best trial as JSON; with several objectives, the Pareto front as a JSON list."""
    opt = Optimizer.load(storage, study, read_only=True)
    if len(opt.directions) > 1:
        front = [{"id": t.id, "values": t.values, "params": t.params} for t in opt.pareto_front]
        print(json.dumps(front, default=repr))
        return 0
    b = opt.best
    print(json.dumps({"id": b.id, "value": b.value, "params": b.params}, default=repr))
    return 0


def _check_out(out: str) -> None:
    """Refuse, before any work, a file to write whose folder does not exist, or a folder."""
    folder = os.path.dirname(os.path.abspath(out))
    if not os.path.isdir(folder):
        raise ValueError(f"--out {out!r}: no such folder {folder!r}; create it first")
    if os.path.isdir(out):
        raise ValueError(f"--out {out!r} is a folder; give the path of the file to write")


def _figure_path(out: str) -> tuple[str, str]:
    """The file a figure is written to and its format: ``out`` as given when it names a format
    matplotlib writes, ``out`` + ``.png`` when it has no suffix (as matplotlib does); a suffix
    of another format is refused before any work."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    suffix = os.path.splitext(out)[1].lstrip(".").lower()
    if not suffix:
        return out.rstrip(".") + ".png", "png"
    formats = FigureCanvasAgg.get_supported_filetypes()
    if suffix not in formats:
        raise ValueError(
            f"--out {out!r}: no figure format {suffix!r}; give a file name ending in one of "
            f"{', '.join('.' + f for f in sorted(formats))} (.png when none is given)"
        )
    return out, suffix


def plot(
    storage: str,
    study: str | None,
    kind: str,
    out: str,
    params: list[str] | None = None,
    method: str = "forest",
    *,
    target: int | None = None,
    reference: list[float] | None = None,
) -> int:
    """Draw ``kind`` of a stored study to ``out``: ``pareto`` and ``hypervolume`` (with
    ``reference``) of a study with several objectives; the other kinds draw one value, the
    objective ``target`` of a study with several."""
    _check_out(out)
    path, fmt = _figure_path(out)
    _check_out(path)
    several_kinds = ("pareto", "hypervolume")
    if reference is not None and kind != "hypervolume":
        raise ValueError(f"--reference is for --kind hypervolume, not --kind {kind}")
    if target is not None and kind in several_kinds:
        raise ValueError(f"--kind {kind} draws every objective; leave out --target")
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    from hpo_core import plots

    opt = Optimizer.load(storage, study, read_only=True)
    m = len(opt.directions)
    if kind in several_kinds and m == 1:
        raise ValueError(f"--kind {kind} needs a study with several objectives; this one has 1")
    if kind not in several_kinds and m > 1 and target is None:
        raise ValueError(
            f"this study has {m} objectives: pass --target K, the objective --kind {kind} "
            f"draws (K in 0..{m - 1})"
        )
    if target is not None and not 0 <= target < m:
        raise ValueError(f"--target must be an objective index in 0..{m - 1}, got {target}")
    if kind == "contour":
        if not params or len(params) != 2:
            raise ValueError("--kind contour needs --params X,Y (two numeric parameters)")
        fig = plots.contour(opt, params[0], params[1], target=target)
    elif kind == "hypervolume":
        if reference is not None and len(reference) != m:
            raise ValueError(
                f"--reference needs {m} values, one per objective, got {len(reference)}"
            )
        fig = plots.hypervolume_history(opt, reference)
    else:
        draw: dict[str, Callable[[Optimizer], Figure | SubFigure]] = {
            "convergence": lambda opt: plots.convergence(opt, target=target),
            "importance": lambda opt: plots.importance(opt, method=method, target=target),
            "parallel": lambda opt: plots.parallel_coordinates(opt, target=target),
            "slice": lambda opt: plots.slice_plot(opt, target=target),
            "pareto": plots.pareto_front,
        }
        fig = draw[kind](opt)
    assert isinstance(fig, Figure)  # drawn without axes given: a figure of its own
    fig.savefig(path, format=fmt, dpi=120, bbox_inches="tight")
    print(f"wrote {path}")
    return 0


def export(storage: str, study: str | None, fmt: str, out: str | None) -> int:
    if out is not None:
        _check_out(out)
    opt = Optimizer.load(storage, study, read_only=True)
    if fmt == "json":
        text = opt.to_json(indent=2)
    else:
        buf = io.StringIO()
        names = list(opt.space.params)
        records = opt.to_records()
        m = len(opt.directions)
        c = max((len(r.get("constraints") or ()) for r in records), default=0)
        values = [f"value_{i}" for i in range(m)] if m > 1 else ["value"]
        fields = [
            "id",
            "state",
            *values,
            *(f"constraint_{i}" for i in range(c)),
            *(f"params_{n}" for n in names),
            "duration",
            "fail_reason",
        ]
        writer = csv.DictWriter(buf, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        for r in records:
            vals = r.get("values") if m > 1 else [r["value"]]
            cons = r.get("constraints") or []
            writer.writerow(
                {
                    "id": r["id"],
                    "state": r["state"],
                    **{k: v for k, v in zip(values, vals or [""] * len(values), strict=True)},
                    **{f"constraint_{i}": cons[i] if i < len(cons) else "" for i in range(c)},
                    **{f"params_{n}": r["params"].get(n, "") for n in names},
                    "duration": r["duration"],
                    "fail_reason": r["fail_reason"],
                }
            )
        text = buf.getvalue()
    if out is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    else:
        with open(out, "w") as f:
            f.write(text)
        print(f"wrote {out}")
    return 0
