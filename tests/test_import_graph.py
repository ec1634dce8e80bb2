"""The import graph of harken/: no cycles among module-level imports; modules stay small.

Edges come from every ``import harken...`` and ``from harken... import ...`` (relative ones too). A
``from harken.x import y`` where ``y`` is a submodule is an edge to ``harken.x.y``; any other name is an edge to
``harken.x`` (a package's ``__init__``). Importing ``harken.x.y`` also runs ``harken.x``'s ``__init__``, but that
implicit edge is left out: Python handles a half-initialised parent package, not a half-initialised module
whose names you import. Only module-level imports (outside ``if TYPE_CHECKING:``) count for the cycle check;
imports inside functions are how heavy modules load lazily. ``python tests/test_import_graph.py`` prints the
cycles of both graphs.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path


ROOT = Path(__file__).resolve().parents[1]
MAX_LINES = 400


def module_files(root: Path, package: str) -> dict[str, Path]:
    """Dotted module name -> file, for every .py under ``root/package``."""
    modules = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


def _imports(tree: ast.Module) -> Iterator[tuple[ast.stmt, bool]]:
    """Each import statement with whether it runs at import time (module or class level, not TYPE_CHECKING)."""

    def walk(node: ast.AST, eager: bool) -> Iterator[tuple[ast.stmt, bool]]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                yield child, eager
            elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                yield from walk(child, False)
            elif isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                yield from walk(ast.Module(body=child.body, type_ignores=[]), False)
                yield from walk(ast.Module(body=child.orelse, type_ignores=[]), eager)
            else:
                yield from walk(child, eager)

    yield from walk(tree, True)


def _targets(node: ast.stmt, module: str, is_package: bool, modules: dict[str, Path], package: str) -> set[str]:
    """The modules of ``package`` that one import statement names."""
    def known(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names if alias.name.split(".")[0] == package]
        return {target for name in names if (target := known(name))}
    base = node.module or ""
    if node.level:
        parent = module if is_package else module.rpartition(".")[0]
        for _ in range(node.level - 1):
            parent = parent.rpartition(".")[0]
        base = f"{parent}.{base}" if base else parent
    if base.split(".")[0] != package:
        return set()
    submodules = {f"{base}.{alias.name}" for alias in node.names} & set(modules)
    rest = len(submodules) < len(node.names)  # names that are not submodules: attributes of ``base``
    return submodules | ({known(base)} - {None} if rest else set())


def import_graphs(root: Path = ROOT, package: str = "harken") -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """(module-level edges, all edges): module -> the modules of ``package`` it imports."""
    modules = module_files(root, package)
    eager: dict[str, set[str]] = {name: set() for name in modules}
    every: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node, runs_at_import in _imports(tree):
            targets = _targets(node, name, path.name == "__init__.py", modules, package)
            every[name] |= targets
            if runs_at_import:
                eager[name] |= targets
    return eager, every


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle (``[a, b, ..., a]``) per strongly connected component that has one (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                connect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in graph.get(node, ()):
                components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return [_cycle_through(component, graph) for component in sorted(components)]


def _cycle_through(component: list[str], graph: dict[str, set[str]]) -> list[str]:
    """The shortest cycle from the component's first module back to itself (breadth first)."""
    start, members = component[0], set(component)
    paths = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for nxt in sorted(graph[node] & members):
            if nxt == start:
                return paths[node] + [start]
            if nxt not in paths:
                paths[nxt] = paths[node] + [nxt]
                queue.append(nxt)
    raise AssertionError(f"no cycle through {start}")  # a component always has one


def _describe(cycles: list[list[str]]) -> str:
    return "\n".join(" -> ".join(cycle) for cycle in cycles)


def test_the_graph_follows_submodules_relative_imports_and_skips_lazy_ones(tmp_path):
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("from pkg.sub import leaf\n")
    (pkg / "sub" / "__init__.py").write_text("from .leaf import x\n")
    (pkg / "sub" / "leaf.py").write_text("import os\nx = 1\ndef f():\n    import pkg.other\n")
    (pkg / "other.py").write_text("from typing import TYPE_CHECKING\nfrom pkg import sub\n"
                                  "if TYPE_CHECKING:\n    import pkg.sub.leaf\n")
    eager, every = import_graphs(tmp_path, "pkg")
    assert eager == {"pkg": {"pkg.sub.leaf"}, "pkg.sub": {"pkg.sub.leaf"}, "pkg.sub.leaf": set(), "pkg.other": {"pkg.sub"}}
    assert every["pkg.sub.leaf"] == {"pkg.other"} and every["pkg.other"] == {"pkg.sub", "pkg.sub.leaf"}
    assert find_cycles(eager) == []
    (pkg / "sub" / "leaf.py").write_text("from pkg.other import y\nx = 1\n")
    assert find_cycles(import_graphs(tmp_path, "pkg")[0]) == [["pkg.other", "pkg.sub", "pkg.sub.leaf", "pkg.other"]]


def test_no_import_cycle_among_module_level_imports():
    cycles = find_cycles(import_graphs()[0])
    assert not cycles, f"{len(cycles)} import cycle(s) at module level:\n{_describe(cycles)}"


def test_every_module_is_at_most_400_lines():
    builtin = ROOT / "harken" / "spec" / "builtin"
    sizes = {name: len(path.read_text(encoding="utf-8").splitlines())
             for name, path in module_files(ROOT, "harken").items() if builtin not in path.parents}  # fmt: skip
    too_long = {name: lines for name, lines in sizes.items() if lines > MAX_LINES}
    assert not too_long, "\n".join(f"{name}: {lines} lines" for name, lines in sorted(too_long.items()))


if __name__ == "__main__":
    module_level, every_import = import_graphs()
    for title, graph in (("module-level imports", module_level), ("all imports, function-level too", every_import)):
        found = find_cycles(graph)
        print(f"{title}: {len(found)} cycle(s)\n{_describe(found)}\n")
