"""The kernels package's import rules (issue 12, item 2), read from the source with ast: the
backends import the recursion and the closed forms, never the dispatcher (the package's
``__init__``); no cycles inside the package, imports in function bodies included; torch is
imported only by the torch backend."""

from __future__ import annotations

import ast
from pathlib import Path

import learnmech.theory.kernels as kernels

PACKAGE = "learnmech.theory.kernels"
ROOT = Path(kernels.__file__).parent


def _imports(path: Path) -> set[str]:
    """Every module ``path`` imports, at load or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def _modules() -> dict[str, set[str]]:
    return {f"{PACKAGE}.{p.stem}": _imports(p) for p in ROOT.glob("*.py") if p.stem != "__init__"}


def test_backends_never_import_the_dispatcher() -> None:
    for module, imported in _modules().items():
        assert PACKAGE not in imported, f"{module} imports the dispatcher {PACKAGE}"


def test_no_import_cycle_inside_the_package() -> None:
    graph = {m: {i for i in imported if i.startswith(PACKAGE + ".")}
             for m, imported in _modules().items()}

    def visit(module: str, path: tuple[str, ...]) -> None:
        for target in graph.get(module, ()):
            assert target not in path, " -> ".join((*path, target))
            visit(target, (*path, target))

    for module in graph:
        visit(module, (module,))


def test_only_the_torch_backend_imports_torch() -> None:
    modules = {**_modules(), PACKAGE: _imports(ROOT / "__init__.py")}
    for module, imported in modules.items():
        uses_torch = any(i == "torch" or i.startswith("torch.") for i in imported)
        assert uses_torch == module.endswith(".torch_backend"), module
