"""The value every experiment returns: numbers, a long-format table and figures.

An experiment's ``run(config)`` returns a :class:`Result`; the run layer
(:mod:`learnmech.runs`) turns it into the run directory (summary.json, metrics.csv,
figures/*.png, report.html). Experiments never write files themselves.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any


@dataclass(frozen=True)
class Result:
    """What one experiment run measured.

    Attributes
    ----------
    summary : dict[str, float | int | str | bool | None]
        One flat mapping of headline metrics (JSON-serialisable scalars only). Per prediction
        it holds ``<name>_measured``, ``<name>_predicted``, ``<name>_agreement`` and
        ``<name>_verdict`` ("holds" / "fails") where the experiment makes one.
    metrics : list[dict[str, Any]]
        Long-format rows; every row has ``metric`` and ``value`` and at least one of ``step``
        or a sweep variable, plus any group columns (``seed``, ``level``, ...).
    figures : dict[str, Any]
        name -> matplotlib Figure; written as ``figures/<name>.png`` (and ``.svg``).
    notes : str
        Free text for the report (markdown-ish plain text): what the run shows, caveats.
    """

    summary: dict[str, Any]
    metrics: list[dict[str, Any]] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)
    notes: str = ""

    def replace(self, **changes: Any) -> Result:
        """A copy with some fields changed."""
        return replace(self, **changes)
