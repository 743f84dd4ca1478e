"""Pictures of a model: the module tree (canonical names, alias edges) and the layer call tree.

Every picture exists as Graphviz DOT text (written here as plain text: no graphviz
Python package needed) and as an indented text tree for terminals. DOT is turned
into SVG or PNG by :func:`render_dot`, which runs Graphviz's ``dot`` program if
it is installed (else :class:`GraphvizNotFoundError` says how to install it).

In the module tree every object appears once, under its canonical parent (rule
N3); every other edge to it is an *alias* edge, drawn dashed and red in DOT and
as ``attr -> canonical.path (alias)`` in the text tree. Children come in
assignment order. The output is deterministic (no ids or addresses).
"""

from __future__ import annotations

import dataclasses
import os
import pathlib
import shutil
import subprocess
from collections.abc import Callable
from typing import TYPE_CHECKING

from rc_naming._errors import RcNamingError
from rc_naming._export import dot_quote

if TYPE_CHECKING:
    from rc_naming._nametree import NameNode, NameTree
    from rc_naming._ownership import OwnershipGraph

__all__ = [
    "PICTURE_FORMATS",
    "GraphvizError",
    "GraphvizNotFoundError",
    "call_tree_dot",
    "call_tree_text",
    "model_dot",
    "module_tree_dot",
    "module_tree_text",
    "render_dot",
    "write_picture",
]

#: Formats :func:`write_picture` knows: text and DOT are made here, SVG and PNG by ``dot``.
PICTURE_FORMATS = ("text", "dot", "svg", "png")

_ALIAS_COLOR = "#c0392b"
_CALL_COLOR = "#7f8c8d"

Describe = Callable[[object], "str | None"]
DescribeCall = Callable[["NameNode"], "str | None"]
IncludeCall = Callable[["NameNode"], bool]
CallTarget = Callable[["NameNode"], object]


class GraphvizNotFoundError(RcNamingError, RuntimeError):
    """Graphviz's ``dot`` program is not installed (needed for SVG/PNG only).

    Examples
    --------
    >>> issubclass(GraphvizNotFoundError, RuntimeError)
    True
    """


class GraphvizError(RcNamingError, RuntimeError):
    """``dot`` failed on the given DOT text; the message holds its error output."""


# -- module tree ------------------------------------------------------------------------


@dataclasses.dataclass
class _MNode:
    obj: object
    path: tuple[str, ...]
    attr: str | None
    children: list[_MNode | _Alias] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class _Alias:
    parent: object
    attr: str
    target: object
    target_path: tuple[str, ...]


def _module_tree(graph: OwnershipGraph, root_obj: object) -> tuple[_MNode, list[_MNode]]:
    """The canonical tree from ``root_obj`` (children in assignment order, aliases inline).

    Returns the root node and the nodes that hang under no canonical parent (only in
    rare cyclic graphs where canonical paths do not form a tree).
    """
    with graph._lock:
        res = graph.resolve(root_obj)
        paths: dict[int, tuple[str, ...]] = {}
        canonical_edges: set[tuple[int, str]] = set()
        for path, obj in res.items():
            paths[id(obj)] = path
            if path:
                idx = graph._find(root_obj)
                for attr in path[:-1]:
                    out = graph._out[idx] if idx is not None else None
                    assert out is not None
                    idx = out[attr][0]
                assert idx is not None
                canonical_edges.add((id(graph._objs[idx]), path[-1]))
        root = _MNode(root_obj, (), None)
        seen = {id(root_obj)}
        stack = [root]
        while stack:
            node = stack.pop()
            kids: list[_MNode] = []
            for attr, child in graph.children(node.obj):
                if (id(node.obj), attr) in canonical_edges and id(child) not in seen:
                    seen.add(id(child))
                    kid = _MNode(child, paths[id(child)], attr)
                    node.children.append(kid)
                    kids.append(kid)
                else:
                    node.children.append(_Alias(node.obj, attr, child, paths[id(child)]))
            stack.extend(reversed(kids))
        orphans = [
            _MNode(obj, path, None) for path, obj in res.items() if id(obj) not in seen and path
        ]
        return root, orphans


def _describe(graph: OwnershipGraph, obj: object, describe: Describe | None) -> str:
    label = graph.label(obj)
    extra = describe(obj) if describe is not None else None
    return f"{label} {extra}" if extra else label


