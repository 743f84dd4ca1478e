"""Name pass for references (N7): how one layer names another in RETURNN's TF net dict.

``base:`` per network level up, ``prev:`` for a loop state's previous frame, ``data:``
for extern data, ``<layer>/<sub>`` for a sub-layer; a rec unit's (or branch's) fixed
``output`` seen from outside is the container layer itself.
"""

from __future__ import annotations

import rc_naming
import rc_nn

from ._errors import ControlFlowError
from ._name_layers import LayerNames

__all__ = ["References"]


class References:
    """Reference strings between the named layers of one record.

    Examples
    --------
    >>> References.__name__
    'References'
    """

    def __init__(self, record: rc_nn.BuildRecord, names: LayerNames) -> None:
        self._record = record
        self._names = names

    def ref(self, layer_id: int, from_node: rc_naming.NameNode) -> str:
        """The reference to layer ``layer_id`` from a layer at ``from_node``."""
        layers = self._record.layers
        layer = layers[layer_id]
        if layer.extern_name is not None:
            levels = len(from_node.parent.path) if from_node.parent is not None else 0
            key = (
                "data"
                if layer.extern_name == "data" and not levels
                else f"data:{layer.extern_name}"
            )
            return "base:" * levels + key
        if layer.parent is not None:
            return f"{self.ref(layer.parent, from_node)}/{layer.sub_name}"
        prefix = ""
        stacked: rc_nn.LayerRecord | None = None
        if layer.alias_of is not None:
            prefix = layer.alias_prefix
            stacked = layer if layer.role == "stack" else None
            layer = layers[layer.alias_of]
        slots = self._names.slots
        target = slots[layer.id].node
        assert target is not None
        if target.fixed and target.name == "output" and not prefix:
            # A rec unit's (or branch's) "output" is the container layer seen from outside.
            container = self._container_node_of(layer.id)
            if container is not None and not _is_below(from_node, target.parent):
                target = container
        elif stacked is not None:
            self._check_stack_reference(stacked)
        return self._names.tree.reference(from_node, target, prefix=prefix)

    def name_of(self, layer_id: int) -> str:
        """The final scope-local name of a layer (an option that takes a name, not a reference)."""
        node = self._names.slots[layer_id].node
        assert node is not None
        return node.name

    def _container_node_of(self, layer_id: int) -> rc_naming.NameNode | None:
        block = self._names.slots[layer_id].block
        if block is None or not self._record.blocks[block].inside_container:
            return None
        return self._names.scopes.container_node(block, self._names.slots)

    def _check_stack_reference(self, stacked: rc_nn.LayerRecord) -> None:
        """Refuse to read a nested loop's stacked value as a sub-layer (``loop/<name>``).

        Inside an outer loop or a cond branch, RETURNN builds the nested rec layer as a
        template first, and a template rec layer has no sub-layers: ``loop/<name>`` fails
        ("LayerNotFound: sub-layer ... not found"). Only the rec layer's own output (the
        unit's ``output``, the first stacked value used) can be read there.
        """
        blocks = self._record.blocks
        if stacked.own_block is None:
            return
        outer = blocks[stacked.own_block]
        inner = None if stacked.usable_outside_of is None else blocks[stacked.usable_outside_of]
        where = inner.description if inner is not None else "a nested nn.Loop"
        if inner is not None and inner.loop is not None and inner.loop.has_output_carrier:
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
        raise ControlFlowError(
            f"{stacked.text} (loop.stack at {stacked.created_at}) of {where} is read inside the "
            f"enclosing {outer.description}: RETURNN cannot read a nested loop's stacked values as "
            f"sub-layers (loop/<name>) while it builds the enclosing block. {reason}"
        )


def _is_below(node: rc_naming.NameNode, scope: rc_naming.NameNode | None) -> bool:
    """Whether ``node`` lies inside ``scope`` (strictly below it)."""
    cur = node.parent
    while cur is not None:
        if cur is scope:
            return True
        cur = cur.parent
    return False
