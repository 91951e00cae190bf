"""The mechanics catalogue: falsifiable predictions of deep-learning theory, each with a verdict.

Every entry (:class:`Entry`) pairs a prediction (a pure function, in
:mod:`learnmech.theory.laws` where reusable) with a measurement, an agreement metric, a
:class:`Tolerance` and a verdict (holds / fails / inconclusive / out of regime); it runs as
the experiment ``mechanics.<id>`` at a quick or full size. One module per entry,
``entries/<id>.py``; the scorecard's order is :data:`learnmech.mechanics.entries.ORDER`;
``learnmech verify`` (:mod:`learnmech.runs.verify`) runs the whole catalogue at quick size
and writes the scorecard. Spec: ``shared/design/mechanics.md``. The names below load lazily
(PEP 562).
"""

from __future__ import annotations

from learnmech.core.lazy import lazy_exports

_EXPORTS = {
    "catalogue": ("KINDS", "VERDICTS", "Z_DECIDE", "Entry", "MechanicsConfig", "Tolerance",
                  "all_entries", "combine", "decide", "entry_result", "farthest_from_one",
                  "get_entry", "judge", "layout_problems", "missing", "standard_error",
                  "summary"),
    "entries": ("ORDER",),
    "plots": ("Panel", "Series", "agreement_figure"),
}
__getattr__, __dir__, __all__ = lazy_exports(__name__, _EXPORTS)
