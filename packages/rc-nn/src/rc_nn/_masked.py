"""``MaskedComputation``: compute a part of a loop's frame only where a mask is true.

RETURNN ``masked_computation`` inside a ``rec`` loop: where the mask (a bool
``[batch]`` of the frame) is false, the block's outputs keep their previous
value (and the computation does not advance). The values leave the block
through loop states assigned inside it; after the block, ``loop.state.x`` is
the unmasked value (RETURNN ``unmask``)::

    with nn.MaskedComputation(mask=is_label):
        loop.state.dec = slow_decoder(x_t, loop.state.dec)
    y = loop.state.dec   # the last value computed where the mask was true
"""

from __future__ import annotations

import contextlib
import types
from typing import Any

from returnn.tensor import batch_dim

from ._control import (
    Block,
    BlockNet,
    ControlFlowError,
    ControlTensor,
    block_of,
    check_access,
    current_block,
    make_layer_in,
)
from ._errors import DimMismatchError
from ._state import current_scope, state_of
from ._tensor import Tensor, _dim_str, as_tensor, make_layer_tensor, make_template
from ._userloc import user_location

__all__ = ["MaskedComputation"]


class _MaskedBlock(Block):
    kind = "masked"
    inside_container = False  # the unit subnetwork is one level below the loop's unit

    def __init__(self, created_at: str) -> None:
        super().__init__(label="nn.MaskedComputation", created_at=created_at)
        self.results: list[Tensor] = []

    def label_suffix(self) -> str:
        return "unit"

    def fixed_names(self, used: set[int]) -> dict[int, str]:
        del used
        return {id(t): _result_name(i) for i, t in enumerate(self.results)}


def _result_name(index: int) -> str:
    return "output" if index == 0 else f"result_{index}"


