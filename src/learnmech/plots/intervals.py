"""A metric over seeds: which summary keys are metrics, and their mean with a t-interval.

The one interval formula of learnmech. A sweep's figures (error bars, drawn by
:func:`~learnmech.plots.sweeps.sweep_interval_plot`) and the report's tables
(``mean ± half (n=…)``) both take it from :func:`mean_interval`, and both pick the metrics they
show with :func:`headline_metrics`. An interval never leaves the range of its quantity:
:func:`clipped_interval` cuts its ends at the known bounds (a count at 0, a share at 0 and 1;
:func:`learnmech.plots.quantities.quantity_range` reads them from a summary key).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

__all__ = ["clipped_error_bars", "clipped_interval", "headline_metrics", "is_number",
           "mean_interval"]


def is_number(value: Any) -> bool:
    """Whether a summary value is a number (an int or a float, not a bool)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def headline_metrics(rows: list[dict[str, Any]]) -> tuple[list[str], dict[str, Any]]:
    """Numeric summary keys that vary across runs, and the constant ones with their value.

    ``rows`` holds one dict per run with its ``summary`` (a dict). A key is a metric when every
    run that has a value for it has a number; it varies when the numbers differ or some run
    lacks it.
    """
    keys: dict[str, list[Any]] = {}
    for row in rows:
        for key, value in row["summary"].items():
            keys.setdefault(key, []).append(value)
    varying, constant = [], {}
    for key, values in keys.items():
        numbers = [v for v in values if is_number(v)]
        if not numbers or len(numbers) != sum(v is not None for v in values):
            continue
        if len(set(numbers)) > 1 or len(numbers) != len(values):
            varying.append(key)
        else:
            constant[key] = numbers[0]
    return varying, constant


def mean_interval(values: Sequence[float], level: float = 0.95) -> tuple[float, float, int]:
    """Mean and half-width of the two-sided Student-t interval over seeds.

    ``mean ± t_{(1+level)/2, n-1} · s / sqrt(n)`` with ``s`` the sample standard deviation
    (ddof = 1) of the finite values; the half-width is NaN for fewer than two values.

    Returns
    -------
    (mean, half_width, n)
    """
    import numpy as np

    x = np.asarray([v for v in values if v is not None], dtype=float)
    x = x[np.isfinite(x)]
    n = int(x.size)
    if n == 0:
        return math.nan, math.nan, 0
    if n == 1:
        return float(x[0]), math.nan, 1
    from scipy.special import stdtrit  # Student-t quantile (lighter than scipy.stats)

    half = float(stdtrit(n - 1, 0.5 + level / 2) * x.std(ddof=1) / math.sqrt(n))
    return float(x.mean()), half, n


def clipped_interval(mean: float, half: float,
                     bounds: tuple[float | None, float | None] = (None, None)
                     ) -> tuple[float, float]:
    """The ends of ``mean ± half`` cut at the quantity's range ``bounds = (low, high)``.

    None leaves that side open; a NaN half-width (fewer than two values) gives the point
    ``(mean, mean)``. A mean of 5 steps ± 8 is the interval (0, 13), not (−3, 13); an accuracy
    of 0.97 ± 0.05 is (0.92, 1). A bound that the mean itself breaks is not applied (the
    values are not the quantity the bound was meant for).
    """
    if not math.isfinite(half):
        return mean, mean
    low, high = mean - half, mean + half
    if bounds[0] is not None and mean >= bounds[0]:
        low = max(low, bounds[0])
    if bounds[1] is not None and mean <= bounds[1]:
        high = min(high, bounds[1])
    return low, high


def clipped_error_bars(means: Sequence[float], halves: Sequence[float],
                       bounds: tuple[float | None, float | None] = (None, None)) -> Any:
    """Matplotlib's asymmetric ``yerr`` for ``means ± halves`` cut at ``bounds``.

    Returns
    -------
    ndarray, shape (2, n)
        Distances from each mean down to the interval's lower end and up to its upper end
        (:func:`clipped_interval`); 0 where the half-width or the mean is not finite.
    """
    import numpy as np

    ends = [clipped_interval(float(m), float(h), bounds) for m, h in zip(means, halves,
                                                                         strict=True)]
    m = np.asarray(means, dtype=float)
    low = np.array([e[0] for e in ends], dtype=float).reshape(m.shape)
    high = np.array([e[1] for e in ends], dtype=float).reshape(m.shape)
    return np.nan_to_num(np.stack([m - low, high - m]), nan=0.0)
