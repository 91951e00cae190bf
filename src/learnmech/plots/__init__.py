"""Figures: arrays in, a matplotlib :class:`~matplotlib.figure.Figure` out, in one style.

Importing this package loads nothing but itself: each name below is imported from its module
on first use (and matplotlib only when a figure is drawn). The style, the figure-building
pieces and :func:`save` are in :mod:`.theme`; every figure function validates its inputs
and raises ``FigureInputError`` (an ``InputError``, also a ``ValueError``) naming the
argument.

Style (:mod:`.theme`)
    STYLE, PALETTE, LINESTYLES, MARKERS, SINGLE, DOUBLE, WIDE, DPI, style, apply_style,
    new_figure, series_style, place_legend, is_log_spaced, panel_grid, save
The neurashed graph (:mod:`.graph`)
    layered_graph, KIND_ORDER, KIND_COLORS
The information plane (:mod:`.information`)
    information_plane
Series over training (:mod:`.series`)
    info_curves, curves_with_bands
Against a swept value (:mod:`.sweeps`)
    sweep_plot, sweep_interval_plot
Class-by-class matrices (:mod:`.matrices`)
    elasticity_matrix
Tuning (:mod:`.tuning`)
    optimization_history, trial_scatter
A metric over seeds (:mod:`.intervals`)
    mean_interval, clipped_interval, clipped_error_bars, headline_metrics, is_number
Summary keys as quantities (:mod:`.quantities`)
    words, key_label, quantity_range
"""

from learnmech.core.lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(__name__, {
    "theme": ("STYLE", "PALETTE", "LINESTYLES", "MARKERS", "SINGLE", "DOUBLE", "WIDE", "DPI",
              "style", "apply_style", "new_figure", "series_style", "place_legend",
              "is_log_spaced", "panel_grid", "save"),
    "graph": ("layered_graph", "KIND_ORDER", "KIND_COLORS"),
    "information": ("information_plane",),
    "series": ("info_curves", "curves_with_bands"),
    "sweeps": ("sweep_plot", "sweep_interval_plot"),
    "matrices": ("elasticity_matrix",),
    "tuning": ("optimization_history", "trial_scatter"),
    "intervals": ("mean_interval", "clipped_interval", "clipped_error_bars", "headline_metrics",
                  "is_number"),
    "quantities": ("words", "key_label", "quantity_range"),
})
