"""The house plan's import rules, read from the source (ast): no upward import, no cycle.

Every ``import`` statement counts, the ones inside functions (lazy imports) included. A room may
import itself and the rooms of lower rank; rooms of equal rank do not import each other.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"

#: The rooms of ``learnmech`` from the bottom up (docs/architecture.md states the same order).
RANK = {
    "core": 0,
    "neurashed": 1, "theory": 1, "plots": 1,
    "nets": 2, "probes": 2, "report": 2,
    "mechanics": 3, "lesde": 3,
    "experiments": 4,
    "runs": 5,
}
#: Modules at the top that wire everything: the package's front door, the CLI, the demo.
TOP = 6
#: Rooms that do not import torch at module load (numpy/scipy/numba only), and the one
#: module of them that is the torch backend (imported lazily by its dispatcher).
TORCH_FREE_AT_LOAD = ("core", "neurashed", "theory", "plots", "report")
TORCH_BACKENDS = ("learnmech.theory.kernels.torch_backend",)


def _modules() -> dict[str, Path]:
    found = {}
    for path in (SRC / "learnmech").rglob("*.py"):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _owner(name: str) -> str:
    """The longest known module that ``name`` (a module or a module.attribute) lies in."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name


def _imports(module: str, *, top_level_only: bool = False) -> set[str]:
    """learnmech modules that ``module`` imports (targets resolved to modules)."""
    path = MODULES[module]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    nodes = tree.body if top_level_only else ast.walk(tree)
    targets = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            targets.update(_owner(alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            for alias in node.names:
                full = f"{name}.{alias.name}"
                targets.add(full if full in MODULES else _owner(name))
    return {t for t in targets if t.startswith("learnmech") and t != module}


def _room(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 or (len(parts) == 2 and parts[1] in RANK) else ""


def _rank(module: str) -> int:
    return RANK.get(_room(module), TOP)


def _layer_violations(graph: dict[str, set[str]]) -> list[str]:
    bad = []
    for module, targets in sorted(graph.items()):
        for target in sorted(targets):
            if target == "learnmech" and _rank(module) < TOP:
                bad.append(f"{module} -> learnmech (the package root sits on top)")
            elif _rank(target) > _rank(module) or (
                    _rank(target) == _rank(module) < TOP and _room(target) != _room(module)):
                bad.append(f"{module} ({_room(module)}) -> {target} ({_room(target)})")
    return bad


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index, low, on_stack, stack, found = {}, {}, set(), [], []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.get(root, ()))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_no_import_goes_up_or_sideways():
    graph = {module: _imports(module) for module in MODULES}
    assert _layer_violations(graph) == []


def test_no_import_cycle_lazy_imports_included():
    graph = {module: _imports(module) for module in MODULES}
    assert _cycles(graph) == []


@pytest.mark.parametrize("module", sorted(m for m in MODULES if _room(m) in TORCH_FREE_AT_LOAD
                                          and m not in TORCH_BACKENDS))
def test_numpy_rooms_do_not_import_torch_at_load(module):
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    loaded = {alias.name.split(".")[0] for node in tree.body if isinstance(node, ast.Import)
              for alias in node.names}
    loaded |= {(node.module or "").split(".")[0] for node in tree.body
               if isinstance(node, ast.ImportFrom)}
    assert "torch" not in loaded


def test_the_checks_catch_an_upward_import_and_a_cycle():
    """Negative control: a hand-made graph with each defect is flagged."""
    graph = {"learnmech.core.config": {"learnmech.runs.rundir"},
             "learnmech.runs.rundir": {"learnmech.core.config"},
             "learnmech.theory.curves": {"learnmech.neurashed.world"}}
    bad = _layer_violations(graph)
    assert any(line.startswith("learnmech.core.config (core) -> learnmech.runs") for line in bad)
    assert any("theory" in line and "neurashed" in line for line in bad)
    assert _cycles(graph) == [["learnmech.core.config", "learnmech.runs.rundir"]]
