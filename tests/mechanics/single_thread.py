"""The fixture every mechanics test module imports: one BLAS thread per test (small matrices on
a shared machine, where many threads thrash). A ``conftest.py`` here would shadow the top-level
one that ``tests/test_registry_contract.py`` imports as ``conftest``, hence an import."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def one_blas_thread():
    """Limit BLAS to one thread for the duration of a test."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield
