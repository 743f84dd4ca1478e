"""Shared helpers of the rc-naming tests: object-graph programs and a reference model.

The reference model is written independently of the implementation and as
plainly as possible: it keeps the valid edges in a dict and finds canonical paths
by a brute-force recursive depth-first search straight from rule N3.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

from rc_naming import NameTree, OwnershipGraph

ATTRS = ("a", "b", "c", "d")

# ("assign", parent, attr, child) or ("delete", parent, attr); objects are indices, 0 is the root.
Op = tuple[Any, ...]


class Obj:
    """A test object that defeats equality and hashing, so only identity can work."""

    def __init__(self, ident: int) -> None:
        self.ident = ident

    def __eq__(self, other: object) -> bool:
        return True

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Obj({self.ident})"


@dataclass
class RefModel:
    """Plain reference: valid edges with their assignment numbers."""

    n: int
    edges: dict[tuple[int, str], tuple[int, int]] = field(default_factory=dict)
    counter: int = 0

    def assign(self, parent: int, attr: str, child: int) -> None:
        old = self.edges.get((parent, attr))
        if old is not None and old[0] == child:
            return
        self.edges[(parent, attr)] = (child, self.counter)
        self.counter += 1

    def delete(self, parent: int, attr: str) -> None:
        self.edges.pop((parent, attr), None)

    def parents(self, child: int) -> list[tuple[int, str]]:
        found = [(order, p, a) for (p, a), (c, order) in self.edges.items() if c == child]
        return [(p, a) for _, p, a in sorted(found)]

    def children(self, parent: int) -> list[tuple[str, int]]:
        found = [(order, a, c) for (p, a), (c, order) in self.edges.items() if p == parent]
        return [(a, c) for _, a, c in sorted(found)]

    def canonical(self, x: int, root: int = 0) -> tuple[str, ...] | None:
        """Rule N3 literally: parents in assignment order, depth first, first chain wins."""
        if x == root:
            return ()

        def search(node: int, chain: frozenset[int]) -> list[str] | None:
            for parent, attr in self.parents(node):
                if parent == root:
                    return [attr]
                if parent in chain:
                    continue
                found = search(parent, chain | {parent})
                if found is not None:
                    return [*found, attr]
            return None

        result = search(x, frozenset({x}))
        return None if result is None else tuple(result)

    def all_canonical(self, root: int = 0) -> dict[int, tuple[str, ...]]:
        out = {}
        for x in range(self.n):
            path = self.canonical(x, root)
            if path is not None:
                out[x] = path
        return out


def build(ops: list[Op], n: int) -> tuple[Any, list[Obj], RefModel]:
    """Apply ``ops`` to real objects, an OwnershipGraph and the reference model."""
    objs = [Obj(i) for i in range(n)]
    graph = OwnershipGraph()
    graph.add_node(objs[0], label="Root")
    ref = RefModel(n)
    for op in ops:
        if op[0] == "assign":
            _, p, attr, c = op
            setattr(objs[p], attr, objs[c])
            graph.record_assign(objs[p], attr, objs[c])
            ref.assign(p, attr, c)
        else:
            _, p, attr = op
            if attr in vars(objs[p]):
                delattr(objs[p], attr)
            graph.record_delete(objs[p], attr)
            ref.delete(p, attr)
    return graph, objs, ref


@st.composite
def programs(
    draw: st.DrawFn, *, max_nodes: int = 8, max_ops: int = 30, acyclic: bool = False
) -> tuple[list[Op], int]:
    """Random assign/delete programs: trees, shared children, aliases, re-assignments, cycles.

    With ``acyclic`` every edge goes from a lower to a higher index, so no cycle
    can form; otherwise any edge is allowed (self loops, edges into the root).
    """
    n = draw(st.integers(2, max_nodes))
    ops: list[Op] = []
    for _ in range(draw(st.integers(0, max_ops))):
        kind = draw(st.sampled_from(["assign", "assign", "assign", "delete"]))
        attr = draw(st.sampled_from(ATTRS))
        if acyclic:
            parent = draw(st.integers(0, n - 2))
            child = draw(st.integers(parent + 1, n - 1))
        else:
            parent = draw(st.integers(0, n - 1))
            child = draw(st.integers(0, n - 1))
        if kind == "assign":
            ops.append(("assign", parent, attr, child))
        else:
            ops.append(("delete", parent, attr))
    return ops, n


def follow(root: object, path: tuple[str, ...]) -> object:
    """Follow a path on real objects: attributes, list/tuple indices, dict keys."""
    obj = root
    for part in path:
        if isinstance(obj, list | tuple):
            obj = obj[int(part)]
        elif isinstance(obj, dict):
            matches = [v for k, v in obj.items() if str(k) == part]
            assert len(matches) == 1, (part, list(obj))
            obj = matches[0]
        else:
            obj = getattr(obj, part)
    return obj


def snapshot_cases(cases: dict[str, Any]) -> list[Any]:
    """Everything observable about some graphs and name trees, as JSON-able data."""
    out: list[Any] = []
    for ops, n in cases["graphs"]:
        graph, objs, _ = build([tuple(op) for op in ops], n)
        out.append([[list(p), o.ident] for p, o in graph.resolve(objs[0]).items()])  # type: ignore[attr-defined]
        out.append(graph.to_dot(objs[0]))
    for spec in cases["trees"]:
        tree = NameTree(reserved=spec["reserved"])
        nodes = [tree.root]
        for parent, name, virtual, fixed, priority in spec["nodes"]:
            nodes.append(
                tree.add(nodes[parent], name, virtual=virtual, fixed=fixed, priority=priority)
            )
        tree.finalize()
        out.append([node.name for node in nodes])
        out.append([tree.reference(a, b) for a in nodes[1:] for b in nodes[1:] if not b.virtual])
        out.append(tree.to_dot())
    return out
