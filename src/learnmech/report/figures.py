"""Figure helpers: arrays in, a matplotlib :class:`~matplotlib.figure.Figure` out.

Every function here is pure: it builds a new ``matplotlib.figure.Figure`` (never pyplot, so no
global figure registry and no GUI backend are involved), draws on it and returns it; the caller
(the run layer) saves it. matplotlib is imported inside the functions, so importing this module
stays cheap.

The look is fixed in one place, :data:`STYLE`, applied through the :func:`style` context manager
(which restores the previous rcParams on exit): 9-10 pt fonts, light axes, the Okabe-Ito
colour-blind-safe palette, constrained ("tight") layout and 150 dpi.

Functions
---------
layered_graph       the neurashed feature graph before / after training (node area = volume)
information_plane   I(X;T) versus I(T;Y) trajectories per level, coloured by training step
info_curves         information quantities (e.g. I(X;T|Y) per level) over training, log-x
elasticity_matrix   class-by-class local-elasticity heatmap with superclass blocks
curves_with_bands   mean over seeds with a +-1 std (or 10-90 % quantile) band
sweep_plot          final value versus a swept parameter, with error bars
panel_grid          an empty grid of axes for multi-panel figures
"""

from __future__ import annotations

import contextlib
import re
import warnings
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "KIND_COLORS",
    "KIND_ORDER",
    "PALETTE",
    "STYLE",
    "apply_style",
    "curves_with_bands",
    "elasticity_matrix",
    "info_curves",
    "information_plane",
    "layered_graph",
    "optimization_history",
    "panel_grid",
    "style",
    "sweep_interval_plot",
    "sweep_plot",
    "trial_scatter",
]

# --------------------------------------------------------------------------- style

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

#: Owner kinds of neurashed features, in the order of their integer codes 0..3.
KIND_ORDER: tuple[str, ...] = ("generic", "ancestor", "class", "nuisance")
#: Colour of each owner kind (Okabe-Ito; nuisance in neutral grey).
KIND_COLORS: dict[str, str] = {
    "generic": "#0072B2",
    "ancestor": "#009E73",
    "class": "#D55E00",
    "nuisance": "#8C8C8C",
}

#: Single-column and two-panel figure sizes in inches.
SINGLE = (4.5, 3.2)
DOUBLE = (9.0, 3.8)
DPI = 150
_ANNOT_SIZE = 8.0
_EDGE_GREY = "#B5B5B5"
_NUIS_SPACING = 0.7  # nuisance nodes sit closer than semantic ones: most are tiny
_LABEL_BOX = {"boxstyle": "square,pad=0.1", "facecolor": "white", "edgecolor": "none",
              "alpha": 0.8}

