"""The one figure style of learnmech, and the pieces every figure is built from.

Every figure function of :mod:`learnmech.plots` is pure: it builds a new
``matplotlib.figure.Figure`` (never pyplot, so no global figure registry and no GUI backend are
involved), draws on it and returns it; the caller (the run layer) saves it, e.g. with
:func:`save`. matplotlib is imported inside the functions, so importing a module of
:mod:`learnmech.plots` stays cheap.

The look is fixed here, in :data:`STYLE`, applied through the :func:`style` context manager
(which restores the previous rcParams on exit): 9-10 pt fonts, light axes, the Okabe-Ito
colour-blind-safe palette, constrained ("tight") layout and 150 dpi. Series cycle through
:data:`PALETTE`, :data:`LINESTYLES` and :data:`MARKERS` together (:func:`series_style`); line
plots end with :func:`finish_axes` (scales, labels, title, legend). Legends sit off the data
(:func:`place_legend`: below the figure, or right of a panel); :func:`is_log_spaced` says when a
grid of x values asks for a log axis. Labels are words with units; mathematical symbols are
written in mathtext (``r"$\\lambda_l$"``, ``r"$S^{9}$"``), which :data:`STYLE` sets in the
text font.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from learnmech.core.atomic import atomic_path
from learnmech.plots._checks import FigureInputError

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["DOUBLE", "DPI", "LINESTYLES", "MARKERS", "PALETTE", "SINGLE", "STYLE", "WIDE",
           "apply_style", "is_log_spaced", "new_figure", "panel_grid", "place_legend", "save",
           "series_style", "style"]

#: Okabe & Ito's colour-blind-safe palette, in the order series are coloured (yellow last:
#: it is hard to see on white).
PALETTE: tuple[str, ...] = (
    "#0072B2",  # blue
    "#D55E00",  # vermillion
    "#009E73",  # bluish green
    "#E69F00",  # orange
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#000000",  # black
    "#F0E442",  # yellow
)
#: Line styles and markers cycled together with the colours, so series stay distinguishable in
#: grey-scale print too.
LINESTYLES: tuple[Any, ...] = ("-", "--", "-.", ":", (0, (5, 1, 1, 1)), (0, (3, 1, 1, 1, 1, 1)))
MARKERS: tuple[str, ...] = ("o", "s", "^", "D", "v", "P", "X", "*")

#: Single-column and two-panel figure sizes in inches.
SINGLE = (4.5, 3.2)
#: Size of a figure of one axes with a long title or many points.
WIDE = (6.0, 3.8)
DOUBLE = (9.0, 3.8)
DPI = 150
ANNOT_SIZE = 8.0
#: Legend geometry (inches): one row's height, one label character's width, a handle's width.
_LEGEND_ROW_INCHES = 0.2
_LEGEND_CHAR_INCHES = 0.065
_LEGEND_HANDLE_INCHES = 0.55

#: The rcParams every figure of learnmech.plots is drawn under.
STYLE: dict[str, Any] = {
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Arial", "Helvetica"],
    "font.size": 9.0,
    "axes.titlesize": 10.0,
    "axes.labelsize": 9.5,
    "xtick.labelsize": 8.5,
    "ytick.labelsize": 8.5,
    "legend.fontsize": 8.5,
    "legend.title_fontsize": 8.5,
    "figure.titlesize": 10.5,
    "axes.linewidth": 0.8,
    "axes.edgecolor": "#333333",
    "axes.labelcolor": "#222222",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.axisbelow": True,
    "grid.color": "#E3E3E3",
    "grid.linewidth": 0.6,
    "xtick.color": "#333333",
    "ytick.color": "#333333",
    "xtick.major.width": 0.8,
    "ytick.major.width": 0.8,
    "xtick.major.size": 3.0,
    "ytick.major.size": 3.0,
    "xtick.minor.size": 1.8,
    "ytick.minor.size": 1.8,
    "lines.linewidth": 1.6,
    "lines.markersize": 4.5,
    "legend.frameon": True,
    "legend.framealpha": 0.9,
    "legend.edgecolor": "#CCCCCC",
    "legend.fancybox": False,
    "legend.borderaxespad": 0.4,
    "legend.handlelength": 2.2,
    "image.cmap": "viridis",
    "mathtext.default": "regular",
    "savefig.dpi": DPI,
    "savefig.bbox": "tight",
    "savefig.pad_inches": 0.03,
    "figure.dpi": DPI,
    "figure.constrained_layout.h_pad": 0.04,
    "figure.constrained_layout.w_pad": 0.04,
}


@contextlib.contextmanager
def style() -> Iterator[None]:
    """Draw under :data:`STYLE`; the previous rcParams come back on exit.

    Every figure function of :mod:`learnmech.plots` builds its figure inside this context, so
    fonts, colours and spines are fixed at creation and nothing global is left changed.
    """
    import matplotlib

    with matplotlib.rc_context(STYLE):
        yield


def apply_style() -> None:
    """Set :data:`STYLE` globally (for notebooks and ad-hoc pyplot figures).

    The figure functions do not need it: they use :func:`style`.
    """
    import matplotlib

    matplotlib.rcParams.update(STYLE)


def new_figure(figsize: tuple[float, float]) -> Figure:
    """A new constrained-layout Figure of ``figsize`` inches at :data:`DPI` (no pyplot)."""
    from matplotlib.figure import Figure

    return Figure(figsize=figsize, dpi=DPI, layout="constrained")


def suptitle(fig: Figure, title: str) -> None:
    """The figure's title, when there is one."""
    if title:
        fig.suptitle(title, fontsize=STYLE["figure.titlesize"])


