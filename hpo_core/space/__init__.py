"""The search space: dimensions, conditions between them, and the unit-cube encoding.

``Space`` (space.py) holds named dimensions (dimensions.py: ``Real``, ``Integer``,
``Categorical``), compiles their conditions (conditions.py) and encodes parameter dicts to rows
of the unit cube and back; serialize.py writes spaces as JSON-ready dicts.
"""

from __future__ import annotations

from hpo_core.space.dimensions import (
    CATEGORICAL,
    INTEGER,
    REAL,
    Categorical,
    Dimension,
    Integer,
    Real,
    to_dimension,
)
from hpo_core.space.space import INACTIVE, Space

__all__ = [
    "CATEGORICAL",
    "INACTIVE",
    "INTEGER",
    "REAL",
    "Categorical",
    "Dimension",
    "Integer",
    "Real",
    "Space",
    "to_dimension",
]
