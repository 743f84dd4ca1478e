"""Emit pass: the RETURNN TF net dict, extern data and variable names of a named record.

This is where the record's backend-neutral values get RETURNN's TF spelling:
references become ``base:``/``prev:``/``data:`` strings (via :class:`References`),
parameters ``variable`` layers with ``name_scope``/``param_name``, marks ``loss``,
``loss_opts`` and ``is_output_layer`` options, blocks nested net dicts. Live objects
(dims, parameters, tensors) are taken from the record's handles, only to give them back
to the caller in the result.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Mapping
from typing import Any

import numpy

import rc_naming
import rc_nn

from ._errors import ExtraNetDictError, InitialValueShapeError
from ._name_layers import CONTAINER_ROLES, LayerNames, Slot
from ._name_params import ParamNaming
from ._name_refs import References

__all__ = ["EmitParams", "SerializedNetwork", "emit_network", "extern_entry", "serialized_network"]

#: RETURNN's default input key: the one extern data entry that RETURNN treats as available
#: for inference when the config does not say (``default_input`` in the config; we never set it).
_RETURNN_DEFAULT_INPUT = "data"


@dataclasses.dataclass
class SerializedNetwork:
    """The result of the final pass, before it is written as code.

    Examples
    --------
    >>> SerializedNetwork({}, {}, {}, {}, {}, {}).loop_layer_tensors
    {}
    """

    extern_data: dict[str, dict[str, Any]]
    network: dict[str, dict[str, Any]]
    parameters: dict[str, rc_nn.Parameter]  # canonical path with "." -> parameter
    variable_names: dict[str, str]  # canonical path with "." -> TF variable name
    layer_names: dict[int, str]  # id(tensor) -> final layer name
    layer_tensors: dict[
        str, rc_nn.Tensor
    ]  # final layer name -> the tensor it computes (not for copies)
    # Layers inside loops: path -> (tensor with its per-frame template, the enclosing loop axes).
    loop_layer_tensors: dict[str, tuple[rc_nn.Tensor, tuple[Any, ...]]] = dataclasses.field(
        default_factory=dict
    )


_SCALARS = frozenset({str, int, float, bool, type(None)})
# Values _slot_layer gives in their final form (plain lists and dicts are no record values).
_FINAL = _SCALARS | {list, dict}
# The record's classes are final: exact type checks on the hot path.
LayerRef, FrozenMap, SeqValue, DimRef = (
    rc_nn.LayerRef,
    rc_nn.FrozenMap,
    rc_nn.SeqValue,
    rc_nn.DimRef,
)


class _Converter:
    """Record values -> TF net dict values (references as strings, dims as ``Dim`` objects)."""

    def __init__(self, refs: References, dims: tuple[Any, ...]) -> None:
        self.refs = refs
        self.dims = dims
        self.block_nets: dict[int, dict[str, Any]] = {}

    def convert(self, value: Any, node: rc_naming.NameNode) -> Any:
        kind = type(value)
        if kind in _SCALARS:
            return value
        if kind is LayerRef:
            return self.refs.ref(value.id, node)
        if kind is FrozenMap:
            out = {}
            for key, item in value.pairs:
                if type(key) is LayerRef:
                    key = self.refs.ref(key.id, node)  # noqa: PLW2901
                out[key] = item if type(item) in _SCALARS else self.convert(item, node)
            return out
        if kind is SeqValue:
            items = [v if type(v) in _SCALARS else self.convert(v, node) for v in value.items]
            return items if value.is_list else tuple(items)
        if kind is DimRef:
            return self.dims[value.id]
        if isinstance(value, tuple):
            return tuple(self.convert(v, node) for v in value)
        return self._other(value, node)

    def _other(self, value: Any, node: rc_naming.NameNode) -> Any:
        if isinstance(value, rc_nn.BlockNetRef):
            return self.block_nets.setdefault(value.block, {})
        if isinstance(value, rc_nn.LayerNameRef):
            return self.refs.name_of(value.layer)
        if isinstance(value, rc_nn.ArrayValue):
            return array_of(value)
        if isinstance(value, rc_nn.VarianceScalingInit):
            return {
                "class": "VarianceScaling",
                "scale": float(value.scale),
                "mode": value.mode,
                "distribution": value.distribution,
            }
        return value


def array_of(value: rc_nn.ArrayValue) -> numpy.ndarray[Any, Any]:
    """The numpy array an :class:`rc_nn.ArrayValue` stands for (a fresh, writable copy)."""
    return numpy.frombuffer(value.data, dtype=numpy.dtype(value.dtype)).reshape(value.shape).copy()


def _variable_options(
    record: rc_nn.BuildRecord, param: rc_nn.ParamRecord, dims: tuple[Any, ...]
) -> dict[str, Any]:
    """RETURNN's ``variable`` layer options for a parameter, without naming options.

    Values are final (dims as ``Dim`` objects, the initializer as RETURNN's dict), except
    ``init_by_layer`` (a :class:`rc_nn.LayerRef`) and an initial array (an
    :class:`rc_nn.ArrayValue`), which the converter turns into a reference and an array.
    """
    opts: dict[str, Any] = {"class": "variable", "shape": [dims[d] for d in param.dims]}
    if param.dtype != "float32":
        opts["dtype"] = param.dtype
    if not param.trainable:
        opts["trainable"] = False
    initial = param.initial
    kind = type(initial)
    if kind is rc_nn.LayerRef:
        opts["init_by_layer"] = initial
    elif kind is rc_nn.ArrayValue:
        shape = tuple(record.dims[d].size for d in param.dims)
        if initial.shape != shape:
            raise InitialValueShapeError(
                f"{record.layers[param.layer].text}: initial array has shape {initial.shape}, "
                f"but the parameter has shape {shape}"
            )
        opts["init"] = initial
    elif kind is rc_nn.VarianceScalingInit:
        opts["init"] = {
            "class": "VarianceScaling",
            "scale": float(initial.scale),
            "mode": initial.mode,
            "distribution": initial.distribution,
        }
    elif initial is not None:
        opts["init"] = float(initial) if param.dtype.startswith("float") else int(initial)
    if param.weight_decay:
        opts["L2"] = float(param.weight_decay)
    if param.non_critical_for_restore:
        opts["non_critical_for_restore"] = True
    return opts


def _mark_options(mark: rc_nn.MarkRecord) -> dict[str, Any]:
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
    return options


@dataclasses.dataclass(frozen=True)
class EmitParams:
    """What the emitter needs to know about the used parameters."""

    paths: Mapping[int, tuple[str, ...]]
    unused: frozenset[int]  # parameters no output uses (still emitted, N4)
    naming: ParamNaming
    records: Mapping[int, rc_nn.ParamRecord]  # by layer id


def _slot_layer(
    record: rc_nn.BuildRecord, slot: Slot, params: EmitParams, dims: tuple[Any, ...]
) -> dict[str, Any]:
    """The layer dict of a slot with TF spelling: record values (references, a layer's
    options) and final values (plain lists and dicts: a variable's shape and init)."""
    if slot.layer is None:
        assert slot.mark is not None and slot.copy_of is not None
        return {"class": "copy", "from": rc_nn.LayerRef(slot.copy_of), **_mark_options(slot.mark)}
    layer = record.layers[slot.layer]
    own: dict[str, Any]
    if layer.kind == "param":
        path = params.paths[slot.layer]
        param = params.records[slot.layer]
        own = {**_variable_options(record, param, dims), **params.naming.layer_options(path)}
        if slot.layer in params.unused:
            own["is_output_layer"] = True  # RETURNN builds only what outputs need
    else:
        assert layer.args is not None, layer
        own = dict(layer.args.pairs)
    if slot.mark is not None:  # a marked layer: keep its mark options on top of its own
        own = {**own, **_mark_options(slot.mark)}
    return own


def emit_network(
    record: rc_nn.BuildRecord,
    names: LayerNames,
    params: EmitParams,
    dims: tuple[Any, ...],
) -> dict[str, dict[str, Any]]:
    """The TF net dict: every slot in creation order, nested into its block's net dict."""
    converter = _Converter(References(record, names), dims)
    convert = converter.convert
    network: dict[str, dict[str, Any]] = {}
    layers = record.layers
    ordered = sorted(
        {id(s): s for s in [*names.slots.values(), *names.mark_slots]}.values(),
        key=lambda s: s.order,
    )
    for slot in ordered:
        assert slot.node is not None
        node = slot.node
        target = network if slot.block is None else converter.block_nets.setdefault(slot.block, {})
        rec = None if slot.layer is None or slot.mark is not None else layers[slot.layer]
        if rec is not None and rec.kind != "param" and rec.args is not None:
            # the common case: the options as recorded
            target[node.name] = {
                k: v if type(v) in _SCALARS else convert(v, node) for k, v in rec.args.pairs
            }
        else:
            own = _slot_layer(record, slot, params, dims)
            target[node.name] = {
                k: v if type(v) in _FINAL else convert(v, node) for k, v in own.items()
            }
    for name, layer in network.items():
        if layer.get("name_scope") == name:
            del layer["name_scope"]  # the layer name already gives this scope
    for key, value in record.extra_net_dict.pairs:
        if key in network:
            raise ExtraNetDictError(
                f"extra net dict entry {key!r} (nn.extra_net_dict / NameCtx.root.extra_net_dict) "
                "has the name of a layer of the network; use another key (e.g. '#config')"
            )
        # Not always a layer dict (e.g. "#copy_param_mode": "subset"); RETURNN skips '#' keys.
        network[key] = typing.cast(dict[str, Any], converter.convert(value, names.tree.root))
    return network


def extern_entry(
    record: rc_nn.BuildRecord, extern: rc_nn.ExternRecord, dims: tuple[Any, ...]
) -> dict[str, Any]:
    """The ``extern_data`` entry of an input."""
    data = record.layers[extern.layer].output
    entry: dict[str, Any] = {"dim_tags": [dims[d] for d in data.dims], "dtype": data.dtype}
    if data.sparse_dim is not None:
        entry["sparse_dim"] = dims[data.sparse_dim]
    # RETURNN's default for a dict entry without "available_for_inference" depends on the key:
    # True for "data", False for every other key (returnn/tf/network.py,
    # _extern_data_types_from_config), whereas a template (nn.Data) defaults to True. Emit the
    # flag wherever the two differ, so RETURNN gets our value. It matters: layers that depend on
    # data not available for inference are DataNotAvailableLayers without values where the
    # eval flag is off, and a rec loop's own net always has it off unless training
    # (rec.py, _SubnetworkRecCell), so a teacher-forced decoder loop over such labels failed
    # in a forward-only network (test_regressions.py::test_lstm_attention_decoder_loop_without_training).
    available = data.available_for_inference
    if available != (extern.key == _RETURNN_DEFAULT_INPUT):
        entry["available_for_inference"] = available
    return entry


def _depth_in_loops(record: rc_nn.BuildRecord, block: int | None) -> int:
    depth = 0
    while block is not None:
        depth += record.blocks[block].kind == "loop"
        block = record.blocks[block].parent
    return depth


def _loop_axes(
    record: rc_nn.BuildRecord, block: int | None, dims: tuple[Any, ...]
) -> tuple[Any, ...]:
    """The axes of the loops enclosing ``block`` (RETURNN may move a layer out of them)."""
    axes = []
    while block is not None:
        info = record.blocks[block]
        if info.kind == "loop" and info.loop is not None:
            axes.append(None if info.loop.axis is None else dims[info.loop.axis])
        block = info.parent
    return tuple(axes)


def serialized_network(
    record: rc_nn.BuildRecord,
    handles: rc_nn.RecordHandles,
    names: LayerNames,
    params: EmitParams,
    externs: tuple[rc_nn.ExternRecord, ...],
) -> SerializedNetwork:
    """Emit the net dict and extern data and assemble the public result."""
    dims = handles.dims
    network = emit_network(record, names, params, dims)
    root = names.tree.root
    named = [
        # a layer of the root net dict (the most): its path is its name
        (layer, s.node.name if s.node.parent is root else "/".join(s.node.path), s)
        for layer, s in names.slots.items()
        if s.node is not None
    ]
    tensors = [
        (path, handles.layers[layer], _depth_in_loops(record, s.block), s)
        for layer, path, s in named
        if record.layers[layer].role not in CONTAINER_ROLES
    ]
    return SerializedNetwork(
        extern_data={e.key: extern_entry(record, e, dims) for e in externs},
        network=network,
        parameters=dict(
            sorted(
                ((".".join(path), handles.params[layer]) for layer, path in params.paths.items()),
                key=lambda item: item[0],
            )
        ),
        variable_names={
            ".".join(path): params.naming.variable_name(path)
            for path in sorted(params.paths.values())
        },
        layer_names={id(handles.layers[layer]): path for layer, path, _ in named},
        layer_tensors={path: t for path, t, depth, _ in tensors if depth == 0},
        loop_layer_tensors={
            path: (t, _loop_axes(record, s.block, dims)) for path, t, depth, s in tensors if depth
        },
    )
