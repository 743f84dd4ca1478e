"""Canonical path resolution (rule N3) in O(V + E) for acyclic graphs.

The canonical path of X is the first simple chain found by a depth-first search
that starts at X and walks up parent edges in assignment order. Without cycles
that is simply ``canonical(first reachable parent) + attr``, which a memoized
pass computes once per node. With cycles a memoized parent path may run through
X itself; only then do we fall back to an explicit search from X (still
iterative: deep chains must not hit the recursion limit).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from rc_naming._dominators import Dominance
from rc_naming._unreachable import build_unreachable_error

if TYPE_CHECKING:
    from rc_naming._ownership import InEdge, OwnershipGraph

__all__ = ["Resolution", "all_simple_paths", "compute_resolution"]


class _Explicit:
    """A canonical path stored in full, for nodes whose prefix is not a canonical path."""

    __slots__ = ("attrs", "nodes", "nodeset", "orders")

    def __init__(self, nodes: tuple[int, ...], attrs: tuple[str, ...], orders: tuple[int, ...]):
        self.nodes = nodes
        self.attrs = attrs
        self.orders = orders
        self.nodeset = frozenset(nodes)


class Resolution:
    """Canonical paths of all objects reachable from one root object (a snapshot).

    ``items()`` yields ``(path, obj)`` starting with ``((), root)``, in preorder
    along canonical edges with children in assignment order (equivalently: sorted
    by the assignment numbers along each canonical path, which also orders the
    rare cyclic cases where canonical paths do not form a tree).

    Examples
    --------
    >>> from rc_naming import OwnershipGraph
    >>> g = OwnershipGraph()
    >>> root, a, w = object(), object(), object()
    >>> g.record_assign(root, "a", a)
    >>> g.record_assign(a, "w", w)
    >>> res = g.resolve(root)
    >>> [path for path, _ in res.items()]
    [(), ('a',), ('a', 'w')]
    >>> w in res
    True
    """

    root: object

    def __init__(
        self,
        graph: OwnershipGraph,
        root: object,
        resolved: tuple[int, bytearray, list[InEdge | None], dict[int, _Explicit]],
    ) -> None:
        self.root = root
        self._graph = graph
        self._objs = graph._objs
        self._index = graph._index
        # state[i] == _DONE marks the reachable nodes (see _Solver).
        self._rid, self._state, self._par, self._expl = resolved
        self._size = self._state.count(_DONE)

    def __repr__(self) -> str:
        return f"<Resolution of {self._size} objects>"

    def __len__(self) -> int:
        return self._size

    def _idx(self, obj: object) -> int | None:
        idx = self._index.get(id(obj))
        if idx is None or idx >= len(self._state) or self._state[idx] != _DONE:
            return None
        return idx

    def __contains__(self, obj: object) -> bool:
        return obj is self.root or self._idx(obj) is not None

    def path(self, obj: object) -> tuple[str, ...]:
        """The canonical path of ``obj``; raises :class:`UnreachableError` (N5).

        Examples
        --------
        >>> from rc_naming import OwnershipGraph
        >>> g = OwnershipGraph()
        >>> root, w = object(), object()
        >>> g.record_assign(root, "w", w)
        >>> g.resolve(root).path(w)
        ('w',)
        """
        if obj is self.root:
            return ()
        idx = self._idx(obj)
        if idx is None:
            raise build_unreachable_error(self._graph, self, obj)
        return self._path_of(idx)

    def _path_of(self, idx: int) -> tuple[str, ...]:
        rid, par, expl = self._rid, self._par, self._expl
        attrs: list[str] = []
        while idx != rid:
            ex = expl.get(idx)
            if ex is not None:
                attrs.reverse()
                return ex.attrs + tuple(attrs)
            edge = par[idx]
            assert edge is not None
            idx, attr, _ = edge
            attrs.append(attr)
        attrs.reverse()
        return tuple(attrs)

    def _orders_of(self, idx: int) -> tuple[int, ...]:
        rid, par, expl = self._rid, self._par, self._expl
        orders: list[int] = []
        while idx != rid:
            ex = expl.get(idx)
            if ex is not None:
                orders.reverse()
                return ex.orders + tuple(orders)
            edge = par[idx]
            assert edge is not None
            idx, _, order = edge
            orders.append(order)
        orders.reverse()
        return tuple(orders)

    def items(self) -> Iterator[tuple[tuple[str, ...], object]]:
        """Yield ``(canonical path, obj)`` for every reachable object, root first.

        Examples
        --------
        >>> from rc_naming import OwnershipGraph
        >>> g = OwnershipGraph()
        >>> root, b, a = object(), object(), object()
        >>> g.record_assign(root, "b", b)
        >>> g.record_assign(root, "a", a)
        >>> [p for p, _ in g.resolve(root).items()]
        [(), ('b',), ('a',)]
        """
        objs, rid, state = self._objs, self._rid, self._state
        yield (), self.root
        if self._expl:
            # Canonical paths need not form a tree here: order by the full sequence
            # of assignment numbers, which is what preorder gives for a tree.
            keys = sorted(
                (self._orders_of(i), i) for i in range(len(state)) if state[i] == _DONE and i != rid
            )
            for _, i in keys:
                yield self._path_of(i), objs[i]
            return
        kids: dict[int, list[tuple[int, int, str]]] = {}
        for child, edge in enumerate(self._par):
            if edge is None:
                continue
            parent, attr, order = edge
            lst = kids.get(parent)
            if lst is None:
                kids[parent] = [(order, child, attr)]
            else:
                lst.append((order, child, attr))
        for lst in kids.values():
            lst.sort()
        stack: list[tuple[Iterator[tuple[int, int, str]], tuple[str, ...]]] = []
        top = kids.get(rid)
        if top:
            stack.append((iter(top), ()))
        while stack:
            it, prefix = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                stack.pop()
                continue
            _, child, attr = nxt
            path = (*prefix, attr)
            yield path, objs[child]
            sub = kids.get(child)
            if sub:
                stack.append((iter(sub), path))


def _forward_reach(graph: OwnershipGraph, rid: int) -> tuple[list[int], bytearray]:
    """Nodes reachable from ``rid`` along child edges, in breadth-first order."""
    out = graph._out
    reach = bytearray(len(graph._objs))
    reach[rid] = 1
    order = [rid]
    for node in order:
        kids = out[node]
        if kids:
            for child, _ in kids.values():
                if not reach[child]:
                    reach[child] = 1
                    order.append(child)
    return order, reach


def compute_resolution(graph: OwnershipGraph, root_obj: object) -> Resolution:
    """Resolve every object of the graph; see the module docstring for the method."""
    rid = graph._find(root_obj)
    if rid is None:
        return Resolution(graph, root_obj, (-1, bytearray(len(graph._objs)), [], {}))
    solver = _Solver(rid, graph._out, graph._in)
    solver.run()
    return Resolution(graph, root_obj, (rid, solver.state, solver.par, solver.expl))


_TODO, _BUSY, _DONE, _UNREACHABLE = 0, 1, 2, 3


class _Solver:
    """State of one resolution: memoized canonical parent edges and explicit paths.

    There is no separate reachability pass: a node is unreachable exactly when
    none of its parents is reachable, which the same memoized pass finds out.
    """

    def __init__(
        self,
        rid: int,
        out: list[dict[str, tuple[int, int]] | None],
        inn: list[list[InEdge] | None],
    ) -> None:
        self.rid = rid
        self.out = out
        self.inn = inn
        # Computed on the first sign of a cycle; never needed for acyclic graphs,
        # where no parent of X can be reachable only through X.
        self.dom: Dominance | None = None
        self.par: list[InEdge | None] = [None] * len(inn)
        self.state = bytearray(len(inn))
        self.expl: dict[int, _Explicit] = {}
        # anchor[x]: the nearest node with an explicit path on x's parent chain;
        # absent means the chain ends at the root. Only through an explicit path
        # can a finished canonical path contain a node still being resolved.
        self.anchor: dict[int, int] = {}

    def run(self) -> None:
        # Hot loop for 10^6 nodes: everything in locals.
        inn, state, par, expl, anchor = self.inn, self.state, self.par, self.expl, self.anchor
        done, busy, unreachable = _DONE, _BUSY, _UNREACHABLE
        state[self.rid] = done
        dom = self.dom
        for start in range(len(state)):
            if state[start]:
                continue
            stack = [start]
            pos = [0]
            state[start] = busy
            while stack:
                x = stack[-1]
                plist = inn[x]
                result = unreachable
                if plist is not None:
                    i = pos[-1]
                    n = len(plist)
                    while i < n:
                        edge = plist[i]
                        p = edge[0]
                        st = state[p]
                        if st == unreachable or p == x:
                            i += 1
                            continue
                        if dom is not None and dom.dominates(x, p):
                            # p is reachable only through x: a back reference.
                            i += 1
                            continue
                        if st == done:
                            a = (p if p in expl else anchor.get(p)) if expl else None
                            if a is None or x not in expl[a].nodeset:
                                par[x] = edge
                                if a is not None:
                                    anchor[x] = a
                                result = done
                                break
                        elif st != busy:
                            pos[-1] = i
                            stack.append(p)
                            pos.append(0)
                            state[p] = busy
                            result = 0
                            break
                        # p's path (known or pending) may run through x: a cycle.
                        if dom is None:
                            # The pending nodes chose parents without knowing about
                            # back references: start them over with dominators.
                            dom = self.dom = self._dominance()
                            for node in stack:
                                state[node] = 0
                            state[start] = busy
                            del stack[1:]
                            pos[:] = [0]
                            result = 0
                            break
                        result = self.search_from(x)
                        break
                if result:
                    state[x] = result
                    stack.pop()
                    pos.pop()

    def _dominance(self) -> Dominance:
        dom = Dominance(self.rid, self.out, self.inn)
        state, reachable = self.state, dom.reachable
        for i in range(len(state)):
            if not reachable[i] and state[i] == _TODO:
                state[i] = _UNREACHABLE
        return dom

    def canon_hits(self, p: int, chain: set[int]) -> bool:
        """Whether the finished canonical path of ``p`` passes through ``chain``."""
        rid, par, expl = self.rid, self.par, self.expl
        while p != rid:
            if p in chain:
                return True
            ex = expl.get(p)
            if ex is not None:
                return not ex.nodeset.isdisjoint(chain)
            edge = par[p]
            assert edge is not None
            p = edge[0]
        return False

    def full_path(self, p: int) -> tuple[list[int], list[str], list[int]]:
        """Nodes (without the root), attributes and orders of the canonical path of ``p``."""
        rid, par, expl = self.rid, self.par, self.expl
        nodes: list[int] = []
        attrs: list[str] = []
        orders: list[int] = []
        head: _Explicit | None = None
        while p != rid:
            head = expl.get(p)
            if head is not None:
                break
            nodes.append(p)
            edge = par[p]
            assert edge is not None
            p, attr, order = edge
            attrs.append(attr)
            orders.append(order)
        nodes.reverse()
        attrs.reverse()
        orders.reverse()
        if head is not None:
            return [*head.nodes, *nodes], [*head.attrs, *attrs], [*head.orders, *orders]
        return nodes, attrs, orders

    def search_from(self, x: int) -> int:
        """Find the first simple chain from the root to ``x`` in depth-first parent order.

        Stores it in ``expl`` and returns ``_DONE``, or returns ``_UNREACHABLE``.
        A node whose search failed stays blocked for the rest of this search (as
        in Johnson's circuit algorithm): every route from it to the root runs
        through the current chain, and stays so while the search backtracks,
        since nodes leave the chain only by failing themselves. That keeps one
        search at O(V + E) and does not change which chain is found first.
        """
        rid, inn, state, expl = self.rid, self.inn, self.state, self.expl
        nodes = [x]
        pos = [0]
        attrs: list[str] = []
        orders: list[int] = []
        chain = {x}
        blocked: set[int] = set()
        while nodes:
            cur = nodes[-1]
            plist = inn[cur] or []
            i = pos[-1]
            prefix: tuple[list[int], list[str], list[int]] | None = None
            descended = False
            while i < len(plist):
                p, attr, order = plist[i]
                i += 1
                if p == rid:
                    prefix = ([], [attr], [order])
                    break
                if p in chain or p in blocked or state[p] == _UNREACHABLE:
                    continue
                if state[p] == _DONE and not self.canon_hits(p, chain):
                    head_nodes, head_attrs, head_orders = self.full_path(p)
                    prefix = ([*head_nodes, p], [*head_attrs, attr], [*head_orders, order])
                    break
                pos[-1] = i
                nodes.append(p)
                pos.append(0)
                attrs.append(attr)
                orders.append(order)
                chain.add(p)
                descended = True
                break
            if prefix is not None:
                # The prefix ends with the edge into `cur`; the chain adds the edges below.
                head_nodes, head_attrs, head_orders = prefix
                expl[x] = _Explicit(
                    (*head_nodes, *reversed(nodes)),
                    (*head_attrs, *reversed(attrs)),
                    (*head_orders, *reversed(orders)),
                )
                return _DONE
            if not descended:
                nodes.pop()
                pos.pop()
                chain.discard(cur)
                blocked.add(cur)
                if attrs:
                    attrs.pop()
                    orders.pop()
        return _UNREACHABLE


def all_simple_paths(graph: OwnershipGraph, root_obj: object, obj: object) -> list[tuple[str, ...]]:
    """Every simple chain from ``root_obj`` to ``obj`` in canonical search order."""
    if obj is root_obj:
        return [()]
    rid, x = graph._find(root_obj), graph._find(obj)
    if rid is None or x is None:
        return []
    _, reach = _forward_reach(graph, rid)
    if not reach[x]:
        return []
    inn = graph._in
    results: list[tuple[str, ...]] = []
    attrs: list[str] = []
    chain = {x}
    stack: list[tuple[int, Iterator[InEdge]]] = [(x, iter(inn[x] or ()))]
    while stack:
        node, it = stack[-1]
        for p, attr, _ in it:
            if p == rid:
                results.append((attr, *reversed(attrs)))
                continue
            if p in chain or not reach[p]:
                continue
            chain.add(p)
            attrs.append(attr)
            stack.append((p, iter(inn[p] or ())))
            break
        else:
            stack.pop()
            chain.discard(node)
            if stack:
                attrs.pop()
    return results
