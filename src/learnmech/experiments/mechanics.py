"""mechanics.<id>: every entry of the mechanics catalogue as an experiment.

The entries, their configs (``size: quick | full`` plus entry-specific keys) and their runs live
in :mod:`learnmech.mechanics`; this module only provides them to the registry. Each run is
limited to one BLAS and one torch thread (the machine is shared; small matrices run faster
that way).
"""

from __future__ import annotations

from learnmech.core.registry import Experiment
from learnmech.mechanics.catalogue import Entry, all_entries


def _single_threaded(entry: Entry):
    """``entry.run`` with one BLAS thread and one torch thread."""

    def run(config):
        from threadpoolctl import threadpool_limits

        from learnmech.nets.training import default_threads

        default_threads()
        with threadpool_limits(limits=1):
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