def module_tree_text(
    graph: OwnershipGraph,
    root_obj: object,
    *,
    describe: Describe | None = None,
    sep: str = ".",
) -> str:
    """The module tree as indented text (canonical names; aliases as ``-> path (alias)``).

    Parameters
    ----------
    describe
        extra text per object (e.g. a parameter's shape), or ``None``.
    sep
        separator for the alias targets' paths.

    Examples
    --------
    >>> from rc_naming import OwnershipGraph, module_tree_text
    >>> class Lin:
    ...     def __init__(self): self.weight = [0.0]; self.bias = [0.0]
    >>> class Net:
    ...     def __init__(self):
    ...         self.enc = Lin(); self.dec = Lin(); self.dec.weight = self.enc.weight
    >>> net = Net()
    >>> print(module_tree_text(OwnershipGraph.from_object_tree(net), net))
    <root>  Net
    ├── enc  Lin
    │   ├── weight  list
    │   └── bias  list
    └── dec  Lin
        ├── weight -> enc.weight  (alias)
        └── bias  list
    """
    root, orphans = _module_tree(graph, root_obj)
    lines = [f"<root>  {_describe(graph, root_obj, describe)}"]

    def walk(node: _MNode, indent: str) -> None:
        for i, child in enumerate(node.children):
            last = i == len(node.children) - 1
            branch, more = ("└── ", "    ") if last else ("├── ", "│   ")
            if isinstance(child, _Alias):
                target = sep.join(child.target_path) or "<root>"
                lines.append(f"{indent}{branch}{child.attr} -> {target}  (alias)")
            else:
                lines.append(
                    f"{indent}{branch}{child.attr}  {_describe(graph, child.obj, describe)}"
                )
                walk(child, indent + more)

    walk(root, "")
    for orphan in orphans:
        lines.append(f"(cycle) {sep.join(orphan.path)}  {_describe(graph, orphan.obj, describe)}")
    return "\n".join(lines)


def _module_dot_body(
    graph: OwnershipGraph, root_obj: object, describe: Describe | None, prefix: str
) -> tuple[list[str], dict[int, str]]:
    root, orphans = _module_tree(graph, root_obj)
    ids: dict[int, str] = {}
    nodes: list[str] = []
    edges: list[str] = []
    order: list[_MNode] = []
    stack = [root]
    while stack:  # preorder without recursion (deep trees)
        node = stack.pop()
        order.append(node)
        stack.extend(reversed([c for c in node.children if isinstance(c, _MNode)]))
    order.extend(orphans)
    for n, node in enumerate(order):
        ids[id(node.obj)] = f"{prefix}{n}"
    for node in order:
        name = ".".join(node.path) or "<root>"
        is_leaf = not graph.children(node.obj)
        attrs = [f"label={dot_quote(name + chr(10) + _describe(graph, node.obj, describe))}"]
        if is_leaf:
            attrs.append("shape=ellipse")
        nodes.append(f"  {ids[id(node.obj)]} [{', '.join(attrs)}];")
        for child in node.children:
            src = ids[id(node.obj)]
            if isinstance(child, _Alias):
                edges.append(
                    f"  {src} -> {ids[id(child.target)]} [label={dot_quote(child.attr)}, "
                    f'style=dashed, color="{_ALIAS_COLOR}", fontcolor="{_ALIAS_COLOR}", '
                    "constraint=false];"
                )
            else:
                edges.append(
                    f"  {src} -> {ids[id(child.obj)]} [label={dot_quote(child.attr or '')}];"
                )
    return nodes + edges, ids


_DOT_HEAD = [
    '  node [shape=box, fontname="Helvetica", fontsize=10];',
    '  edge [fontname="Helvetica", fontsize=9];',
]


def module_tree_dot(
    graph: OwnershipGraph, root_obj: object, *, describe: Describe | None = None
) -> str:
    """The module tree as DOT: canonical edges solid, alias edges dashed red, leaves as ellipses.

    Examples
    --------
    >>> from rc_naming import OwnershipGraph, module_tree_dot
    >>> class Net:
    ...     def __init__(self): self.w = [0.0]; self.tied = self.w
    >>> net = Net()
    >>> dot = module_tree_dot(OwnershipGraph.from_object_tree(net), net)
    >>> [line.strip() for line in dot.splitlines() if "->" in line][1]
    'm0 -> m1 [label="tied", style=dashed, color="#c0392b", fontcolor="#c0392b", constraint=false];'
    """
    body, _ = _module_dot_body(graph, root_obj, describe, "m")
    return "\n".join(["digraph modules {", "  rankdir=LR;", *_DOT_HEAD, *body, "}"]) + "\n"


# -- call tree --------------------------------------------------------------------------