#: The rcParams every figure of this module is drawn under.
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

    Every figure function of this module builds its figure inside this context, so fonts,
    colours and spines are fixed at creation and nothing global is left changed.
    """
    import matplotlib

    with matplotlib.rc_context(STYLE):
        yield


def apply_style() -> None:
    """Set :data:`STYLE` globally (for notebooks and ad-hoc pyplot figures).

    The functions of this module do not need it: they use :func:`style`.
    """
    import matplotlib

    matplotlib.rcParams.update(STYLE)


def _figure(figsize: tuple[float, float]) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=figsize, dpi=DPI, layout="constrained")


def _title(fig: Figure, title: str) -> None:
    if title:
        fig.suptitle(title, fontsize=STYLE["figure.titlesize"])


def _series_style(i: int) -> dict[str, Any]:
    return {
        "color": PALETTE[i % len(PALETTE)],
        "linestyle": LINESTYLES[i % len(LINESTYLES)],
        "marker": MARKERS[i % len(MARKERS)],
    }


def _set_log_x(ax: Axes, x: np.ndarray) -> None:
    """Log x-axis; symlog (linear below 1) when some x is <= 0, e.g. step 0."""
    finite = x[np.isfinite(x)]
    if finite.size and finite.min() <= 0:
        ax.set_xscale("symlog", linthresh=1.0, linscale=0.3)
    else:
        ax.set_xscale("log")


# --------------------------------------------------------------------------- validation


def _array(name: str, value: Any, *, ndim: int | None = None, dtype: Any = float) -> np.ndarray:
    try:
        arr = np.asarray(value, dtype=dtype)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name}: cannot be read as an array of {np.dtype(dtype)}: {exc}") from exc
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name}: expected a {ndim}-d array, got shape {arr.shape}")
    return arr


def _same_shape(name: str, arr: np.ndarray, shape: tuple[int, ...], like: str) -> None:
    if arr.shape != tuple(shape):
        raise ValueError(f"{name}: shape {arr.shape} does not match {like} {tuple(shape)}")


def _labels(name: str, labels: Sequence[str] | None, n: int, default: str) -> list[str]:
    if labels is None:
        return [f"{default} {i + 1}" for i in range(n)]
    labels = [str(s) for s in labels]
    if len(labels) != n:
        raise ValueError(f"{name}: {len(labels)} labels for {n} series")
    return labels


def _kind_codes(kinds: Any, n: int) -> np.ndarray:
    arr = np.asarray(kinds)
    if arr.shape != (n,):
        raise ValueError(f"kinds: shape {arr.shape} does not match levels ({n},)")
    if arr.dtype.kind in "iu":
        codes = arr.astype(int)
        if n and (codes.min() < 0 or codes.max() > 3):
            raise ValueError("kinds: integer codes must lie in 0..3 (generic, ancestor, class, "
                             "nuisance)")
        return codes
    lookup = {k: i for i, k in enumerate(KIND_ORDER)}
    try:
        return np.array([lookup[str(k)] for k in arr], dtype=int)
    except KeyError as exc:
        raise ValueError(f"kinds: unknown kind {exc.args[0]!r}; expected one of {KIND_ORDER} "
                         "or integer codes 0..3") from exc


def _natural_key(text: str) -> list[Any]:
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", text)]


def _fmt(v: float) -> str:
    return f"{v:.3g}"


# --------------------------------------------------------------------------- layered graph


def layered_graph(
    levels: Any,
    volumes_before: Any,
    volumes_after: Any,
    kinds: Any,
    edges: Any,
    *,
    owner_labels: Any = None,
    max_nuisance_per_level: int = 12,
    title: str = "",
) -> Figure:
    """The neurashed feature graph before and after training, drawn as in Su (2021).

    Parameters
    ----------
    levels : array of int, shape (n_features,)
        Level of each feature, 1 = lowest. Levels are drawn as rows, bottom to top.
    volumes_before, volumes_after : array of float, shape (n_features,)
        Amplitudes λ >= 0 at the start and the end of training. Node AREA is proportional to λ,
        with one scale shared by both panels, so growth and shrinkage can be read off directly.
    kinds : array, shape (n_features,)
        Owner kind of each feature: strings from :data:`KIND_ORDER` or integer codes 0..3 in
        that order. Sets the colour (:data:`KIND_COLORS`).
    edges : array of int, shape (n_edges, 2)
        Composition edges (parent, child); may be empty. Drawn as thin grey lines between drawn
        nodes only.
    owner_labels : array of str, shape (n_features,), optional
        Owner of each feature. Semantic features are grouped by owner, left to right (kind
        first: generic, ancestor, class; then owners in natural order), and groups are labelled
        beneath when the labels fit.
    max_nuisance_per_level : int
        Per level, how many nuisance features are drawn individually: the largest ones by
        max(before, after), to the right of a dotted separator. All of a level's nuisance
        features are also summed into one hatched "pool" marker (area = Σλ on the same scale;
        capped at the row height, with a dashed outline, when larger), annotated with their
        count and Σλ.
    title : str
        Figure title.

    Returns
    -------
    Figure
        Two axes, "before training" and "after training", sharing the y-axis (levels), with a
        legend of kinds and node-size keys below.
    """
    import matplotlib.patches as mpatches
    from matplotlib.collections import LineCollection
    from matplotlib.lines import Line2D

    lv = _array("levels", levels, ndim=1)
    n = lv.size
    if n == 0:
        raise ValueError("levels: no features to draw")
    if not np.all(np.isfinite(lv)) or np.any(lv != np.round(lv)) or lv.min() < 1:
        raise ValueError("levels: must be integers >= 1")
    lv = lv.astype(int)
    vb = _array("volumes_before", volumes_before, ndim=1)
    _same_shape("volumes_before", vb, (n,), "levels")
    va = _array("volumes_after", volumes_after, ndim=1)
    _same_shape("volumes_after", va, (n,), "levels")
    for name, v in (("volumes_before", vb), ("volumes_after", va)):
        if not np.all(np.isfinite(v)) or v.min() < 0:
            raise ValueError(f"{name}: volumes must be finite and >= 0")
    kc = _kind_codes(kinds, n)
    ed = np.asarray(edges)
    if ed.size == 0:
        ed = np.zeros((0, 2), dtype=int)
    if ed.ndim != 2 or ed.shape[1] != 2:
        raise ValueError(f"edges: expected shape (n_edges, 2), got {ed.shape}")
    if ed.dtype.kind not in "iu":
        raise ValueError(f"edges: expected integer indices, got dtype {ed.dtype}")
    if ed.size and (ed.min() < 0 or ed.max() >= n):
        raise ValueError(f"edges: indices must lie in 0..{n - 1}")
    if owner_labels is None:
        owners = None
    else:
        owners = np.asarray(owner_labels).astype(str)
        _same_shape("owner_labels", owners, (n,), "levels")
    if int(max_nuisance_per_level) < 0:
        raise ValueError("max_nuisance_per_level: must be >= 0")
    k_nuis = int(max_nuisance_per_level)

    n_levels = int(lv.max())
    nuisance = kc == 3
    vmax_each = np.maximum(vb, va)
    parents: dict[int, list[int]] = {}
    for p, c in ed:
        parents.setdefault(int(c), []).append(int(p))

    # --- semantic layout: owner groups left to right, rows centred; top-down barycentre order
    x = np.full(n, np.nan)
    rows: dict[int, list[list[int]]] = {}
    for level in range(n_levels, 0, -1):
        idx = np.flatnonzero((lv == level) & ~nuisance)
        groups: dict[tuple[int, str], list[int]] = {}
        for i in idx:
            groups.setdefault((int(kc[i]), owners[i] if owners is not None else ""), []).append(
                int(i))
        ordered = []
        for gkey in sorted(groups, key=lambda k: (k[0], _natural_key(k[1]))):
            members = groups[gkey]

            def bary(i: int) -> float:
                px = [x[p] for p in parents.get(i, []) if np.isfinite(x[p])]
                return float(np.mean(px)) if px else np.inf

            ordered.append(sorted(members, key=lambda i: (bary(i), i)))
        rows[level] = ordered
        # provisional positions (centring is applied once every row is known)
        pos = 0.0
        for g in ordered:
            for i in g:
                x[i] = pos
                pos += 1.0
            pos += 1.0
    widths = {lvl: sum(len(g) for g in gs) + max(len(gs) - 1, 0) for lvl, gs in rows.items()}
    sem_width = max(max(widths.values()), 1)
    # every row is stretched (at most 4x) to span the semantic width, like the paper's picture
    group_spans: list[tuple[int, float, float, float, str]] = []
    for level, gs in rows.items():
        spacing = min(4.0, (sem_width - 1.0) / (widths[level] - 1.0)) if widths[level] > 1 else 1.0
        pos = (sem_width - 1.0) / 2.0 - (widths[level] - 1.0) * spacing / 2.0
        for g in gs:
            start = pos
            for i in g:
                x[i] = pos
                pos += spacing
            label = owners[g[0]] if owners is not None else ""
            group_spans.append((level, start, pos - spacing, spacing, label))
            pos += spacing

    # --- nuisance: the k largest per level, then the pool
    nuis_levels = sorted(set(lv[nuisance].tolist()))
    pools: dict[int, tuple[int, float, float]] = {}
    tops: dict[int, np.ndarray] = {}
    n_drawn_nuis = 0
    for level in nuis_levels:
        idx = np.flatnonzero((lv == level) & nuisance)
        pools[level] = (idx.size, float(vb[idx].sum()), float(va[idx].sum()))
        tops[level] = idx[np.argsort(-vmax_each[idx], kind="stable")[:k_nuis]]
        n_drawn_nuis = max(n_drawn_nuis, tops[level].size)
    has_nuis = bool(pools)

    # --- geometry in points, to size nodes against the slot width and row height
    fig_h = DOUBLE[1] + 0.45 * max(n_levels - 3, 0)
    fig_w = DOUBLE[0]
    panel_w_pt = (fig_w - 1.0) / 2.0 * 72.0
    panel_h_pt = (fig_h - 1.35) * 72.0
    row_pt = panel_h_pt / (n_levels + 0.3)
    pool_d_cap = 0.7 * row_pt if has_nuis else 0.0
    pool_pt = pool_d_cap + 6.0 if has_nuis else 0.0
    # the nuisance column is at least as wide as its two-line pool annotation
    text_pt = 0.56 * (_ANNOT_SIZE - 0.5) * 20 if has_nuis else 0.0
    nuis_units = n_drawn_nuis * _NUIS_SPACING + 0.6 if has_nuis else 0.0
    slot_pt = (panel_w_pt - pool_pt) / (sem_width + 0.5 + nuis_units)
    if nuis_units * slot_pt < text_pt:
        slot_pt = (panel_w_pt - pool_pt - text_pt) / (sem_width + 0.5)
        nuis_units = text_pt / slot_pt
    nuis_spacing = (nuis_units - 0.6) / n_drawn_nuis if n_drawn_nuis else _NUIS_SPACING
    for top in tops.values():
        for j, i in enumerate(top):
            x[i] = sem_width + 0.6 + nuis_spacing * j
    pool_w = pool_pt / slot_pt
    x_pool = sem_width + 0.3 + nuis_units + pool_w / 2.0 if has_nuis else np.nan
    x_right = x_pool + pool_w / 2.0 if has_nuis else sem_width - 0.5
    d_max = min(1.6 * slot_pt, 0.5 * row_pt, 26.0)
    drawn = np.isfinite(x)
    vmax = float(vmax_each[drawn].max()) if drawn.any() else 0.0
    area_per_volume = d_max**2 / vmax if vmax > 0 else 0.0
    cap_area = pool_d_cap**2

    edge_keep = drawn[ed[:, 0]] & drawn[ed[:, 1]] if ed.size else np.zeros(0, bool)
    segs = [((x[p], lv[p]), (x[c], lv[c])) for (p, c) in ed[edge_keep]]

    with style():
        fig = _figure((fig_w, fig_h))
        axes = fig.subplots(1, 2, sharey=True)
        for panel, (ax, vol, name) in enumerate(
            zip(axes, (vb, va), ("before training", "after training"), strict=True)
        ):
            ax.set_title(name)
            ax.grid(False)
            for spine in ("top", "right", "bottom", "left"):
                ax.spines[spine].set_visible(False)
            ax.tick_params(axis="x", bottom=False, labelbottom=False)
            ax.tick_params(axis="y", left=False, labelleft=panel == 0)
            for level in range(1, n_levels + 1):
                ax.axhline(level, color="#F0F0F0", lw=0.8, zorder=0)
            if segs:
                ax.add_collection(LineCollection(segs, colors=_EDGE_GREY, linewidths=0.45,
                                                 alpha=0.8, zorder=1))
            idx = np.flatnonzero(drawn)
            order = idx[np.argsort(-vol[idx], kind="stable")]  # small nodes on top
            colors = [KIND_COLORS[KIND_ORDER[kc[i]]] for i in order]
            # a faint dot marks every drawn feature, even one whose volume has vanished
            ax.scatter(x[order], lv[order], s=3.0, c=colors, alpha=0.45, linewidths=0, zorder=2)
            ax.scatter(x[order], lv[order], s=area_per_volume * vol[order], c=colors,
                       alpha=0.9, edgecolors="white", linewidths=0.3, zorder=3)
            for level, (count, pb, pa) in pools.items():
                pv = pb if panel == 0 else pa
                area = area_per_volume * pv
                capped = area > cap_area
                ax.scatter([x_pool], [level], s=min(area, cap_area),
                           facecolors=KIND_COLORS["nuisance"] + "55",
                           edgecolors=KIND_COLORS["nuisance"], hatch="////",
                           linewidths=0.9, linestyles="--" if capped else "-", zorder=2)
                ax.annotate(
                    f"pool: {count} features\nΣλ = {_fmt(pv)}" + (" (capped)" if capped else ""),
                    (sem_width + 0.3, level - 0.22), fontsize=_ANNOT_SIZE - 0.5,
                    color="#555555", ha="left", va="top", zorder=4, linespacing=1.1,
                )
            if has_nuis:
                ax.axvline(sem_width + 0.05, color="#BBBBBB", lw=0.7, ls=":", zorder=0)
                ax.text(sem_width + 0.3, n_levels + 0.42, "nuisance: largest + pool",
                        fontsize=_ANNOT_SIZE - 0.5, color="#555555", ha="left", va="center",
                        style="italic")
                if sem_width * slot_pt > 100:  # room for the header left of the separator
                    ax.text(sem_width / 2.0 - 0.5, n_levels + 0.42, "semantic features",
                            fontsize=_ANNOT_SIZE - 0.5, color="#555555", ha="center",
                            va="center", style="italic")
            if owners is not None:
                for level, start, end, spacing, label in group_spans:
                    width_pt = (end - start + 1.6 * spacing) * slot_pt
                    if label and len(label) * 0.55 * (_ANNOT_SIZE - 0.5) <= width_pt:
                        ax.text((start + end) / 2.0, level - 0.27, label,
                                fontsize=_ANNOT_SIZE - 0.5, color="#444444", ha="center",
                                va="top", zorder=4, bbox=_LABEL_BOX)
            ax.set_xlim(-1.0, x_right + 0.3)
            ax.set_ylim(0.45, n_levels + 0.6)
        axes[0].set_yticks(range(1, n_levels + 1),
                           [f"level {lvl}" for lvl in range(1, n_levels + 1)])

        # legend: kinds present, the pool, and size keys on the shared area scale
        handles: list[Any] = []
        for code in sorted(set(kc.tolist())):
            kind = KIND_ORDER[code]
            handles.append(Line2D([], [], ls="", marker="o", ms=6, mfc=KIND_COLORS[kind],
                                  mec="white", label=kind))
        if has_nuis:
            handles.append(mpatches.Patch(facecolor=KIND_COLORS["nuisance"] + "55",
                                          edgecolor=KIND_COLORS["nuisance"], hatch="////",
                                          label="nuisance pool"))
        if vmax > 0:
            for ref in _size_keys(vmax):
                handles.append(axes[0].scatter([], [], s=area_per_volume * ref, c="#BBBBBB",
                                               edgecolors="#777777", linewidths=0.5,
                                               label=f"λ = {_fmt(ref)}"))
        fig.legend(handles=handles, loc="outside lower center", ncol=len(handles),
                   frameon=False, handletextpad=0.3, columnspacing=1.2, scatterpoints=1)
        _title(fig, title)
    return fig


def _size_keys(vmax: float) -> list[float]:
    """Two or three round reference volumes below ``vmax`` for the node-size legend."""
    top = 10.0 ** np.floor(np.log10(vmax))
    for mult in (5.0, 2.0, 1.0):
        if mult * top <= vmax:
            top = mult * top
            break
    keys = [top, top / 4.0]
    return sorted({float(f"{k:.2g}") for k in keys}, reverse=True)


# --------------------------------------------------------------------------- information plane


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

    ixt = _array("i_xt", i_xt)
    if ixt.ndim == 1:
        ixt = ixt[:, None]
    if ixt.ndim != 2 or ixt.shape[0] == 0:
        raise ValueError(f"i_xt: expected shape (n_records, n_levels), got {ixt.shape}")
    ity = _array("i_ty", i_ty)
    if ity.ndim == 1:
        ity = ity[:, None]
    _same_shape("i_ty", ity, ixt.shape, "i_xt")
    st = _array("steps", steps, ndim=1)
    _same_shape("steps", st, (ixt.shape[0],), "the records of i_xt")
    n_levels = ixt.shape[1]
    labels = _labels("level_labels", level_labels, n_levels, "level")

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
        fig = _figure(SINGLE if n_levels <= 3 else (5.2, 3.8))
        ax = fig.subplots()
        handles = []
        sc = None
        annotated: set[tuple[str, float, float]] = set()
        span = tuple(
            float(np.ptp(v[np.isfinite(v)])) if np.isfinite(v).any() and np.ptp(v[np.isfinite(v)])
            > 0 else 1.0 for v in (ixt, ity)
        )
        for lvl in range(n_levels):
            sty = _series_style(lvl)
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
                            fontsize=_ANNOT_SIZE - 0.5, color="#222222",
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
        ax.legend(handles=handles, loc="best")
        _title(fig, title)
    return fig


# --------------------------------------------------------------------------- curves


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
    st = _array("steps", steps, ndim=1)
    vals = _series_rows("values", values, st.size, "n_records", "len(steps)")
    labels = _labels("labels", labels, vals.shape[0], "series")
    with style():
        fig = _figure(SINGLE)
        ax = fig.subplots()
        for i, (row, label) in enumerate(zip(vals, labels, strict=True)):
            ax.plot(st, row, label=label, ms=3.5, markevery=_markevery(st.size), **_series_style(i))
        _set_log_x(ax, st)
        ax.set_xlabel("training step")
        ax.set_ylabel(ylabel)
        _legend(fig, ax)
        _title(fig, title)
    return fig


def _series_rows(name: str, values: Any, n_points: int, points: str, length: str) -> np.ndarray:
    """``values`` as an array of shape (n_series, n_points); a 1-d array is one series."""
    vals = _array(name, values)
    if vals.ndim == 1:
        vals = vals[None, :]
    if vals.ndim != 2:
        raise ValueError(f"{name}: expected shape (n_series, {points}), got {vals.shape}")
    _same_shape(name, vals, (vals.shape[0], n_points), f"(n_series, {length}) =")
    return vals


def _finish_axes(fig: Figure, ax: Axes, x: np.ndarray, *, xlabel: str, ylabel: str,
                 title: str, logx: bool, logy: bool) -> None:
    """Axis scales, labels, title and legend: the common ending of the line plots."""
    if logx:
        _set_log_x(ax, x)
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    _legend(fig, ax)


def _legend(fig: Figure, ax: Axes, **kwargs: Any) -> None:
    """In the axes ("best") when short; below the axes, outside the data, when long."""
    handles, labels = ax.get_legend_handles_labels()
    if not handles:
        return
    if len(labels) <= 3 and max(map(len, labels)) <= 28:
        ax.legend(handles, labels, loc="best", **kwargs)
        return
    ncol = 2 if max(map(len, labels)) <= 24 and len(labels) > 1 else 1
    w, h = fig.get_size_inches()
    fig.set_size_inches(w, h + 0.19 * -(-len(labels) // ncol))
    fig.legend(handles, labels, loc="outside lower center", ncol=ncol, frameon=False, **kwargs)


def _markevery(n: int) -> int:
    return max(1, n // 15)


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
    if band not in ("std", "quantile"):
        raise ValueError(f"band: expected 'std' or 'quantile', got {band!r}")
    xx = _array("x", x, ndim=1)
    if isinstance(ys, np.ndarray) and ys.ndim == 2 and len(labels) == 1 and ys.shape[0] != 1:
        ys = [ys]
    series = []
    for i, y in enumerate(ys):
        arr = _array(f"ys[{i}]", y)
        if arr.ndim == 1:
            arr = arr[None, :]
        if arr.ndim != 2:
            raise ValueError(f"ys[{i}]: expected shape (n_seeds, n_x), got {arr.shape}")
        _same_shape(f"ys[{i}]", arr, (arr.shape[0], xx.size), "(n_seeds, len(x)) =")
        series.append(arr)
    labels = _labels("labels", labels, len(series), "series")

    with style():
        fig = _figure(SINGLE)
        ax = fig.subplots()
        for i, (arr, label) in enumerate(zip(series, labels, strict=True)):
            sty = _series_style(i)
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
                    ms=3.5, markevery=_markevery(xx.size), zorder=3,
                    label=f"{label} (n={arr.shape[0]})")
        for j, (label, yv) in enumerate((hlines or {}).items()):
            ax.axhline(float(yv), color=("#000000", "#666666", "#999999")[j % 3],
                       ls=(0, (1.5, 1.5)), lw=1.0, zorder=2, label=label)
        _finish_axes(fig, ax, xx, xlabel=xlabel, ylabel=ylabel, title=title, logx=logx,
                     logy=logy)
    return fig


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
    xx = _array("x", x, ndim=1)
    vals = _series_rows("ys", ys, xx.size, "n_x", "len(x)")
    err = None
    if errors is not None:
        err = _array("errors", errors)
        if err.ndim == 1:
            err = err[None, :]
        _same_shape("errors", err, vals.shape, "ys")
    labels = _labels("labels", labels, vals.shape[0], "series")
    with style():
        fig = _figure(SINGLE)
        ax = fig.subplots()
        for i, (row, label) in enumerate(zip(vals, labels, strict=True)):
            sty = _series_style(i)
            shift = (i - (len(vals) - 1) / 2) * dodge
            ax.errorbar(xx + shift, row, yerr=None if err is None else err[i],
                        color=sty["color"], ls="none" if dodge > 0 else sty["linestyle"],
                        marker=sty["marker"], ms=5, capsize=2.5, elinewidth=0.9,
                        capthick=0.9, label=label)
        _finish_axes(fig, ax, xx, xlabel=xlabel, ylabel=ylabel, title=title, logx=logx,
                     logy=logy)
    return fig


# --------------------------------------------------------------------------- elasticity


def elasticity_matrix(
    matrix: Any,
    *,
    class_labels: Sequence[str] | None = None,
    superclass_of: Any = None,
    title: str = "",
) -> Figure:
    """Class-by-class local elasticity: mean relative similarity of an update on class i
    to examples of class j.

    Parameters
    ----------
    matrix : array of float, shape (K, K)
        Row i = class of the probe update, column j = class of the evaluated example.
    class_labels : sequence of str, length K, optional
        Tick labels; default "0", "1", ...
    superclass_of : array of int, shape (K,), optional
        Superclass of each class. When given, classes are reordered (stably) so that each
        superclass forms a contiguous block, and the blocks are outlined.
    title : str
        Axes title.

    Returns
    -------
    Figure
        The heatmap axes and a colorbar axes; values are printed in the cells when K <= 12.
    """
    import matplotlib.patches as mpatches

    m = _array("matrix", matrix, ndim=2)
    k = m.shape[0]
    if m.shape != (k, k) or k == 0:
        raise ValueError(f"matrix: expected a square (K, K) array, got {m.shape}")
    names = [str(i) for i in range(k)] if class_labels is None else [str(s) for s in class_labels]
    if len(names) != k:
        raise ValueError(f"class_labels: {len(names)} labels for K={k} classes")
    order = np.arange(k)
    blocks: list[tuple[int, int]] = []
    if superclass_of is not None:
        sup = _array("superclass_of", superclass_of, ndim=1, dtype=int)
        _same_shape("superclass_of", sup, (k,), "the classes of matrix")
        order = np.argsort(sup, kind="stable")
        sorted_sup = sup[order]
        start = 0
        for i in range(1, k + 1):
            if i == k or sorted_sup[i] != sorted_sup[start]:
                blocks.append((start, i))
                start = i
    mo = m[np.ix_(order, order)]
    names = [names[i] for i in order]

    finite = mo[np.isfinite(mo)]
    vmin = min(0.0, float(finite.min())) if finite.size else 0.0
    vmax = float(finite.max()) if finite.size else 1.0
    if vmax <= vmin:
        vmax = vmin + 1.0

    size = (4.6, 3.9) if k <= 8 else (5.6, 4.8)
    with style():
        fig = _figure(size)
        ax = fig.subplots()
        ax.grid(False)
        for spine in ax.spines.values():
            spine.set_visible(False)
        im = ax.imshow(mo, cmap="viridis", vmin=vmin, vmax=vmax, interpolation="nearest",
                       aspect="equal")
        cb = fig.colorbar(im, ax=ax, pad=0.03, fraction=0.05, aspect=22)
        cb.set_label("mean relative similarity")
        cb.outline.set_linewidth(0.5)
        ax.set_xticks(range(k), names, rotation=45 if max(map(len, names)) > 3 else 0,
                      ha="right" if max(map(len, names)) > 3 else "center",
                      rotation_mode="anchor")
        ax.set_yticks(range(k), names)
        ax.tick_params(length=0)
        ax.set_xlabel("class of evaluated example j")
        ax.set_ylabel("class of probe update i")
        if k <= 12:
            cmap = im.get_cmap()
            for i in range(k):
                for j in range(k):
                    v = mo[i, j]
                    if not np.isfinite(v):
                        continue
                    r, g, b, _ = cmap(im.norm(v))
                    light = 0.299 * r + 0.587 * g + 0.114 * b > 0.5
                    ax.text(j, i, _fmt_cell(v), ha="center", va="center",
                            fontsize=_ANNOT_SIZE if k <= 8 else _ANNOT_SIZE - 1.5,
                            color="black" if light else "white")
        for a, b in blocks:
            ax.add_patch(mpatches.Rectangle((a - 0.5, a - 0.5), b - a, b - a, fill=False,
                                            edgecolor="white", linewidth=2.4, zorder=3))
            ax.add_patch(mpatches.Rectangle((a - 0.5, a - 0.5), b - a, b - a, fill=False,
                                            edgecolor="black", linewidth=1.2, zorder=4))
        if title:
            ax.set_title(title)
    return fig


def _fmt_cell(v: float) -> str:
    if v == 0:
        return "0"
    if abs(v) >= 100 or abs(v) < 0.01:
        return f"{v:.0e}"
    return f"{v:.2f}" if abs(v) < 10 else f"{v:.1f}"


# --------------------------------------------------------------------------- grids


def panel_grid(
    n_panels: int, *, ncols: int = 3, panel_size: tuple[float, float] = (3.4, 2.8)
) -> tuple[Figure, np.ndarray]:
    """An empty grid of axes for multi-panel figures, in the module's style.

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
        raise ValueError(f"n_panels: must be >= 1, got {n_panels}")
    if int(ncols) < 1:
        raise ValueError(f"ncols: must be >= 1, got {ncols}")
    ncols = min(int(ncols), n_panels)
    nrows = -(-n_panels // ncols)
    with style():
        fig = _figure((panel_size[0] * ncols, panel_size[1] * nrows))
        grid = fig.subplots(nrows, ncols, squeeze=False)
        flat = grid.ravel()
        for ax in flat[n_panels:]:
            ax.remove()
    return fig, np.array(list(flat[:n_panels]), dtype=object)


# --------------------------------------------------------------------------- sweeps and tuning


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
                     errors=np.nan_to_num(_array("half_widths", half_widths), nan=0.0),
                     dodge=0.0 if categories is None else 0.5 / _series_count(means))
    if categories is not None:
        ax = fig.axes[0]
        ax.set_xticks(np.arange(len(categories)), [str(c) for c in categories])
        ax.set_xlim(-0.5, len(categories) - 0.5)
    return fig


