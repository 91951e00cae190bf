"""The value every experiment returns: numbers, a long-format table and figures.

An experiment's ``run(config)`` returns a :class:`Result`; the run layer
(:mod:`learnmech.runs`) turns it into the run directory (summary.json, metrics.csv,
figures/*.png, report.html). Experiments never write files themselves.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

#: The summary key of a lone verdict; other verdict keys end in ``_verdict``.
VERDICT = "verdict"
#: A figure's name: a file name stem (``figures/<name>.png``).
FIGURE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")


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


# --------------------------------------------------------------------------- the contract


def plain_scalar(value: Any) -> Any:
    """A numpy scalar as its Python value; anything else as it is."""
    if type(value).__module__ == "numpy" and hasattr(value, "item") and getattr(
        value, "ndim", 1
    ) == 0:
        return value.item()
    return value


def plain_summary(summary: Mapping[str, Any]) -> dict[str, Any]:
    """A result's summary as a flat JSON-ready dict (numpy scalars converted, NaN/inf -> None).

    Raises
    ------
    TypeError
        A key that is not a string or a value that is not a scalar (a programming error in the
        experiment: series and tables belong in ``Result.metrics``).
    """
    if not isinstance(summary, Mapping):
        raise TypeError(f"Result.summary must be a dict of scalars; got {type(summary).__name__}")
    plain: dict[str, Any] = {}
    for key, value in summary.items():
        if not isinstance(key, str):
            raise TypeError(f"Result.summary keys must be strings; got {key!r}")
        value = plain_scalar(value)
        if value is not None and not isinstance(value, bool | int | float | str):
            raise TypeError(
                f"Result.summary[{key!r}] must be a scalar (number, string, bool or None); got "
                f"{type(value).__name__}: put series and tables in Result.metrics"
            )
        if isinstance(value, float) and not math.isfinite(value):
            value = None
        plain[key] = value
    return plain


def metric_columns(rows: list[Mapping[str, Any]]) -> list[str]:
    """The columns of a long-format metrics table: the union of the rows' keys in first-seen
    order, with ``metric`` and ``value`` last.

    Raises
    ------
    ValueError
        A row that is not a mapping with ``metric`` and ``value``.
    """
    seen: dict[str, None] = {}
    for i, row in enumerate(rows):
        if not isinstance(row, Mapping) or "metric" not in row or "value" not in row:
            raise ValueError(
                f"Result.metrics[{i}] must be a mapping with 'metric' and 'value'; got {row!r}"
            )
        for key in row:
            seen.setdefault(str(key), None)
    return [c for c in seen if c not in ("metric", "value")] + ["metric", "value"]


def check_figure_names(names: Iterable[Any]) -> None:
    """Refuse a figure name that is not a file name stem (:data:`FIGURE_NAME`).

    Raises
    ------
    ValueError
        Naming the figure.
    """
    for name in names:
        if not isinstance(name, str) or not FIGURE_NAME.match(name):
            raise ValueError(f"figure name {name!r} must be a file name stem "
                             "(letters, digits, '_', '-', '.')")
