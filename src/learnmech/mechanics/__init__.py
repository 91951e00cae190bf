"""The mechanics catalogue: falsifiable predictions of deep-learning theory, each with a verdict.

Every entry (:class:`Entry`) pairs a prediction (a pure function, in :mod:`learnmech.theory`
where reusable) with a measurement, an agreement metric, a :class:`Tolerance` and a verdict
(holds / fails / out of regime); it runs as the experiment ``mechanics.<id>`` at a quick or full
size, and :func:`verify` runs the whole catalogue at quick size and writes the scorecard.
Spec: ``shared/design/mechanics.md``. The names below load lazily (PEP 562).
"""

from __future__ import annotations

from learnmech.core.lazy import lazy_exports

_EXPORTS = {
    "catalogue": ("ENTRY_MODULES", "ORDER", "Entry", "MechanicsConfig", "Tolerance", "entries",
                  "get_entry", "judge", "missing", "summary"),
    "runner": ("Score", "VerifyError", "render_scorecard", "scorecard_text", "verify"),
    "plots": ("Panel", "Series", "agreement_figure"),
}
__getattr__, __dir__, __all__ = lazy_exports(__name__, _EXPORTS)
