"""``cum_concat_step``: all frames of a loop so far, concatenated (RETURNN ``cum_concat``).

Inside an ``nn.Loop``, RETURNN's ``cum_concat`` layer appends the current frame
of its input to the frames of the previous iterations, which it keeps as its
own state (``prev:`` of itself, reordered along with the beam in search). The
output has a new dynamic dim ``out_spatial_dim`` of length ``i + 1`` in frame
``i``. This is the state of step-wise self-attention (keys and values of the
frames decoded so far).

RETURNN moves layers out of the loop where it can. Moved out, ``cum_concat`` is
the whole sequence with the loop's time dim renamed to ``out_spatial_dim``,
whose sizes become one per loop frame (``[time]``): the frame index is no dim
of that tensor any more. An op that masks over ``out_spatial_dim`` on such a
tensor alone (``reduce``, ``softmax``) then fails in RETURNN
(``get_sequence_mask_broadcast``, returnn issue 721), since the mask needs the
frame dim. :func:`with_loop_frame` gives those ops an input that has the frame
dim wherever RETURNN computes them (see its docstring).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from returnn.tensor import Dim

from ._control import Block, ControlTensor, block_of, current_block
from ._errors import AxisError
from ._loop import _LoopBlock
from ._tensor import Tensor, _dim_str, as_tensor, iter_tensors, make_layer_tensor, make_template
from ._userloc import user_location

__all__ = ["cum_concat_axes", "cum_concat_step", "with_loop_frame"]


def cum_concat_step(x: Tensor, *, out_spatial_dim: Dim | None = None) -> tuple[Tensor, Dim]:
    """Concatenate the current frame ``x`` to the frames of all previous loop iterations.

    Must be called inside an ``nn.Loop``. Returns ``(accumulated, out_spatial_dim)``
    where ``accumulated`` has dims ``[batch, out_spatial_dim, <other dims of x>]``
    (RETURNN keeps this state batch-major) and ``out_spatial_dim`` (a new dynamic
    dim if not given) has length ``i + 1`` in loop frame ``i``.

    Examples
    --------
    >>> import rc_nn as nn
    >>> time, feat = nn.SpatialDim("time"), nn.FeatureDim("f", 2)
    >>> x = nn.zeros([nn.batch_dim, time, feat])
    >>> with nn.Loop(axis=time) as loop:
    ...     history, hist_dim = nn.cum_concat_step(loop.unstack(x))
    ...     total = loop.stack(nn.reduce_sum(history, axis=hist_dim))
    >>> history.dims == (nn.batch_dim, hist_dim, feat)
    True
    """
    what = "nn.cum_concat_step"
    x = as_tensor(x, what)
    block = current_block(x.root)
    if block is None or block.depth_in_loops() == 0:
        raise NotImplementedError(
            f"{what}: only supported inside an nn.Loop (it accumulates the loop's frames); "
            f"called outside of any loop with {x!r} (at {user_location()})"
        )
    if out_spatial_dim is None:
        out_spatial_dim = Dim(None, name="cum-concat", kind=Dim.Types.Spatial)
    elif not isinstance(out_spatial_dim, Dim) or out_spatial_dim in x.dims:
        raise AxisError(
            f"{what}: out_spatial_dim must be a new nn.Dim (not one of the input's dims), got "
            f"{out_spatial_dim!r} (at {user_location()})"
        )
    if out_spatial_dim.dimension is not None:
        raise AxisError(
            f"{what}: out_spatial_dim {_dim_str(out_spatial_dim)} must be dynamic (its length "
            f"grows with the loop frames; at {user_location()})"
        )
    loop_block = _enclosing_loop(block)
    assert loop_block is not None  # depth_in_loops() > 0
    loop_block.cum_concat_dims[id(out_spatial_dim)] = out_spatial_dim
    # RETURNN: the input made batch-major, then the new dim at axis 1.
    template = x.template.copy_as_batch_major()
    template = template.copy_add_dim_by_tag(out_spatial_dim, unbroadcast=True, axis=1)
    layer = {"class": "cum_concat", "from": x, "out_spatial_dim": out_spatial_dim}
    return make_layer_tensor(layer, template, name_hint="cum_concat"), out_spatial_dim


def _enclosing_loop(block: Block | None) -> _LoopBlock | None:
    """The innermost loop block that is ``block`` or encloses it."""
    while block is not None and not isinstance(block, _LoopBlock):
        block = block.parent
    return block


def _loop_of(dim: Dim, block: Block | None) -> _LoopBlock | None:
    """The loop enclosing ``block`` whose ``cum_concat_step`` made ``dim``, if any."""
    loop_block = _enclosing_loop(block)
    while loop_block is not None and id(dim) not in loop_block.cum_concat_dims:
        loop_block = _enclosing_loop(loop_block.parent)
    return loop_block


def cum_concat_axes(x: Tensor, axes: Sequence[Dim]) -> list[Dim]:
    """Those of ``axes`` that are the ``out_spatial_dim`` of a ``cum_concat_step`` of a loop
    enclosing the current block (where an op on ``x`` is being made)."""
    block = current_block(x.root)
    return [dim for dim in axes if _loop_of(dim, block) is not None]


def with_loop_frame(x: Tensor, axes: Sequence[Dim], what: str) -> Tensor:
    """``x``, made to carry the loop frame for an op that masks over ``cum_concat_step`` dims.

    ``axes`` (from :func:`cum_concat_axes`) are ``cum_concat_step`` dims the op (``what``)
    reduces or normalizes over with a mask. For each loop that made one, unless ``x``
    already has that loop's frame (:func:`_carries_frame`), the result is ``x +
    zeros_like(frame index)``: in the loop a no-op (the frame index is a scalar); where
    RETURNN moves the op out of the loop, the frame index is over the loop's time dim,
    which the sum then has, and the mask over the per-frame sizes needs it (without it
    RETURNN fails, returnn issue 721). The op then gives the same result per frame in and
    out of the loop. The frame index is one RETURNN can move out of the loop
    (``Loop._frame_index``): ``:i`` would keep the sum in the loop, where it cannot read a
    ``cum_concat`` that RETURNN moved out. With no ``axes``, ``x`` is returned unchanged.

    Cost when moved out: the op's input gets the loop's time dim ([time, ..., cum_concat
    dim, ...]), the same amount of computation as the op summed over all frames in the loop.
    """
    block = current_block(x.root)
    loops: list[_LoopBlock] = []
    for dim in axes:
        loop_block = _loop_of(dim, block)
        if loop_block is not None and loop_block not in loops and not _carries_frame(x, loop_block):
            loops.append(loop_block)
    for loop_block in loops:
        frame = loop_block.loop._frame_index()  # int32 scalar in the loop's scope
        zeros = ("zeros_like", ("source", 1), x.dtype)
        if x.dtype == "bool":
            expr = "tf.logical_or(source(0), tf.zeros_like(source(1), dtype=tf.bool))"
            neutral: tuple[Any, ...] = ("logical_or", ("source", 0), zeros)
        else:
            expr = "source(0) + tf.zeros_like(source(1), dtype=source(0).dtype)"
            neutral = ("add", ("source", 0), zeros)
        layer = {"class": "eval", "from": [x, frame], "eval": expr, "out_type": {"dtype": x.dtype}}
        template = make_template(
            x.dims, x.dtype, sparse_dim=x.sparse_dim, feature_dim=x.feature_dim
        )
        x = make_layer_tensor(layer, template, name_hint=f"{what}_in_frame")
        x.expr = neutral  # the neutral form of the eval code (LayerRecord.expr)
    return x


def _carries_frame(x: Tensor, loop_block: _LoopBlock) -> bool:
    """Whether ``x`` has the loop's time dim wherever RETURNN computes it (conservative).

    A layer moved out of the loop has the time dim if one of its inputs has it. The
    frame sources are the loop's per-frame inputs (``rec_unstack``), its frame index
    (``:i``) and the previous frames of its state (those layers stay in the loop and
    are stacked when read from outside). A ``cum_concat`` turns the time dim into its
    own dim, and tensors of other blocks are not followed: both count as no frame.
    """
    seen: set[int] = set()
    todo = [x]
    while todo:
        tensor = todo.pop()
        if id(tensor) in seen:
            continue
        seen.add(id(tensor))
        if block_of(tensor) is not loop_block:
            continue
        if isinstance(tensor, ControlTensor) and tensor.role == "prev":
            return True
        layer = tensor.layer_dict
        if layer is None or layer.get("class") == "cum_concat":
            continue
        source = layer.get("from")
        if layer.get("class") == "rec_unstack" or (isinstance(source, str) and source == ":i"):
            return True
        todo.extend(iter_tensors(list(layer.values())))
    return False
