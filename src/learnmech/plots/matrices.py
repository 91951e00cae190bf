"""Class-by-class matrices: the local-elasticity heatmap with superclass blocks."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from learnmech.plots._checks import FigureInputError, as_array, same_shape
from learnmech.plots.theme import ANNOT_SIZE, new_figure, style

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

__all__ = ["elasticity_matrix"]


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

    m = as_array("matrix", matrix, ndim=2)
    k = m.shape[0]
    if m.shape != (k, k) or k == 0:
        raise FigureInputError(f"matrix: expected a square (K, K) array, got {m.shape}")
    names = [str(i) for i in range(k)] if class_labels is None else [str(s) for s in class_labels]
    if len(names) != k:
        raise FigureInputError(f"class_labels: {len(names)} labels for K={k} classes")
    order = np.arange(k)
    blocks: list[tuple[int, int]] = []
    if superclass_of is not None:
        sup = as_array("superclass_of", superclass_of, ndim=1, dtype=int)
        same_shape("superclass_of", sup, (k,), "the classes of matrix")
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
        fig = new_figure(size)
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
                            fontsize=ANNOT_SIZE if k <= 8 else ANNOT_SIZE - 1.5,
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
