"""What a report says about a result besides its numbers: the papers its experiment cites, and
whether it was computed at the quick size.

The references are read from the experiment's registry entry
(:class:`learnmech.core.registry.Experiment`), never from the experiment's code; an experiment
that is no longer registered has none. A run is at the quick size when its config.yaml records
``quick: true`` (the run layer writes it for ``learnmech run --quick``, ``compare --quick``, the
runs of ``sweep --quick``, ``tune --quick`` and ``verify --quick``, and ``lm.run(quick=True)``)
or its config has ``size: quick`` (a catalogue entry at the scorecard's size, however it was
asked); a sweep or a tune is when its manifest records ``"smoke": true``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["manifest_is_quick", "references", "run_is_quick"]


def references(experiment_id: str) -> tuple[str, ...]:
    """The papers the experiment cites (empty when it is not registered)."""
    experiment = _registered(experiment_id)
    return tuple(experiment.references) if experiment is not None else ()


def run_is_quick(config: Mapping[str, Any], recorded_quick: Any = False) -> bool:
    """Whether a run is at the quick size: ``recorded_quick`` (config.yaml's ``quick``) or
    ``size: quick`` among its ``config`` keys."""
    return bool(recorded_quick) or config.get("size") == "quick"


def manifest_is_quick(manifest: Mapping[str, Any]) -> bool:
    """Whether a sweep's or a tune's manifest records the quick size (``"smoke": true``)."""
    return bool(manifest.get("smoke"))


def _registered(experiment_id: str) -> Any:
    """The registered experiment of this id, or None."""
    from learnmech.core.registry import UnknownExperimentError, get

    if not experiment_id:
        return None
    try:
        return get(experiment_id)
    except UnknownExperimentError:
        return None
