"""rc-nn and rc-naming import their own modules at the top, without cycles.

Read from the sources (AST), so the check does not depend on the order in which a
test session happened to import things: the graph of each package's top-level
imports of its own modules (``if TYPE_CHECKING:`` blocks excluded) must be acyclic,
and no function imports one of the package's own modules.
"""

from __future__ import annotations

import ast
import pathlib
import textwrap

import pytest

import rc_naming
import rc_nn


def _module_name(path: pathlib.Path, src_root: pathlib.Path) -> tuple[str, bool]:
    parts = list(path.relative_to(src_root).with_suffix("").parts)
    is_package = parts[-1] == "__init__"
    if is_package:
        parts.pop()
    return ".".join(parts), is_package


def _targets(node: ast.Import | ast.ImportFrom, module: str, is_package: bool) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if not node.level:
        return [node.module or ""]
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    if node.module:
        return [".".join([*base, node.module])]
    return [".".join([*base, alias.name]) for alias in node.names]  # from . import _x


def import_graph(package_dir: pathlib.Path) -> tuple[dict[str, set[str]], list[str]]:
    """``(graph, nested)``: the package's top-level imports of its own modules (module ->
    imported modules) and the imports of own modules found inside functions or classes
    (``"module:line -> target"``)."""
    src_root = package_dir.parent
    package = package_dir.name
    graph: dict[str, set[str]] = {}
    nested: list[str] = []
    for path in sorted(package_dir.rglob("*.py")):
        module, is_package = _module_name(path, src_root)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        graph.setdefault(module, set())
        type_checking = {
            id(inner)
            for node in tree.body
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
            for inner in ast.walk(node)
        }
        top = {id(node) for node in tree.body}
        for node in ast.walk(tree):
            if not isinstance(node, ast.Import | ast.ImportFrom) or id(node) in type_checking:
                continue
            for target in _targets(node, module, is_package):
                if target != package and not target.startswith(package + "."):
                    continue
                if id(node) in top:
                    graph[module].add(target)
                else:
                    nested.append(f"{module}:{node.lineno} -> {target}")
    return graph, nested


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of ``graph`` (``[a, b, ..., a]``), or None.

    A package's ``__init__`` is imported before its modules, so edges into a package
    (``rc_nn.models._x -> rc_nn``) close a cycle as any other edge does.
    """
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = 1
        path.append(module)
        for target in sorted(graph.get(module, ())):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target]
            if target not in state:
                found = visit(target)
                if found is not None:
                    return found
        path.pop()
        state[module] = 2
        return None

    for module in sorted(graph):
        if module not in state:
            found = visit(module)
            if found is not None:
                return found
    return None


_PACKAGES = {
    "rc_nn": pathlib.Path(rc_nn.__file__).parent,
    "rc_naming": pathlib.Path(rc_naming.__file__).parent,
}


@pytest.mark.parametrize("package", sorted(_PACKAGES))
def test_no_import_cycle(package: str) -> None:
    graph, _ = import_graph(_PACKAGES[package])
    assert len(graph) > 5, "the sources were not found"
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


@pytest.mark.parametrize("package", sorted(_PACKAGES))
def test_no_function_level_imports_of_own_modules(package: str) -> None:
    _, nested = import_graph(_PACKAGES[package])
    assert nested == []


def test_the_checks_find_a_cycle_and_a_nested_import(tmp_path: pathlib.Path) -> None:
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("from ._a import A\n")
    (pkg / "_a.py").write_text("from ._b import B\nA = 1\n")
    (pkg / "_b.py").write_text(
        textwrap.dedent(
            """
            from typing import TYPE_CHECKING

            from . import _c

            if TYPE_CHECKING:
                from ._a import A  # not a runtime import: no cycle

            B = 2

            def f():
                from ._a import A
                return A
            """
        )
    )
    (pkg / "_c.py").write_text("import pkg._b\n")
    graph, nested = import_graph(pkg)
    assert graph["pkg._b"] == {"pkg._c"}
    assert find_cycle(graph) == ["pkg._b", "pkg._c", "pkg._b"]
    assert nested == ["pkg._b:12 -> pkg._a"]
    (pkg / "_c.py").write_text("X = 3\n")
    assert find_cycle(import_graph(pkg)[0]) is None
