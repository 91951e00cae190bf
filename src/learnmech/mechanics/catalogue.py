"""The catalogue's one registry: each entry is a falsifiable prediction with a verdict.

An :class:`Entry` bundles what the spec (``shared/design/mechanics.md``) asks of each claim: id,
strand, one-sentence claim, the prediction (a pure function, in :mod:`learnmech.theory.laws` where
reusable), the measurement, the agreement metric, the :class:`Tolerance`, references, the figure
name, and how it runs (a config class with ``size: quick | full`` and a ``run(config)`` that
returns a :class:`~learnmech.core.result.Result`). Each entry is one module
``learnmech/mechanics/entries/<id>.py`` (hyphens as underscores) defining ``ENTRY``; the modules
are found by discovery (they import nothing heavy at load), and the scorecard's order is the one
list :data:`learnmech.mechanics.entries.ORDER`. Every entry is registered as the experiment
``mechanics.<id>`` by :mod:`learnmech.experiments.mechanics`.

Verdicts: ``"holds"`` (agreement inside the tolerance and every extra condition met),
``"fails"``, or ``"out of regime"`` (the measurement could not test the claim, e.g. training
diverged or the theory's precondition was not met; the summary says why in ``regime``).
Every summary carries ``verdict``, ``agreement``, ``tolerance`` (text), ``claim`` and, per extra
condition, ``<name>_verdict``.
"""

from __future__ import annotations

import importlib
import math
import pkgutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import Field

from learnmech.core.config import ExperimentConfig

__all__ = [
    "ENTRIES_PACKAGE",
    "Entry",
    "MechanicsConfig",
    "Tolerance",
    "all_entries",
    "entry_modules",
    "farthest_from_one",
    "get_entry",
    "judge",
    "layout_problems",
    "missing",
    "module_name_of",
    "summary",
]

#: The package scanned for entries: one module per entry, each defining ``ENTRY``.
ENTRIES_PACKAGE = "learnmech.mechanics.entries"

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


def farthest_from_one(values) -> float:
    """The value farthest from 1 on a log scale (largest |ln v|): the worst of several ratios.

    ``values`` of any shape; a NaN or non-positive value has no finite |ln v| and counts as the
    farthest (the first such one is returned).
    """
    import numpy as np

    flat = np.asarray(values, float).ravel()
    return float(flat[np.argmax(np.abs(np.log(flat)))])


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


def module_name_of(entry_id: str) -> str:
    """The module an entry lives in: ``learnmech.mechanics.entries.<id with underscores>``."""
    return f"{ENTRIES_PACKAGE}.{entry_id.replace('-', '_')}"


def entry_modules() -> list[str]:
    """The names of the modules under :data:`ENTRIES_PACKAGE`, sorted (``_``-names skipped)."""
    package = importlib.import_module(ENTRIES_PACKAGE)
    return sorted(info.name for info in pkgutil.iter_modules(package.__path__,
                                                              ENTRIES_PACKAGE + ".")
                  if not info.name.rpartition(".")[2].startswith("_"))


def all_entries() -> list[Entry]:
    """Every entry found under :data:`ENTRIES_PACKAGE`: those in ``ORDER`` in its order, then
    any other in module order (so an entry missing from ``ORDER`` still runs and is listed;
    :func:`layout_problems` reports it)."""
    global _ENTRIES
    if _ENTRIES is None:
        from learnmech.mechanics.entries import ORDER

        found: dict[str, Entry] = {}
        for name in entry_modules():
            entry = getattr(importlib.import_module(name), "ENTRY", None)
            if isinstance(entry, Entry) and entry.id not in found:
                found[entry.id] = entry
        ordered = [key for key in ORDER if key in found]
        _ENTRIES = {key: found[key] for key in ordered + [k for k in found if k not in ORDER]}
    return list(_ENTRIES.values())


def get_entry(entry_id: str) -> Entry:
    """The entry with this id (``KeyError`` naming the known ids otherwise)."""
    for entry in all_entries():
        if entry.id == entry_id:
            return entry
    known = ", ".join(e.id for e in all_entries())
    raise KeyError(f"unknown mechanics entry {entry_id!r}; known entries: {known}")


def missing() -> list[str]:
    """Ids in ``ORDER`` that no entry module defines, in that order."""
    from learnmech.mechanics.entries import ORDER

    have = {e.id for e in all_entries()}
    return [key for key in ORDER if key not in have]


def layout_problems() -> list[str]:
    """What breaks the one-entry-per-module layout, one line each (empty when all is well):
    a module without ``ENTRY``, a module whose name is not its entry's id, an id defined
    twice, an id missing from ``ORDER``, an ``ORDER`` id with no module, ``ORDER`` repeating
    an id."""
    from learnmech.mechanics.entries import ORDER

    problems, seen = [], {}
    for name in entry_modules():
        entry = getattr(importlib.import_module(name), "ENTRY", None)
        if not isinstance(entry, Entry):
            problems.append(f"{name} defines no ENTRY = Entry(...)")
            continue
        if module_name_of(entry.id) != name:
            problems.append(f"{name} holds entry {entry.id!r}; its file must be "
                            f"{module_name_of(entry.id).rpartition('.')[2]}.py")
        if entry.id in seen:
            problems.append(f"entry {entry.id!r} is defined in {seen[entry.id]} and {name}")
        seen.setdefault(entry.id, name)
        if entry.id not in ORDER:
            problems.append(f"entry {entry.id!r} ({name}) is not in ORDER "
                            "(learnmech/mechanics/entries/__init__.py)")
    problems += [f"ORDER lists {key!r}, which no module defines" for key in ORDER
                 if key not in seen]
    problems += [f"ORDER lists {key!r} twice" for key in sorted(set(ORDER))
                 if ORDER.count(key) > 1]
    return problems
