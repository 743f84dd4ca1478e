"""Export of both structures to networkx graphs and Graphviz DOT text.

DOT is generated as plain text so that rc-naming needs neither pydot nor graphviz.
networkx is imported on first export only: it is by far the slowest import of
rc-naming, and building or serializing a model never needs it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import networkx

    from rc_naming._nametree import NameNode, NameTree
    from rc_naming._ownership import OwnershipGraph

__all__ = [
    "dot_quote",
    "nametree_to_dot",
    "nametree_to_networkx",
    "ownership_to_dot",
    "ownership_to_networkx",
]


def dot_quote(text: str) -> str:
    """A DOT double-quoted string literal for ``text``."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def _edges_in_order(graph: OwnershipGraph) -> list[tuple[int, int, str, int]]:
    edges = [
        (order, pid, cid, attr)
        for pid, out in enumerate(graph._out)
        if out
        for attr, (cid, order) in out.items()
    ]
    edges.sort()
    return [(pid, cid, attr, order) for order, pid, cid, attr in edges]


def ownership_to_networkx(graph: OwnershipGraph) -> networkx.MultiDiGraph[int]:
    """See :meth:`OwnershipGraph.to_networkx`."""
    import networkx  # noqa: PLC0415  keeps networkx out of `import rc_naming`

    # Nodes are the graph's own indices (first-seen order): deterministic, unlike ids.
    out: networkx.MultiDiGraph[int] = networkx.MultiDiGraph()
    for idx, obj in enumerate(graph._objs):
        out.add_node(idx, obj=obj, label=graph.label(obj), created_at=graph.created_at(obj))
    for pid, cid, attr, order in _edges_in_order(graph):
        out.add_edge(pid, cid, key=attr, attr=attr, order=order)
    return out


def ownership_to_dot(graph: OwnershipGraph, root_obj: object = None) -> str:
    """See :meth:`OwnershipGraph.to_dot`."""
    canonical: set[int] = set()
    paths: dict[int, str] = {}
    res = None
    if root_obj is not None:
        res = graph.resolve(root_obj)
        for path, obj in res.items():
            idx = graph._find(obj)
            if idx is not None:
                paths[idx] = ".".join(path) or "<root>"
        for edge in res._par:
            if edge is not None:
                canonical.add(edge[2])
        for ex in res._expl.values():
            canonical.add(ex.orders[-1])
    lines = ["digraph ownership {", "  node [shape=box];"]
    for idx, obj in enumerate(graph._objs):
        label = graph.label(obj)
        attrs = []
        if idx in paths:
            label += "\n" + paths[idx]
        elif res is not None:
            attrs.append("style=dotted")
        attrs.insert(0, f"label={dot_quote(label)}")
        lines.append(f"  n{idx} [{', '.join(attrs)}];")
    for pid, cid, attr, order in _edges_in_order(graph):
        style = "" if res is None or order in canonical else ", style=dashed"
        lines.append(f"  n{pid} -> n{cid} [label={dot_quote(attr)}{style}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def nametree_to_networkx(tree: NameTree) -> networkx.DiGraph[NameNode]:
    """See :meth:`NameTree.to_networkx`."""
    import networkx  # noqa: PLC0415  keeps networkx out of `import rc_naming`

    out: networkx.DiGraph[NameNode] = networkx.DiGraph()
    for node in tree.iter_nodes():
        out.add_node(
            node,
            suggested=node.suggested,
            name=node._final,
            virtual=node.virtual,
            fixed=node.fixed,
            priority=node.priority,
            reserved=node.reserved,
            payload=node.payload,
        )
    for node in tree.iter_nodes():
        for index, child in enumerate(node.children):
            out.add_edge(node, child, index=index)
    return out


def nametree_to_dot(tree: NameTree) -> str:
    """See :meth:`NameTree.to_dot`."""
    num: dict[int, int] = {}
    lines = ["digraph names {", "  node [shape=box];"]
    for node in tree.iter_nodes():
        num[id(node)] = len(num)
        if node.parent is None:
            label = "<root>"
        elif node.virtual:
            label = f"({node.suggested})"
        elif node._final is not None:
            label = (
                node._final
                if node._final == node.suggested
                else (f"{node._final}\n(suggested {node.suggested})")
            )
        else:
            label = node.suggested
        attrs = [f"label={dot_quote(label)}"]
        if node.virtual:
            attrs.append("style=dashed")
        elif node.fixed:
            attrs.append("style=bold")
        lines.append(f"  n{num[id(node)]} [{', '.join(attrs)}];")
        if node.parent is not None:
            lines.append(f"  n{num[id(node.parent)]} -> n{num[id(node)]};")
    lines.append("}")
    return "\n".join(lines) + "\n"
