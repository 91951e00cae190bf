"""Quantities over training: one line per series (:func:`info_curves`), or the mean over
seeds with a spread band (:func:`curves_with_bands`)."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from learnmech.plots._checks import (
    FigureInputError,
    as_array,
    one_of,
    same_shape,
    series_labels,
    series_rows,
)
from learnmech.plots.theme import (
    SINGLE,
    finish_axes,
    marker_step,
    new_figure,
    place_legend,
    series_style,
    set_log_x,
    style,
    suptitle,
)

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

__all__ = ["curves_with_bands", "info_curves"]


def info_curves(
    steps: Any,
    values: Any,
    *,
    labels: Sequence[str],
    ylabel: str,
    title: str = "",
) -> Figure:
    """Several quantities over training on a log step axis (e.g. I(X;T|Y) per level).

    Parameters
    ----------
    steps : array, shape (n_records,)
        Training steps (x-axis, log scale; symlog if some step is <= 0).
    values : array of float, shape (n_series, n_records)
        One row per series; a 1-d array is one series.
    labels : sequence of str, length n_series
        Legend entries.
    ylabel, title : str
        y-axis label (with units) and title.

    Returns
    -------
    Figure
        One axes, one line with markers per series.
    """
    st = as_array("steps", steps, ndim=1)
    vals = series_rows("values", values, st.size, "n_records", "len(steps)")
    labels = series_labels("labels", labels, vals.shape[0], "series")
    with style():
        fig = new_figure(SINGLE)
        ax = fig.subplots()
        for i, (row, label) in enumerate(zip(vals, labels, strict=True)):
            ax.plot(st, row, label=label, ms=3.5, markevery=marker_step(st.size), **series_style(i))
        set_log_x(ax, st)
        ax.set_xlabel("training step")
        ax.set_ylabel(ylabel)
        place_legend(fig, ax)
        suptitle(fig, title)
    return fig


def curves_with_bands(
    x: Any,
    ys: Sequence[Any],
    *,
    labels: Sequence[str],
    xlabel: str,
    ylabel: str,
    logx: bool = True,
    logy: bool = False,
    band: str = "std",
    title: str = "",
    hlines: Mapping[str, float] | None = None,
) -> Figure:
    """Mean over seeds with a shaded spread band, one curve per series.

    Parameters
    ----------
    x : array, shape (n_x,)
        Common x values.
    ys : sequence over series of arrays of shape (n_seeds, n_x)
        The values per seed; a 1-d array of shape (n_x,) is one seed. NaNs are ignored.
    labels : sequence of str, length n_series
        Legend entries; "(n=<seeds>)" is appended.
    xlabel, ylabel : str
        Axis labels (with units).
    logx, logy : bool
        Log axes (x: symlog when some x <= 0; y: non-positive values are not shown).
    band : {"std", "quantile"}
        Mean ± 1 standard deviation over seeds, or the 10-90 % quantile band. With one seed the
        band has zero width.
    title : str
        Axes title.
    hlines : mapping label -> float, optional
        Horizontal reference lines (e.g. thresholds), dotted and in the legend.

    Returns
    -------
    Figure
        One axes.
    """
    one_of("band", band, ("std", "quantile"))
    xx = as_array("x", x, ndim=1)
    if isinstance(ys, np.ndarray) and ys.ndim == 2 and len(labels) == 1 and ys.shape[0] != 1:
        ys = [ys]
    series = []
    for i, y in enumerate(ys):
        arr = as_array(f"ys[{i}]", y)
        if arr.ndim == 1:
            arr = arr[None, :]
        if arr.ndim != 2:
            raise FigureInputError(f"ys[{i}]: expected shape (n_seeds, n_x), got {arr.shape}")
        same_shape(f"ys[{i}]", arr, (arr.shape[0], xx.size), "(n_seeds, len(x)) =")
        series.append(arr)
    labels = series_labels("labels", labels, len(series), "series")

    with style():
        fig = new_figure(SINGLE)
        ax = fig.subplots()
        for i, (arr, label) in enumerate(zip(series, labels, strict=True)):
            sty = series_style(i)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                mean = np.nanmean(arr, axis=0)
                if band == "std":
                    sd = np.nanstd(arr, axis=0)
                    lo, hi = mean - sd, mean + sd
                else:
                    lo, hi = np.nanquantile(arr, [0.1, 0.9], axis=0)
            if logy:
                tiny = np.nanmin(mean[mean > 0]) * 1e-3 if np.any(mean > 0) else 1e-12
                lo = np.where(lo > 0, lo, tiny)
            ax.fill_between(xx, lo, hi, color=sty["color"], alpha=0.2, linewidth=0, zorder=1)
            ax.plot(xx, mean, color=sty["color"], ls=sty["linestyle"], marker=sty["marker"],
                    ms=3.5, markevery=marker_step(xx.size), zorder=3,
                    label=f"{label} (n={arr.shape[0]})")
        for j, (label, yv) in enumerate((hlines or {}).items()):
            ax.axhline(float(yv), color=("#000000", "#666666", "#999999")[j % 3],
                       ls=(0, (1.5, 1.5)), lw=1.0, zorder=2, label=label)
        finish_axes(fig, ax, xx, xlabel=xlabel, ylabel=ylabel, title=title, logx=logx,
                    logy=logy)
    return fig
