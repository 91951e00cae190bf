"""The catalogue's one registry: each entry is a falsifiable prediction with a verdict.

An :class:`Entry` bundles what the spec (``shared/design/mechanics.md``) asks of each claim: id,
strand, one-sentence claim, the prediction (a pure function, in :mod:`learnmech.theory` where
reusable), the measurement, the agreement metric, the :class:`Tolerance`, references, the figure
name, and how it runs (a config class with ``size: quick | full`` and a ``run(config)`` that
returns a :class:`~learnmech.core.result.Result`). Entries live in the strand modules
listed in :data:`ENTRY_MODULES` (which import nothing heavy at load); every entry is registered
as the experiment ``mechanics.<id>`` by :mod:`learnmech.experiments.mechanics`.

Verdicts: ``"holds"`` (agreement inside the tolerance and every extra condition met),
``"fails"``, or ``"out of regime"`` (the measurement could not test the claim, e.g. training
diverged or the theory's precondition was not met; the summary says why in ``regime``).
Every summary carries ``verdict``, ``agreement``, ``tolerance`` (text), ``claim`` and, per extra
condition, ``<name>_verdict``.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import Field

from learnmech.core.config import ExperimentConfig

__all__ = [
    "ENTRY_MODULES",
    "ORDER",
    "Entry",
    "MechanicsConfig",
    "Tolerance",
    "entries",
    "get_entry",
    "judge",
    "missing",
    "summary",
]

#: Modules (under ``learnmech.mechanics``) that define entries, each in a list ``ENTRIES``.
ENTRY_MODULES: tuple[str, ...] = ("solvable", "limits", "optimisation", "geometry", "kernel_limits",
                                  "entries_f", "entries_g", "entries_grok")

#: The issue's order of the 24 entries (the scorecard's order; entries not yet written are
#: listed by :func:`missing`).
ORDER: tuple[str, ...] = (
    "deep-linear-modes", "plateau-scaling", "conservation-laws", "max-margin-bias",
    "double-descent", "signal-propagation", "finite-width-fluctuations", "edge-of-stability",
    "sgd-stationary-noise", "neural-collapse", "mup-transfer", "ntk-movement",
    "ntk-eigenmode-decay", "spectral-bias", "catapult", "hessian-outliers",
    "sharpness-reparametrisation", "generalization-bounds", "scaling-laws",
    "batch-scaling-rules", "critical-batch", "robust-sample-complexity",
    "privacy-generalization", "grokking",
)

VERDICTS = ("holds", "fails", "out of regime")


@dataclass(frozen=True)
class Tolerance:
    """An accepted interval for the agreement metric: lo ≤ agreement ≤ hi (inclusive).

    Attributes
    ----------
    lo, hi : float
        Bounds; ``-inf``/``inf`` for one-sided tolerances.
    text : str
        How the spec states it, e.g. ``"ratio in [0.8, 1.2]"``; written to ``summary.json``.
    """

    lo: float
    hi: float
    text: str

    def contains(self, value: float | None) -> bool:
        """Whether ``value`` is finite and inside [lo, hi]."""
        return value is not None and math.isfinite(value) and self.lo <= value <= self.hi


@dataclass(frozen=True)
class Entry:
    """One prediction of the catalogue.

    Attributes
    ----------
    id : str
        Kebab-case id; the experiment is ``mechanics.<id>``.
    strand : str
        Strand of Simon, Kunin et al. (a–e) and/or group of He & Tao (B1–B6), as in the spec.
    claim : str
        One sentence.
    formula : Callable
        The pure prediction function (from :mod:`learnmech.theory` where reusable).
    measurement : str
        What is measured, on what.
    metric : str
        The agreement metric, in words (the number in ``summary["agreement"]``).
    tolerance : Tolerance
        The spec's tolerance on the agreement metric.
    references : tuple of str
    figure : str
        Name of the figure holding measurement and prediction together (``figures/<name>.png``).
    config_cls : type[MechanicsConfig]
        Validated configuration (defaults = the full size).
    run : Callable[[MechanicsConfig], Result]
    smoke : dict
        Overrides for a run of a few seconds (the registry contract test).
    """

    id: str
    strand: str
    claim: str
    formula: Callable[..., Any]
    measurement: str
    metric: str
    tolerance: Tolerance
    references: tuple[str, ...]
    figure: str
    config_cls: type[ExperimentConfig]
    run: Callable[[Any], Any]
    smoke: dict[str, Any] = field(default_factory=lambda: {"size": "quick"})


class MechanicsConfig(ExperimentConfig):
    """Base of every entry's configuration: the size, quick (the scorecard) or full."""

    size: Literal["quick", "full"] = Field(
        "full", description="quick: the scorecard's run (seconds); full: the documented run")


def judge(tolerance: Tolerance, agreement: float | None, *, conditions: Mapping[str, bool] = {},
          regime: str | None = None) -> str:
    """The verdict: ``"out of regime"`` when ``regime`` names a reason, else ``"holds"`` when the
    agreement is inside the tolerance and every extra condition holds, else ``"fails"``."""
    if regime:
        return "out of regime"
    ok = tolerance.contains(agreement) and all(conditions.values())
    return "holds" if ok else "fails"


def summary(entry: Entry, agreement: float | None, *, conditions: Mapping[str, bool] = {},
            regime: str | None = None, **numbers: Any) -> dict[str, Any]:
    """The flat summary every entry writes.

    Parameters
    ----------
    entry : Entry
    agreement : float or None
        The agreement metric's value (None when it could not be measured).
    conditions : mapping name -> bool
        Extra pass/fail conditions of the claim (written as ``<name>_verdict``).
    regime : str, optional
        Why the measurement is outside the theory's regime (verdict ``"out of regime"``).
    **numbers
        Headline numbers (JSON scalars).
    """
    out: dict[str, Any] = {
        "verdict": judge(entry.tolerance, agreement, conditions=conditions, regime=regime),
        "agreement": None if agreement is None else float(agreement),
        "tolerance": entry.tolerance.text,
        "claim": entry.claim,
        "regime": regime or "in regime",
    }
    for name, ok in conditions.items():
        out[f"{name}_verdict"] = "holds" if ok else "fails"
    out.update(numbers)
    return out


_ENTRIES: dict[str, Entry] | None = None


def entries() -> list[Entry]:
    """Every entry written so far, in the issue's order."""
    global _ENTRIES
    if _ENTRIES is None:
        found: dict[str, Entry] = {}
        for name in ENTRY_MODULES:
            module = importlib.import_module(f"learnmech.mechanics.{name}")
            for entry in module.ENTRIES:
                if entry.id in found:
                    raise ValueError(f"mechanics entry {entry.id!r} is defined twice")
                if entry.id not in ORDER:
                    raise ValueError(f"mechanics entry {entry.id!r} is not in ORDER")
                found[entry.id] = entry
        _ENTRIES = {key: found[key] for key in ORDER if key in found}
    return list(_ENTRIES.values())


def get_entry(entry_id: str) -> Entry:
    """The entry with this id (``KeyError`` naming the known ids otherwise)."""
    for entry in entries():
        if entry.id == entry_id:
            return entry
    known = ", ".join(e.id for e in entries())
    raise KeyError(f"unknown mechanics entry {entry_id!r}; known entries: {known}")


def missing() -> list[str]:
    """Ids of the spec's entries not written yet, in the issue's order."""
    have = {e.id for e in entries()}
    return [key for key in ORDER if key not in have]