def series_style(i: int) -> dict[str, Any]:
    """Colour, line style and marker of series ``i`` (the three cycles run together)."""
    return {
        "color": PALETTE[i % len(PALETTE)],
        "linestyle": LINESTYLES[i % len(LINESTYLES)],
        "marker": MARKERS[i % len(MARKERS)],
    }


def is_log_spaced(x: Any) -> bool:
    """Whether values are spread on a log scale: all positive and geometric, not arithmetic.

    Two values are log-spaced when one is at least 10 times the other; three or more when all
    are > 0, the largest is at least 4 times the smallest, and the steps between consecutive
    sorted distinct values are more even in log x than in x (their coefficient of variation is
    smaller): 1, 2, 4, 8 and 10, 100, 1000 are; 1, 2, 3, 4 and 0, 0.1, 0.2 are not.
    """
    values = np.asarray(x, dtype=float).ravel()
    values = np.unique(values[np.isfinite(values)])
    if values.size < 2 or values[0] <= 0:
        return False
    ratio = values[-1] / values[0]
    if values.size == 2:
        return bool(ratio >= 10.0)
    if ratio < 4.0:
        return False
    return bool(_spread(np.diff(np.log(values))) < _spread(np.diff(values)))


def _spread(steps: np.ndarray) -> float:
    """Coefficient of variation of positive steps (0 when all equal)."""
    return float(np.std(steps) / np.mean(steps))


def set_log_x(ax: Axes, x: np.ndarray) -> None:
    """Log x-axis; symlog (linear below 1) when some x is <= 0, e.g. step 0."""
    finite = x[np.isfinite(x)]
    if finite.size and finite.min() <= 0:
        ax.set_xscale("symlog", linthresh=1.0, linscale=0.3)
    else:
        ax.set_xscale("log")


def finish_axes(fig: Figure, ax: Axes, x: np.ndarray, *, xlabel: str, ylabel: str,
                title: str, logx: bool, logy: bool) -> None:
    """Axis scales, labels, title and legend: the common ending of the line plots."""
    if logx:
        set_log_x(ax, x)
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    place_legend(fig, ax)


