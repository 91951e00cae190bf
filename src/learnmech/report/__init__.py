"""Reports: figures (:mod:`.figures`, matplotlib) and the HTML page of a run (:mod:`.html`).

Importing this package loads neither matplotlib nor jinja2; they load when used.
"""

from learnmech.report.html import render_report

__all__ = ["render_report"]
