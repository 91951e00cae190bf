"""The neurashed feature graph before and after training, drawn as in Su (2021).

Nodes are features on rows by level, node area is the volume λ on one scale shared by both
panels, colours are owner kinds (:data:`KIND_COLORS`, in the order :data:`KIND_ORDER` of their
integer codes); nuisance features are summed into a pool per level.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import numpy as np

from learnmech.plots._checks import FigureInputError, as_array, same_shape
from learnmech.plots.theme import ANNOT_SIZE, DOUBLE, new_figure, style, suptitle

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

__all__ = ["KIND_COLORS", "KIND_ORDER", "layered_graph"]


#: Owner kinds of neurashed features, in the order of their integer codes 0..3.
KIND_ORDER: tuple[str, ...] = ("generic", "ancestor", "class", "nuisance")
#: Colour of each owner kind (Okabe-Ito; nuisance in neutral grey).
KIND_COLORS: dict[str, str] = {
    "generic": "#0072B2",
    "ancestor": "#009E73",
    "class": "#D55E00",
    "nuisance": "#8C8C8C",
}
_EDGE_GREY = "#B5B5B5"
_NUIS_SPACING = 0.7  # nuisance nodes sit closer than semantic ones: most are tiny
_LABEL_BOX = {"boxstyle": "square,pad=0.1", "facecolor": "white", "edgecolor": "none",
              "alpha": 0.8}


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

    lv = as_array("levels", levels, ndim=1)
    n = lv.size
    if n == 0:
        raise FigureInputError("levels: no features to draw")
    if not np.all(np.isfinite(lv)) or np.any(lv != np.round(lv)) or lv.min() < 1:
        raise FigureInputError("levels: must be integers >= 1")
    lv = lv.astype(int)
    vb = as_array("volumes_before", volumes_before, ndim=1)
    same_shape("volumes_before", vb, (n,), "levels")
    va = as_array("volumes_after", volumes_after, ndim=1)
    same_shape("volumes_after", va, (n,), "levels")
    for name, v in (("volumes_before", vb), ("volumes_after", va)):
        if not np.all(np.isfinite(v)) or v.min() < 0:
            raise FigureInputError(f"{name}: volumes must be finite and >= 0")
    kc = _kind_codes(kinds, n)
    ed = np.asarray(edges)
    if ed.size == 0:
        ed = np.zeros((0, 2), dtype=int)
    if ed.ndim != 2 or ed.shape[1] != 2:
        raise FigureInputError(f"edges: expected shape (n_edges, 2), got {ed.shape}")
    if ed.dtype.kind not in "iu":
        raise FigureInputError(f"edges: expected integer indices, got dtype {ed.dtype}")
    if ed.size and (ed.min() < 0 or ed.max() >= n):
        raise FigureInputError(f"edges: indices must lie in 0..{n - 1}")
    if owner_labels is None:
        owners = None
    else:
        owners = np.asarray(owner_labels).astype(str)
        same_shape("owner_labels", owners, (n,), "levels")
    if int(max_nuisance_per_level) < 0:
        raise FigureInputError("max_nuisance_per_level: must be >= 0")
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
    text_pt = 0.56 * (ANNOT_SIZE - 0.5) * 20 if has_nuis else 0.0
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
        fig = new_figure((fig_w, fig_h))
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
                    (sem_width + 0.3, level - 0.22), fontsize=ANNOT_SIZE - 0.5,
                    color="#555555", ha="left", va="top", zorder=4, linespacing=1.1,
                )
            if has_nuis:
                ax.axvline(sem_width + 0.05, color="#BBBBBB", lw=0.7, ls=":", zorder=0)
                ax.text(sem_width + 0.3, n_levels + 0.42, "nuisance: largest + pool",
                        fontsize=ANNOT_SIZE - 0.5, color="#555555", ha="left", va="center",
                        style="italic")
                if sem_width * slot_pt > 100:  # room for the header left of the separator
                    ax.text(sem_width / 2.0 - 0.5, n_levels + 0.42, "semantic features",
                            fontsize=ANNOT_SIZE - 0.5, color="#555555", ha="center",
                            va="center", style="italic")
            if owners is not None:
                for level, start, end, spacing, label in group_spans:
                    width_pt = (end - start + 1.6 * spacing) * slot_pt
                    if label and len(label) * 0.55 * (ANNOT_SIZE - 0.5) <= width_pt:
                        ax.text((start + end) / 2.0, level - 0.27, label,
                                fontsize=ANNOT_SIZE - 0.5, color="#444444", ha="center",
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
        suptitle(fig, title)
    return fig


def _kind_codes(kinds: Any, n: int) -> np.ndarray:
    arr = np.asarray(kinds)
    if arr.shape != (n,):
        raise FigureInputError(f"kinds: shape {arr.shape} does not match levels ({n},)")
    if arr.dtype.kind in "iu":
        codes = arr.astype(int)
        if n and (codes.min() < 0 or codes.max() > 3):
            raise FigureInputError("kinds: integer codes must lie in 0..3 (generic, ancestor, "
                                   "class, nuisance)")
        return codes
    lookup = {k: i for i, k in enumerate(KIND_ORDER)}
    try:
        return np.array([lookup[str(k)] for k in arr], dtype=int)
    except KeyError as exc:
        raise FigureInputError(f"kinds: unknown kind {exc.args[0]!r}; expected one of {KIND_ORDER} "
                         "or integer codes 0..3") from exc


def _size_keys(vmax: float) -> list[float]:
    """Two or three round reference volumes below ``vmax`` for the node-size legend."""
    top = 10.0 ** np.floor(np.log10(vmax))
    for mult in (5.0, 2.0, 1.0):
        if mult * top <= vmax:
            top = mult * top
            break
    keys = [top, top / 4.0]
    return sorted({float(f"{k:.2g}") for k in keys}, reverse=True)


def _natural_key(text: str) -> list[Any]:
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", text)]


def _fmt(v: float) -> str:
    return f"{v:.3g}"
