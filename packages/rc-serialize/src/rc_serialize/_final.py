"""The final pass: from a called model to a RETURNN net dict, names assigned once.

1. Collect the layers the marked outputs and losses depend on (others are dropped),
   and every parameter of the root module: one no output uses still gets its
   ``variable`` layer (with ``is_output_layer``), so RETURNN creates every variable
   of ``named_parameters()`` (N4) and checkpoints do not depend on the outputs.
2. Resolve every used parameter's canonical path from the root module (N3, N5).
3. Name the layers from the call tree (N6): a layer made inside a module call is
   named after the module's canonical path (``encoder_layers_0_ff``); the tensor a
   call returns takes the call's name, other layers add their op (``..._dot``).
   The root module's own call is merged into the root scope (N2). Module calls
   become no RETURNN subnetworks: parameter names are set with ``name_scope``,
   so the net dict stays flat, as an expert would write it.
4. Control-flow blocks (``nn.Loop``, ``nn.Cond``, ``nn.MaskedComputation``) are real
   RETURNN scopes: their layers go into nested net dicts (a rec ``unit``, a cond
   branch subnetwork, a masked computation unit), named uniquely per scope with
   RETURNN's reserved names (``output``, ``end``, ``data``) kept free. Parameters
   always stay in the root scope.
5. Write references from the final tree (N7): ``base:`` per level up, ``prev:``
   for a loop state's previous frame, ``data:`` for extern data.
"""

from __future__ import annotations

import dataclasses
import gc
import re
import threading
import typing
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import rc_naming
import rc_nn
from rc_nn._control import Block, BlockNet, ControlTensor, LayerNameOf, block_of
from rc_nn._state import CallInfo, OutputMark, module_calls, state_of
from rc_nn._tensor import Tensor

from ._errors import InvalidParameterNameError, RcSerializeError

__all__ = ["ParamNaming", "SerializedNetwork", "build_network"]

# TF variable names allow these characters in a path component.
_VALID_TF_COMPONENT = re.compile(r"^[A-Za-z0-9_.\-]+$")
# TF root scope names (the first component) must not start with '_' or '-'.
_VALID_TF_FIRST_COMPONENT = re.compile(r"^[A-Za-z0-9.][A-Za-z0-9_.\-]*$")
_RESERVED_LAYER_NAMES = ("data", "output")


@dataclasses.dataclass(frozen=True)
class ParamNaming:
    """How a canonical path becomes a TF variable name.

    ``"predecessor"`` (default): ``a/b/weight/param``, so checkpoints of the
    predecessor library load unchanged. ``"plain"``: ``a/b/weight``.

    Examples
    --------
    >>> ParamNaming("plain").variable_name(("enc", "weight"))
    'enc/weight'
    """

    style: str = "predecessor"

    def __post_init__(self) -> None:
        if self.style not in ("predecessor", "plain"):
            raise ValueError(f"param naming must be 'predecessor' or 'plain', got {self.style!r}")

    def variable_name(self, path: tuple[str, ...]) -> str:
        """The full TF variable name of the parameter at ``path``."""
        name = "/".join(path)
        return f"{name}/param" if self.style == "predecessor" else name

    def layer_options(self, path: tuple[str, ...]) -> dict[str, str]:
        """``name_scope`` and ``param_name`` for the parameter's ``variable`` layer."""
        if self.style == "predecessor":
            return {"name_scope": "/".join(path), "param_name": "param"}
        return {"name_scope": "/".join(path[:-1]), "param_name": path[-1]}


@dataclasses.dataclass
class SerializedNetwork:
    """The result of the final pass, before it is written as code."""

    extern_data: dict[str, dict[str, Any]]
    network: dict[str, dict[str, Any]]
    parameters: dict[str, rc_nn.Parameter]  # canonical path with "." -> parameter
    variable_names: dict[str, str]  # canonical path with "." -> TF variable name
    layer_names: dict[int, str]  # id(tensor) -> final layer name
    layer_tensors: dict[str, Tensor]  # final layer name -> the tensor it computes (not for copies)
    # Layers inside loops: path -> (tensor with its per-frame template, the enclosing loop axes).
    loop_layer_tensors: dict[str, tuple[Tensor, tuple[Any, ...]]] = dataclasses.field(
        default_factory=dict
    )


