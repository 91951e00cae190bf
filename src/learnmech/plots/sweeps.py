"""A value against a swept parameter: one series per setting of the other keys, with error
bars (:func:`sweep_plot`), or mean over seeds with interval bars (:func:`sweep_interval_plot`,
the figures of a sweep directory; the interval comes from :mod:`learnmech.plots.intervals`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from learnmech.plots._checks import as_array, same_shape, series_labels, series_rows
from learnmech.plots.theme import SINGLE, finish_axes, new_figure, series_style, style

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
    logx: bool = False,
    logy: bool = False,
    title: str = "",
    errors: Any = None,
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
    logx, logy : bool
        Log axes.
    title : str
        Axes title.
    errors : array-like, shape (n_series, n_x), optional
        Symmetric error-bar half-widths (e.g. std over seeds).
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
    err = None
    if errors is not None:
        err = as_array("errors", errors)
        if err.ndim == 1:
            err = err[None, :]
        same_shape("errors", err, vals.shape, "ys")
    labels = series_labels("labels", labels, vals.shape[0], "series")
    with style():
        fig = new_figure(SINGLE)
        ax = fig.subplots()
        for i, (row, label) in enumerate(zip(vals, labels, strict=True)):
            sty = series_style(i)
            shift = (i - (len(vals) - 1) / 2) * dodge
            ax.errorbar(xx + shift, row, yerr=None if err is None else err[i],
                        color=sty["color"], ls="none" if dodge > 0 else sty["linestyle"],
                        marker=sty["marker"], ms=5, capsize=2.5, elinewidth=0.9,
                        capthick=0.9, label=label)
        finish_axes(fig, ax, xx, xlabel=xlabel, ylabel=ylabel, title=title, logx=logx,
                    logy=logy)
    return fig


def sweep_interval_plot(
    x: Any,
    means: Any,
    half_widths: Any,
    *,
    labels: Sequence[str],
    xlabel: str,
    ylabel: str,
    categories: Sequence[str] | None = None,
    logx: bool = False,
    title: str = "",
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
    logx : bool
        Log x-axis (numeric x only).
    title : str
        Axes title.

    Returns
    -------
    Figure
        One axes (``fig.axes[0]``).
    """
    if x is None:
        if categories is None:
            raise ValueError("x: give numeric values, or x=None with categories")
        x = np.arange(len(categories), dtype=float)
    fig = sweep_plot(x, means, labels=labels, xlabel=xlabel, ylabel=ylabel,
                     logx=logx and categories is None, title=title,
                     errors=np.nan_to_num(as_array("half_widths", half_widths), nan=0.0),
                     dodge=0.0 if categories is None else 0.5 / _series_count(means))
    if categories is not None:
        ax = fig.axes[0]
        ax.set_xticks(np.arange(len(categories)), [str(c) for c in categories])
        ax.set_xlim(-0.5, len(categories) - 0.5)
    return fig


def _series_count(ys: Any) -> int:
    """Series in a (n_series, n_x) array-like; a 1-d one is one series."""
    return 1 if np.ndim(ys) == 1 else len(ys)
