"""The catalogue's entries: one module per entry, its file name the id with underscores.

``entries/max_margin_bias.py`` holds the entry ``max-margin-bias``: its config class (a
:class:`~learnmech.mechanics.catalogue.MechanicsConfig`), its ``run(config) -> Result`` and a
module-level ``ENTRY = Entry(...)``. :func:`learnmech.mechanics.catalogue.all_entries` finds the
modules by discovery; nothing else lists them. Machinery that several entries share lives beside
this package in :mod:`learnmech.mechanics` (``deep_linear``, ``logistic_gd``, ``plots``).

Adding an entry: one new module here plus its test, and its id in :data:`ORDER` (the scorecard's
order). An entry missing from ``ORDER`` still runs and is listed after the others, and
``tests/mechanics/test_catalogue.py`` fails until it is added.
"""

from __future__ import annotations

#: The scorecard's order of the entries (the issue's order).
ORDER: tuple[str, ...] = (
    "deep-linear-modes",
    "plateau-scaling",
    "conservation-laws",
    "max-margin-bias",
    "double-descent",
    "signal-propagation",
    "finite-width-fluctuations",
    "edge-of-stability",
    "sgd-stationary-noise",
    "neural-collapse",
    "mup-transfer",
    "ntk-movement",
    "ntk-eigenmode-decay",
    "spectral-bias",
    "catapult",
    "hessian-outliers",
    "sharpness-reparametrisation",
    "generalization-bounds",
    "scaling-laws",
    "batch-scaling-rules",
    "critical-batch",
    "robust-sample-complexity",
    "privacy-generalization",
    "grokking",
)