@dataclasses.dataclass(eq=False)
class _Slot:
    """One layer of the final net dict and what it computes."""

    tensor: Tensor | None  # None for copy layers made for marks
    layer: dict[str, Any]
    order: float  # position in the emitted net dict: creation order of what it computes
    node: rc_naming.NameNode | None = None
    block: Block | None = None  # the control-flow block whose net dict holds the layer


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for one final pass (restored afterwards).

    The pass allocates many small containers (layer dicts, name nodes, code strings)
    that live until it ends. Each burst of allocations triggers collections that walk
    the whole model built so far, which made the pass grow faster than linearly with
    the model (10,000 blocks). Reference counting still frees what the pass drops;
    cyclic garbage, if any, is collected once the collector runs again. The switch is
    process-wide, so another thread runs without cyclic collection meanwhile.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class _ExtraNetDictError(RcSerializeError, ValueError):
    """An extra net dict entry clashes with a layer name."""


def build_network(
    root_module: rc_nn.Module, *, param_naming: ParamNaming | None = None
) -> SerializedNetwork:
    """Run the final pass for the model whose root module is ``root_module``."""
    with gc_paused():
        return _build_network(root_module, param_naming=param_naming)


def _build_network(
    root_module: rc_nn.Module, *, param_naming: ParamNaming | None
) -> SerializedNetwork:
    if not isinstance(root_module, rc_nn.Module):
        raise TypeError(
            f"the root module must be an nn.Module, got {type(root_module).__name__}; "
            "pass the model object you called, e.g. get_returnn_config_serialized(net)"
        )
    naming = param_naming or ParamNaming()
    root = root_module._rc_naming_root()
    state = state_of(root)
    all_marks = list(state.marks)
    if not all_marks:
        raise rc_nn.NoOutputError(_nothing_marked_message(root_module, root))
    for mark in all_marks:
        if mark.tensor.root is not root:
            rc_naming.check_same_root(
                root, mark.tensor.root, what=f"output {mark.tensor!r} marked at {mark.created_at}"
            )
    resolution = root.graph.resolve(root_module)
    marks, foreign_used = _marks_of_model(root_module, all_marks, resolution, state)
    for mark in marks:
        mark_block = block_of(mark.tensor)
        if mark_block is not None:
            raise rc_nn.RcNnError(
                f"{mark.tensor!r} (created at {mark.tensor.created_at}) is marked as output or "
                f"loss at {mark.created_at}, but it belongs to {mark_block.describe()}; mark a "
                "tensor outside the block, e.g. loop.stack(x) or cond.result"
            )
    used = _collect_used([mark.tensor for mark in marks])
    # N4 for unused parameters: every parameter of the root module (its named_parameters)
    # gets its variable layer, also when no output or loss uses it, so the TF variables and
    # the checkpoint always equal named_parameters (whatever the outputs of this config).
    unused = {
        id(obj): obj
        for _, obj in resolution.items()
        if isinstance(obj, rc_nn.Parameter) and id(obj) not in used
    }
    used.update(unused)
    try:
        param_paths = _param_paths(used, resolution)
    except rc_naming.UnreachableError as exc:
        note = _never_called_note(root_module, root)
        if not note:
            raise
        raise rc_naming.UnreachableError(
            f"{note} In detail:\n{exc}", obj=exc.obj, holders=exc.holders
        ) from exc

    tree = rc_naming.NameTree(reserved=_RESERVED_LAYER_NAMES)
    slots: dict[int, _Slot] = {}
    labels = _CallLabels(root_module, resolution)
    scopes = _Scopes(tree, used)

    # Marks first: they claim their names before any other layer.
    claimed: set[int] = set()
    mark_slots: list[_Slot] = []
    for mark in marks:
        mark_slots.append(_mark_slot(mark, tree, slots, claimed))

    for tensor in sorted(used.values(), key=lambda t: t.seq):
        if tensor.extern_name is not None or tensor.parent is not None:
            continue
        if isinstance(tensor, ControlTensor) and tensor.layer_dict is None:
            continue  # an alias (a state's previous frame, a stacked loop output)
        block: Block | None = None
        if isinstance(tensor, rc_nn.Parameter):
            path = param_paths[id(tensor)]
            layer = {**tensor.variable_layer_options(), **naming.layer_options(path)}
            if id(tensor) in unused:
                layer["is_output_layer"] = True  # RETURNN builds only what outputs need
            suggested = "_".join(path)
        else:
            assert tensor.layer_dict is not None
            layer = dict(tensor.layer_dict)
            suggested = labels.suggest(tensor)
            block = block_of(tensor)
        slot = slots.get(id(tensor))
        if slot is None:
            slot = _Slot(tensor, layer, tensor.seq, block=block)
            fixed = scopes.fixed_name(tensor, block)
            slot.node = tree.add(
                scopes.node_of(block, slots),
                fixed or suggested,
                fixed=fixed is not None,
                priority=1,
                payload=slot,
                reserved=scopes.reserved_inside(tensor),
            )
            slots[id(tensor)] = slot
        else:  # a marked layer: keep its mark options on top of its own
            slot.layer = {**layer, **slot.layer}
    tree.finalize()

    def ref(value: Tensor, from_node: rc_naming.NameNode) -> str:
        if value.extern_name is not None:
            levels = len(from_node.parent.path) if from_node.parent is not None else 0
            key = (
                "data"
                if value.extern_name == "data" and not levels
                else f"data:{value.extern_name}"
            )
            return "base:" * levels + key
        if value.parent is not None:
            return f"{ref(value.parent, from_node)}/{value.sub_name}"
        prefix = ""
        stacked: ControlTensor | None = None
        if isinstance(value, ControlTensor) and value.alias is not None:
            prefix = value.alias_prefix
            stacked = value if value.role == "stack" else None
            value = value.alias
        target = slots[id(value)].node
        assert target is not None
        if target.fixed and target.name == "output" and not prefix:
            # A rec unit's (or branch's) "output" is the container layer seen from outside.
            container = _container_node_of(slots[id(value)], scopes, slots)
            if container is not None and not _is_below(from_node, target.parent):
                target = container
        elif stacked is not None:
            _check_stack_reference(stacked)
        return tree.reference(from_node, target, prefix=prefix)

    block_nets: dict[int, dict[str, Any]] = {}

    def convert(value: Any, node: rc_naming.NameNode) -> Any:
        if isinstance(value, Tensor):
            return ref(value, node)
        if isinstance(value, BlockNet):
            return block_nets.setdefault(id(value.block), {})
        if isinstance(value, LayerNameOf):
            target_node = slots[id(value.tensor)].node
            assert target_node is not None
            return target_node.name
        if isinstance(value, dict):
            return {
                (ref(k, node) if isinstance(k, Tensor) else k): convert(v, node)
                for k, v in value.items()
            }
        if isinstance(value, list):
            return [convert(v, node) for v in value]
        if isinstance(value, tuple):
            return tuple(convert(v, node) for v in value)
        return value

    network: dict[str, dict[str, Any]] = {}
    ordered = sorted(
        {id(s): s for s in [*slots.values(), *mark_slots]}.values(), key=lambda s: s.order
    )
    for slot in ordered:
        assert slot.node is not None
        node = slot.node
        target_net = network if slot.block is None else block_nets.setdefault(id(slot.block), {})
        target_net[node.name] = convert(slot.layer, node)
    for name, layer in network.items():
        if layer.get("name_scope") == name:
            del layer["name_scope"]  # the layer name already gives this scope

    for key, value in state.extra_net_dict.items():
        if key in network:
            raise _ExtraNetDictError(
                f"extra net dict entry {key!r} (nn.extra_net_dict / NameCtx.root.extra_net_dict) "
                "has the name of a layer of the network; use another key (e.g. '#config')"
            )
        # Not always a layer dict (e.g. "#copy_param_mode": "subset"); RETURNN skips '#' keys.
        network[key] = typing.cast(dict[str, Any], value)
    # Inputs of this model: the ones its outputs use, and the ones no other model's outputs
    # use (declared but unused inputs stay, as RETURNN's datasets may provide them) unless
    # another thread declared them: that thread may not have marked its outputs yet, and
    # its input must not enter this config by the timing of the threads.
    this_thread = threading.get_ident()
    extern = {
        name: _extern_entry(name, t)
        for name, t in state.extern_data.items()
        if id(t) in used
        or (
            id(t) not in foreign_used and state.extern_threads.get(name, this_thread) == this_thread
        )
    }
    params = {
        ".".join(param_paths[k]): t for k, t in used.items() if isinstance(t, rc_nn.Parameter)
    }
    params = dict(sorted(params.items()))
    return SerializedNetwork(
        extern_data=extern,
        network=network,
        parameters=params,
        variable_names={
            ".".join(path): naming.variable_name(path) for path in sorted(param_paths.values())
        },
        layer_names={k: "/".join(s.node.path) for k, s in slots.items() if s.node is not None},
        layer_tensors={
            "/".join(s.node.path): s.tensor
            for s in slots.values()
            if s.node is not None
            and s.tensor is not None
            and not (isinstance(s.tensor, ControlTensor) and s.tensor.role in _CONTAINER_ROLES)
            and (s.block is None or s.block.depth_in_loops() == 0)
        },
        loop_layer_tensors={
            "/".join(s.node.path): (s.tensor, _loop_axes(s.block))
            for s in slots.values()
            if s.node is not None
            and s.tensor is not None
            and not (isinstance(s.tensor, ControlTensor) and s.tensor.role in _CONTAINER_ROLES)
            and s.block is not None
            and s.block.depth_in_loops() > 0
        },
    )


