"""The phenomena of ``learnmech compare``: one module per phenomenon, its claims and series.

``experiments/compare/<phenomenon>.py`` (``label_noise.py`` is ``label-noise``) defines
``PHENOMENON = Phenomenon(claims=..., series=...)``: what each lens's run is asked (a
:class:`Claim` pairs every lens with a reader of its ``summary.json`` / ``metrics.csv``) and which
curves are drawn side by side (:class:`Series`). The vocabulary is in :mod:`._claims`;
:func:`comparison` turns the lens runs into the comparison's :class:`~learnmech.core.result.Result`.
``runs/compare.py`` finds the module by name, runs the lenses and writes the run directory.

Adding a phenomenon is one new module here (and its lenses' experiments); adding a lens to a
phenomenon is an edit of that phenomenon's module only: a reader per claim, its series, and the
lens in ``lenses`` if it is not a default one. ``tests/test_compare_contract.py`` checks every
key each module reads against its lenses' smoke runs.

This package is not a lens: the experiment registry does not scan it.
"""

from learnmech.experiments.compare._claims import (
    NONZERO,
    ZERO,
    AbsBelow,
    Before,
    Claim,
    Computed,
    Condition,
    Difference,
    First,
    Is,
    Judgement,
    Largest,
    LensRun,
    Needs,
    Phenomenon,
    Reading,
    Series,
    Sign,
    Smallest,
    SummaryValue,
    Threshold,
    curves,
    judge,
    lens_label,
    number,
)
from learnmech.experiments.compare._comparison import comparison

__all__ = [
    "AbsBelow", "Before", "Claim", "Computed", "Condition", "Difference", "First", "Is",
    "Judgement", "Largest", "LensRun", "NONZERO", "Needs", "Phenomenon", "Reading", "Series",
    "Sign", "Smallest", "SummaryValue", "Threshold", "ZERO", "comparison", "curves", "judge",
    "lens_label", "number",
]
