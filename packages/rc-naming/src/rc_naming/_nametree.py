"""The layer name tree (rules N6, N7): unique final names and relative references.

Suffix rule, per scope: fixed nodes first get exactly their suggested name; then
the other nodes, ordered by priority (ascending) and then tree order, get their
sanitized suggested name if it is free and not reserved, else the first free,
non-reserved ``<name>_1``, ``<name>_2``, ... (TensorFlow's convention).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from rc_naming._errors import (
    FinalizedError,
    InvalidNameError,
    InvalidTreeOperationError,
    NameCollisionError,
    NotFinalizedError,
    ReferenceResolutionError,
)
from rc_naming._export import nametree_to_dot, nametree_to_networkx

if TYPE_CHECKING:
    import networkx

__all__ = ["NameNode", "NameTree", "sanitize_name"]

# RETURNN splits layer names on "/" (subnetworks) and ":" (prefixes such as
# "base:"), and TensorFlow scope names allow only these characters.
_INVALID_CHARS = re.compile(r"[^A-Za-z0-9_.\-]")
_BASE = "base:"


def sanitize_name(name: str) -> str:
    """Replace every character RETURNN/TensorFlow reject by ``_``; empty becomes ``_``.

    Examples
    --------
    >>> from rc_naming import sanitize_name
    >>> sanitize_name("enc/self att:0")
    'enc_self_att_0'
    """
    return _INVALID_CHARS.sub("_", name) or "_"


class NameNode:
    """One node of a :class:`NameTree`: a layer, a scope, or a virtual grouping.

    ``name`` and ``path`` are the final values and exist only after
    :meth:`NameTree.finalize`. The root and virtual nodes have the name ``""``;
    the ``path`` of a virtual node is the path of the scope it belongs to.

    Examples
    --------
    >>> from rc_naming import NameTree
    >>> t = NameTree()
    >>> enc = t.add(t.root, "enc")
    >>> lin = t.add(enc, "lin")
    >>> t.finalize()
    >>> lin.path
    ('enc', 'lin')
    """

    __slots__ = (
        "_final",
        "_suggested",
        "_tree",
        "children",
        "fixed",
        "parent",
        "payload",
        "priority",
        "reserved",
        "virtual",
    )

    parent: NameNode | None
    children: list[NameNode]
    virtual: bool
    fixed: bool
    reserved: frozenset[str]
    priority: int
    payload: object

    def __init__(
        self,
        tree: NameTree | None,
        parent: NameNode | None,
        suggested: str,
        *,
        virtual: bool = False,
        fixed: bool = False,
        reserved: Iterable[str] = (),
        priority: int = 0,
        payload: object = None,
    ) -> None:
        self._tree = tree
        self.parent = parent
        self.children = []
        self._suggested = suggested
        self.virtual = virtual
        self.fixed = fixed
        self.reserved = frozenset(reserved)
        self.priority = priority
        self.payload = payload
        self._final: str | None = None

    def __repr__(self) -> str:
        kind = "virtual " if self.virtual else "fixed " if self.fixed else ""
        final = f" -> {self._final!r}" if self._final is not None else ""
        return f"<{kind}NameNode {self._suggested!r}{final}>"

    @property
    def suggested(self) -> str:
        """The suggested name; settable until the tree is finalized.

        Examples
        --------
        >>> from rc_naming import NameTree
        >>> t = NameTree()
        >>> n = t.add(t.root, "lin")
        >>> n.suggested = "proj"
        >>> t.finalize()
        >>> n.name
        'proj'
        """
        return self._suggested

    @suggested.setter
    def suggested(self, value: str) -> None:
        if self._tree is not None and self._tree.finalized:
            raise FinalizedError(
                f"cannot rename {self!r} to {value!r}: its name tree is already finalized; "
                "fix: set suggested names before NameTree.finalize()"
            )
        self._suggested = value

    @property
    def name(self) -> str:
        """The final name (``""`` for the root and virtual nodes).

        Raises :class:`NotFinalizedError` before :meth:`NameTree.finalize`.

        Examples
        --------
        >>> from rc_naming import NameTree
        >>> t = NameTree()
        >>> a, b = t.add(t.root, "lin"), t.add(t.root, "lin")
        >>> t.finalize()
        >>> (a.name, b.name)
        ('lin', 'lin_1')
        """
        final = self._final
        if final is None:
            raise self._not_final_error()
        return final

    def _not_final_error(self) -> NotFinalizedError:
        why = (
            "it was removed from its tree before finalize()"
            if self._tree is None
            else "NameTree.finalize() has not been called yet"
        )
        return NotFinalizedError(
            f"{self!r} has no final name: {why}; fix: build the whole tree, call "
            "finalize() once, and read names only afterwards"
        )

    @property
    def path(self) -> tuple[str, ...]:
        """Final names of the non-virtual ancestors (without the root) and this node.

        Examples
        --------
        >>> from rc_naming import NameTree
        >>> t = NameTree()
        >>> loop = t.add(t.root, "loop", virtual=True)
        >>> x = t.add(loop, "x")
        >>> t.finalize()
        >>> x.path
        ('x',)
        """
        if self._final is None:
            raise self._not_final_error()
        parts: list[str] = []
        node: NameNode | None = self
        while node is not None and node.parent is not None:
            if not node.virtual:
                parts.append(node.name)
            node = node.parent
        parts.reverse()
        return tuple(parts)

    def iter_subtree(self) -> Iterator[NameNode]:
        """This node and all its descendants, preorder.

        Examples
        --------
        >>> from rc_naming import NameTree
        >>> t = NameTree()
        >>> a = t.add(t.root, "a")
        >>> _ = t.add(a, "b")
        >>> [n.suggested for n in a.iter_subtree()]
        ['a', 'b']
        """
        stack = [self]
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(node.children))


def _scope_of(node: NameNode) -> NameNode:
    """The non-virtual node whose scope ``node``'s name lives in (the root for the root)."""
    scope = node.parent
    while scope is not None and scope.virtual:
        scope = scope.parent
    return scope if scope is not None else node


