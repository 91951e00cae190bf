"""learnmech: a lab for the science of deep learning (see ``learnmech list``).

Kept import-light: importing the package loads nothing heavy.
"""

from learnmech.core.version import __version__

__all__ = ["__version__"]
