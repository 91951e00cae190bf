"""The value every experiment returns: numbers, a long-format table and figures.

An experiment's ``run(config)`` returns a :class:`Result`; the run layer
(:mod:`learnmech.runs`) turns it into the run directory (summary.json, metrics.csv,
figures/*.png, report.html). Experiments never write files themselves.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

#: The summary key of a lone verdict; other verdict keys end in ``_verdict``.
VERDICT = "verdict"


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


def is_verdict_key(key: str) -> bool:
    """Whether a summary key holds a verdict (``verdict`` or ``<name>_verdict``)."""
    return key == VERDICT or key.endswith(f"_{VERDICT}")


def verdict_name(key: str) -> str:
    """The prediction a verdict key names (``elasticity_verdict`` -> ``elasticity``); a lone
    ``verdict`` keeps its name."""
    return key if key == VERDICT else key.removesuffix(f"_{VERDICT}")


def verdicts_of(summary: Mapping[str, Any]) -> dict[str, Any]:
    """Prediction name -> verdict, for every verdict key of a summary, in summary order."""
    return {verdict_name(key): value for key, value in summary.items() if is_verdict_key(key)}