def _series_count(ys: Any) -> int:
    """Series in a (n_series, n_x) array-like; a 1-d one is one series."""
    return 1 if np.ndim(ys) == 1 else len(ys)


def optimization_history(
    numbers: Any, values: Any, *, direction: str, metric: str, title: str = ""
) -> Figure:
    """A tune's trials: each trial's value and the best so far, against the trial number.

    Parameters
    ----------
    numbers : array, shape (n_trials,)
        Trial numbers (completed trials only).
    values : array, shape (n_trials,)
        The objective of each trial.
    direction : {"minimize", "maximize"}
        Which way "best so far" runs.
    metric : str
        The objective's name (y label).
    title : str
        Axes title.

    Returns
    -------
    Figure
        One axes.
    """
    if direction not in ("minimize", "maximize"):
        raise ValueError(f"direction: expected 'minimize' or 'maximize', got {direction!r}")
    nn = _array("numbers", numbers, ndim=1)
    vv = _array("values", values, ndim=1)
    _same_shape("values", vv, nn.shape, "numbers")
    order = np.argsort(nn)
    nn, vv = nn[order], vv[order]
    best = (np.minimum if direction == "minimize" else np.maximum).accumulate(vv) if vv.size \
        else vv
    with style():
        fig = _figure(SINGLE)
        ax = fig.subplots()
        ax.plot(nn, vv, "o", color=PALETTE[0], ms=4, alpha=0.7, label="trial")
        ax.step(nn, best, where="post", color=PALETTE[1], label="best so far")
        ax.set_xlabel("trial number")
        ax.set_ylabel(metric)
        if title:
            ax.set_title(title)
        _legend(fig, ax)
    return fig