def _check_stack_reference(stacked: ControlTensor) -> None:
    """Refuse to read a nested loop's stacked value as a sub-layer (``loop/<name>``).

    Inside an outer loop or a cond branch, RETURNN builds the nested rec layer as a
    template first, and a template rec layer has no sub-layers: ``loop/<name>`` fails
    ("LayerNotFound: sub-layer ... not found"). Only the rec layer's own output (the unit's
    ``output``, the first stacked value used) can be read there.
    """
    outer = stacked.block
    if outer is None:
        return
    inner = stacked.outside_of
    loop = getattr(inner, "loop", None)
    where = inner.describe() if inner is not None else "a nested nn.Loop"
    if loop is not None and loop._output_carrier is not None:
        reason = (
            "Its stacked values keep a dynamic dim besides the loop's own axis, and RETURNN "
            "cannot take such a value as the output of a loop without axis (it reads the "
            "loop's lengths from the first dynamic axis: 'axis 0 has no dyn size'), so no "
            "stacked value of it can be read in the outer loop. Reduce the dynamic dim inside "
            "the nested loop, or use loop.last(...)."
        )
    else:
        reason = (
            "Only the first stacked value used becomes the nested rec layer's own output. "
            "Use loop.last(...) for further values, or stack one tensor that holds all "
            "(e.g. nn.concat) and split it after the nested loop."
        )
    raise rc_nn.ControlFlowError(
        f"{stacked!r} (loop.stack at {stacked.created_at}) of {where} is read inside the "
        f"enclosing {outer.describe()}: RETURNN cannot read a nested loop's stacked values as "
        f"sub-layers (loop/<name>) while it builds the enclosing block. {reason}"
    )


