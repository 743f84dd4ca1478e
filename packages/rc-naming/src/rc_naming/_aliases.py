"""Alias introspection: why an object has its canonical path, and which other paths reach it.

For every object reachable from a root object :func:`alias_info` gives its
canonical path, all its alias paths, its owning object (the parent on the
canonical path) and the assignment numbers that decided it: rule N3 walks the
object's parent edges in assignment order and takes the first one that reaches
the root, so the report lists those edges with their numbers and marks the
winner.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rc_naming._ownership import OwnershipGraph

__all__ = ["AliasInfo", "ParentEdge", "alias_info", "alias_report", "format_alias_report"]

Path = tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class ParentEdge:
    """One edge ``parent.attr = obj`` into an object, with its assignment number.

    ``parent_path`` is the parent's canonical path, ``None`` if the parent is not
    reachable from the root (such an edge cannot give a name).

    Examples
    --------
    >>> ParentEdge(None, ("enc",), "weight", 3, True).describe()
    '#3 enc.weight (canonical)'
    """

    parent: object
    parent_path: Path | None
    attr: str
    order: int
    canonical: bool

    def describe(self, sep: str = ".") -> str:
        """``#order path (canonical|alias|unreachable holder)``."""
        if self.parent_path is None:
            return f"#{self.order} <unreachable holder>{sep}{self.attr}"
        text = sep.join((*self.parent_path, self.attr))
        return f"#{self.order} {text} ({'canonical' if self.canonical else 'alias'})"


@dataclasses.dataclass(frozen=True)
class AliasInfo:
    """Everything about one object's names.

    Attributes
    ----------
    obj
        the object.
    label
        its label in the graph (default: type name).
    path
        its canonical path (``()`` for the root).
    aliases
        every other simple path from the root to it, in search order.
    owner
        the parent on the canonical path (``None`` for the root).
    orders
        the assignment numbers of the edges along the canonical path.
    parent_edges
        the edges into the object, in assignment order; the first one
        whose parent reaches the root is the canonical one (rule N3).

    Examples
    --------
    >>> from rc_naming import OwnershipGraph, alias_info
    >>> class M: pass
    >>> root, enc, w = M(), M(), M()
    >>> g = OwnershipGraph()
    >>> g.record_assign(root, "enc", enc)
    >>> g.record_assign(enc, "weight", w)
    >>> g.record_assign(root, "tied", w)
    >>> info = alias_info(g, root, w)
    >>> info.path, info.aliases, info.orders
    (('enc', 'weight'), (('tied',),), (0, 1))
    >>> print(info.explain())
    enc.weight (M): canonical path, assignments #0 -> #1
      alias: tied
      decided by its parent edges in assignment order (first reachable wins):
        #1 enc.weight (canonical)
        #2 tied (alias)
    """

    obj: object
    label: str
    path: Path
    aliases: tuple[Path, ...]
    owner: object | None
    orders: tuple[int, ...]
    parent_edges: tuple[ParentEdge, ...]

    def explain(self, sep: str = ".") -> str:
        """A readable multi-line explanation."""
        name = sep.join(self.path) or "<root>"
        chain = " -> ".join(f"#{o}" for o in self.orders) or "none (the root)"
        lines = [f"{name} ({self.label}): canonical path, assignments {chain}"]
        lines += [f"  alias: {sep.join(a)}" for a in self.aliases]
        if len(self.parent_edges) > 1 or self.aliases:
            lines.append(
                "  decided by its parent edges in assignment order (first reachable wins):"
            )
            lines += [f"    {e.describe(sep)}" for e in self.parent_edges]
        return "\n".join(lines)


def _edge_orders(graph: OwnershipGraph, root_obj: object, path: Path) -> tuple[int, ...]:
    idx = graph._find(root_obj)
    orders = []
    for attr in path:
        out = None if idx is None else graph._out[idx]
        if out is None or attr not in out:
            raise AssertionError(f"path {path!r} is not in the graph")  # pragma: no cover
        idx, order = out[attr]
        orders.append(order)
    return tuple(orders)


def alias_info(graph: OwnershipGraph, root_obj: object, obj: object) -> AliasInfo:
    """The :class:`AliasInfo` of ``obj`` (see there for an example).

    Raises :class:`UnreachableError` (with holders and a fix) if ``obj`` has no path.
    """
    with graph._lock:
        res = graph.resolve(root_obj)
        path = res.path(obj)
        paths = graph.alias_paths(root_obj, obj) if path else [()]
        aliases = tuple(p for p in paths if p != path)
        orders = _edge_orders(graph, root_obj, path)
        idx = graph._find(obj)
        ins = [] if idx is None else (graph._in[idx] or [])
        owner = None
        edges = []
        for pid, attr, order in ins:
            parent = graph._objs[pid]
            parent_path = res.path(parent) if parent in res else None
            canonical = bool(orders) and order == orders[-1]
            if canonical:
                owner = parent
            edges.append(ParentEdge(parent, parent_path, attr, order, canonical))
        return AliasInfo(
            obj=obj,
            label=graph.label(obj),
            path=path,
            aliases=aliases,
            owner=owner,
            orders=orders,
            parent_edges=tuple(edges),
        )


def alias_report(
    graph: OwnershipGraph,
    root_obj: object,
    *,
    include: Callable[[object], bool] | None = None,
    only_aliased: bool = False,
) -> list[AliasInfo]:
    """:class:`AliasInfo` for every object reachable from ``root_obj``, in canonical order.

    Parameters
    ----------
    include
        keep only objects for which it returns true (e.g. parameters).
    only_aliased
        keep only objects that have at least one alias path.

    Examples
    --------
    >>> from rc_naming import OwnershipGraph, alias_report
    >>> class M: pass
    >>> root, a, w = M(), M(), M()
    >>> g = OwnershipGraph()
    >>> g.record_assign(root, "a", a)
    >>> g.record_assign(a, "w", w)
    >>> g.record_assign(root, "w_alias", w)
    >>> [(i.path, i.aliases) for i in alias_report(g, root, only_aliased=True)]
    [(('a', 'w'), (('w_alias',),))]
    """
    result = []
    for path, obj in graph.resolve(root_obj).items():
        if not path or (include is not None and not include(obj)):
            continue
        info = alias_info(graph, root_obj, obj)
        if only_aliased and not info.aliases:
            continue
        result.append(info)
    return result


def format_alias_report(infos: list[AliasInfo], sep: str = ".") -> str:
    """The explanations of ``infos``, one block per object.

    Examples
    --------
    >>> format_alias_report([])
    'no objects'
    """
    if not infos:
        return "no objects"
    return "\n".join(info.explain(sep) for info in infos)
