"""The studies of a SQL database (SQLite or PostgreSQL): opened (created when new), created
inside a caller's transaction (a copy), described (their space read back) and listed, written
once for both databases."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from hpo_core.storage.base import ParamCodec, StorageError
from hpo_core.storage.sql_study import CHANGES, SQLStudy

__all__ = ["SQLStudies"]

T = TypeVar("T")
_SELECT = "SELECT id, space, direction, workers FROM studies WHERE name=?"


class SQLStudies:
    """The studies of a SQL storage. A storage class sets ``study_class`` and provides
    ``SQLDatabase``'s methods."""

    study_class: type[SQLStudy] = SQLStudy
    name: str
    read_only: bool
    changes_sql = CHANGES

    def open_study(self, name: str, space: str, direction: str, codec: ParamCodec) -> SQLStudy:
        """Study ``name`` (created when new) as the store an optimizer's books use; its
        ``worker`` counts the optimizers that opened the study before this one. A read-only
        storage opens an existing study as it is, registering no worker."""
        db: Any = self
        if self.read_only:
            row = db.execute(_SELECT, (name,)).fetchone()
            if row is None:
                raise ValueError(
                    f"no study {name!r} in {self.name!r}; it holds {self.study_names()!r}"
                )
            self._check_same(name, row, space, direction)
            return self.study_class(db, int(row[0]), int(row[3]), codec)
        with db.transaction():  # the database's lock (SQLite) or the studies table's
            row = db.execute(_SELECT, (name,)).fetchone()
            if row is None:
                return self._insert(name, space, direction, codec, 1)
            self._check_same(name, row, space, direction)
            sid, workers = row[0], row[3]
            db.execute("UPDATE studies SET workers = workers + 1 WHERE id=?", (sid,))
            return self.study_class(db, int(sid), int(workers), codec)

    def create_study(self, name: str, space: str, direction: str, codec: ParamCodec) -> SQLStudy:
        """A new study ``name``, created in the caller's transaction (``transaction()``, which
        also holds what is then written to it: a failed copy leaves no study behind);
        ValueError when the storage holds a study of that name already."""
        db: Any = self
        if db.execute(_SELECT, (name,)).fetchone() is not None:
            raise ValueError(f"study {name!r} exists in {self.name!r} already")
        return self._insert(name, space, direction, codec, 0)

    def _insert(
        self, name: str, space: str, direction: str, codec: ParamCodec, workers: int
    ) -> SQLStudy:
        db: Any = self
        db.execute(
            "INSERT INTO studies (name, space, direction, created_at, workers) "
            "VALUES (?, ?, ?, ?, ?)",
            (name, space, direction, time.time(), workers),
        )
        sid = db.execute("SELECT id FROM studies WHERE name=?", (name,)).fetchone()[0]
        return self.study_class(db, int(sid), 0, codec)

    def _check_same(self, name: str, row: Sequence[Any], space: str, direction: str) -> None:
        if row[1] != space:
            raise ValueError(
                f"study {name!r} in {self.name!r} exists with another space: "
                f"{row[1]} (this optimizer's: {space}); use another study name"
            )
        if row[2] != direction:
            raise ValueError(f"study {name!r} exists with direction={row[2]!r}, not {direction!r}")

    def study_info(self, name: str) -> tuple[str, str]:
        """(space text, direction) of study ``name``; ValueError naming the studies there."""
        db: Any = self
        row = db.execute("SELECT space, direction FROM studies WHERE name=?", (name,)).fetchone()
        if row is None:
            raise ValueError(f"no study {name!r} in {self.name!r}; it holds {self.study_names()!r}")
        return row[0], row[1]

    def study_space(self, name: str, read: Callable[[Any], T]) -> tuple[T, str, str]:
        """Study ``name``'s space as ``read`` makes it of the stored JSON, beside its space text
        and direction; StorageError naming the study and the database when the stored space
        cannot be read (a damaged or hand-edited database)."""
        text, direction = self.study_info(name)
        try:
            return read(json.loads(text)), text, direction
        except (ValueError, TypeError, KeyError, IndexError, AttributeError) as err:
            raise StorageError(
                f"the space of study {name!r} in {self.name!r} is damaged "
                f"({type(err).__name__}: {err}); it was not written by hpo_core as it is"
            ) from None

    def the_study(self, name: str | None) -> str:
        """``name``, or when None the name of the only study here (ValueError naming them)."""
        if name is not None:
            return name
        names = self.study_names()
        if len(names) != 1:
            raise ValueError(f"name the study: {self.name!r} holds {names!r}")
        return names[0]

    def study_names(self) -> list[str]:
        db: Any = self
        return [r[0] for r in db.execute("SELECT name FROM studies ORDER BY id")]
