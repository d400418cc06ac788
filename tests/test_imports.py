"""No import cycles, not even behind an import inside a function.

The graph is built from the source with ``ast``: every ``import`` and ``from ... import``
of the product's packages, at module level or inside a function (an import inside a
function that exists only to dodge a cycle still is one), except those under ``if
TYPE_CHECKING:`` (annotations only, never run). A cycle fails the test with its
modules; the remedy is to move the shared piece down (STYLE.md, "Habits"). Imports
inside functions that close no cycle (the CLI loading a command's modules when it
runs) are fine.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("simulators", "integration_layer", "harness")


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imported(module: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The known modules ``module`` imports, wherever in the file."""
    out: set[str] = set()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]

    def owner(name: str) -> str | None:
        while name and name not in known:
            name = name.rpartition(".")[0]
        return name or None

    class Imports(ast.NodeVisitor):
        def visit_If(self, node: ast.If) -> None:
            if _is_type_checking(node.test):
                for child in node.orelse:
                    self.visit(child)
            else:
                self.generic_visit(node)

        def visit_Import(self, node: ast.Import) -> None:
            self.add([alias.name for alias in node.names])

        def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join([*parts[: len(parts) - node.level + 1], *([base] if base else [])])
            # ``from pkg import sub`` imports the submodule when there is one.
            self.add([f"{base}.{a.name}" if f"{base}.{a.name}" in known else base
                      for a in node.names])

        def add(self, targets: list[str]) -> None:
            for target in targets:
                found = owner(target)
                if found is not None and found != module:
                    out.add(found)

    Imports().visit(ast.parse(path.read_text()))
    return out


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def strong(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            strong(v)
    return found


def graph() -> dict[str, set[str]]:
    known = _modules()
    return {module: _imported(module, path, known) for module, path in known.items()}


def test_the_import_graph_has_no_cycle() -> None:
    assert _cycles(graph()) == []


def test_the_checker_sees_imports_inside_functions() -> None:
    # The CLI imports the integration layer's app only when `fintwin serve` runs.
    assert "integration_layer.service.app" in graph()["harness.cli"]
    looped = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(looped) == [["a", "b", "c"]]


def test_every_module_imports_in_a_fresh_interpreter() -> None:
    names = sorted(_modules())
    script = "import importlib, sys\nfor name in sys.argv[1:]:\n    importlib.import_module(name)\n"
    done = subprocess.run([sys.executable, "-c", script, *names], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