def _loop_axes(block: Block | None) -> tuple[Any, ...]:
    """The axes of the loops enclosing ``block`` (RETURNN may move a layer out of them)."""
    axes = []
    while block is not None:
        loop = getattr(block, "loop", None)
        if block.kind == "loop" and loop is not None:
            axes.append(loop.axis)
        block = block.parent
    return tuple(axes)


# Tensors whose layer holds a block's net dict; their output template is RETURNN's business.
_CONTAINER_ROLES = ("loop", "cond", "masked")


class _Scopes:
    """Where the layers of each control-flow block live in the final name tree."""

    def __init__(self, tree: rc_naming.NameTree, used: dict[int, Tensor]) -> None:
        self._tree = tree
        self._nodes: dict[int, rc_naming.NameNode] = {}
        self._fixed: dict[int, dict[int, str]] = {}
        self._used = set(used)

    def fixed_name(self, tensor: Tensor, block: Block | None) -> str | None:
        if block is None:
            return None
        fixed = self._fixed.get(id(block))
        if fixed is None:
            fixed = self._fixed[id(block)] = block.fixed_names(self._used)
        return fixed.get(id(tensor))

    @staticmethod
    def reserved_inside(tensor: Tensor) -> tuple[str, ...]:
        if isinstance(tensor, ControlTensor) and tensor.role in _CONTAINER_ROLES:
            block = _blocks_of_container(tensor)
            if block and block[0].inside_container:
                return block[0].reserved
        return ()

    def node_of(self, block: Block | None, slots: dict[int, _Slot]) -> rc_naming.NameNode:
        if block is None:
            return self._tree.root
        node = self._nodes.get(id(block))
        if node is not None:
            return node
        container = block.container
        assert container is not None
        container_slot = slots.get(id(container))
        assert container_slot is not None and container_slot.node is not None, block.describe()
        if block.inside_container:
            node = container_slot.node
        else:
            # A branch subnetwork is one network level below the container's network:
            # its scope is a (never emitted) node next to the container.
            parent = container_slot.node.parent
            assert parent is not None
            node = self._tree.add(
                parent,
                f"{container_slot.node.suggested}_{block.label_suffix()}",
                reserved=block.reserved,
            )
        self._nodes[id(block)] = node
        return node

    def container_node(self, block: Block, slots: dict[int, _Slot]) -> rc_naming.NameNode | None:
        if block.container is None:
            return None
        slot = slots.get(id(block.container))
        return slot.node if slot is not None else None


