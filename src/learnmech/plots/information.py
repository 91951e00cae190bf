"""The information plane: I(X;T) against I(T;Y) per level over training (Shwartz-Ziv and
Tishby, 2017)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from learnmech.plots._checks import FigureInputError, as_array, same_shape, series_labels
from learnmech.plots.theme import (
    ANNOT_SIZE,
    SINGLE,
    new_figure,
    place_legend,
    series_style,
    style,
    suptitle,
)

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

__all__ = ["information_plane"]


def information_plane(
    i_xt: Any,
    i_ty: Any,
    steps: Any,
    *,
    level_labels: Sequence[str] | None = None,
    xlabel: str = "I(X;T) [bits]",
    ylabel: str = "I(T;Y) [bits]",
    title: str = "",
) -> Figure:
    """Information-plane trajectories, one per level, markers coloured by training step.

    Parameters
    ----------
    i_xt, i_ty : array of float, shape (n_records, n_levels)
        I(X;T_l) and I(T_l;Y) at each recorded step.
    steps : array, shape (n_records,)
        Training step of each record. The marker colour follows it on a log scale (steps <= 0
        take the colour of the smallest positive step); a colorbar reads "training step".
    level_labels : sequence of str, length n_levels, optional
        Legend entries; default "level 1", ...
    xlabel, ylabel, title : str
        Axis labels and title.

    Returns
    -------
    Figure
        One plotting axes plus one colorbar axes. Each level has its own line style and marker
        shape (grey line, markers filled by step); its first and last points are outlined in
        black and annotated "start" / "end".
    """
    from matplotlib.colors import LogNorm, Normalize
    from matplotlib.lines import Line2D

    ixt = as_array("i_xt", i_xt)
    if ixt.ndim == 1:
        ixt = ixt[:, None]
    if ixt.ndim != 2 or ixt.shape[0] == 0:
        raise FigureInputError(f"i_xt: expected shape (n_records, n_levels), got {ixt.shape}")
    ity = as_array("i_ty", i_ty)
    if ity.ndim == 1:
        ity = ity[:, None]
    same_shape("i_ty", ity, ixt.shape, "i_xt")
    st = as_array("steps", steps, ndim=1)
    same_shape("steps", st, (ixt.shape[0],), "the records of i_xt")
    n_levels = ixt.shape[1]
    labels = series_labels("level_labels", level_labels, n_levels, "level")

    positive = st[np.isfinite(st) & (st > 0)]
    if positive.size and positive.max() > positive.min():
        norm: Normalize = LogNorm(vmin=positive.min(), vmax=positive.max(), clip=True)
        cvals = np.where(st > 0, st, positive.min())
    else:
        lo, hi = (float(np.nanmin(st)), float(np.nanmax(st))) if st.size else (0.0, 1.0)
        norm = Normalize(vmin=lo, vmax=hi if hi > lo else lo + 1.0)
        cvals = st
    cmap = "viridis"
    line_greys = ("#555555", "#777777", "#999999", "#444444", "#888888", "#666666")

    with style():
        fig = new_figure(SINGLE if n_levels <= 3 else (5.2, 3.8))
        ax = fig.subplots()
        handles = []
        sc = None
        annotated: set[tuple[str, float, float]] = set()
        span = tuple(
            float(np.ptp(v[np.isfinite(v)])) if np.isfinite(v).any() and np.ptp(v[np.isfinite(v)])
            > 0 else 1.0 for v in (ixt, ity)
        )
        for lvl in range(n_levels):
            sty = series_style(lvl)
            xs, ys = ixt[:, lvl], ity[:, lvl]
            ax.plot(xs, ys, color=line_greys[lvl % len(line_greys)], ls=sty["linestyle"],
                    lw=1.1, zorder=2)
            sc = ax.scatter(xs, ys, c=cvals, cmap=cmap, norm=norm, marker=sty["marker"], s=26,
                            edgecolors="#333333", linewidths=0.4, zorder=3)
            for j, text in ((0, "start"), (-1, "end")):
                ax.scatter(xs[j], ys[j], c=[cvals[j]], cmap=cmap, norm=norm, marker=sty["marker"],
                           s=48, edgecolors="black", linewidths=1.1, zorder=4)
                key = (text, round(float(xs[j]) / span[0], 2), round(float(ys[j]) / span[1], 2))
                if key in annotated or not (np.isfinite(xs[j]) and np.isfinite(ys[j])):
                    continue
                annotated.add(key)
                # push the label away from the neighbouring point of the trajectory
                nb = 1 if j == 0 else -2
                if ixt.shape[0] > 1:
                    d = np.array([(xs[j] - xs[nb]) / span[0], (ys[j] - ys[nb]) / span[1]])
                else:
                    d = np.array([-1.0, 1.0])
                d = d / np.linalg.norm(d) if np.all(np.isfinite(d)) and np.any(d) else \
                    np.array([-1.0, 1.0]) / np.sqrt(2)
                ax.annotate(text, (xs[j], ys[j]), xytext=tuple(7 * d), textcoords="offset points",
                            fontsize=ANNOT_SIZE - 0.5, color="#222222",
                            ha="left" if d[0] > 0.3 else ("right" if d[0] < -0.3 else "center"),
                            va="bottom" if d[1] > 0.3 else ("top" if d[1] < -0.3 else "center"),
                            zorder=5)
            handles.append(Line2D([], [], color=line_greys[lvl % len(line_greys)],
                                  ls=sty["linestyle"], lw=1.1, marker=sty["marker"], ms=5.5,
                                  mfc="white", mec="#333333", label=labels[lvl]))
        cb = fig.colorbar(sc, ax=ax, pad=0.02, fraction=0.06, aspect=25)
        cb.set_label("training step")
        cb.outline.set_linewidth(0.5)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.margins(0.1)
        place_legend(fig, ax, handles=handles)
        suptitle(fig, title)
    return fig
