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

Verdicts (:data:`VERDICTS`), decided by one rule (:func:`decide`) for every entry:

* ``"holds"`` — the agreement's interval agreement ± z·SE (z = :data:`Z_DECIDE` = 2) lies inside
  the tolerance, and every extra condition holds;
* ``"fails"`` — the interval lies outside the tolerance (or a condition fails);
* ``"inconclusive"`` — the interval straddles a bound of the tolerance: the measurement's own
  standard error is too large to decide at this size (more seeds or draws would decide it);
* ``"out of regime"`` — a measured quantity shows the run left the regime where the claim is
  made (the kernel moved, B exceeds the noise scale, training diverged, …); the summary says
  why in ``regime``.

Without a standard error (an exact computation, a single deterministic run) the interval is the
point and the verdict is holds or fails. A condition may itself be judged with a standard error
(:func:`decide`) and passed as a verdict string; the verdicts combine as :func:`combine` says
(fails over inconclusive over holds; parts out of regime are not judged).
Every summary carries ``verdict``, ``agreement``, ``stderr`` (of the agreement, or null),
``tolerance`` (text), ``claim``, ``kind`` (``prediction`` or ``consistency check``: an identity
that holds by construction checks the code, it predicts nothing), ``references``, ``regime``
and, per extra condition, ``<name>_verdict``.
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
    "KINDS",
    "VERDICTS",
    "Z_DECIDE",
    "Entry",
    "MechanicsConfig",
    "Tolerance",
    "all_entries",
    "combine",
    "decide",
    "entry_modules",
    "entry_result",
    "farthest_from_one",
    "get_entry",
    "judge",
    "layout_problems",
    "missing",
    "module_name_of",
    "standard_error",
    "summary",
]

#: The package scanned for entries: one module per entry, each defining ``ENTRY``.
ENTRIES_PACKAGE = "learnmech.mechanics.entries"

#: The four verdicts (the scorecard counts each; ``error`` marks an entry that raised).
VERDICTS = ("holds", "fails", "inconclusive", "out of regime")

#: An agreement decides only when agreement ± Z_DECIDE standard errors is on one side of every
#: bound of the tolerance (≈ 95 % two-sided for a Gaussian estimate).
Z_DECIDE = 2.0

#: What an entry is: a falsifiable prediction, or a consistency check (an identity that holds
#: by construction, e.g. ReLU homogeneity: it tests the code and the measurement, not a theory).
KINDS = ("prediction", "consistency check")


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
    kind : str
        ``"prediction"`` (default) or ``"consistency check"`` (:data:`KINDS`).
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
    kind: str = "prediction"

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"Entry {self.id!r}: kind must be one of {KINDS}; got {self.kind!r}")


class MechanicsConfig(ExperimentConfig):
    """Base of every entry's configuration: the size, quick (the scorecard) or full."""

    size: Literal["quick", "full"] = Field(
        "full", description="quick: the scorecard's run (seconds); full: the documented run")


def decide(tolerance: Tolerance, value: float | None, stderr: float | None = None, *,
           z: float = Z_DECIDE) -> str:
    """The verdict on one measured number with its standard error.

    ``"holds"`` when [value − z·SE, value + z·SE] lies inside [lo, hi]; ``"fails"`` when it lies
    wholly outside (below lo or above hi); ``"inconclusive"`` when it straddles a bound. With
    ``stderr`` None or 0 the interval is the point (holds or fails). A missing or non-finite
    value fails (nothing was measured that could agree); a non-finite standard error is
    inconclusive. Judge a two-sided error by its *signed* value against ±tolerance (an |error|
    against [0, tol] would call an interval that dips below 0 undecided).

    Examples
    --------
    >>> tol = Tolerance(0.0, 0.05, "within 5 %")
    >>> decide(tol, 0.01, 0.005), decide(tol, 0.03, 0.06), decide(tol, 0.2, 0.01)
    ('holds', 'inconclusive', 'fails')
    """
    if value is None or not math.isfinite(value):
        return "fails"
    if stderr is None or stderr == 0:
        return "holds" if tolerance.contains(value) else "fails"
    if not math.isfinite(stderr) or stderr < 0:
        return "inconclusive"
    low, high = value - z * stderr, value + z * stderr
    if tolerance.lo <= low and high <= tolerance.hi:
        return "holds"
    if high < tolerance.lo or low > tolerance.hi:
        return "fails"
    return "inconclusive"