def _blocks_of_container(tensor: ControlTensor) -> list[Block]:
    blocks = []
    for value in (tensor.layer_dict or {}).values():
        if isinstance(value, BlockNet):
            blocks.append(value.block)
        elif isinstance(value, dict):
            blocks.extend(v.block for v in value.values() if isinstance(v, BlockNet))
    return blocks


def _container_node_of(
    slot: _Slot, scopes: _Scopes, slots: dict[int, _Slot]
) -> rc_naming.NameNode | None:
    if slot.block is None or not slot.block.inside_container:
        return None
    return scopes.container_node(slot.block, slots)


def _is_below(node: rc_naming.NameNode, scope: rc_naming.NameNode | None) -> bool:
    """Whether ``node`` lies inside ``scope`` (strictly below it)."""
    cur = node.parent
    while cur is not None:
        if cur is scope:
            return True
        cur = cur.parent
    return False


def _marks_of_model(
    root_module: rc_nn.Module,
    marks: list[OutputMark],
    resolution: rc_naming.Resolution,
    state: Any,
) -> tuple[list[OutputMark], dict[int, Tensor]]:
    """The marks that belong to ``root_module``'s model, and what other models' marks use.

    A root (the default one in particular) can hold several models built one after the
    other, or by several threads. A mark belongs to the model if what it depends on
    contains a call of ``root_module`` or of a module reachable from it, or one of its
    parameters. A mark that does not, but depends on parameters that are not reachable
    from ``root_module``, belongs to another model and is left out (with the inputs only
    such marks use). Other marks (plain functions of the inputs, calls of modules without
    parameters such as an unattached ``nn.Random``) are kept: without parameters there is
    nothing to tell models apart by, and nothing to name. Of the kept default outputs,
    the last one marked wins.
    """
    verdicts: dict[int, bool | None] = {}

    def verdict_of_scope(node: rc_naming.NameNode | None) -> bool | None:
        # True: inside a call of this model; False: inside other modules' calls only;
        # None: inside no module call.
        chain = []
        result: bool | None = None
        while node is not None and node.parent is not None:
            if id(node) in verdicts:
                result = verdicts[id(node)]
                break
            chain.append(node)
            node = node.parent
        for scope in reversed(chain):
            info = scope.payload
            if isinstance(info, CallInfo) and info.kind == "module" and info.module is not None:
                mine = info.module is root_module or info.module in resolution
                if mine or result is None:
                    result = mine
            verdicts[id(scope)] = result
        return result

    kept: list[OutputMark] = []
    foreign: list[OutputMark] = []
    for mark in marks:
        closure = _collect_used([mark.tensor])
        mine: bool | None = None
        for tensor in closure.values():
            if isinstance(tensor, rc_nn.Parameter):
                if tensor in resolution:
                    mine = True
                    break
                mine = False  # a parameter of another model (unless one of ours turns up)
            elif verdict_of_scope(tensor.node.parent if tensor.node is not None else None):
                mine = True
                break
        (foreign if mine is False else kept).append(mark)
    defaults = [m for m in kept if m.name is None and m.loss_scale is None]
    if defaults:
        kept = [
            m for m in kept if not (m.name is None and m.loss_scale is None) or m is defaults[-1]
        ]
    if not kept:
        where = ", ".join(f"{m.tensor!r} marked at {m.created_at}" for m in foreign[:3])
        never = _never_called_note(root_module, state.root)
        raise rc_nn.NoOutputError(
            f"nothing to serialize for {type(root_module).__name__}: "
            + (f"{never} " if never else "")
            + f"Every marked output and loss in naming root {state.root.name!r} depends on "
            f"parameters of other modules ({where}), none on a call or parameter of this model "
            "or of the modules reachable from it by attributes. Call the model and mark its "
            "result; if the called modules belong to this model, assign them as its attributes "
            "(nn.ModuleList/nn.ModuleDict, not plain lists or dicts); to build several models "
            "in one process, build each under its own `with nn.Root(): ...` (or call "
            "nn.reset_default_root() before the next one)."
        )
    foreign_used = _collect_used([m.tensor for m in foreign]) if foreign else {}
    return kept, foreign_used