class MaskedComputation:
    """``with nn.MaskedComputation(mask=m):`` inside an ``nn.Loop``; outputs via ``loop.state``.

    Examples
    --------
    >>> import rc_nn as nn
    >>> time, feat = nn.SpatialDim("time"), nn.FeatureDim("f", 2)
    >>> x = nn.zeros([nn.batch_dim, time, feat])
    >>> loop = nn.Loop(axis=time)
    >>> loop.state.acc = nn.zeros([nn.batch_dim, feat])
    >>> with loop:
    ...     x_t = loop.unstack(x)
    ...     with nn.MaskedComputation(mask=nn.reduce_sum(x_t, axis=feat) > 0.0):
    ...         loop.state.acc = loop.state.acc + x_t
    ...     y = loop.stack(loop.state.acc)
    >>> y.dims == (time, nn.batch_dim, feat)
    True
    """

    def __init__(self, mask: Tensor, *, name: str = "masked") -> None:
        self._created_at = user_location(2)
        mask = as_tensor(mask, "nn.MaskedComputation mask", loop_read=False)
        if mask.dtype != "bool" or any(d != batch_dim for d in mask.dims):
            raise DimMismatchError(
                f"nn.MaskedComputation: the mask must be a bool tensor [batch] of the current "
                f"frame, got {mask!r} (at {self._created_at})"
            )
        self.mask = mask
        self.name = name
        self.block = _MaskedBlock(self._created_at)
        self._stack: contextlib.ExitStack | None = None
        self._container: ControlTensor | None = None
        self._used = False

    def __repr__(self) -> str:
        return f"<nn.MaskedComputation created at {self._created_at}>"

    def __enter__(self) -> MaskedComputation:
        if self._used:
            raise ControlFlowError(f"{self!r} can be used in one with-block only")
        self._used = True
        root = self.mask.root
        parent = current_block(root)
        if parent is None or parent.kind != "loop":
            raise NotImplementedError(
                "nn.MaskedComputation is implemented inside an nn.Loop only (per frame: where the "
                "mask is false the outputs keep their previous value); the variant over a whole "
                f"sequence (RETURNN masked_computation outside a loop) is not (at {self._created_at})"
            )
        check_access([self.mask], parent, "nn.MaskedComputation mask")
        mask_block = block_of(self.mask)
        if mask_block is not parent:
            # RETURNN fails at run time on masks read from outside the loop (seen with gather
            # at ':i' and copies of base: layers).
            raise ControlFlowError(
                f"nn.MaskedComputation: the mask {self.mask!r} must be computed in the loop's "
                f"frame, e.g. from loop.unstack(...) (at {self._created_at})"
            )
        layer: dict[str, Any] = {
            "class": "masked_computation",
            "from": [],
            "mask": self.mask,
            "unit": {"class": "subnetwork", "from": [], "subnetwork": BlockNet(self.block)},
        }
        container = ControlTensor(
            make_template([]),
            root=root,
            role="masked",
            layer_dict=layer,
            name_hint=self.name,
            created_at=self._created_at,
        )
        container.node = state_of(root).tree.add(current_scope(root), self.name, payload=container)
        self._container = container
        self.block.parent = parent
        self.block.container = container
        self._stack = contextlib.ExitStack()
        self._stack.enter_context(self.block.opened(root, f"{self.name}_unit"))
        return self

    def _check_no_dynamic_dim(self, state_name: str, value: Tensor) -> None:
        """Refuse a state value with a dynamic (non-batch) dim: RETURNN cannot pass it out.

        Inside a rec loop, RETURNN's ``masked_computation`` and ``unmask`` take any dynamic
        dim of the block's output for the masked time axis (the axis they would have if the
        computation were moved out of the loop): ``unmask`` drops it from its template, and
        the net fails to construct (the state's initial value then has more dims than the
        state). Static dims are fine.
        """
        dynamic = [d for d in value.dims if not d.is_batch_dim() and d.dimension is None]
        if not dynamic:
            return
        raise ControlFlowError(
            f"{self!r}: loop state {state_name!r} = {value!r} (set at {value.created_at}) leaves "
            f"the masked computation with the dynamic dim {_dim_str(dynamic[0])}: RETURNN's "
            "masked_computation/unmask inside a loop take any dynamic dim of their output for "
            "the masked time axis and cannot construct the net. Keep dynamic dims out of states "
            "set inside nn.MaskedComputation (e.g. reduce over them first), or compute the new "
            "value in the loop's frame, outside the masked computation, and keep the previous "
            "value where the mask is false: loop.state.x = nn.where(mask, new, loop.state.x)"
        )

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: types.TracebackType | None,
    ) -> None:
        assert self._stack is not None and self._container is not None
        self._stack.close()
        if exc_type is not None:
            return
        loop = getattr(self.block.parent, "loop", None)
        assert loop is not None
        container = self._container
        assert self.block.node is not None
        outputs: list[tuple[Any, Tensor]] = []
        for state in loop._states().values():
            for leaf in state.leaves:
                value = leaf.value
                if (
                    value is not None
                    and (b := block_of(value)) is not None
                    and (b.is_inside(self.block))
                ):
                    self._check_no_dynamic_dim(loop._leaf_name(state, leaf), value)
                    outputs.append((leaf, value))
        if not outputs:
            raise ControlFlowError(
                f"{self!r}: nothing leaves the masked computation; assign its results to loop "
                "states inside the block (loop.state.x = ...)"
            )
        for index, (leaf, value) in enumerate(outputs):
            layer: dict[str, Any] = {"class": "copy", "from": value}
            if index:
                layer["is_output_layer"] = True
            copy = make_layer_in(
                self.block.node,
                layer,
                value.template,
                name_hint=_result_name(index),
                root=value.root,
            )
            self.block.results.append(copy)
            container.extra_deps.append(copy)
            if index == 0:
                container.template = value.template
                masked_out: Tensor = container
            else:
                masked_out = Tensor(
                    value.template,
                    root=value.root,
                    name_hint=_result_name(index),
                    parent=container,
                    sub_name=_result_name(index),
                    created_at=self._created_at,
                )
            leaf.value = make_layer_tensor(
                {"class": "unmask", "from": masked_out, "mask": self.mask},
                value.template,
                name_hint="unmask",
            )
