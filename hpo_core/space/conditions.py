"""Conditions between dimensions: validation, order, activity, and sub-spaces from lists.

A condition ``when={"kernel": ["rbf", "poly"]}`` ties a dimension to a categorical parent.
Here it becomes, per dimension ``j``, a list of ``(p, allowed)``: the parent's column and the
set of its choice indices for which ``j`` is active (every condition must hold, and the parent
must itself be active).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from hpo_core.space.dimensions import Categorical, Dimension, to_dimension

#: the internal name of the hidden categorical that picks a sub-space of a list of dicts
SUBSPACE = "<subspace>"

Conditions = list[list[tuple[int, frozenset[int]]]]


def compile_conditions(
    names: Sequence[str], dims: Sequence[Dimension]
) -> tuple[Conditions, list[int]]:
    """Check every ``when`` and return (conditions per dimension, a parents-first order).

    Raises ValueError for an unknown parent, a parent that is not categorical, a value that
    is not one of the parent's choices (an impossible condition), and cycles.
    """
    index = {n: j for j, n in enumerate(names)}
    conds: Conditions = []
    for name, dim in zip(names, dims, strict=True):
        mine = []
        for parent, values in dim.when or ():
            if parent not in index:
                raise ValueError(
                    f"parameter {name!r}: its condition names {parent!r}, which is not a "
                    f"parameter of the space {list(names)!r}"
                )
            p = index[parent]
            pdim = dims[p]
            if not isinstance(pdim, Categorical):
                raise ValueError(
                    f"parameter {name!r}: its condition's parent {parent!r} must be a "
                    f"Categorical (or a list), not {type(pdim).__name__}"
                )
            allowed = set()
            for v in values:
                try:
                    allowed.add(pdim.index(v))
                except ValueError:
                    raise ValueError(
                        f"parameter {name!r}: impossible condition, {v!r} is not one of "
                        f"{parent!r}'s choices {list(pdim.choices)!r}"
                    ) from None
            mine.append((p, frozenset(allowed)))
        conds.append(mine)
    return conds, _parents_first(names, conds)


def _parents_first(names: Sequence[str], conds: Conditions) -> list[int]:
    order: list[int] = []
    state = [0] * len(names)  # 0 new, 1 on the current path, 2 placed

    def visit(j: int, path: list[int]) -> None:
        if state[j] == 2:
            return
        if state[j] == 1:
            cycle = [names[k] for k in path[path.index(j) :]] + [names[j]]
            raise ValueError(f"conditions form a cycle: {' -> '.join(map(repr, cycle))}")
        state[j] = 1
        for p, _ in conds[j]:
            visit(p, [*path, j])
        state[j] = 2
        order.append(j)

    for j in range(len(names)):
        visit(j, [])
    return order


def level(u: float, k: int) -> int:
    """The choice index that the encoded value u of a k-choice categorical decodes to."""
    i = int(u * k) if u > 0.0 else 0
    return i if i < k else k - 1


def active_rows(
    X: np.ndarray, conds: Conditions, order: list[int], levels: np.ndarray
) -> np.ndarray:
    """Which dimensions are active in each row of X (n, d): a bool array of shape (n, d)."""
    n, d = X.shape
    act = np.ones((n, d), dtype=bool)
    for j in order:
        for p, allowed in conds[j]:
            k = int(levels[p])
            lev = np.minimum(np.floor(np.clip(X[:, p], 0.0, 1.0) * k), k - 1).astype(np.int64)
            act[:, j] &= act[:, p] & np.isin(lev, list(allowed))
    return act


def active_row(
    row: Sequence[float], conds: Conditions, order: list[int], levels: np.ndarray
) -> list[bool]:
    act = [True] * len(row)
    for j in order:
        for p, allowed in conds[j]:
            if not act[p] or level(row[p], int(levels[p])) not in allowed:
                act[j] = False
                break
    return act


def from_list(subs: Sequence[Mapping[str, Any]]) -> tuple[dict[str, Dimension], dict[str, str]]:
    """Dimensions (internal name -> dimension) and output names for a list of sub-spaces.

    A hidden categorical ``SUBSPACE`` picks the sub-space. A parameter that several sub-spaces
    define alike is one dimension active in those sub-spaces; one they define differently is one
    dimension per sub-space (``name@i``), each decoded under the parameter's own name.
    """
    if not subs:
        raise ValueError("a list of sub-spaces needs at least one dict, got an empty list")
    parsed: list[dict[str, Dimension]] = []
    for i, sub in enumerate(subs):
        if not isinstance(sub, Mapping):
            raise ValueError(
                f"sub-space {i} must be a dict of parameter name -> values, got {sub!r}"
            )
        parsed.append({})
        for name, spec in sub.items():
            check_name(name)
            parsed[i][name] = to_dimension(name, spec)
        for name, dim in parsed[i].items():
            for parent, _ in dim.when or ():
                if parent not in parsed[i]:  # inactive whenever this dict is: so never active
                    raise ValueError(
                        f"sub-space {i}: parameter {name!r}: its condition names {parent!r}, "
                        f"which is not a parameter of that dict {list(parsed[i])!r}"
                    )
    m = len(parsed)
    dims: dict[str, Dimension] = {SUBSPACE: Categorical(tuple(range(m)))}
    out: dict[str, str] = {}
    keys: list[dict[str, str]] = [{} for _ in range(m)]  # per sub-space: name -> internal key
    taken = {n for sub in parsed for n in sub}  # an internal key never takes a parameter's name
    names = list(dict.fromkeys(n for sub in parsed for n in sub))
    wheres = {name: [i for i in range(m) if name in parsed[i]] for name in names}
    split = {name for name in names if not _alike([parsed[i][name] for i in wheres[name]])}
    # a condition on a parent split by sub-space names one column per sub-space: split it too
    grew = True
    while grew:
        grew = False
        for name in names:
            where = wheres[name]
            if name not in split and len(where) > 1:
                if any(p in split for p, _ in parsed[where[0]][name].when or ()):
                    split.add(name)
                    grew = True
    for name in names:
        where = wheres[name]
        if name not in split:
            for i in where:
                keys[i][name] = name
            out[name] = name
        else:
            for i in where:
                key = f"{name}@{i}"
                while key in taken:
                    key += f"@{i}"
                taken.add(key)
                keys[i][name] = key
                out[key] = name
    for key, name in out.items():
        where = [i for i in range(m) if keys[i].get(name) == key]
        dim = parsed[where[0]][name]
        when = {keys[where[0]].get(p, p): v for p, v in (dim.when or ())}
        if len(where) < m:
            when[SUBSPACE] = where
        dims[key] = dataclasses.replace(dim, when=when or None)
    return dims, out


def check_name(name: Any) -> None:
    """A parameter name: a non-empty string other than the name kept for ``SUBSPACE``."""
    if not isinstance(name, str) or not name:
        raise ValueError(f"parameter names must be non-empty strings, got {name!r}")
    if name == SUBSPACE:
        raise ValueError(
            f"{SUBSPACE!r} is a reserved name (the hidden choice among the dicts of a list of "
            "sub-spaces); give the parameter another name"
        )


def _unconditioned(dim: Dimension) -> Dimension:
    return dataclasses.replace(dim, when=None)


def _alike(dims: Sequence[Dimension]) -> bool:
    first = _unconditioned(dims[0])
    return all(_unconditioned(d) == first and d.when == dims[0].when for d in dims)


def check_fixed(
    names: Sequence[str],
    dims: Sequence[Dimension],
    conds: Conditions,
    fixed: Mapping[str, Any],
    columns: Sequence[str | None] = (),
) -> None:
    """Raise ValueError, before anything is proposed, when a fixed parameter may be inactive:
    it depends on a parent that is not fixed with it, or the parent is fixed to a value for
    which it is inactive (unknown names and bad values are left to the encoding's errors).
    A parameter that the dicts of a list define differently (a column each, ``columns`` the
    parameter of each column) is fixed in every dict: each must take the value, unconditioned."""
    index = {n: j for j, n in enumerate(names)}
    for name in fixed:
        split = [j for j, c in enumerate(columns) if c == name and names[j] != name]
        if split and not (
            all(_takes(dims[j], fixed[name]) for j in split)
            and all(names[p] == SUBSPACE for j in split for p, _ in conds[j])
            and len(split) == dims[index[SUBSPACE]].levels
        ):
            raise ValueError(
                f"fixed parameter {name!r} is defined differently by the dicts of the list, "
                f"and not every dict can take it as {fixed[name]!r}, so it cannot be fixed: "
                "leave it to the strategy"
            )
        j = index.get(name)
        for p, allowed in conds[j] if j is not None else ():
            parent, pdim = names[p], dims[p]
            assert isinstance(pdim, Categorical)
            if len(allowed) == len(pdim.choices):
                continue  # active for every choice of the parent
            if parent == SUBSPACE:
                raise ValueError(
                    f"fixed parameter {name!r} is in only some of the spaces of the list, so "
                    "it cannot be fixed: leave it to the strategy"
                )
            values = [pdim.choices[i] for i in sorted(allowed)]
            if parent not in fixed:
                raise ValueError(
                    f"fixed parameter {name!r} is active only when {parent!r} is one of "
                    f"{values!r}: fix {parent!r} too"
                )
            if pdim.index(fixed[parent]) not in allowed:
                raise ValueError(
                    f"fixed parameter {name!r} is not active when {parent!r} is "
                    f"{fixed[parent]!r} (only for {values!r}): leave it out"
                )


def _takes(dim: Dimension, value: Any) -> bool:
    try:
        dim.encode(value)
    except (ValueError, TypeError, OverflowError):
        return False
    return True
