"""Building an ownership graph from plain objects that were never hooked."""

from __future__ import annotations

import types
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rc_naming._ownership import OwnershipGraph

__all__ = ["default_children", "default_is_node", "walk_object_tree"]

# Scalars are interned or shared freely by Python (small ints, strings), so as
# nodes they would create aliases the user never wrote.
_LEAF_TYPES: tuple[type, ...] = (
    str,
    bytes,
    bytearray,
    int,
    float,
    complex,
    bool,
    type(None),
    type(Ellipsis),
    range,
    type,
    types.FunctionType,
    types.BuiltinFunctionType,
    types.MethodType,
    types.ModuleType,
)


def default_is_node(obj: object) -> bool:
    """Everything but scalars, strings, types, functions and modules is a node."""
    return not isinstance(obj, _LEAF_TYPES)


def default_children(obj: object) -> Iterable[tuple[str, object]]:
    """List/tuple items as "0", "1", ...; dict items by ``str(key)``; else ``vars(obj)``."""
    if isinstance(obj, list | tuple):
        return [(str(i), item) for i, item in enumerate(obj)]
    if isinstance(obj, dict):
        return [(str(key), value) for key, value in obj.items()]
    try:
        attrs = vars(obj)
    except TypeError:
        return []
    return list(attrs.items())


def walk_object_tree(
    graph: OwnershipGraph,
    root_obj: object,
    *,
    is_node: Callable[[object], bool] | None = None,
    children: Callable[[object], Iterable[tuple[str, object]]] | None = None,
) -> None:
    """Record every edge reachable from ``root_obj`` in depth-first preorder.

    An edge is numbered when it is discovered, before the walk descends into the
    child; so the edge that first reaches an object has the smallest number of
    all edges into it, and canonical paths equal the walk's tree paths.
    Attributes with an empty name (e.g. a dict key ``""``) are skipped: they
    cannot be part of a path.
    """
    node_test = is_node or default_is_node
    kids = children or default_children
    graph.add_node(root_obj)
    seen = {id(root_obj)}
    stack: list[tuple[object, Iterator[tuple[str, object]]]] = [(root_obj, iter(kids(root_obj)))]
    while stack:
        parent, it = stack[-1]
        for attr, child in it:
            if not attr or not node_test(child):
                continue
            graph.record_assign(parent, attr, child)
            if id(child) not in seen:
                seen.add(id(child))
                stack.append((child, iter(kids(child))))
                break
        else:
            stack.pop()
