"""learnmech: a lab for the science of deep learning (see ``learnmech list``).

The Python front door:

    import learnmech as lm

    result = lm.run("theory.kernel-spectrum", seed=3, quick=True)  # in memory
    result.summary, result.metrics, result.verdicts, result.figures
    lm.load("runs/my-run")                     # a run (or sweep) directory
    lm.sweep("theory.kernel-spectrum", grid={...}, seeds=[0, 1]).table

and the lenses, each loaded on first use: ``lm.theory``, ``lm.probes``, ``lm.nets``,
``lm.neurashed``, ``lm.lesde``, ``lm.mechanics`` (and ``lm.runs``).

Kept import-light: importing the package loads nothing heavy (no numpy, torch or pandas);
every name below is imported on first access (PEP 562).
"""

from __future__ import annotations

import importlib

from learnmech.core.lazy import lazy_exports
from learnmech.core.version import __version__

_EXPORTS = {
    "frontdoor": ("run", "load", "sweep"),
    "results": ("RunResult", "SweepTable", "FigureImage", "LoadError"),
    "core.errors": ("LearnmechError", "InputError", "UnavailableError"),
}
#: The lenses (and the run layer), reachable as ``lm.<name>`` and imported on first access.
LENSES = ("theory", "probes", "nets", "neurashed", "lesde", "mechanics", "runs")

_names_getattr, _, _names = lazy_exports(__name__, _EXPORTS)
__all__ = ["__version__", *_names, *LENSES]


def __getattr__(name: str) -> object:
    if name in LENSES:
        return importlib.import_module(f"{__name__}.{name}")
    return _names_getattr(name)


def __dir__() -> list[str]:
    return sorted(__all__)
