"""``hpo-core copy SRC DST --study NAME``: a study moved between storages (a SQLite file and a
PostgreSQL database, either way), so a study begun on a laptop goes on on a cluster.

Everything is copied as it is: the space, the direction, every trial (pending ones too, with
their intermediate values), the queue of enqueued parameters, and the count of workers that
opened the study (a run resumed from the copy draws the numbers it would have drawn from the
original). The source is only read; the copy is written in one transaction, so a failed copy
leaves nothing behind. The destination must not hold a study of that name yet.
"""

from __future__ import annotations

from hpo_core.space.serialize import space_from_json
from hpo_core.storage import open_existing, open_storage

__all__ = ["copy"]


def copy(src: str, dst: str, study: str | None) -> int:
    """Copy study ``study`` (the only one of ``src`` when None) from ``src`` to ``dst``."""
    source = open_existing(src, read_only=True)
    study = source.the_study(study)
    space, space_text, direction = source.study_space(study, space_from_json)
    original = source.open_study(study, space_text, direction, space)
    _, rows = original.changes(0)
    queued = original.queued()
    target = open_storage(dst)
    if study in target.study_names():
        raise ValueError(
            f"study {study!r} exists in {target.name!r} already; copy it to another storage"
        )
    with target.transaction():  # the study is created with its trials, or not at all
        copied = target.create_study(study, space_text, direction, space)
        copied.copy_in(rows, original.worker)
        for params, attrs in queued:
            copied.enqueue(params, attrs)
    print(
        f"copied study {study!r}: {len(rows)} trials and {len(queued)} queued parameters "
        f"from {source.name} to {target.name}"
    )
    source.close()
    target.close()
    return 0