def _call_label(node: NameNode, describe: DescribeCall | None) -> str:
    if node.parent is None:
        label = "<root>"
    else:
        final = node._final
        label = final if final is not None else node.suggested
        if node.virtual:
            label = f"({node.suggested})"
    extra = describe(node) if describe is not None else None
    return f"{label}  {extra}" if extra else label


def _call_children(node: NameNode, include: IncludeCall | None) -> list[NameNode]:
    """Children of ``node``; excluded nodes are replaced by their own (included) children."""
    result: list[NameNode] = []
    pending = list(reversed(node.children))
    while pending:
        child = pending.pop()
        if include is None or include(child):
            result.append(child)
        else:
            pending.extend(reversed(child.children))
    return result


def call_tree_text(
    tree: NameTree,
    *,
    describe: DescribeCall | None = None,
    include: IncludeCall | None = None,
) -> str:
    """The layer call tree as indented text: final names if finalized, else suggested ones.

    Parameters
    ----------
    describe
        extra text per node (e.g. the module type of a call), or ``None``.
    include
        keep only nodes for which it returns true; the children of a dropped
        node move up to its place.

    Examples
    --------
    >>> from rc_naming import NameTree, call_tree_text
    >>> tree = NameTree()
    >>> enc = tree.add(tree.root, "enc")
    >>> _ = tree.add(enc, "lin"), tree.add(enc, "lin"), tree.add(tree.root, "output", fixed=True)
    >>> tree.finalize()
    >>> print(call_tree_text(tree))
    <root>
    ├── enc
    │   ├── lin
    │   └── lin_1
    └── output
    """
    lines = [_call_label(tree.root, describe)]
    stack: list[tuple[NameNode, str, bool]] = [
        (c, "", i == 0) for i, c in enumerate(reversed(_call_children(tree.root, include)))
    ]
    while stack:
        node, indent, last = stack.pop()
        branch, more = ("└── ", "    ") if last else ("├── ", "│   ")
        lines.append(f"{indent}{branch}{_call_label(node, describe)}")
        kids = _call_children(node, include)
        stack.extend((c, indent + more, i == 0) for i, c in enumerate(reversed(kids)))
    return "\n".join(lines)


def _call_dot_body(
    tree: NameTree,
    describe: DescribeCall | None,
    include: IncludeCall | None,
    prefix: str,
) -> tuple[list[str], list[tuple[str, NameNode]]]:
    nodes: list[str] = []
    edges: list[str] = []
    numbered: list[tuple[str, NameNode]] = []
    stack: list[tuple[NameNode, str | None]] = [(tree.root, None)]
    while stack:
        node, parent_id = stack.pop()
        node_id = f"{prefix}{len(numbered)}"
        numbered.append((node_id, node))
        attrs = [f"label={dot_quote(_call_label(node, describe).replace('  ', chr(10)))}"]
        if node.virtual:
            attrs.append("style=dashed")
        elif node.fixed:
            attrs.append("style=bold")
        nodes.append(f"  {node_id} [{', '.join(attrs)}];")
        if parent_id is not None:
            edges.append(f"  {parent_id} -> {node_id};")
        stack.extend((c, node_id) for c in reversed(_call_children(node, include)))
    return nodes + edges, numbered


def call_tree_dot(
    tree: NameTree,
    *,
    describe: DescribeCall | None = None,
    include: IncludeCall | None = None,
) -> str:
    """The layer call tree as DOT (virtual nodes dashed, fixed names bold).

    Examples
    --------
    >>> from rc_naming import NameTree, call_tree_dot
    >>> tree = NameTree()
    >>> _ = tree.add(tree.root, "enc")
    >>> print(call_tree_dot(tree).splitlines()[-3])
      c1 [label="enc"];
    """
    body, _ = _call_dot_body(tree, describe, include, "c")
    return "\n".join(["digraph calls {", *_DOT_HEAD, *body, "}"]) + "\n"


