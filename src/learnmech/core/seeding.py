"""The seeding rule: one ``--seed`` drives every random choice of a run.

A run seeded ``s`` draws its own randomness from ``numpy.random.default_rng(s)`` (or a
``SeedSequence(s)`` spawned into independent streams where a model needs several, as neurashed's
replicates do). Where a run repeats a measurement on independent replicates that each take an
integer seed (torch initialisations, data subsets), replicate ``r`` uses
:func:`replicate_seed`\\ ``(s, r) = 1000 s + r``: distinct for r < 1000, the same for the same
``(s, r)`` on every machine, and readable in a run's metrics.
"""

from __future__ import annotations

__all__ = ["replicate_seed"]


def replicate_seed(seed: int, replicate: int) -> int:
    """The integer seed of replicate ``replicate`` (0-based, < 1000) of a run seeded ``seed``."""
    return 1000 * int(seed) + int(replicate)
