"""Lazy public faces for packages (PEP 562): names listed by module, imported on first use.

A package's ``__init__`` lists what it exports and stays free of heavy imports::

    __getattr__, __dir__, __all__ = lazy_exports(__name__, {"kernels": ("fc_kernel",)})
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence


def lazy_exports(
    package: str, exports: Mapping[str, Sequence[str]]
) -> tuple[Callable[[str], object], Callable[[], list[str]], list[str]]:
    """(``__getattr__``, ``__dir__``, ``__all__``) for ``package`` exporting ``exports``.

    ``exports`` maps a submodule name to the names it provides.
    """
    module_of = {name: module for module, names in exports.items() for name in names}
    public = sorted(module_of)

    def __getattr__(name: str) -> object:
        if name not in module_of:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(f"{package}.{module_of[name]}"), name)

    def __dir__() -> list[str]:
        return public

    return __getattr__, __dir__, public