def trial_scatter(
    params: Mapping[str, Sequence[Any]], values: Any, *, metric: str,
    log: Mapping[str, bool] | None = None, direction: str = "minimize",
) -> Figure:
    """A tune's objective against each searched parameter, one panel per parameter.

    Parameters
    ----------
    params : mapping name -> sequence of length n_trials
        Each trial's parameter values; non-numeric values are drawn as categories.
    values : array, shape (n_trials,)
        The objective of each trial (the best one is ringed).
    metric : str
        The objective's name (y label).
    log : mapping name -> bool, optional
        Log x-axis for these parameters.
    direction : {"minimize", "maximize"}
        Which trial is ringed as the best.

    Returns
    -------
    Figure
        One axes per parameter.
    """
    if direction not in ("minimize", "maximize"):
        raise ValueError(f"direction: expected 'minimize' or 'maximize', got {direction!r}")
    vv = _array("values", values, ndim=1)
    if not params:
        raise ValueError("params: give at least one parameter")
    fig, axes = panel_grid(len(params), ncols=min(3, len(params)))
    pick = np.nanargmin if direction == "minimize" else np.nanargmax
    best = int(pick(vv)) if vv.size else None
    with style():
        for ax, (name, xs) in zip(axes, params.items(), strict=True):
            xs = list(xs)
            if len(xs) != vv.size:
                raise ValueError(f"params[{name!r}]: expected {vv.size} values, got {len(xs)}")
            numeric = all(isinstance(x, int | float) and not isinstance(x, bool) for x in xs)
            if numeric:
                xx = np.asarray(xs, dtype=float)
            else:
                cats = sorted({str(x) for x in xs})
                xx = np.asarray([cats.index(str(x)) for x in xs], dtype=float)
                ax.set_xticks(np.arange(len(cats)), cats)
            ax.scatter(xx, vv, s=14, color=PALETTE[0], alpha=0.75)
            if best is not None:
                ax.scatter(xx[best], vv[best], s=60, facecolors="none", edgecolors=PALETTE[1],
                           linewidths=1.4)
            if numeric and (log or {}).get(name):
                ax.set_xscale("log")
            ax.set_xlabel(name)
            ax.set_ylabel(metric)
    return fig
