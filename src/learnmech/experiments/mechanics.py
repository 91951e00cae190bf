"""mechanics.<id>: every entry of the mechanics catalogue as an experiment.

The entries, their configs (``size: quick | full`` plus entry-specific keys) and their runs live
in :mod:`learnmech.mechanics`; this module only provides them to the registry. Each run sets
one torch thread (:func:`learnmech.nets.training.default_threads`); the run layer limits BLAS
to one thread for every run (:mod:`learnmech.core.threads`).
"""

from __future__ import annotations

from dataclasses import dataclass

from learnmech.core.registry import Experiment
from learnmech.mechanics.catalogue import all_entries, get_entry


@dataclass(frozen=True)
class EntryRun:
    """The run of catalogue entry ``entry_id`` with one torch thread.

    A module-level callable holding only the id, so that an experiment pickles by reference and
    runs on sweep workers in other processes (the entry is looked up there).
    """

    entry_id: str

    def __call__(self, config):
        from learnmech.nets.training import default_threads

        default_threads()
        return get_entry(self.entry_id).run(config)


def experiments() -> list[Experiment]:
    """Every catalogue entry as the experiment ``mechanics.<id>`` (found by the registry)."""
    return [Experiment(id=f"mechanics.{entry.id}", description=f"[{entry.strand}] {entry.claim}",
                       config_cls=entry.config_cls, run=EntryRun(entry.id),
                       smoke=dict(entry.smoke), references=tuple(entry.references),
                       quick={"size": "quick"})
            for entry in all_entries()]
