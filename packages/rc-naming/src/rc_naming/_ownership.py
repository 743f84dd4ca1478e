"""The ownership graph: which object holds which other object under which attribute."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from rc_naming._errors import InvalidNameError, UnreachableError
from rc_naming._export import ownership_to_dot, ownership_to_networkx
from rc_naming._objtree import walk_object_tree
from rc_naming._resolve import all_simple_paths, compute_resolution
from rc_naming._unreachable import build_unreachable_error

if TYPE_CHECKING:
    import networkx

    from rc_naming._resolve import Resolution

__all__ = ["OwnershipGraph"]

# Objects get dense node indices (0, 1, ... in first-seen order); resolution then
# runs on lists instead of id-keyed dicts, which matters at 10^6 nodes.
# One in-edge of a child: (parent index, attribute, assignment number).
InEdge = tuple[int, str, int]


class OwnershipGraph:
    """Records ``parent.attr = child`` assignments and resolves canonical paths (N3, N5).

    Objects are keyed by identity (``id``), never by ``__eq__``/``__hash__``, so
    unhashable objects and objects with a custom equality work. The graph keeps
    every object it has seen alive, which keeps the ids unambiguous.

    Every new edge gets the next number of a per-graph assignment counter. The
    canonical path of an object follows its still-valid parent edges in that
    order, depth first, and takes the first chain that reaches the root
    ("first assignment wins").

    Examples
    --------
    >>> from rc_naming import OwnershipGraph
    >>> class M: pass
    >>> root, enc, w = M(), M(), M()
    >>> g = OwnershipGraph()
    >>> g.record_assign(enc, "weight", w)
    >>> g.record_assign(root, "enc", enc)
    >>> g.record_assign(root, "alias", w)
    >>> g.canonical_path(root, w)
    ('enc', 'weight')
    >>> g.alias_paths(root, w)
    [('enc', 'weight'), ('alias',)]
    """

    def __init__(self) -> None:
        self._index: dict[int, int] = {}
        self._objs: list[object] = []
        self._labels: dict[int, str] = {}
        self._created: dict[int, str] = {}
        self._out: list[dict[str, tuple[int, int]] | None] = []
        self._in: list[list[InEdge] | None] = []
        self._counter = 0
        self._version = 0
        # Mutations are several dict operations each; the default root is shared
        # by all threads, so they must not interleave.
        self._lock = threading.RLock()
        self._cache: tuple[int, Resolution] | None = None

    # -- building -------------------------------------------------------------------

    def _register(self, obj: object) -> int:
        idx = self._index.get(id(obj))
        if idx is None:
            idx = len(self._objs)
            self._index[id(obj)] = idx
            self._objs.append(obj)
            self._out.append(None)
            self._in.append(None)
        return idx

    def _find(self, obj: object) -> int | None:
        """The node index of ``obj``, or ``None`` if the graph never saw it."""
        # The graph keeps its objects alive, so a known id cannot belong to another object.
        return self._index.get(id(obj))

    def add_node(
        self, obj: object, *, label: str | None = None, created_at: str | None = None
    ) -> None:
        """Register ``obj`` and optional metadata used in error messages.

        ``label`` is a human-readable name (default: the type name), ``created_at``
        a source location such as ``"model.py:12"``.

        Examples
        --------
        >>> from rc_naming import OwnershipGraph
        >>> g = OwnershipGraph()
        >>> p = object()
        >>> g.add_node(p, label="Linear.weight", created_at="model.py:12")
        >>> p in g
        True
        """
        with self._lock:
            key = self._register(obj)
            if label is not None:
                self._labels[key] = label
            if created_at is not None:
                self._created[key] = created_at
            self._version += 1

    def record_assign(self, parent: object, attr: str, child: object) -> None:
        """Record ``parent.attr = child``.

        A different previous value of ``parent.attr`` loses its edge. Assigning the
        very same child again keeps its old assignment number (no-op).

        Examples
        --------
        >>> from rc_naming import OwnershipGraph
        >>> g = OwnershipGraph()
        >>> root, a, b = object(), object(), object()
        >>> g.record_assign(root, "x", a)
        >>> g.record_assign(root, "x", b)  # replaces a
        >>> [name for name, _ in g.children(root)]
        ['x']
        """
        if not isinstance(attr, str) or not attr:
            raise InvalidNameError(
                f"attribute name must be a non-empty str, got {attr!r}; "
                "fix: record list items as '0', '1', ... and dict items by str(key)"
            )
        with self._lock:
            pid = self._register(parent)
            cid = self._register(child)
            out = self._out[pid]
            if out is None:
                out = self._out[pid] = {}
            prev = out.get(attr)
            if prev is not None:
                if prev[0] == cid:
                    return
                self._drop_in_edge(prev[0], pid, attr)
                # Re-inserting moves the key to the end, so the dict keeps the
                # children in assignment order.
                del out[attr]
            order = self._counter
            self._counter = order + 1
            out[attr] = (cid, order)
            ins = self._in[cid]
            if ins is None:
                self._in[cid] = [(pid, attr, order)]
            else:
                ins.append((pid, attr, order))
            self._version += 1

    def _drop_in_edge(self, cid: int, pid: int, attr: str) -> None:
        ins = self._in[cid]
        assert ins is not None
        for i, (p, a, _) in enumerate(ins):
            if p == pid and a == attr:
                del ins[i]
                break
        if not ins:
            self._in[cid] = None

    def record_delete(self, parent: object, attr: str) -> None:
        """Record ``del parent.attr`` (no-op if there is no such edge).

        Examples
        --------
        >>> from rc_naming import OwnershipGraph
        >>> g = OwnershipGraph()
        >>> root, a = object(), object()
        >>> g.record_assign(root, "x", a)
        >>> g.record_delete(root, "x")
        >>> g.children(root)
        []
        """
        with self._lock:
            pid = self._find(parent)
            if pid is None:
                return
            out = self._out[pid]
            prev = None if out is None else out.pop(attr, None)
            if prev is None:
                return
            self._drop_in_edge(prev[0], pid, attr)
            self._version += 1

    @classmethod
    def from_object_tree(
        cls,
        root_obj: object,
        *,
        is_node: Callable[[object], bool] | None = None,
        children: Callable[[object], Iterable[tuple[str, object]]] | None = None,
    ) -> OwnershipGraph:
        """Build a graph by walking objects that were never hooked.

        The walk is depth first, preorder, iterative (deep trees are fine), and
        each edge gets its assignment number when it is discovered. So the
        canonical path of every object is the first chain on which this walk
        meets it, like ``torch.nn.Module.named_parameters()``.

        By default the children of an object are the items of ``vars(obj)`` in
        insertion order, list/tuple items as ``"0"``, ``"1"``, ... and dict items
        by ``str(key)``; scalars, strings, bytes, ``None``, types, functions and
        modules are not nodes. Pass ``is_node`` and ``children`` to change that.

        Examples
        --------
        >>> from rc_naming import OwnershipGraph
        >>> class Lin:
        ...     def __init__(self): self.weight = [0.0]
        >>> class Net:
        ...     def __init__(self): self.layers = [Lin(), Lin()]
        >>> net = Net()
        >>> g = OwnershipGraph.from_object_tree(net)
        >>> g.canonical_path(net, net.layers[1].weight)
        ('layers', '1', 'weight')
        """
        graph = cls()
        walk_object_tree(graph, root_obj, is_node=is_node, children=children)
        return graph

    # -- queries --------------------------------------------------------------------

    def __contains__(self, obj: object) -> bool:
        return self._find(obj) is not None

    def __len__(self) -> int:
        return len(self._objs)

    def label(self, obj: object) -> str:
        """The label given to ``add_node``, else the type's qualified name.

        Examples
        --------
        >>> from rc_naming import OwnershipGraph
        >>> OwnershipGraph().label(3.0)
        'float'
        """
        idx = self._find(obj)
        label = None if idx is None else self._labels.get(idx)
        return label or type(obj).__qualname__

    def created_at(self, obj: object) -> str | None:
        """The ``created_at`` given to ``add_node``, else ``None``.

        Examples
        --------
        >>> from rc_naming import OwnershipGraph
        >>> g = OwnershipGraph()
        >>> p = object()
        >>> g.add_node(p, created_at="x.py:3")
        >>> g.created_at(p)
        'x.py:3'
        """
        idx = self._find(obj)
        return None if idx is None else self._created.get(idx)

    def children(self, parent: object) -> list[tuple[str, object]]:
        """The valid edges out of ``parent`` as ``(attr, child)``, in assignment order.

        Examples
        --------
        >>> from rc_naming import OwnershipGraph
        >>> g = OwnershipGraph()
        >>> root, a, b = object(), object(), object()
        >>> g.record_assign(root, "b", b)
        >>> g.record_assign(root, "a", a)
        >>> [attr for attr, _ in g.children(root)]
        ['b', 'a']
        """
        with self._lock:
            idx = self._find(parent)
            out = None if idx is None else self._out[idx]
            if out is None:
                return []
            objs = self._objs
            return [(attr, objs[cid]) for attr, (cid, _) in out.items()]

    def parents(self, child: object) -> list[tuple[object, str]]:
        """The valid edges into ``child`` as ``(parent, attr)``, in assignment order.

        Examples
        --------
        >>> from rc_naming import OwnershipGraph
        >>> g = OwnershipGraph()
        >>> root, a, w = object(), object(), object()
        >>> g.record_assign(root, "w", w)
        >>> g.record_assign(a, "w2", w)
        >>> [attr for _, attr in g.parents(w)]
        ['w', 'w2']
        """
        with self._lock:
            idx = self._find(child)
            ins = None if idx is None else self._in[idx]
            if ins is None:
                return []
            objs = self._objs
            return [(objs[pid], attr) for pid, attr, _ in ins]

    def resolve(self, root_obj: object) -> Resolution:
        """Resolve the canonical path of every object reachable from ``root_obj``.

        Runs in O(V + E) for graphs without cycles; cycles cost extra searches
        only around the nodes whose first parents lead back to themselves. The
        result is a snapshot: later changes of the graph do not affect it.

        Examples
        --------
        >>> from rc_naming import OwnershipGraph, render_path
        >>> g = OwnershipGraph()
        >>> root, enc, w = object(), object(), object()
        >>> g.record_assign(root, "enc", enc)
        >>> g.record_assign(enc, "w", w)
        >>> res = g.resolve(root)
        >>> render_path(res.path(w), "/")
        'enc/w'
        """
        with self._lock:
            cached = self._cache
            if cached is not None and cached[0] == self._version and cached[1].root is root_obj:
                return cached[1]
            res = compute_resolution(self, root_obj)
            self._cache = (self._version, res)
            return res

    def canonical_path(self, root_obj: object, obj: object) -> tuple[str, ...]:
        """The canonical attribute chain from ``root_obj`` to ``obj``.

        Raises :class:`UnreachableError` (with holders and a fix hint) if there is none.

        Examples
        --------
        >>> from rc_naming import OwnershipGraph
        >>> g = OwnershipGraph()
        >>> root, w = object(), object()
        >>> g.record_assign(root, "w", w)
        >>> g.canonical_path(root, w)
        ('w',)
        """
        return self.resolve(root_obj).path(obj)

    def alias_paths(self, root_obj: object, obj: object) -> list[tuple[str, ...]]:
        """Every simple attribute chain from ``root_obj`` to ``obj``, canonical first.

        The chains come in the order of the canonical search (parents in
        assignment order, depth first); an empty list means unreachable. Meant
        for diagnostics: the number of chains can grow exponentially.

        Examples
        --------
        >>> from rc_naming import OwnershipGraph
        >>> g = OwnershipGraph()
        >>> root, a, w = object(), object(), object()
        >>> g.record_assign(root, "a", a)
        >>> g.record_assign(a, "w", w)
        >>> g.record_assign(root, "w", w)
        >>> g.alias_paths(root, w)
        [('a', 'w'), ('w',)]
        """
        with self._lock:
            return all_simple_paths(self, root_obj, obj)

    def unreachable_error(self, root_obj: object, obj: object) -> UnreachableError:
        """Build the N5 error for ``obj`` not being reachable from ``root_obj``.

        Sibling packages use it to report parameters that are used but not owned.

        Examples
        --------
        >>> from rc_naming import OwnershipGraph
        >>> g = OwnershipGraph()
        >>> err = g.unreachable_error(object(), object())
        >>> "not reachable" in str(err)
        True
        """
        with self._lock:
            return build_unreachable_error(self, self.resolve(root_obj), obj)

    # -- export ---------------------------------------------------------------------

    def to_networkx(self) -> networkx.MultiDiGraph[int]:
        """A copy as a ``networkx.MultiDiGraph``.

        Nodes are numbered in the order the graph first saw them and carry
        ``obj``, ``label`` and ``created_at``; edges carry ``attr`` and ``order``
        (the edge key is the attribute).

        Examples
        --------
        >>> from rc_naming import OwnershipGraph
        >>> g = OwnershipGraph()
        >>> g.record_assign(object(), "w", object())
        >>> nx_graph = g.to_networkx()
        >>> list(nx_graph.edges(data="attr"))
        [(0, 1, 'w')]
        """
        with self._lock:
            return ownership_to_networkx(self)

    def to_dot(self, root_obj: object = None) -> str:
        """Graphviz DOT text; with ``root_obj``, canonical edges solid, alias edges dashed.

        Examples
        --------
        >>> from rc_naming import OwnershipGraph
        >>> g = OwnershipGraph()
        >>> root = object()
        >>> g.record_assign(root, "w", object())
        >>> g.to_dot(root).splitlines()[0]
        'digraph ownership {'
        """
        with self._lock:
            return ownership_to_dot(self, root_obj)
