"""The N5 message: why an object has no canonical path and how to fix it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rc_naming._errors import UnreachableError
from rc_naming._paths import render_path

if TYPE_CHECKING:
    from rc_naming._ownership import OwnershipGraph
    from rc_naming._resolve import Resolution

__all__ = ["build_unreachable_error", "describe"]

# Bounds keep the message readable and its cost small on huge orphaned subgraphs.
_MAX_HOLDERS = 10
_MAX_OUTERMOST = 5
_MAX_SCAN = 10_000


def describe(graph: OwnershipGraph, obj: object) -> str:
    """``label (created at file:line)`` for messages."""
    text = graph.label(obj)
    where = graph.created_at(obj)
    return f"{text} (created at {where})" if where else text


def _outermost_holders(graph: OwnershipGraph, obj: object) -> list[object]:
    """Ancestors of ``obj`` that nothing holds: where the broken chain starts."""
    seen = {id(obj)}
    todo = [obj]
    tops: list[object] = []
    while todo and len(seen) < _MAX_SCAN:
        node = todo.pop(0)
        holders = graph.parents(node)
        if not holders and node is not obj:
            tops.append(node)
            if len(tops) >= _MAX_OUTERMOST:
                break
        for holder, _ in holders:
            if id(holder) not in seen:
                seen.add(id(holder))
                todo.append(holder)
    return tops


def build_unreachable_error(
    graph: OwnershipGraph, res: Resolution, obj: object
) -> UnreachableError:
    """Build the :class:`UnreachableError` for ``obj`` and the root of ``res``."""
    lines = [
        f"{describe(graph, obj)} is not reachable from the root {describe(graph, res.root)}: "
        "no chain of attributes leads from the root to it, so it has no name."
    ]
    holders = graph.parents(obj)
    if obj not in graph:
        lines.append("It was never recorded in the ownership graph of this root.")
    elif not holders:
        lines.append(
            "Nothing holds it: it was never assigned as an attribute, or every such "
            "attribute was deleted or re-assigned."
        )
    else:
        lines.append("It is held by:")
        for holder, attr in holders[:_MAX_HOLDERS]:
            if holder in res:
                where = render_path(res.path(holder)) or "<root>"
                lines.append(f"  - {describe(graph, holder)} at {where!r} as {attr!r}")
            else:
                lines.append(
                    f"  - {describe(graph, holder)} as {attr!r}, which is itself not reachable"
                )
        if len(holders) > _MAX_HOLDERS:
            lines.append(f"  - ... and {len(holders) - _MAX_HOLDERS} more")
        tops = [t for t in _outermost_holders(graph, obj) if all(t is not h for h, _ in holders)]
        if tops:
            names = ", ".join(describe(graph, t) for t in tops)
            lines.append(f"The outermost objects holding it, held by nothing, are: {names}.")
    lines.append(
        "Fix: assign it as an attribute of the root module or of one of its submodules, "
        "e.g. `root.<name> = ...`, or serialize with the module that holds it as the root."
    )
    return UnreachableError("\n".join(lines), obj=obj, holders=tuple(holders))