def _draft_path(node: NameNode) -> str:
    """A readable path from suggested names, for messages before finalize."""
    parts: list[str] = []
    cur: NameNode | None = node
    while cur is not None and cur.parent is not None:
        if not cur.virtual:
            parts.append(cur.suggested)
        cur = cur.parent
    return "/".join(reversed(parts)) or "<root>"


class NameTree:
    """The call/layer hierarchy whose final names become net dict keys (N6, N7).

    Build it with :meth:`add` (and :meth:`remove`, :meth:`flatten`, :meth:`move`),
    call :meth:`finalize` once, then read ``node.name`` / ``node.path`` and build
    references. Virtual nodes take no name: their children are named in the scope
    of the nearest non-virtual ancestor.

    Suffix rule, per scope: fixed nodes get exactly their suggested name (two
    fixed nodes on one name raise :class:`NameCollisionError`; a fixed node may
    take a reserved name, which is what reservations are for). The other nodes,
    by priority ascending then tree order, get their sanitized suggested name if
    free and not reserved, else the first free non-reserved ``<name>_1``,
    ``<name>_2``, ...

    Examples
    --------
    >>> from rc_naming import NameTree
    >>> t = NameTree(reserved={"output"})
    >>> enc = t.add(t.root, "enc")
    >>> lin1, lin2 = t.add(enc, "lin"), t.add(enc, "lin")
    >>> out = t.add(t.root, "output")
    >>> t.finalize()
    >>> (lin2.name, out.name)
    ('lin_1', 'output_1')
    >>> t.reference(lin2, out)
    'base:output_1'
    >>> t.resolve_reference(lin2, "base:output_1") is out
    True
    """

    root: NameNode

    def __init__(self, *, reserved: Iterable[str] = ()) -> None:
        self._reserved = frozenset(reserved)
        self.root = NameNode(self, None, "", reserved=self._reserved)
        self._finalized = False
        self._scopes: dict[NameNode, dict[str, NameNode]] = {}

    @property
    def finalized(self) -> bool:
        """Whether :meth:`finalize` has run.

        Examples
        --------
        >>> from rc_naming import NameTree
        >>> NameTree().finalized
        False
        """
        return self._finalized

    @property
    def reserved(self) -> frozenset[str]:
        """The names reserved in every scope.

        Examples
        --------
        >>> from rc_naming import NameTree
        >>> sorted(NameTree(reserved=["data", "output"]).reserved)
        ['data', 'output']
        """
        return self._reserved

    def _check_mutable(self, what: str) -> None:
        if self._finalized:
            raise FinalizedError(
                f"cannot {what}: the name tree is already finalized; fix: do all structural "
                "changes before NameTree.finalize()"
            )

    def _check_member(self, node: NameNode, role: str) -> None:
        if node._tree is not self:
            why = "was removed" if node._tree is None else "belongs to another NameTree"
            raise InvalidTreeOperationError(
                f"{role} {node!r} {why}; fix: only use nodes returned by this tree's add()"
            )

    def add(
        self,
        parent: NameNode,
        suggested: str,
        *,
        virtual: bool = False,
        fixed: bool = False,
        reserved: Iterable[str] = (),
        priority: int = 0,
        payload: object = None,
    ) -> NameNode:
        """Append a new child of ``parent`` and return it.

        ``reserved`` names are reserved in the scope the new node opens (for a
        virtual node: in the scope it belongs to). A fixed name must already be
        valid (see :func:`sanitize_name`), since it cannot be changed.

        Examples
        --------
        >>> from rc_naming import NameTree
        >>> t = NameTree()
        >>> loop = t.add(t.root, "loop", reserved={"end"})
        >>> end = t.add(loop, "end")
        >>> t.finalize()
        >>> end.name
        'end_1'
        """
        self._check_mutable(f"add {suggested!r}")
        self._check_member(parent, "parent")
        if fixed and virtual:
            raise InvalidNameError(
                f"node {suggested!r} cannot be both fixed and virtual: a virtual node takes no "
                "name; fix: drop one of the two flags"
            )
        if fixed and sanitize_name(suggested) != suggested:
            raise InvalidNameError(
                f"fixed name {suggested!r} contains characters RETURNN/TensorFlow reject "
                f"(allowed: letters, digits, '_', '.', '-'); fix: use "
                f"{sanitize_name(suggested)!r} or make the node non-fixed"
            )
        node = NameNode(
            self,
            parent,
            suggested,
            virtual=virtual,
            fixed=fixed,
            reserved=reserved,
            priority=priority,
            payload=payload,
        )
        parent.children.append(node)
        return node

    def _detach(self, node: NameNode) -> int:
        parent = node.parent
        assert parent is not None
        for i, sibling in enumerate(parent.children):
            if sibling is node:
                del parent.children[i]
                return i
        raise AssertionError("rc_naming: node missing from its parent's children")

    def remove(self, node: NameNode) -> None:
        """Remove ``node`` and its whole subtree.

        Examples
        --------
        >>> from rc_naming import NameTree
        >>> t = NameTree()
        >>> a = t.add(t.root, "a")
        >>> t.remove(a)
        >>> t.root.children
        []
        """
        self._check_mutable(f"remove {node!r}")
        self._check_member(node, "node")
        if node is self.root:
            raise InvalidTreeOperationError("cannot remove the root of a NameTree")
        self._detach(node)
        node.parent = None
        for sub in node.iter_subtree():
            sub._tree = None

    def flatten(self, node: NameNode) -> None:
        """Replace ``node`` by its children, at its place among its siblings.

        Examples
        --------
        >>> from rc_naming import NameTree
        >>> t = NameTree()
        >>> sub = t.add(t.root, "sub")
        >>> x = t.add(sub, "x")
        >>> t.flatten(sub)
        >>> t.root.children == [x] and x.parent is t.root
        True
        """
        self._check_mutable(f"flatten {node!r}")
        self._check_member(node, "node")
        parent = node.parent
        if parent is None:
            raise InvalidTreeOperationError("cannot flatten the root of a NameTree")
        index = self._detach(node)
        parent.children[index:index] = node.children
        for child in node.children:
            child.parent = parent
        node.children = []
        node.parent = None
        node._tree = None

    def move(self, node: NameNode, new_parent: NameNode, index: int | None = None) -> None:
        """Move ``node`` (with its subtree) below ``new_parent``, at ``index`` or last.

        Examples
        --------
        >>> from rc_naming import NameTree
        >>> t = NameTree()
        >>> a, b = t.add(t.root, "a"), t.add(t.root, "b")
        >>> t.move(b, t.root, 0)
        >>> [n.suggested for n in t.root.children]
        ['b', 'a']
        """
        self._check_mutable(f"move {node!r}")
        self._check_member(node, "node")
        self._check_member(new_parent, "new parent")
        if node.parent is None:
            raise InvalidTreeOperationError("cannot move the root of a NameTree")
        cur: NameNode | None = new_parent
        while cur is not None:
            if cur is node:
                raise InvalidTreeOperationError(
                    f"cannot move {node!r} below {new_parent!r}, which is inside its own "
                    "subtree; fix: move it to a node outside the subtree"
                )
            cur = cur.parent
        self._detach(node)
        if index is None:
            new_parent.children.append(node)
        else:
            new_parent.children.insert(index, node)
        node.parent = new_parent

    @staticmethod
    def _scope_members(
        scope: NameNode, reserved: frozenset[str]
    ) -> tuple[list[NameNode], list[NameNode], set[str]]:
        """Non-virtual members of ``scope`` (virtual levels flattened), in tree order."""
        members: list[NameNode] = []
        virtuals: list[NameNode] = []
        taken_reserved = set(reserved) | scope.reserved
        stack: list[Iterator[NameNode]] = [iter(scope.children)]
        while stack:
            for child in stack[-1]:
                if child.virtual:
                    virtuals.append(child)
                    taken_reserved |= child.reserved
                    stack.append(iter(child.children))
                    break
                members.append(child)
            else:
                stack.pop()
        return members, virtuals, taken_reserved

    def finalize(self) -> None:
        """Assign every final name, once; afterwards the tree cannot change.

        Atomic: if it raises (a fixed-name collision), nothing is assigned and
        the tree can still be fixed and finalized.

        Examples
        --------
        >>> from rc_naming import NameTree
        >>> t = NameTree(reserved={"data"})
        >>> d, x = t.add(t.root, "data", fixed=True), t.add(t.root, "data")
        >>> t.finalize()
        >>> (d.name, x.name)
        ('data', 'data_1')
        """
        self._check_mutable("finalize again")
        scopes: dict[NameNode, dict[str, NameNode]] = {}
        unnamed: list[NameNode] = [self.root]
        todo = [self.root]
        while todo:
            scope = todo.pop()
            members, virtuals, reserved = self._scope_members(scope, self._reserved)
            unnamed.extend(virtuals)
            taken: dict[str, NameNode] = {}
            for node in members:
                if node.fixed:
                    other = taken.get(node.suggested)
                    if other is not None:
                        raise NameCollisionError(
                            f"two fixed nodes need the name {node.suggested!r} in scope "
                            f"{_draft_path(scope)!r}: {_draft_path(other)!r} ({other!r}) and "
                            f"{_draft_path(node)!r} ({node!r}); fix: make one of them "
                            "non-fixed so it gets a numeric suffix, or rename it"
                        )
                    taken[node.suggested] = node
            rest = sorted((n for n in members if not n.fixed), key=lambda n: n.priority)
            next_suffix: dict[str, int] = {}
            for node in rest:
                base = sanitize_name(node.suggested)
                name = base
                if name in taken or name in reserved:
                    k = next_suffix.get(base, 1)
                    name = f"{base}_{k}"
                    while name in taken or name in reserved:
                        k += 1
                        name = f"{base}_{k}"
                    next_suffix[base] = k + 1
                taken[name] = node
            scopes[scope] = taken
            todo.extend(members)
        for taken in scopes.values():
            for name, node in taken.items():
                node._final = name
        for node in unnamed:
            node._final = ""
        self._scopes = scopes
        self._finalized = True

    def _check_finalized(self, what: str) -> None:
        if not self._finalized:
            raise NotFinalizedError(
                f"cannot {what} before NameTree.finalize(): references are computed from "
                "final names only; fix: call finalize() first"
            )

    def reference(self, from_node: NameNode, to_node: NameNode, *, prefix: str = "") -> str:
        """The RETURNN reference that ``from_node`` writes to reach ``to_node``.

        ``"base:"`` once per level up from ``from_node``'s scope to the common
        scope, then ``prefix`` (e.g. ``"prev:"``), then the path down, joined by "/".

        Examples
        --------
        >>> from rc_naming import NameTree
        >>> t = NameTree()
        >>> enc, dec = t.add(t.root, "enc"), t.add(t.root, "dec")
        >>> lin, x = t.add(enc, "lin"), t.add(dec, "x")
        >>> t.finalize()
        >>> t.reference(x, lin)
        'base:enc/lin'
        >>> t.reference(x, x, prefix="prev:")
        'prev:x'
        """
        self._check_finalized("build a reference")
        for node, role in ((from_node, "from_node"), (to_node, "to_node")):
            if node._tree is not self:
                raise ReferenceResolutionError(
                    f"{role} {node!r} is not part of this name tree; fix: pass nodes of the "
                    "tree being serialized"
                )
        if to_node.parent is None or to_node.virtual:
            raise ReferenceResolutionError(
                f"cannot reference {to_node!r}: the root and virtual nodes have no name; "
                "fix: reference a named node inside it"
            )
        scope_path = _scope_of(from_node).path
        target = to_node.path
        common = 0
        limit = min(len(scope_path), len(target) - 1)
        while common < limit and scope_path[common] == target[common]:
            common += 1
        ups = len(scope_path) - common
        return _BASE * ups + prefix + "/".join(target[common:])

    def resolve_reference(self, from_node: NameNode, ref: str) -> NameNode:
        """The node that reference ``ref``, written by ``from_node``, points to.

        Inverse of :meth:`reference`: ``resolve_reference(a, reference(a, b)) is b``.
        Prefixes such as ``prev:`` or ``data:`` are skipped.

        Examples
        --------
        >>> from rc_naming import NameTree
        >>> t = NameTree()
        >>> enc = t.add(t.root, "enc")
        >>> lin = t.add(enc, "lin")
        >>> t.finalize()
        >>> t.resolve_reference(t.root, "enc/lin") is lin
        True
        """
        self._check_finalized("resolve a reference")
        if from_node._tree is not self:
            raise ReferenceResolutionError(
                f"from_node {from_node!r} is not part of this name tree; fix: pass nodes of "
                "the tree being serialized"
            )
        scope = _scope_of(from_node)
        rest = ref
        while rest.startswith(_BASE):
            rest = rest[len(_BASE) :]
            if scope.parent is None:
                raise ReferenceResolutionError(
                    f"reference {ref!r} from {from_node!r} goes above the root scope (too many "
                    f"'base:'); fix: use at most {len(_scope_of(from_node).path)} of them here"
                )
            scope = _scope_of(scope)
        path_text = rest.rsplit(":", 1)[-1]
        names = path_text.split("/")
        node = scope
        for i, name in enumerate(names):
            found = self._scopes.get(node, {}).get(name)
            if found is None:
                available = sorted(self._scopes.get(node, {}))
                shown = ", ".join(repr(n) for n in available[:20]) or "none"
                more = " ..." if len(available) > 20 else ""
                where = "/".join(names[:i]) or "the scope of the referring node"
                raise ReferenceResolutionError(
                    f"reference {ref!r} from {from_node!r}: no layer {name!r} in {where!r} "
                    f"(available: {shown}{more}); fix: build references with "
                    "NameTree.reference() after finalize()"
                )
            node = found
        return node

    def iter_nodes(self) -> Iterator[NameNode]:
        """All nodes, preorder, starting with the root.

        Examples
        --------
        >>> from rc_naming import NameTree
        >>> t = NameTree()
        >>> _ = t.add(t.root, "a")
        >>> len(list(t.iter_nodes()))
        2
        """
        return self.root.iter_subtree()

    def to_networkx(self) -> networkx.DiGraph[NameNode]:
        """A ``networkx.DiGraph`` with the nodes as keys, edges parent -> child.

        Node attributes: ``suggested``, ``name`` (``None`` before finalize),
        ``virtual``, ``fixed``, ``priority``, ``reserved``, ``payload``; edge
        attribute ``index`` (position among the siblings).

        Examples
        --------
        >>> from rc_naming import NameTree
        >>> t = NameTree()
        >>> a = t.add(t.root, "a")
        >>> t.to_networkx().nodes[a]["suggested"]
        'a'
        """
        return nametree_to_networkx(self)

    def to_dot(self) -> str:
        """Graphviz DOT text of the tree (virtual nodes dashed, fixed nodes bold).

        Examples
        --------
        >>> from rc_naming import NameTree
        >>> NameTree().to_dot().splitlines()[0]
        'digraph names {'
        """
        return nametree_to_dot(self)
