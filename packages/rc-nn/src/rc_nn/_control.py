"""Shared machinery of the control-flow constructs (``Loop``, ``Cond``, ``MaskedComputation``).

A control-flow construct opens a *block*: a RETURNN scope of its own (a rec
``unit``, a ``cond`` branch subnetwork, a ``masked_computation`` unit). Layers
made while the block is open belong to it; at serialization they go into the
block's nested net dict, and references between blocks are computed from the
final name tree (``base:`` per level up, ``prev:`` for state).

The build tree (``rc_nn._state``) records a block as a call scope whose
``CallInfo.control`` is the :class:`Block`; a tensor's block is found from its
node. Special tensors that are not layers of their own (the previous frame of
a state, a stacked loop output) are :class:`ControlTensor` aliases of a layer.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any

import rc_naming

from ._errors import RcNnError
from ._state import CallInfo, current_scope, open_scope, state_of
from ._tensor import LayerDict, Template, Tensor, _dim_str, iter_tensors
from ._upcalls import install
from ._userloc import user_location

__all__ = [
    "Block",
    "BlockNet",
    "ControlFlowError",
    "ControlTensor",
    "LayerNameOf",
    "block_of",
    "check_access",
    "current_block",
    "flatten_structure",
    "loop_read",
    "make_layer_in",
    "pack_structure",
]


class ControlFlowError(RcNnError, ValueError):
    """A control-flow construct is used wrongly (a loop tensor used outside its loop, ...)."""


class Block:
    """One RETURNN scope opened by a control-flow construct.

    ``container`` is the layer that holds the block's net dict (the ``rec``,
    ``cond`` or ``masked_computation`` layer). ``inside_container`` says whether
    the block's layers are named below the container's own name (a rec unit:
    ``loop/x``), or in a scope next to it (a cond branch subnetwork, which is one
    level below the cond layer's network, not two).

    Examples
    --------
    >>> import rc_nn as nn
    >>> with nn.Loop(axis=nn.SpatialDim("time")) as loop:
    ...     pass
    >>> loop.block.kind, loop.block.parent is None
    ('loop', True)
    """

    kind: str = "block"
    #: Names RETURNN gives a meaning in this scope; no layer takes them by accident.
    reserved: tuple[str, ...] = ("output", "data")
    inside_container: bool = True

    def __init__(self, *, label: str, created_at: str) -> None:
        self.label = label
        self.created_at = created_at
        self.parent: Block | None = None
        self.node: rc_naming.NameNode | None = None  # the scope node in the build tree
        self.container: Tensor | None = None
        self.root: rc_naming.Root | None = None

    def describe(self) -> str:
        """A readable description for error messages: ``nn.Loop opened at f.py:3``."""
        return f"{self.label} opened at {self.created_at}"

    def label_suffix(self) -> str:
        """Suffix of the scope name of a block that lives next to its container (``cond_true``)."""
        return self.kind

    def fixed_names(self, used: set[int]) -> dict[int, str]:
        """Final names fixed inside the block, by ``id`` of the used tensors (``output``, ``end``)."""
        del used
        return {}

    def is_inside(self, other: Block | None) -> bool:
        """Whether this block is ``other`` or nested in it (``None``: the root scope)."""
        if other is None:
            return True
        block: Block | None = self
        while block is not None:
            if block is other:
                return True
            block = block.parent
        return False

    def depth_in_loops(self) -> int:
        """How many loop blocks enclose this block, itself included."""
        depth = 0
        block: Block | None = self
        while block is not None:
            depth += block.kind == "loop"
            block = block.parent
        return depth

    @contextlib.contextmanager
    def opened(self, root: rc_naming.Root, suggested: str) -> Iterator[rc_naming.NameNode]:
        """Open the block's scope in the build tree for a ``with`` block."""
        self.root = root
        info = CallInfo(self.kind, name=suggested, created_at=self.created_at, control=self)
        with open_scope(root, info, suggested) as node:
            self.node = node
            yield node


class BlockNet:
    """Placeholder in a container's layer dict for the nested net dict of ``block``.

    The final pass replaces it with the finished net dict of the block.
    """

    __slots__ = ("block",)

    def __init__(self, block: Block) -> None:
        self.block = block

    def __repr__(self) -> str:
        return f"<BlockNet of {self.block.describe()}>"


class LayerNameOf:
    """Placeholder for the final (scope-local) name of the layer of ``tensor``.

    Used for options that take a layer *name* rather than a reference, such as
    ``rec_last_output``'s ``sub_layer_name``.
    """

    __slots__ = ("tensor",)

    def __init__(self, tensor: Tensor) -> None:
        self.tensor = tensor

    def __repr__(self) -> str:
        return f"<LayerNameOf {self.tensor!r}>"


class ControlTensor(Tensor):
    """A tensor of a control-flow construct.

    * ``alias`` not None: it is no layer of its own; references to it point to
      the layer of ``alias`` with ``alias_prefix`` (``"prev:"`` for the previous
      frame of a state), or, for a stacked loop output, to ``alias`` from outside
      the loop (``loop/y``).
    * ``extra_deps``: tensors the final pass must keep when this one is used
      (e.g. the ``end`` layer of a loop for its ``rec`` layer).
    * ``block``: set for tensors whose block cannot be read from their node.
    """

    __slots__ = ("alias", "alias_prefix", "block", "extra_deps", "outside_of", "role")

    alias: Tensor | None
    alias_prefix: str
    block: Block | None
    extra_deps: list[Tensor]
    outside_of: Block | None  # usable only outside this block (a loop's stacked output)
    role: str

    def __init__(
        self,
        data: Template,
        *,
        root: rc_naming.Root,
        role: str,
        layer_dict: LayerDict | None = None,
        name_hint: str = "layer",
        alias: Tensor | None = None,
        alias_prefix: str = "",
        created_at: str | None = None,
    ) -> None:
        super().__init__(
            data,
            root=root,
            layer_dict=layer_dict,
            name_hint=name_hint,
            created_at=created_at if created_at is not None else user_location(2),
        )
        self.role = role
        self.alias = alias
        self.alias_prefix = alias_prefix
        self.block = None
        self.extra_deps = []
        self.outside_of = None

    def __repr__(self) -> str:
        dims = ", ".join(_dim_str(d) for d in self.dims)
        sparse = f", sparse_dim={_dim_str(self.sparse_dim)}" if self.sparse_dim else ""
        return f"<nn.Tensor {self.role} {self.name_hint} [{dims}] {self.dtype}{sparse}>"


def block_of(tensor: Tensor) -> Block | None:
    """The innermost block ``tensor`` belongs to (``None``: the root scope).

    Parameters and extern data always belong to the root scope.

    Examples
    --------
    >>> import rc_nn as nn
    >>> block_of(nn.zeros([nn.FeatureDim("f", 2)])) is None
    True
    """
    if isinstance(tensor, ControlTensor) and tensor.block is not None:
        return tensor.block
    if tensor.parent is not None:
        return block_of(tensor.parent)
    return block_of_node(tensor.node)


def block_of_node(node: rc_naming.NameNode | None) -> Block | None:
    """The innermost block whose scope contains the build-tree node ``node``."""
    while node is not None:
        info = node.payload
        if isinstance(info, CallInfo) and isinstance(info.control, Block):
            return info.control
        node = node.parent
    return None


def current_block(root: rc_naming.Root) -> Block | None:
    """The block open at this point of the build (``None``: the root scope)."""
    return block_of_node(current_scope(root))


def check_access(values: Sequence[object], scope_block: Block | None, what: str) -> None:
    """Raise if a tensor in ``values`` lives in a block that ``scope_block`` cannot see.

    A layer may read tensors of its own block and of the blocks around it, never
    of a block nested in it or beside it (a loop's frame after the loop, the
    other branch of a cond).
    """
    for tensor in iter_tensors(list(values)):
        if (
            isinstance(tensor, ControlTensor)
            and tensor.outside_of is not None
            and scope_block is not None
            and scope_block.is_inside(tensor.outside_of)
        ):
            raise ControlFlowError(
                f"{what}: {tensor!r} is the result of {tensor.role}() over all frames of "
                f"{tensor.outside_of.describe()}; it exists only after the loop, not inside it "
                f"(used at {user_location(3)})"
            )
        block = block_of(tensor)
        if block is None or (scope_block is not None and scope_block.is_inside(block)):
            continue
        where = (
            "outside of it"
            if scope_block is None or block.is_inside(scope_block)
            else (f"in {scope_block.describe()}")
        )
        hint = {
            "loop": "Inside the loop, pass it out with loop.stack(x) (all frames) or "
            "loop.last(x) (the last frame), or carry it in loop.state.",
            "cond": "Pass it out of the branch as cond.true = ... / cond.false = ... and "
            "use cond.result.",
            "masked": "Assign it to a loop state inside the masked computation "
            "(loop.state.x = ...) and read the state after the block.",
        }.get(block.kind, "")
        raise ControlFlowError(
            f"{what}: {tensor!r} (created at {tensor.created_at}) belongs to "
            f"{block.describe()} and cannot be used {where} (at {user_location(3)}). {hint}"
        )


def _innermost_loop(block: Block | None) -> Block | None:
    while block is not None and block.kind != "loop":
        block = block.parent
    return block


def loop_read(tensor: Tensor) -> Tensor:
    """What an operation inside a loop reads for ``tensor``.

    A tensor from outside the innermost open loop whose batch dim is not its first
    dim (a time-major BLSTM output, a stacked loop output) is read through a
    ``transpose`` layer that puts the batch dim first, made once per tensor next to
    it. Under beam search RETURNN itself reads such a tensor batch-major (it tiles
    it over the beam), without search it would keep the order, so layer outputs in
    the loop would change their dim order with the search flag; with the explicit
    view the config has one order in both modes, and so do our templates.
    Anything else is returned unchanged.

    Examples
    --------
    >>> import rc_nn as nn
    >>> time, f = nn.SpatialDim("time"), nn.FeatureDim("f", 2)
    >>> x = nn.zeros([time, nn.batch_dim, f])
    >>> with nn.Loop(axis=time) as loop:
    ...     y = nn.tanh(x)
    >>> y.dims == (nn.batch_dim, time, f)
    True
    """
    root = tensor.root
    loop = _innermost_loop(current_block(root))
    if loop is None or tensor.template.batch_dim_axis in (None, 0):
        return tensor
    block = block_of(tensor)
    if block is not None and block.is_inside(loop):
        return tensor
    state = state_of(root)
    view = state.batch_major_views.get(id(tensor))
    if view is None:
        data = tensor.template.copy_as_batch_major()
        node = block.node if block is not None and block.node is not None else state.tree.root
        view = make_layer_in(
            node,
            {"class": "transpose", "from": tensor, "perm": list(data.dims)},
            data,
            name_hint=f"{tensor.name_hint}_batch_major",
            root=root,
        )
        state.batch_major_views[id(tensor)] = view
    return view


def make_layer_in(
    node: rc_naming.NameNode,
    layer_dict: LayerDict,
    data: Template,
    *,
    name_hint: str,
    root: rc_naming.Root,
    role: str | None = None,
) -> Tensor:
    """Record a layer directly in the scope ``node`` (e.g. a loop's own scope), not the current one."""
    check_access(list(layer_dict.values()), block_of_node(node), name_hint)
    tensor: Tensor
    if role is None:
        tensor = Tensor(
            data, root=root, layer_dict=layer_dict, name_hint=name_hint, created_at=user_location(2)
        )
    else:
        tensor = ControlTensor(
            data,
            root=root,
            role=role,
            layer_dict=layer_dict,
            name_hint=name_hint,
            created_at=user_location(2),
        )
    tensor.node = state_of(root).tree.add(node, name_hint, payload=tensor)
    return tensor


class _ControlFlow:
    """The control-flow question every new layer asks (``_tensor`` reaches it through ``_upcalls``)."""

    @staticmethod
    def check_new_layer(inputs: Sequence[object], root: rc_naming.Root, what: str) -> None:
        check_access(inputs, current_block(root), what)

    @staticmethod
    def read(tensor: Tensor) -> Tensor:
        return loop_read(tensor)


install(control_flow=_ControlFlow())


# -- nested structures (tuples, named tuples, lists, dicts of tensors) ----------------------


def flatten_structure(value: Any) -> list[tuple[tuple[str, ...], Any]]:
    """``(path, leaf)`` pairs of a nested structure, in a deterministic order.

    Named tuples use field names, dicts their keys (in insertion order), tuples and
    lists their indices.

    Examples
    --------
    >>> [p for p, _ in flatten_structure({"a": (1, 2), "b": 3})]
    [('a', '0'), ('a', '1'), ('b',)]
    """
    out: list[tuple[tuple[str, ...], Any]] = []

    def visit(item: Any, path: tuple[str, ...]) -> None:
        if isinstance(item, tuple) and hasattr(item, "_fields"):
            for field in item._fields:
                visit(getattr(item, field), (*path, str(field)))
        elif isinstance(item, dict):
            for key, sub in item.items():
                visit(sub, (*path, str(key)))
        elif isinstance(item, list | tuple):
            for index, sub in enumerate(item):
                visit(sub, (*path, str(index)))
        else:
            out.append((path, item))

    visit(value, ())
    return out


def pack_structure(template: Any, leaves: Iterator[Any]) -> Any:
    """Rebuild the structure of ``template`` with the next items of ``leaves``.

    Examples
    --------
    >>> pack_structure({"a": (0, 0), "b": 0}, iter([1, 2, 3]))
    {'a': (1, 2), 'b': 3}
    """
    if isinstance(template, tuple) and hasattr(template, "_fields"):
        return type(template)(
            *(pack_structure(getattr(template, f), leaves) for f in template._fields)
        )
    if isinstance(template, dict):
        packed = {key: pack_structure(sub, leaves) for key, sub in template.items()}
        if type(template) is not dict:
            # Keep dict subclasses (nn.LayerState, OrderedDict, ...) when they can be
            # built from a plain dict.
            try:
                return type(template)(packed)
            except TypeError:
                return packed
        return packed
    if isinstance(template, list):
        return [pack_structure(sub, leaves) for sub in template]
    if isinstance(template, tuple):
        return tuple(pack_structure(sub, leaves) for sub in template)
    return next(leaves)
