"""Alias of :mod:`learnmech.nets.training` under the name the interface contract gives.

The loop lives in ``training.py`` because a submodule named ``train`` would shadow the function
``learnmech.nets.train`` once imported; this module re-exports everything and is itself
callable as :func:`learnmech.nets.training.train`, so ``learnmech.nets.train(...)`` works
whichever was imported first.
"""

import sys
import types

from learnmech.nets.training import *  # noqa: F403
from learnmech.nets.training import __all__  # noqa: F401
from learnmech.nets.training import train as _train


class _CallableModule(types.ModuleType):
    def __call__(self, *args, **kwargs):
        return _train(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
