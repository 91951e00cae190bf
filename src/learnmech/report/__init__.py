"""Reports: the self-contained HTML page of a run, a sweep, a tune or several (:mod:`.html`).

The report reads run, sweep and tune directories' files only; its figures come from
:mod:`learnmech.plots` (drawn by the run layer), its intervals from
:mod:`learnmech.plots.intervals`. Importing this package loads no jinja2; it loads when used.
"""

from learnmech.report.html import render_report

__all__ = ["render_report"]
