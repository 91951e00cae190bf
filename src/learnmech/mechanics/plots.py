"""The catalogue's figure: measurement (markers) and prediction (lines) on the same axes.

One helper, :func:`agreement_figure`, in the one style of :mod:`learnmech.plots.theme` (palette,
fonts, constrained layout; a fresh ``Figure``, never pyplot). Series are grouped in panels;
within a panel, colour pairs a measurement with its prediction, and each panel's legend sits to
its right, off the data (the panels are widened to hold it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Panel", "Series", "agreement_figure"]


@dataclass(frozen=True)
class Series:
    """One curve. ``kind``: "measured" (markers, optional error bars) or "predicted" (line)."""

    x: Any
    y: Any
    label: str
    kind: str = "measured"
    color: int = 0
    err: Any = None


@dataclass(frozen=True)
class Panel:
    """One axes: its series, labels, log axes, and horizontal/vertical reference lines."""

    series: list[Series]
    xlabel: str
    ylabel: str
    title: str = ""
    logx: bool = False
    logy: bool = False
    hlines: dict[str, float] = field(default_factory=dict)
    vlines: dict[str, float] = field(default_factory=dict)


def agreement_figure(panels: list[Panel], *, title: str = "", ncols: int = 3):
    """A Figure with one axes per panel (row-major, ``ncols`` per row).

    Returns
    -------
    Figure
        One axes per panel: measurements as markers (with error bars), predictions as dashed
        lines, reference lines dotted; a panel's legend to its right.
    """
    from learnmech.plots import panel_grid, style
    from learnmech.plots.theme import legend_inches

    widest = max((legend_inches(_labels(panel)) for panel in panels), default=0.0)
    fig, axes = panel_grid(len(panels), ncols=ncols, panel_size=(3.6 + 0.8 * widest, 2.9))
    with style():
        for ax, panel in zip(axes, panels, strict=True):
            _draw_panel(fig, ax, panel)
        if title:
            fig.suptitle(title)
    return fig


def _labels(panel: Panel) -> list[str]:
    """The legend entries of a panel."""
    return [s.label for s in panel.series if s.label] + list(panel.hlines) + list(panel.vlines)


def _draw_panel(fig, ax, panel: Panel) -> None:
    """One panel: its series, reference lines, scales, labels and legend."""
    import numpy as np

    from learnmech.plots import LINESTYLES, MARKERS, PALETTE
    from learnmech.plots.theme import place_legend

    for s in panel.series:
        color = PALETTE[s.color % len(PALETTE)]
        x, y = np.asarray(s.x, float), np.asarray(s.y, float)
        if s.kind == "predicted":
            ax.plot(x, y, color=color, ls=LINESTYLES[1], lw=1.4, label=s.label)
        else:
            ax.errorbar(x, y, yerr=None if s.err is None else np.asarray(s.err, float),
                        color=color, ls="none", marker=MARKERS[s.color % len(MARKERS)],
                        ms=3.5, capsize=2, elinewidth=0.8, label=s.label)
    for j, (label, value) in enumerate(panel.hlines.items()):
        ax.axhline(value, color=("#000000", "#777777")[j % 2], ls=":", lw=1.0, label=label)
    for j, (label, value) in enumerate(panel.vlines.items()):
        ax.axvline(value, color=("#000000", "#777777")[j % 2], ls=":", lw=1.0, label=label)
    if panel.logx:
        ax.set_xscale("log")
    if panel.logy:
        ax.set_yscale("log")
    ax.set_xlabel(panel.xlabel)
    ax.set_ylabel(panel.ylabel)
    if panel.title:
        ax.set_title(panel.title)
    place_legend(fig, ax, where="right", fontsize=7.5)