def place_legend(fig: Figure, ax: Axes, *, where: str = "below", handles: list[Any] | None = None,
                 **kwargs: Any) -> None:
    """The legend of ``ax``, off the data: below the figure, right of the axes or under them.

    ``where="below"`` (figures of one plotting axes): a frameless figure legend under the axes,
    in as many columns as the figure's width holds, the figure made taller by its rows.
    ``where="right"`` (panels of a grid): beside the axes' right edge; constrained layout
    narrows the axes to make room. ``where="under"`` (a row of panels with long labels): one
    column under the axes' x label; constrained layout shortens the axes to make room.
    ``handles`` (artists with labels) replace the labelled artists of ``ax``; nothing is drawn
    when there are none.
    """
    if where not in ("below", "right", "under"):
        raise FigureInputError(f"where: expected 'below', 'right' or 'under', got {where!r}")
    if handles is None:
        handles, labels = ax.get_legend_handles_labels()
    else:
        labels = [h.get_label() for h in handles]
    if not handles:
        return
    if where == "right":
        ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.02, 1.0),
                  borderaxespad=0.0, frameon=False, **kwargs)
        return
    if where == "under":
        ax.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, -0.22),
                  borderaxespad=0.0, frameon=False, **kwargs)
        return
    width, height = fig.get_size_inches()
    ncol = legend_columns(labels, width)
    rows = -(-len(labels) // ncol)
    fig.set_size_inches(width, height + _LEGEND_ROW_INCHES * rows + 0.05)
    fig.legend(handles, labels, loc="outside lower center", ncol=ncol, frameon=False, **kwargs)


def legend_columns(labels: list[str], width: float) -> int:
    """How many legend entries of these labels fit side by side in ``width`` inches."""
    return max(1, min(len(labels), int((width - 0.2) // legend_inches(labels))))


def legend_inches(labels: list[str]) -> float:
    """The width of one legend column holding these labels, in inches (0 when none)."""
    if not labels:
        return 0.0
    return max(len(label) for label in labels) * _LEGEND_CHAR_INCHES + _LEGEND_HANDLE_INCHES


def marker_step(n: int) -> int:
    """Mark every k-th point of an ``n``-point line, so a line carries about 15 markers."""
    return max(1, n // 15)


def panel_grid(
    n_panels: int, *, ncols: int = 3, panel_size: tuple[float, float] = (3.4, 2.8)
) -> tuple[Figure, np.ndarray]:
    """An empty grid of axes for multi-panel figures, in the house style.

    Parameters
    ----------
    n_panels : int
        Number of axes (>= 1).
    ncols : int
        Columns (reduced to ``n_panels`` when fewer); rows follow.
    panel_size : (float, float)
        Width and height of one panel, inches.

    Returns
    -------
    fig : Figure
    axes : ndarray of Axes, shape (n_panels,)
        Row-major; unused cells of the last row are not created.
    """
    n_panels = int(n_panels)
    if n_panels < 1:
        raise FigureInputError(f"n_panels: must be >= 1, got {n_panels}")
    if int(ncols) < 1:
        raise FigureInputError(f"ncols: must be >= 1, got {ncols}")
    ncols = min(int(ncols), n_panels)
    nrows = -(-n_panels // ncols)
    with style():
        fig = new_figure((panel_size[0] * ncols, panel_size[1] * nrows))
        grid = fig.subplots(nrows, ncols, squeeze=False)
        flat = grid.ravel()
        for ax in flat[n_panels:]:
            ax.remove()
    return fig, np.array(list(flat[:n_panels]), dtype=object)


def save(figure: Figure, path: str | Path, *, dpi: float | None = None) -> None:
    """Write ``figure`` to ``path`` atomically, in the format of the path's suffix, with a
    tight bounding box (``dpi``: matplotlib's ``savefig.dpi`` when None)."""
    path = Path(path)
    options = {} if dpi is None else {"dpi": dpi}
    with atomic_path(path) as tmp:
        figure.savefig(tmp, format=path.suffix[1:], bbox_inches="tight", **options)