def _collect_used(targets: list[Tensor]) -> dict[int, Tensor]:
    """All tensors the targets depend on (iterative: deep models exceed the recursion limit)."""
    from rc_nn._tensor import iter_tensors

    used: dict[int, Tensor] = {}
    stack = list(targets)
    while stack:
        tensor = stack.pop()
        if id(tensor) in used:
            continue
        used[id(tensor)] = tensor
        if tensor.parent is not None:
            stack.append(tensor.parent)
        if tensor.layer_dict is not None:
            stack.extend(iter_tensors(list(tensor.layer_dict.values())))
        if isinstance(tensor, rc_nn.Parameter) and isinstance(tensor.initial, Tensor):
            stack.append(tensor.initial)  # the variable's init_by_layer
        if isinstance(tensor, ControlTensor):
            stack.extend(tensor.extra_deps)
            if tensor.alias is not None:
                stack.append(tensor.alias)
    return used


def _own_calls(root_module: rc_nn.Module, root: rc_naming.Root) -> list[CallInfo]:
    """The calls of ``root_module`` and of its submodules, in call order."""
    own = {id(module) for module in root_module.modules()}
    return [info for info in module_calls(root) if id(info.module) in own]


def _module_label(module: object, root: rc_naming.Root) -> str:
    return f"{type(module).__name__} (created at {root.graph.created_at(module) or '<unknown>'})"


