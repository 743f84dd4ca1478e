"""The border between rc-nn and rc-serialize is a contract (issue 15).

rc-serialize's sources read rc-nn only through its public API (the build record in
particular): no import of a private rc-nn module, and no underscore attribute of an
object that may be rc-nn's. An AST scan of ``packages/rc-serialize/src``:

* imports: ``import rc_nn._x``, ``from rc_nn._x import ...``, ``from rc_nn import _x``;
* attributes: ``x._name`` (not a dunder) is allowed only where ``x`` is ``self``/``cls``,
  a class or function defined in the same module, or a name imported from a module
  that is not rc-nn (e.g. RETURNN's ``BehaviorVersion``); anything else (a parameter
  such as ``model``, an rc-nn import) may be an rc-nn object and is flagged.

``KNOWN`` lists sites that remain until other branches are merged (empty now); a stale
entry fails the test too, so nothing is skipped silently.
"""

from __future__ import annotations

import ast
import pathlib
from collections import Counter

SRC = pathlib.Path(__file__).resolve().parents[1] / "src" / "rc_serialize"

#: Remaining sites as (file, "base.attribute") -> count, for sites other branches still
#: have to remove (a stale entry fails the test). Empty since the merge of branch
#: ``border`` (``rc_nn.naming_root_of``, issue 15 P5/P7/P9).
KNOWN: dict[tuple[str, str], int] = {}


def _is_rc_nn(module: str | None) -> bool:
    return module is not None and (module == "rc_nn" or module.startswith("rc_nn."))


def _is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _private_imports(tree: ast.Module) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [
                a.name
                for a in node.names
                if _is_rc_nn(a.name) and any(_is_private(p) for p in a.name.split("."))
            ]
        elif isinstance(node, ast.ImportFrom) and _is_rc_nn(node.module) and node.level == 0:
            module = node.module or ""
            if any(_is_private(p) for p in module.split(".")):
                found.append(module)
            found += [f"{module}.{a.name}" for a in node.names if _is_private(a.name)]
    return found


def _allowed_bases(tree: ast.Module) -> set[str]:
    """Names whose underscore attributes are no rc-nn object's: own definitions, non-rc-nn imports."""
    allowed = {"self", "cls"}
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            allowed.add(node.name)
        elif isinstance(node, ast.ImportFrom) and not _is_rc_nn(node.module):
            allowed.update(a.asname or a.name for a in node.names)
        elif isinstance(node, ast.Import):
            allowed.update(
                (a.asname or a.name).split(".")[0] for a in node.names if not _is_rc_nn(a.name)
            )
    return allowed


def _private_attributes(tree: ast.Module) -> list[str]:
    allowed = _allowed_bases(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _is_private(node.attr):
            base = node.value
            if isinstance(base, ast.Name) and base.id in allowed:
                continue
            found.append(f"{ast.unparse(base)}.{node.attr}")
    return found


def _scan(source: str) -> list[str]:
    tree = ast.parse(source)
    return [f"import {m}" for m in _private_imports(tree)] + _private_attributes(tree)


def _sites() -> Counter[tuple[str, str]]:
    sites: Counter[tuple[str, str]] = Counter()
    for path in sorted(SRC.glob("*.py")):
        for site in _scan(path.read_text(encoding="utf-8")):
            sites[(path.name, site)] += 1
    return sites


def test_rc_serialize_reads_rc_nn_only_through_its_public_api() -> None:
    sites = _sites()
    new = {site: n for site, n in sites.items() if n > KNOWN.get(site, 0)}
    assert not new, (
        "rc-serialize reaches into rc-nn internals (use the build record, "
        f"rc_nn.build_record, or another public rc-nn API): {new}"
    )
    stale = {site: n for site, n in KNOWN.items() if sites.get(site, 0) < n}
    assert not stale, f"remove these fixed sites from KNOWN in {__file__}: {stale}"


def test_scanner_flags_what_it_should() -> None:
    source = (
        "import rc_nn\n"
        "import rc_nn._state\n"
        "from rc_nn._control import Block\n"
        "from rc_nn import _tensor\n"
        "from returnn.util import BehaviorVersion\n"
        "class Own:\n"
        "    _x = 1\n"
        "def f(model, other):\n"
        "    Own._x, BehaviorVersion._behavior_version\n"
        "    return model._rc_naming_root(), rc_nn._state, other.loop._end\n"
    )
    assert sorted(_scan(source)) == sorted(
        [
            "import rc_nn._state",
            "import rc_nn._control",
            "import rc_nn._tensor",
            "model._rc_naming_root",
            "rc_nn._state",
            "other.loop._end",
        ]
    )
