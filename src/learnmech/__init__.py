"""learnmech: a lab for the science of deep learning (see ``learnmech list``).

Kept import-light: importing the package loads nothing heavy.
"""

__version__ = "0.1.0"