def _nothing_marked_message(root_module: rc_nn.Module, root: rc_naming.Root) -> str:
    """NoOutputError's message: says whether the model was called at all (issue 13 §6)."""
    name = type(root_module).__name__
    mark_hint = "y.mark_as_default_output() (or y.mark_as_loss('name'))"
    calls = _own_calls(root_module, root)
    if not calls:
        return (
            f"nothing to serialize for {name}: the model {_module_label(root_module, root)} "
            "was never called (neither it nor any of its submodules), and no output or loss "
            f"is marked. Call it on its inputs and mark a result before serializing: "
            f"y = model(x); {mark_hint}. (A factory for the rc-serialize command line builds "
            "the model, calls it, marks the outputs, then returns it.)"
        )
    first = calls[0]
    who = "the model" if first.module is root_module else f"its {type(first.module).__name__}"
    return (
        f"nothing to serialize for {name}: no output or loss is marked ({who} was called "
        f"at {first.created_at}). Call {mark_hint} on a result of the model."
    )


def _never_called_note(root_module: rc_nn.Module, root: rc_naming.Root) -> str:
    """For a root module never called although outputs are marked: which modules were."""
    if _own_calls(root_module, root):
        return ""
    called: dict[int, object] = {}
    for info in module_calls(root, outermost=True):
        called.setdefault(id(info.module), info.module)
    shown = [_module_label(module, root) for module in list(called.values())[:3]]
    more = f" and {len(called) - 3} more" if len(called) > 3 else ""
    came_from = (
        f"the marked outputs come from calls of {', '.join(shown)}{more}"
        if shown
        else "the marked outputs were made without any module call"
    )
    return (
        f"the root module {_module_label(root_module, root)} was never called "
        f"(neither it nor any of its submodules); {came_from}. Serialize the module you "
        "called (get_returnn_config_serialized(that_module)), or call this one."
    )


def _param_paths(
    used: dict[int, Tensor], resolution: rc_naming.Resolution
) -> dict[int, tuple[str, ...]]:
    paths: dict[int, tuple[str, ...]] = {}
    for key, tensor in used.items():
        if not isinstance(tensor, rc_nn.Parameter):
            continue
        path = resolution.path(tensor)  # UnreachableError (N5) names the parameter and its holders
        for position, component in enumerate(path):
            if "." in component:
                # Refused by rc-nn where it is assigned; reachable only past Module.__setattr__.
                raise InvalidParameterNameError(
                    f"parameter {'.'.join(path)} (created at {tensor.created_at}): the path "
                    f"component {component!r} contains '.', which separates path components, so "
                    "this name could belong to another parameter too. Rename the attribute or "
                    "the ModuleDict key (e.g. with '_' instead of '.')."
                )
            if position == 0 and _VALID_TF_COMPONENT.match(component):
                if not _VALID_TF_FIRST_COMPONENT.match(component):
                    raise InvalidParameterNameError(
                        f"parameter {'.'.join(path)} (created at {tensor.created_at}): the first path "
                        f"component {component!r} starts with {component[0]!r}, but a TensorFlow "
                        "variable name must start with a letter or digit. Rename the "
                        "attribute of the root module (e.g. without the leading underscore)."
                    )
            elif not _VALID_TF_COMPONENT.match(component):
                raise InvalidParameterNameError(
                    f"parameter {'.'.join(path)} (created at {tensor.created_at}): the path component "
                    f"{component!r} cannot be part of a TensorFlow variable name (allowed: letters, "
                    "digits, '_', '-'). Rename the attribute or the ModuleDict key."
                )
        paths[key] = path
    return paths