def model_dot(
    graph: OwnershipGraph,
    root_obj: object,
    tree: NameTree | None = None,
    *,
    describe: Describe | None = None,
    describe_call: DescribeCall | None = None,
    include_call: IncludeCall | None = None,
    call_target: CallTarget | None = None,
    title: str | None = None,
) -> str:
    """One picture: the module tree and (optionally) the call tree side by side.

    ``call_target(node)`` may return the object (module) a call node called; such
    calls get a dotted grey edge to that module.

    Examples
    --------
    >>> from rc_naming import NameTree, OwnershipGraph, model_dot
    >>> class Net:
    ...     def __init__(self): self.w = [0.0]
    >>> net, tree = Net(), NameTree()
    >>> _ = tree.add(tree.root, "net", payload=net)
    >>> dot = model_dot(OwnershipGraph.from_object_tree(net), net, tree,
    ...                 call_target=lambda node: node.payload)
    >>> [line.strip() for line in dot.splitlines() if "style=dotted" in line]
    ['c1 -> m0 [style=dotted, color="#7f8c8d", constraint=false];']
    """
    module_body, module_ids = _module_dot_body(graph, root_obj, describe, "m")
    lines = ["digraph model {", "  rankdir=LR;", "  compound=true;", *_DOT_HEAD]
    if title:
        lines.append(f"  label={dot_quote(title)}; labelloc=t;")
    lines += ["  subgraph cluster_modules {", '    label="modules (canonical names)";']
    lines += ["  " + line for line in module_body]
    lines.append("  }")
    if tree is not None:
        call_body, numbered = _call_dot_body(tree, describe_call, include_call, "c")
        lines += ["  subgraph cluster_calls {", '    label="layer call tree";']
        lines += ["  " + line for line in call_body]
        lines.append("  }")
        if call_target is not None:
            for node_id, node in numbered:
                target = call_target(node)
                if target is not None and id(target) in module_ids:
                    lines.append(
                        f"  {node_id} -> {module_ids[id(target)]} "
                        f'[style=dotted, color="{_CALL_COLOR}", constraint=false];'
                    )
    lines.append("}")
    return "\n".join(lines) + "\n"


# -- rendering --------------------------------------------------------------------------


def render_dot(
    dot_text: str, fmt: str = "svg", *, dot_binary: str | None = None, timeout: float = 120.0
) -> bytes:
    """Render DOT text with Graphviz's ``dot`` program (``fmt``: ``svg`` or ``png``).

    Raises
    ------
    GraphvizNotFoundError
        ``dot`` is not installed (with how to install it).
    GraphvizError
        ``dot`` rejected the text.

    Examples
    --------
    >>> import shutil
    >>> svg = render_dot("digraph { a -> b }") if shutil.which("dot") else b"<svg"
    >>> svg.lstrip().startswith((b"<?xml", b"<svg", b"<!--"))
    True
    """
    if fmt not in ("svg", "png"):
        raise ValueError(f"render format must be 'svg' or 'png', got {fmt!r}")
    binary = dot_binary or shutil.which("dot")
    if binary is None or not os.access(binary, os.X_OK):
        raise GraphvizNotFoundError(
            f"cannot render {fmt.upper()}: Graphviz's `dot` program is not installed "
            f"(searched PATH{'' if dot_binary is None else f' and {dot_binary!r}'}); fix: install "
            "Graphviz (Debian/Ubuntu: `apt-get install graphviz`, macOS: `brew install graphviz`), "
            "or write DOT text (format 'dot') and render it elsewhere"
        )
    try:
        proc = subprocess.run(
            [binary, f"-T{fmt}"],
            input=dot_text.encode("utf-8"),
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise GraphvizError(f"running {binary} -T{fmt} failed: {exc}") from exc
    if proc.returncode != 0:
        raise GraphvizError(
            f"{binary} -T{fmt} exited with {proc.returncode}: "
            f"{proc.stderr.decode('utf-8', 'replace').strip()}"
        )
    return proc.stdout


def write_picture(
    path: str | os.PathLike[str],
    *,
    dot_text: str,
    text: str | None = None,
    fmt: str | None = None,
) -> str:
    """Write a picture to ``path`` as text, DOT, SVG or PNG; returns the format used.

    ``fmt`` defaults to the file suffix (``.svg``, ``.png``, ``.dot``/``.gv``, ``.txt``).
    The ``text`` form needs ``text`` (e.g. from :func:`module_tree_text`).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "model.dot"
    >>> write_picture(out, dot_text="digraph { a }")
    'dot'
    """
    file = pathlib.Path(path)
    if fmt is None:
        suffix = file.suffix.lower().lstrip(".")
        fmt = {"gv": "dot", "txt": "text"}.get(suffix, suffix)
    if fmt not in PICTURE_FORMATS:
        raise ValueError(
            f"cannot tell the picture format of {str(file)!r}; choose one of "
            f"{', '.join(PICTURE_FORMATS)} (or use a .svg/.png/.dot/.txt suffix)"
        )
    if fmt == "text":
        if text is None:
            raise ValueError("format 'text' needs the text tree (text=...)")
        file.write_text(text + "\n", encoding="utf-8")
    elif fmt == "dot":
        file.write_text(dot_text, encoding="utf-8")
    else:
        file.write_bytes(render_dot(dot_text, fmt))
    return fmt
