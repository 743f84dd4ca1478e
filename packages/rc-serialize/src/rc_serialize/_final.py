"""The final pass: from a called model to a RETURNN net dict, names assigned once.

1. Collect the layers the marked outputs and losses depend on (others are dropped).
2. Resolve every used parameter's canonical path from the root module (N3, N5).
3. Name the layers from the call tree (N6): a layer made inside a module call is
   named after the module's canonical path (``encoder_layers_0_ff``); the tensor a
   call returns takes the call's name, other layers add their op (``..._dot``).
   The root module's own call is merged into the root scope (N2). Module calls
   become no RETURNN subnetworks: parameter names are set with ``name_scope``,
   so the net dict stays flat, as an expert would write it.
4. Write references from the final tree (N7).
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import rc_naming
import rc_nn
from rc_nn._state import CallInfo, OutputMark, state_of
from rc_nn._tensor import Tensor

from ._errors import InvalidParameterNameError

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

    Example:
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


@dataclasses.dataclass(eq=False)
class _Slot:
    """One layer of the final net dict and what it computes."""

    tensor: Tensor | None  # None for copy layers made for marks
    layer: dict[str, Any]
    order: float  # position in the emitted net dict: creation order of what it computes
    node: rc_naming.NameNode | None = None


def build_network(
    root_module: rc_nn.Module, *, param_naming: ParamNaming | None = None
) -> SerializedNetwork:
    """Run the final pass for the model whose root module is ``root_module``."""
    if not isinstance(root_module, rc_nn.Module):
        raise TypeError(
            f"the root module must be an nn.Module, got {type(root_module).__name__}; "
            "pass the model object you called, e.g. get_returnn_config_serialized(net)"
        )
    naming = param_naming or ParamNaming()
    root = root_module._rc_naming_root()
    state = state_of(root)
    marks = list(state.marks)
    if not marks:
        raise rc_nn.NoOutputError(
            f"nothing to serialize for {type(root_module).__name__}: no output or loss is marked. "
            "Call y.mark_as_default_output() (or y.mark_as_loss('name')) on a result of the model."
        )
    for mark in marks:
        if mark.tensor.root is not root:
            rc_naming.check_same_root(
                root, mark.tensor.root, what=f"output {mark.tensor!r} marked at {mark.created_at}"
            )
    used = _collect_used([mark.tensor for mark in marks])
    resolution = root.graph.resolve(root_module)
    param_paths = _param_paths(used, resolution)

    tree = rc_naming.NameTree(reserved=_RESERVED_LAYER_NAMES)
    slots: dict[int, _Slot] = {}
    labels = _CallLabels(root_module, resolution)

    # Marks first: they claim their names before any other layer.
    claimed: set[int] = set()
    mark_slots: list[_Slot] = []
    for mark in marks:
        mark_slots.append(_mark_slot(mark, tree, slots, claimed))

    for tensor in sorted(used.values(), key=lambda t: t.seq):
        if tensor.extern_name is not None or tensor.parent is not None:
            continue
        if isinstance(tensor, rc_nn.Parameter):
            path = param_paths[id(tensor)]
            layer = {**tensor.variable_layer_options(), **naming.layer_options(path)}
            suggested = "_".join(path)
        else:
            assert tensor.layer_dict is not None
            layer = dict(tensor.layer_dict)
            suggested = labels.suggest(tensor)
        slot = slots.get(id(tensor))
        if slot is None:
            slot = _Slot(tensor, layer, tensor.seq)
            slot.node = tree.add(tree.root, suggested, priority=1, payload=slot)
            slots[id(tensor)] = slot
        else:  # a marked layer: keep its mark options on top of its own
            slot.layer = {**layer, **slot.layer}
    tree.finalize()

    def ref(value: Tensor, from_node: rc_naming.NameNode) -> str:
        if value.extern_name is not None:
            return "data" if value.extern_name == "data" else f"data:{value.extern_name}"
        if value.parent is not None:
            return f"{ref(value.parent, from_node)}/{value.sub_name}"
        target = slots[id(value)].node
        assert target is not None
        return tree.reference(from_node, target)

    network: dict[str, dict[str, Any]] = {}
    ordered = sorted(
        {id(s): s for s in [*slots.values(), *mark_slots]}.values(), key=lambda s: s.order
    )
    for slot in ordered:
        assert slot.node is not None
        node = slot.node
        network[node.name] = _convert(slot.layer, lambda t, n=node: ref(t, n))
    for name, layer in network.items():
        if layer.get("name_scope") == name:
            del layer["name_scope"]  # the layer name already gives this scope

    extern = {name: _extern_entry(t) for name, t in state.extern_data.items()}
    params = {
        ".".join(param_paths[k]): t for k, t in used.items() if isinstance(t, rc_nn.Parameter)
    }
    params = dict(sorted(params.items()))
    return SerializedNetwork(
        extern_data=extern,
        network=network,
        parameters=params,
        variable_names={path: naming.variable_name(tuple(path.split("."))) for path in params},
        layer_names={k: s.node.name for k, s in slots.items() if s.node is not None},
        layer_tensors={
            s.node.name: s.tensor
            for s in slots.values()
            if s.node is not None and s.tensor is not None
        },
    )


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
    return used


def _param_paths(
    used: dict[int, Tensor], resolution: rc_naming.Resolution
) -> dict[int, tuple[str, ...]]:
    paths: dict[int, tuple[str, ...]] = {}
    for key, tensor in used.items():
        if not isinstance(tensor, rc_nn.Parameter):
            continue
        path = resolution.path(tensor)  # UnreachableError (N5) names the parameter and its holders
        for position, component in enumerate(path):
            if position == 0 and _VALID_TF_COMPONENT.match(component):
                if not _VALID_TF_FIRST_COMPONENT.match(component):
                    raise InvalidParameterNameError(
                        f"parameter {'.'.join(path)} (created at {tensor.created_at}): the first path "
                        f"component {component!r} starts with {component[0]!r}, but a TensorFlow "
                        "variable name must start with a letter, digit or '.'. Rename the "
                        "attribute of the root module (e.g. without the leading underscore)."
                    )
            elif not _VALID_TF_COMPONENT.match(component):
                raise InvalidParameterNameError(
                    f"parameter {'.'.join(path)} (created at {tensor.created_at}): the path component "
                    f"{component!r} cannot be part of a TensorFlow variable name (allowed: letters, "
                    "digits, '_', '.', '-'). Rename the attribute or the ModuleDict key."
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
        if info.module is self._root_module:
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


def _convert(value: Any, ref: Any) -> Any:
    if isinstance(value, Tensor):
        return ref(value)
    if isinstance(value, dict):
        return {
            (ref(k) if isinstance(k, Tensor) else k): _convert(v, ref) for k, v in value.items()
        }
    if isinstance(value, list):
        return [_convert(v, ref) for v in value]
    if isinstance(value, tuple):
        return tuple(_convert(v, ref) for v in value)
    return value


def _extern_entry(tensor: Tensor) -> dict[str, Any]:
    data = tensor.data
    entry: dict[str, Any] = {"dim_tags": list(data.dims), "dtype": str(data.dtype)}
    if data.sparse_dim is not None:
        entry["sparse_dim"] = data.sparse_dim
    if data.available_for_inference is not True:
        entry["available_for_inference"] = bool(data.available_for_inference)
    return entry