def _mark_slot(
    mark: OutputMark, tree: rc_naming.NameTree, slots: dict[int, _Slot], claimed: set[int]
) -> _Slot:
    tensor = mark.tensor
    options: dict[str, Any] = {}
    if mark.loss_scale is not None:
        options["loss"] = "as_is"
        if mark.as_error:
            # Reported by RETURNN as an error, never part of the optimized objective.
            options["loss_opts"] = {"as_error": True}
        if mark.loss_scale != 1.0:
            options["loss_scale"] = mark.loss_scale
    elif mark.name is not None:
        options["is_output_layer"] = True
    is_plain_layer = (
        tensor.layer_dict is not None
        and tensor.parent is None
        and not isinstance(tensor, rc_nn.Parameter)
    )
    fixed = mark.name is None  # the default output must be called "output"
    name = "output" if mark.name is None else mark.name
    if is_plain_layer and id(tensor) not in claimed:
        claimed.add(id(tensor))
        slot = _Slot(tensor, options, tensor.seq)
        slots[id(tensor)] = slot
    else:
        # Right after the layer it copies.
        slot = _Slot(None, {"class": "copy", "from": tensor, **options}, tensor.seq + 0.5)
    slot.node = tree.add(tree.root, name, fixed=fixed, priority=0, payload=slot)
    return slot


class _CallLabels:
    """Names of call scopes: the called module's canonical path (``encoder_layers_0``)."""

    def __init__(self, root_module: rc_nn.Module, resolution: rc_naming.Resolution) -> None:
        self._root_module = root_module
        self._resolution = resolution
        self._labels: dict[int, str] = {}

    def label(self, node: rc_naming.NameNode | None) -> str:
        if node is None or node.parent is None or not isinstance(node.payload, CallInfo):
            return ""
        known = self._labels.get(id(node))
        if known is not None:
            return known
        info = node.payload
        if isinstance(info.control, Block):
            label = ""  # a control-flow block is a scope of its own: names restart there
        elif info.module is self._root_module:
            label = ""
        elif info.module is not None and info.module in self._resolution:
            label = "_".join(self._resolution.path(info.module))
        else:
            parent = self.label(node.parent)
            own = info.name or node.suggested
            label = f"{parent}_{own}" if parent else own
        self._labels[id(node)] = label
        return label

    def suggest(self, tensor: Tensor) -> str:
        node = tensor.node
        scope = node.parent if node is not None else None
        label = self.label(scope)
        if not label:
            return tensor.name_hint
        info = scope.payload if scope is not None else None
        if isinstance(info, CallInfo) and info.outputs and info.outputs[0] is tensor:
            return label
        return f"{label}_{tensor.name_hint}"


#: RETURNN's default input key: the one extern data entry that RETURNN treats as available
#: for inference when the config does not say (``default_input`` in the config; we never set it).
_RETURNN_DEFAULT_INPUT = "data"


def _extern_entry(name: str, tensor: Tensor) -> dict[str, Any]:
    data = tensor.template
    entry: dict[str, Any] = {"dim_tags": list(data.dims), "dtype": str(data.dtype)}
    if data.sparse_dim is not None:
        entry["sparse_dim"] = data.sparse_dim
    # RETURNN's default for a dict entry without "available_for_inference" depends on the key:
    # True for "data", False for every other key (returnn/tf/network.py,
    # _extern_data_types_from_config), whereas a template (nn.Data) defaults to True. Emit the
    # flag wherever the two differ, so RETURNN gets our value. It matters: layers that depend on
    # data not available for inference are DataNotAvailableLayers without values where the
    # eval flag is off, and a rec loop's own net always has it off unless training
    # (rec.py, _SubnetworkRecCell), so a teacher-forced decoder loop over such labels failed
    # in a forward-only network (test_regressions.py::test_lstm_attention_decoder_loop_without_training).
    available = bool(data.available_for_inference)
    if available != (name == _RETURNN_DEFAULT_INPUT):
        entry["available_for_inference"] = available
    return entry
