"""What a report says about a result besides its numbers: the papers its experiment cites, and
whether it was computed at the quick size.

Both are read from the result's own files and from the experiment's registry entry
(:class:`learnmech.core.registry.Experiment`: ``references`` and ``smoke``), never from the
experiment's code. A run is at the quick size when

* its config has ``size: quick`` (a catalogue entry at the scorecard's size, as ``learnmech
  verify`` runs it), or
* its config agrees with every one of the experiment's quick (``smoke``) overrides (``learnmech
  run --quick``, ``compare --quick``, the runs of ``sweep --quick`` and ``tune --quick``), or
* its recorded command line holds ``--quick`` or the older ``--smoke``;

a sweep or a tune is when its manifest records ``"smoke": true``. An experiment that is no
longer registered has no references, and only its config's ``size`` and its command decide.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from typing import Any

__all__ = ["QUICK_FLAGS", "manifest_is_quick", "references", "run_is_quick"]

#: Command-line flags that ask for the quick size (``--smoke``: the older name).
QUICK_FLAGS = ("--quick", "--smoke")


def references(experiment_id: str) -> tuple[str, ...]:
    """The papers the experiment cites (empty when it is not registered)."""
    experiment = _registered(experiment_id)
    return tuple(experiment.references) if experiment is not None else ()


def run_is_quick(config: Mapping[str, Any], experiment_id: str, command: str = "") -> bool:
    """Whether a run's resolved ``config`` (its config.yaml keys) is at the quick size."""
    if config.get("size") == "quick" or _has_quick_flag(command):
        return True
    experiment = _registered(experiment_id)
    smoke = dict(experiment.smoke) if experiment is not None else {}
    return bool(smoke) and all(_same(_dotted(config, key), value) for key, value in
                               smoke.items())


def manifest_is_quick(manifest: Mapping[str, Any]) -> bool:
    """Whether a sweep's or a tune's manifest records the quick size (``"smoke": true``)."""
    return bool(manifest.get("smoke")) or _has_quick_flag(manifest.get("command") or "")


def _registered(experiment_id: str) -> Any:
    """The registered experiment of this id, or None."""
    from learnmech.core.registry import UnknownExperimentError, get

    if not experiment_id:
        return None
    try:
        return get(experiment_id)
    except UnknownExperimentError:
        return None


def _has_quick_flag(command: str) -> bool:
    """Whether a recorded command line holds a quick-size flag."""
    try:
        words = shlex.split(command)
    except ValueError:  # an unbalanced quote: read it word by word
        words = command.split()
    return any(word in QUICK_FLAGS for word in words)


_MISSING = object()


def _dotted(config: Mapping[str, Any], key: str) -> Any:
    """The value of a dotted key in a nested config mapping (a sentinel when absent)."""
    node: Any = config
    for part in key.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return _MISSING
        node = node[part]
    return node


def _same(found: Any, wanted: Any) -> bool:
    """Whether a config value (as read from YAML) equals an override (tuples as lists)."""
    if isinstance(wanted, tuple | list):
        return isinstance(found, list | tuple) and len(found) == len(wanted) and all(
            _same(f, w) for f, w in zip(found, wanted, strict=True))
    if isinstance(found, bool) or isinstance(wanted, bool):
        return found is wanted
    return found == wanted
