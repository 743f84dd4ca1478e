"""Name pass for layers: the final name tree (N6) with control-flow scopes.

Marks claim their names first (the default output is ``output``), then every used
layer gets a node in the scope of its block: the root net dict, a rec unit (below the
loop's layer: ``loop/x``), or a branch / masked unit subnetwork (a scope next to its
container: ``<cond>_true``). A layer made inside a module call is named after the
module's canonical path (``encoder_layers_0_ff``); the tensor a call returns takes the
call's name, other layers add their op (``..._dot``). Parameters are named after their
path; they always live in the root scope.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import rc_naming
import rc_nn

__all__ = ["CONTAINER_ROLES", "LayerNames", "Slot", "name_layers"]

_RESERVED_LAYER_NAMES = ("data", "output")

#: Roles of layers that hold blocks' net dicts; their template is RETURNN's business.
CONTAINER_ROLES = ("loop", "cond", "masked")


@dataclasses.dataclass(eq=False)
class Slot:
    """One layer of the final net dict: the layer it computes (None: a copy made for a
    mark of ``copy_of``), the mark whose options it carries, its position and node."""

    layer: int | None
    order: float  # position in the emitted net dict: creation order of what it computes
    mark: rc_nn.MarkRecord | None = None
    copy_of: int | None = None
    node: rc_naming.NameNode | None = None
    block: int | None = None  # the control-flow block whose net dict holds the layer


@dataclasses.dataclass(eq=False)
class LayerNames:
    """The finalized name tree, the slot of every named layer (by id) and the marks' slots."""

    tree: rc_naming.NameTree
    slots: dict[int, Slot]
    mark_slots: list[Slot]
    scopes: _Scopes


def name_layers(
    record: rc_nn.BuildRecord,
    marks: tuple[rc_nn.MarkRecord, ...],
    used: Mapping[int, None],
    param_paths: Mapping[int, tuple[str, ...]],
) -> LayerNames:
    """Name the marks and every used layer; the tree comes back finalized."""
    tree = rc_naming.NameTree(reserved=_RESERVED_LAYER_NAMES)
    slots: dict[int, Slot] = {}
    labels = _CallLabels(record.calls)
    scopes = _Scopes(record, tree, used)
    mark_slots = [_mark_slot(record, mark, tree, slots) for mark in marks]
    for layer_id in sorted(used):
        layer = record.layers[layer_id]
        if layer.kind in ("extern", "sub", "alias"):
            continue
        block: int | None = None
        if layer.kind == "param":
            suggested = "_".join(param_paths[layer_id])
        else:
            suggested = labels.suggest(layer)
            block = layer.block
        if layer_id in slots:
            continue  # a marked layer: named by its mark
        slot = slots[layer_id] = Slot(layer_id, layer_id, block=block)
        fixed = scopes.fixed_name(layer_id, block)
        slot.node = tree.add(
            scopes.node_of(block, slots),
            fixed or suggested,
            fixed=fixed is not None,
            priority=1,
            payload=slot,
            reserved=scopes.reserved_inside(layer),
        )
    tree.finalize()
    return LayerNames(tree, slots, mark_slots, scopes)


def _mark_slot(
    record: rc_nn.BuildRecord,
    mark: rc_nn.MarkRecord,
    tree: rc_naming.NameTree,
    slots: dict[int, Slot],
) -> Slot:
    layer = record.layers[mark.layer]
    fixed = mark.name is None  # the default output must be called "output"
    name = "output" if mark.name is None else mark.name
    is_plain_layer = layer.kind in ("layer", "container") and layer.args is not None
    if is_plain_layer and mark.layer not in slots:
        slot = slots[mark.layer] = Slot(mark.layer, mark.layer, mark=mark)
    else:
        slot = Slot(None, mark.layer + 0.5, mark=mark, copy_of=mark.layer)  # after its layer
    slot.node = tree.add(tree.root, name, fixed=fixed, priority=0, payload=slot)
    return slot