def combine(*verdicts: str | bool) -> str:
    """One verdict from several parts: any ``fails`` fails; else any ``inconclusive`` is
    inconclusive; else ``holds``. Parts ``out of regime`` are not judged; when every part is,
    the result is ``out of regime``. ``True``/``False`` stand for holds/fails."""
    parts = [("holds" if v else "fails") if isinstance(v, bool) else v for v in verdicts]
    unknown = [v for v in parts if v not in VERDICTS]
    if unknown:
        raise ValueError(f"combine: unknown verdicts {unknown}; expected one of {VERDICTS}")
    judged = [v for v in parts if v != "out of regime"]
    if not judged:
        return "out of regime"
    if "fails" in judged:
        return "fails"
    return "inconclusive" if "inconclusive" in judged else "holds"


def judge(tolerance: Tolerance, agreement: float | None, *, stderr: float | None = None,
          conditions: Mapping[str, bool | str] = {}, regime: str | None = None,
          z: float = Z_DECIDE) -> str:
    """The entry's verdict: ``"out of regime"`` when ``regime`` names a reason; else the
    agreement decided against the tolerance with its standard error (:func:`decide`) combined
    with every extra condition (a bool, or a verdict string from :func:`decide`) by
    :func:`combine`."""
    if regime:
        return "out of regime"
    return combine(decide(tolerance, agreement, stderr, z=z), *conditions.values())


def standard_error(values, axis=None) -> Any:
    """Standard error of the mean, sd(ddof=1)/√n along ``axis`` (NaN for fewer than 2)."""
    import numpy as np

    v = np.asarray(values, float)
    n = v.size if axis is None else v.shape[axis]
    if n < 2:
        return np.nan if axis is None else np.full(np.delete(v.shape, axis), np.nan)
    return v.std(ddof=1, axis=axis) / np.sqrt(n)


def farthest_from_one(values) -> float:
    """The value farthest from 1 on a log scale (largest |ln v|): the worst of several ratios.

    ``values`` of any shape; a NaN or non-positive value has no finite |ln v| and counts as the
    farthest (the first such one is returned).
    """
    import numpy as np

    flat = np.asarray(values, float).ravel()
    return float(flat[np.argmax(np.abs(np.log(flat)))])


def summary(entry: Entry, agreement: float | None, *, stderr: float | None = None,
            conditions: Mapping[str, bool | str] = {}, regime: str | None = None,
            **numbers: Any) -> dict[str, Any]:
    """The flat summary every entry writes.

    Parameters
    ----------
    entry : Entry
    agreement : float or None
        The agreement metric's value (None when it could not be measured).
    stderr : float, optional
        Its standard error (seeds, draws, chains); None for an exact or single-run number.
    conditions : mapping name -> bool or verdict string
        Extra conditions of the claim (written as ``<name>_verdict``); a string is a verdict
        already decided with its own standard error (:func:`decide`).
    regime : str, optional
        Why the measurement is outside the theory's regime (verdict ``"out of regime"``).
    **numbers
        Headline numbers (JSON scalars).
    """
    out: dict[str, Any] = {
        "verdict": judge(entry.tolerance, agreement, stderr=stderr, conditions=conditions,
                         regime=regime),
        "agreement": None if agreement is None else float(agreement),
        "stderr": None if stderr is None or not math.isfinite(stderr) else float(stderr),
        "tolerance": entry.tolerance.text,
        "claim": entry.claim,
        "kind": entry.kind,
        "references": "; ".join(entry.references),
        "regime": regime or "in regime",
    }
    if stderr is not None:
        out["agreement_verdict"] = decide(entry.tolerance, agreement, stderr)
    for name, ok in conditions.items():
        out[f"{name}_verdict"] = combine(ok)
    out.update(numbers)
    return out


def entry_result(entry: Entry, out: Mapping[str, Any], *, metrics, figures, notes: str = ""):
    """The entry's :class:`~learnmech.core.result.Result`, its notes ending with what the entry
    is (a prediction or a consistency check) and its references, so both reach the run's
    report."""
    from learnmech.core.result import Result

    tail = [f"Kind: {entry.kind}." if entry.kind == "prediction" else
            f"Kind: {entry.kind} — an identity that holds by construction; it checks the code "
            "and the measurement, it is not a prediction of a theory.",
            "References: " + "; ".join(entry.references) + "."]
    text = "\n\n".join([p for p in (notes.strip(),) if p] + tail)
    return Result(summary=dict(out), metrics=metrics, figures=figures, notes=text)


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
