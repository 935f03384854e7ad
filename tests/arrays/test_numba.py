"""numba settings of the compiled layer."""

from __future__ import annotations

import pytest


def test_numba_threads_restores():
    import numba

    from hpo_core.arrays._numba import numba_threads

    before = numba.get_num_threads()
    with numba_threads(1):
        assert numba.get_num_threads() == 1
    assert numba.get_num_threads() == before
    with pytest.raises(ValueError, match="n must be between 1 and"):
        with numba_threads(0):
            pass