class _CallLabels:
    """Names of call scopes: the called module's canonical path (``encoder_layers_0``)."""

    def __init__(self, calls: tuple[rc_nn.CallRecord, ...]) -> None:
        self._calls = calls
        self._labels: dict[int, str] = {}

    def label(self, call_id: int | None) -> str:
        if call_id is None:
            return ""
        known = self._labels.get(call_id)
        if known is not None:
            return known
        call = self._calls[call_id]
        if call.block is not None:
            label = ""  # a control-flow block is a scope of its own: names restart there
        elif call.module_path is not None:
            label = "_".join(call.module_path)  # "" for the root module's own call (N2)
        else:
            parent = self.label(call.parent)
            own = call.name or call.suggested
            label = f"{parent}_{own}" if parent else own
        self._labels[call_id] = label
        return label

    def suggest(self, layer: rc_nn.LayerRecord) -> str:
        label = self.label(layer.call)
        if not label:
            return layer.name_hint
        assert layer.call is not None
        if self._calls[layer.call].first_output == layer.id:
            return label
        return f"{label}_{layer.name_hint}"


class _Scopes:
    """Where the layers of each control-flow block live in the final name tree."""

    def __init__(
        self, record: rc_nn.BuildRecord, tree: rc_naming.NameTree, used: Mapping[int, None]
    ) -> None:
        self._blocks = record.blocks
        self._tree = tree
        self._nodes: dict[int, rc_naming.NameNode] = {}
        self._fixed: dict[int, dict[int, str]] = {}
        self._used = used

    def fixed_name(self, layer: int, block: int | None) -> str | None:
        if block is None:
            return None
        fixed = self._fixed.get(block)
        if fixed is None:
            fixed = self._fixed[block] = fixed_names(self._blocks[block], self._used)
        return fixed.get(layer)

    def reserved_inside(self, layer: rc_nn.LayerRecord) -> tuple[str, ...]:
        if layer.role in CONTAINER_ROLES and layer.holds:
            first = self._blocks[layer.holds[0]]
            if first.inside_container:
                return first.reserved
        return ()

    def node_of(self, block_id: int | None, slots: dict[int, Slot]) -> rc_naming.NameNode:
        if block_id is None:
            return self._tree.root
        node = self._nodes.get(block_id)
        if node is not None:
            return node
        block = self._blocks[block_id]
        assert block.container is not None, block.description
        container_slot = slots.get(block.container)
        assert container_slot is not None and container_slot.node is not None, block.description
        if block.inside_container:
            node = container_slot.node
        else:
            # A branch subnetwork is one network level below the container's network:
            # its scope is a (never emitted) node next to the container.
            parent = container_slot.node.parent
            assert parent is not None
            node = self._tree.add(
                parent,
                f"{container_slot.node.suggested}_{block.label_suffix}",
                reserved=block.reserved,
            )
        self._nodes[block_id] = node
        return node

    def container_node(self, block_id: int, slots: dict[int, Slot]) -> rc_naming.NameNode | None:
        container = self._blocks[block_id].container
        if container is None:
            return None
        slot = slots.get(container)
        return slot.node if slot is not None else None


def fixed_names(block: rc_nn.BlockRecord, used: Mapping[int, None]) -> dict[int, str]:
    """RETURNN's fixed names inside ``block`` by layer id: a loop's ``end`` and ``output``
    (its output carrier, else the first used stacked value), a cond branch's or masked
    unit's results (``output``, ``result_1``, ...)."""
    names: dict[int, str] = {}
    loop = block.loop
    if block.kind == "loop" and loop is not None:
        if loop.end is not None and loop.end in used:
            names[loop.end] = "end"
        if loop.output_carrier is not None and loop.output_carrier in used:
            names[loop.output_carrier] = "output"
            return names
        for export in loop.exports:
            if export in used:
                names[export] = "output"
                break
        return names
    for index, result in enumerate(block.results):
        if result is not None:
            names[result] = "output" if index == 0 else f"result_{index}"
    return names
