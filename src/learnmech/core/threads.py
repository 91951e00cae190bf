"""The numeric thread count of a run, fixed so that the same seed gives the same bits.

A BLAS routine's result can change in the last bits with its thread count (the order of a sum
changes), so a run computed with two BLAS threads and the same run inside a one-thread sweep
worker would differ. Every run therefore computes its BLAS calls on one thread, wherever it
runs: :func:`one_blas_thread` is entered by the run layer around ``experiment.run`` (direct
runs, sweep and tune workers, verify and compare alike). torch's intra-op threads are set by
:func:`learnmech.nets.training.default_threads` (one unless ``LEARNMECH_TORCH_THREADS``), and
numba's parallel loops split work over independent seeds, so neither changes the numbers.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["one_blas_thread"]


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """Limit every loaded BLAS/OpenMP library to one thread inside the block."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield
