"""mechanics.<id>: every entry of the mechanics catalogue as an experiment.

The entries, their configs (``size: quick | full`` plus entry-specific keys) and their runs live
in :mod:`learnmech.mechanics`; this module only provides them to the registry. Each run sets
one torch thread (:func:`learnmech.nets.training.default_threads`); the run layer limits BLAS
to one thread for every run (:mod:`learnmech.core.threads`).
"""

from __future__ import annotations

from learnmech.core.registry import Experiment
from learnmech.mechanics.catalogue import Entry, all_entries


def _single_threaded(entry: Entry):
    """``entry.run`` with one torch thread."""

    def run(config):
        from learnmech.nets.training import default_threads

        default_threads()
        return entry.run(config)

    run.__module__ = __name__
    run.__doc__ = entry.run.__doc__
    return run


def experiments() -> list[Experiment]:
    """Every catalogue entry as the experiment ``mechanics.<id>`` (found by the registry)."""
    return [Experiment(id=f"mechanics.{entry.id}", description=f"[{entry.strand}] {entry.claim}",
                       config_cls=entry.config_cls, run=_single_threaded(entry),
                       smoke=dict(entry.smoke))
            for entry in all_entries()]
