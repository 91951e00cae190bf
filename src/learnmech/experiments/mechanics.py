"""mechanics.<id>: every entry of the mechanics catalogue as an experiment.

The entries, their configs (``size: quick | full`` plus entry-specific keys) and their runs live
in :mod:`learnmech.mechanics`; this module only registers them. Each run is limited to one BLAS
and one torch thread (the machine is shared; small matrices run faster that way).
"""

from __future__ import annotations

from learnmech.experiments.registry import Experiment, register
from learnmech.mechanics.catalogue import Entry, entries


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


for _entry in entries():
    register(Experiment(
        id=f"mechanics.{_entry.id}",
        description=f"[{_entry.strand}] {_entry.claim}",
        config_cls=_entry.config_cls,
        run=_single_threaded(_entry),
        smoke=dict(_entry.smoke),
    ))
