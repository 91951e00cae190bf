"""A value against a swept parameter: one series per setting of the other keys, with error
bars (:func:`sweep_plot`), or mean over seeds with interval bars (:func:`sweep_interval_plot`,
the figures of a sweep directory; the interval comes from :mod:`learnmech.plots.intervals`,
cut at the quantity's range). The x-axis is logarithmic when the swept values are log-spaced
(:func:`~learnmech.plots.theme.is_log_spaced`) unless the caller says otherwise."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from learnmech.plots._checks import (
    FigureInputError,
    as_array,
    same_shape,
    series_labels,
    series_rows,
)
from learnmech.plots.intervals import clipped_interval
from learnmech.plots.theme import (
    SINGLE,
    finish_axes,
    is_log_spaced,
    new_figure,
    series_style,
    style,
)

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

__all__ = ["sweep_interval_plot", "sweep_plot"]


def sweep_plot(
    x: Any,
    ys: Any,
    *,
    labels: Sequence[str],
    xlabel: str,
    ylabel: str,
    logx: bool | None = None,
    logy: bool = False,
    title: str = "",
    errors: Any = None,
    bars: tuple[Any, Any] | None = None,
    dodge: float = 0.0,
) -> Figure:
    """Final value versus a swept parameter: markers and lines, with optional error bars.

    Parameters
    ----------
    x : array, shape (n_x,)
        Parameter values.
    ys : array-like, shape (n_series, n_x)
        One row per series (a 1-d array is one series). NaNs leave gaps.
    labels : sequence of str, length n_series
        Legend entries.
    xlabel, ylabel : str
        Axis labels (with units).
    logx : bool or None
        Log x-axis; None (default): when ``x`` is log-spaced (symlog if some x <= 0).
    logy : bool
        Log y-axis.
    title : str
        Axes title.
    errors : array-like, shape (n_series, n_x), optional
        Symmetric error-bar half-widths (e.g. std over seeds).
    bars : (array-like, array-like), each of shape (n_series, n_x), optional
        The lower and upper ends of each error bar (y values; NaN: no bar), for bars that are
        not symmetric, e.g. an interval cut at the quantity's range. Not with ``errors``.
    dodge : float
        0 (default): lines through the markers. > 0: markers only, series i shifted by
        (i − (n_series − 1)/2) × dodge along x — for categorical x, where lines would invent
        an order and coinciding markers would hide each other.

    Returns
    -------
    Figure
        One axes (``fig.axes[0]``).
    """
    xx = as_array("x", x, ndim=1)
    vals = series_rows("ys", ys, xx.size, "n_x", "len(x)")
    err = _error_bars(errors, bars, vals)
    labels = series_labels("labels", labels, vals.shape[0], "series")
    if logx is None:
        logx = dodge == 0 and is_log_spaced(xx)
    with style():
        fig = new_figure(SINGLE)
        ax = fig.subplots()
        for i, (row, label) in enumerate(zip(vals, labels, strict=True)):
            sty = series_style(i)
            shift = (i - (len(vals) - 1) / 2) * dodge
            ax.errorbar(xx + shift, row, yerr=None if err is None else err[:, i],
                        color=sty["color"], ls="none" if dodge > 0 else sty["linestyle"],
                        marker=sty["marker"], ms=5, capsize=2.5, elinewidth=0.9,
                        capthick=0.9, label=label)
        finish_axes(fig, ax, xx, xlabel=xlabel, ylabel=ylabel, title=title, logx=logx,
                    logy=logy)
    return fig


def _error_bars(errors: Any, bars: tuple[Any, Any] | None, vals: np.ndarray) -> np.ndarray | None:
    """Error bars as (2, n_series, n_x) distances below and above ``vals`` (NaN: none)."""
    if errors is not None and bars is not None:
        raise FigureInputError("errors, bars: give one of them, not both")
    if errors is not None:
        err = as_array("errors", errors)
        if err.ndim == 1:
            err = err[None, :]
        same_shape("errors", err, vals.shape, "ys")
        return np.stack([err, err])
    if bars is None:
        return None
    if len(bars) != 2:
        raise FigureInputError("bars: expected (lower ends, upper ends)")
    ends = []
    for name, end in zip(("bars[0]", "bars[1]"), bars, strict=True):
        arr = as_array(name, end)
        if arr.ndim == 1:
            arr = arr[None, :]
        same_shape(name, arr, vals.shape, "ys")
        ends.append(arr)
    below, above = vals - ends[0], ends[1] - vals
    if np.any(below < 0) or np.any(above < 0):
        raise FigureInputError("bars: every lower end must be <= its value <= its upper end")
    return np.nan_to_num(np.stack([below, above]), nan=0.0)


def sweep_interval_plot(
    x: Any,
    means: Any,
    half_widths: Any,
    *,
    labels: Sequence[str],
    xlabel: str,
    ylabel: str,
    categories: Sequence[str] | None = None,
    logx: bool | None = None,
    title: str = "",
    bounds: tuple[float | None, float | None] = (None, None),
) -> Figure:
    """A sweep's metric against a swept value: mean over seeds with interval error bars.

    Parameters
    ----------
    x : array, shape (n_x,), or None
        Numeric swept values; None with ``categories`` for non-numeric values.
    means, half_widths : array-like, shape (n_series, n_x)
        Mean over seeds and the interval half-width (e.g. a 95 % t-interval; NaN draws no bar,
        as for a single seed).
    labels : sequence of str, length n_series
        Legend entries (the other swept keys' values).
    xlabel, ylabel : str
        Axis labels.
    categories : sequence of str, optional
        Tick labels for non-numeric swept values, placed at 0, 1, ..., n_x - 1; the series
        are then drawn as dodged markers without lines (``sweep_plot(dodge=...)``).
    logx : bool or None
        Log x-axis (numeric x only); None (default): when the swept values are log-spaced.
    title : str
        Axes title.
    bounds : (float or None, float or None)
        The range of the quantity (e.g. (0, 1) for an accuracy, (0, None) for a count): bars
        are cut there (:func:`~learnmech.plots.intervals.clipped_interval`).

    Returns
    -------
    Figure
        One axes (``fig.axes[0]``).
    """
    if x is None:
        if categories is None:
            raise FigureInputError("x: give numeric values, or x=None with categories")
        x = np.arange(len(categories), dtype=float)
    mm = as_array("means", means)
    hh = as_array("half_widths", half_widths)
    if hh.shape != mm.shape:
        raise FigureInputError(f"half_widths: shape {hh.shape} does not match means {mm.shape}")
    ends = np.array([clipped_interval(m, h, bounds) for m, h in zip(mm.ravel(), hh.ravel(),
                                                                    strict=True)])
    lower = ends[:, 0].reshape(mm.shape) if ends.size else mm
    upper = ends[:, 1].reshape(mm.shape) if ends.size else mm
    fig = sweep_plot(x, mm, labels=labels, xlabel=xlabel, ylabel=ylabel,
                     logx=False if categories is not None else logx, title=title,
                     bars=(np.where(np.isfinite(mm), lower, np.nan),
                           np.where(np.isfinite(mm), upper, np.nan)),
                     dodge=0.0 if categories is None else 0.5 / _series_count(means))
    if categories is not None:
        ax = fig.axes[0]
        ax.set_xticks(np.arange(len(categories)), [str(c) for c in categories])
        ax.set_xlim(-0.5, len(categories) - 0.5)
    return fig


def _series_count(ys: Any) -> int:
    """Series in a (n_series, n_x) array-like; a 1-d one is one series."""
    return 1 if np.ndim(ys) == 1 else len(ys)
