"""Torch lowering of ``nn.Loop`` over a known axis: a Python loop over the frames in the config.

rc-nn's ``nn.Loop(axis=time)`` records a container layer (``rec`` with a ``unit`` block)
and the layers of one frame in that block (record 1.2: ``LoopInfo.states`` names the
carried states). RETURNN's TF backend runs the frame in a ``tf.while_loop``; the torch
config runs it as a plain Python ``for`` loop over the axis' frames, in the step function,
with the same semantics as ``rf.scan`` over a known ``spatial_dim``::

    x4_size = rf.copy_to_device(time_dim.get_size_tensor())     # frames per sequence
    x6 = x3                                                      # prev:acc = initial
    x9_frames = []
    x11_last = None
    for x4_i in range(time_dim.get_dim_value()):
        x4_mask = x4_size > x4_i                                 # [batch]: frame is valid
        x5 = rf.gather(x0, axis=time_dim, indices=x4_i)          # loop.unstack(x)
        ...                                                      # the frame's layers
        x9_frames.append(x9)                                     # loop.stack(y)
        x11_last = x11 if x11_last is None else rf.where(x4_mask, x11, x11_last)
        x6 = rf.nested.mask_nested(x13, mask=x4_mask, mask_value=x6, allow_dim_extension=False)
    x10 = rf.stack(x9_frames, out_dim=time_dim)[0].copy_masked(0.0)

* a state keeps its value once a sequence has ended (as ``rf.scan``), so ``loop.last(y)``
  and ``loop.state.h`` after the loop are the values of each sequence's last frame;
* stacked values have zeros in the padding. RETURNN TF's rec layer keeps computing frames
  past a sequence's end, so its padding holds other numbers; the valid frames are equal
  (tested), and what reads a stacked value masks the padding (losses, masked reductions);
* ``loop.iteration`` is the frame index (int32 scalar);
* the single-step ``nn.LSTM`` inside the loop is rc-nn's cell math on the LSTM's own
  parameters (``dot``, ``split``, ``sigmoid``, ``tanh``): it reads ``param_W`` / ``param_W_re``
  / ``param_b`` with the native op's gate order (``j, i, f, o``), so the torch config reads
  those parameters (stored in torch's gate order, ``_torch_layout``) through a view with the
  gate blocks moved back (:func:`param_view_lines`).

A loop until ``loop.end`` (no axis given, ``max_seq_len`` or ``max_seq_len_via``) is a
``while`` loop instead: it runs while frames are left and some sequence has not ended; a
frame is valid for a sequence that has not ended before it (with ``include_eos`` also the
frame whose end flag is true), ``<loop>_len`` counts the valid frames, and after the loop
the loop's new dim is made from those lengths (``Dim(lengths)``, bound as a run-time dim).

``nn.Cond`` and ``nn.MaskedComputation`` (also per frame of a loop) are in
``_torch_ops_cond``.

Not covered (a clear ``TorchNotCoveredError`` at build time): a loop until ``loop.end``
without ``max_seq_len``, a loop over a given axis with an end condition, a loop inside a
loop, a block inside a cond or masked computation, beam search (``nn.choice``).
"""

from __future__ import annotations

from collections.abc import Collection

import rc_nn

from . import _torch_ops_cond
from ._torch_errors import COVERAGE_DOC, TorchNotCoveredError
from ._torch_layout import LSTM_GATES_TORCH_FROM_TF, torch_param_layout
from ._torch_lower import LowerCtx, layer_error, layer_var, register
from ._torch_ops_cond import EmitLayer, outer_inputs

__all__ = [
    "EmitLayer",
    "check_control_flow",
    "loop_lines",
    "param_view_lines",
    "stacked_lines",
]

#: The options of a loop's container layer the lowering implements.
_LOOP_OPTIONS = frozenset({"class", "from", "unit", "axis"})


def _loop_error(
    record: rc_nn.BuildRecord, layer: rc_nn.LayerRecord, block: int, why: str
) -> Exception:
    return TorchNotCoveredError(
        f"the torch backend does not write this control flow yet: {layer.text or layer.op} "
        f"(created at {layer.created_at}) belongs to {record.blocks[block].description}, and "
        f"{why}. Covered: nn.Loop over an axis or until loop.end with max_seq_len (loop.unstack, "
        f"loop.state, loop.stack, loop.last, loop.iteration), nn.Cond (also per frame in such a "
        f"loop) and nn.MaskedComputation in such a loop. Coverage: {COVERAGE_DOC}; build this model with the TF backend "
        "(backend='tf', the default) meanwhile"
    )


def check_control_flow(record: rc_nn.BuildRecord, used: Collection[int]) -> None:
    """Refuse, before writing anything, every control flow the torch backend does not write."""
    for layer_id in used:
        layer = record.layers[layer_id]
        block = layer.block
        if block is None and layer.kind == "container":
            block = layer.own_block if layer.own_block is not None else layer.holds[0]
        if block is None:
            continue
        info = record.blocks[block]
        parent = None if info.parent is None else record.blocks[info.parent]
        if parent is not None and not (
            info.kind in ("cond", "masked") and parent.kind == "loop" and parent.parent is None
        ):
            raise _loop_error(
                record, layer, block,
                "nested blocks (a loop inside a loop, a block inside a cond or a masked "
                "computation) come later",
            )  # fmt: skip
        if info.kind == "masked" and parent is None:
            raise _loop_error(record, layer, block, "a masked computation needs a loop around it")
        if info.kind != "loop" or info.loop is None:
            continue
        container = record.layers[info.container] if info.container is not None else None
        args = container.args if container is not None and container.args is not None else {}
        if info.loop.axis is None or "axis" not in args:
            raise _loop_error(record, layer, block, "a loop without axis is not covered")
        end_options = {"max_seq_len", "max_seq_len_via", "include_eos"}
        unknown = sorted(set(args) - _LOOP_OPTIONS - (end_options if info.loop.end else set()))
        if unknown:
            raise _loop_error(
                record, layer, block, f"the loop option {unknown[0]!r} is not covered"
            )


def _index(ctx: LowerCtx, block: int | None) -> str:
    """The frame-index variable of the loop whose frame ``block`` is."""
    container = None if block is None else ctx.record.blocks[block].container
    if container is None:
        raise ctx.error("is not inside a loop over an axis")
    return f"{ctx.var(container)}_i"


@register("choice")
def _choice(layer: rc_nn.LayerRecord, ctx: LowerCtx) -> list[str]:
    """Beam search is not covered: a clear error naming it (never a config that fails later)."""
    raise ctx.error(
        "is beam search (nn.choice in a search loop), which the torch backend does not write "
        "yet (loops until loop.end without nn.choice, e.g. greedy decoding with nn.argmax, are "
        "covered)"
    )


@register("rec_unstack")
def _rec_unstack(layer: rc_nn.LayerRecord, ctx: LowerCtx) -> list[str]:
    opts = ctx.options({"from", "axis"}, required=("from", "axis"))
    index = _index(ctx, layer.block)
    return [
        ctx.assign(
            f"rf.gather({ctx.value(opts['from'])}, axis={ctx.dim(opts['axis'])}, indices={index})"
        )
    ]


@register("rec_last_output")
def _rec_last_output(layer: rc_nn.LayerRecord, ctx: LowerCtx) -> list[str]:
    opts = ctx.options({"rec_layer", "sub_layer_name"}, required=("rec_layer", "sub_layer_name"))
    name = opts["sub_layer_name"]
    if not isinstance(name, rc_nn.LayerNameRef):
        raise ctx.error("reads a sub-layer of a loop that rc-nn did not name (no loop.last)")
    return [ctx.assign(f"{ctx.var(name.layer)}_last")]


def stacked_lines(layer: rc_nn.LayerRecord, ctx: LowerCtx) -> list[str]:
    """A stacked loop output (alias role ``stack``): the frames stacked after the loop."""
    if layer.role != "stack" or layer.alias_of is None:
        raise layer_error(layer, f"is an alias ({layer.role or 'no role'}), not covered")
    return [f"{layer_var(layer.id)} = {layer_var(layer.alias_of)}_stacked"]


def _frame_lines(layer: rc_nn.LayerRecord, ctx: LowerCtx, emit: EmitLayer) -> list[str]:
    """One layer of the frame: the loop's own copies here, every other layer by ``emit``."""
    args = layer.args if layer.args is not None else rc_nn.FrozenMap()
    out = layer_var(layer.id)
    if layer.kind == "alias" and layer.alias_prefix == "prev:":
        return []  # a state's previous frame: the carried variable
    if layer.op == "copy" and args.get("from") == ":i":
        index = _index(ctx, layer.block)
        return [f'{out} = rf.convert_to_tensor({index}, dims=(), dtype="int32")']
    if layer.role not in ("loop_state", "loop_stack", "loop_last"):
        return emit(layer)
    source = args.get("from")
    if not isinstance(source, rc_nn.LayerRef):
        ctx.begin(layer)
        raise ctx.error("is a loop state/output without one input layer")
    lines = [f"{out} = {layer_var(source.id)}"]
    if layer.role == "loop_stack":
        lines.append(f"{out}_frames.append({out})")
    return lines


def _frame_end(
    inner: list[rc_nn.LayerRecord], states: list[rc_nn.LoopState], mask: str
) -> list[str]:
    """After a frame's layers: ``loop.last`` values and the states, kept where ``mask`` is false."""
    lines = []
    for layer in inner:
        if layer.role == "loop_last":
            out, last = layer_var(layer.id), f"{layer_var(layer.id)}_last"
            before = f"rf.zeros_like({out}) if {last} is None else {last}"  # none: zeros, as TF
            lines.append(f"{last} = rf.where({mask}, {out}, {before})")
    for state in states:
        prev = layer_var(state.prev) if state.prev is not None else ""
        lines.append(
            f"{prev} = rf.nested.mask_nested({layer_var(state.new)}, mask={mask}, "
            f"mask_value={prev}, allow_dim_extension=False)"
        )
    return lines


def loop_lines(
    container: rc_nn.LayerRecord,
    ctx: LowerCtx,
    needed: Collection[int],
    emit: EmitLayer,
) -> list[str]:
    """The code of a loop (see the module docstring); ``container``: its layer."""
    record = ctx.record
    (block,) = container.holds
    info = record.blocks[block].loop
    assert info is not None and info.axis is not None
    ctx.begin(container)
    var = layer_var(container.id)
    inner = [layer for layer in record.layers if layer.block == block and layer.id in needed]
    lines = outer_inputs(record, container, inner, needed, emit)
    states = [s for s in info.states if s.prev is not None and s.prev in needed]
    lines += [f"{layer_var(s.prev)} = {layer_var(s.initial)}" for s in states if s.prev is not None]
    for layer in inner:
        if layer.kind == "container" and layer.op == "masked_computation":
            lines += _torch_ops_cond.masked_start_lines(layer, ctx)
        if layer.role == "loop_stack":
            lines.append(f"{layer_var(layer.id)}_frames = []")
        elif layer.role == "loop_last":
            lines.append(f"{layer_var(layer.id)}_last = None")
    body: list[str] = []
    for layer in inner:
        body += _frame_lines(layer, ctx, emit)
    ctx.begin(container)
    tail = _frame_end(inner, states, f"{var}_mask")
    if info.end is None:
        axis = ctx.dim(info.axis)
        lines += _axis_loop(var, axis, [*body, *tail])
    elif not ctx.needs_binding(info.axis):
        raise ctx.error("is a loop over a given axis with an end condition (loop.end); not covered")
    else:
        lines += _end_loop(
            container, info.end, ctx, [*body, *_end_flags(container, info.end, ctx), *tail]
        )
        axis = ctx.bind_dim(info.axis)
        lines.append(f'{axis} = Dim(rf.copy_to_device({var}_len, "cpu"), name="loop")')
    for layer in inner:
        if layer.role == "loop_stack":
            out = layer_var(layer.id)
            lines.append(
                f"{out}_stacked = rf.stack({out}_frames[: {axis}.get_dim_value()], "
                f"out_dim={axis})[0].copy_masked(0.0, dims=[{axis}])"
            )
    return lines


def _axis_loop(var: str, axis: str, body: list[str]) -> list[str]:
    """``for`` over the frames of a known axis; a frame is valid below each sequence's length."""
    size, index, mask = f"{var}_size", f"{var}_i", f"{var}_mask"
    return [
        f"{size} = rf.copy_to_device({axis}.get_size_tensor())",
        f"for {index} in range({axis}.get_dim_value()):",
        f"    {mask} = {size} > {index}",
        *(f"    {line}" for line in body),
    ]


def _end_flags(container: rc_nn.LayerRecord, end: int, ctx: LowerCtx) -> list[str]:
    """After the frame's layers of a loop until ``loop.end``: the frame's mask and lengths.

    A frame is valid for a sequence that has not ended before it (with ``include_eos``, also
    the frame whose end condition is true); ``<var>_len`` counts the valid frames.
    """
    opts = ctx.options({"from", "unit", "axis", "max_seq_len", "max_seq_len_via", "include_eos"})
    var = layer_var(container.id)
    alive, length, mask, ended = f"{var}_alive", f"{var}_len", f"{var}_mask", layer_var(end)
    valid = (
        alive if opts.get("include_eos") else f"rf.logical_and({alive}, rf.logical_not({ended}))"
    )
    return [
        f"if {alive} is None:",
        f'    {alive} = rf.full(dims={ended}.dims, fill_value=True, dtype="bool")',
        f'    {length} = rf.zeros({ended}.dims, dtype="int32")',
        f"{mask} = {valid}",
        f'{length} = {length} + rf.cast({mask}, "int32")',
        f"{alive} = rf.logical_and({alive}, rf.logical_not({ended}))",
    ]


def _end_loop(container: rc_nn.LayerRecord, end: int, ctx: LowerCtx, body: list[str]) -> list[str]:
    """``while`` frames are left (``max_seq_len``) and some sequence has not ended."""
    del end
    opts = ctx.options({"from", "unit", "axis", "max_seq_len", "max_seq_len_via", "include_eos"})
    var = layer_var(container.id)
    alive, length, index = f"{var}_alive", f"{var}_len", f"{var}_i"
    if isinstance(opts.get("max_seq_len_via"), rc_nn.LayerRef):
        limit = f"int({ctx.value(opts['max_seq_len_via'])}.raw_tensor)"
    elif isinstance(opts.get("max_seq_len"), int) and not isinstance(opts["max_seq_len"], bool):
        limit = ctx.literal(opts["max_seq_len"])
    else:
        raise ctx.error("is a loop until loop.end without max_seq_len")
    return [
        f"{alive} = None",
        f"{length} = None",
        f"{index} = 0",
        f"while {index} < {limit} and ({alive} is None or "
        f"bool(rf.reduce_any({alive}, axis={alive}.dims).raw_tensor)):",
        *(f"    {line}" for line in body),
        f"    {index} += 1",
    ]


def param_view_lines(param: rc_nn.ParamRecord, ctx: LowerCtx, needed: Collection[int]) -> list[str]:
    """LSTM gate parameters read by rc-nn's single-step cell: a view in the native gate order.

    The torch config stores ``param_W`` / ``param_W_re`` / ``param_b`` with the gate blocks in
    torch's order (``i, f, j, o``, what the full-sequence lowering hands to ``torch.lstm``);
    rc-nn's single-step cell (``nn.LSTM`` in ``nn.Loop``) splits them in the native op's order
    (``j, i, f, o``). When such a cell reads the parameter, its variable becomes the view
    with the blocks moved back (differentiable: training updates the stored parameter).
    """
    layout = torch_param_layout(param, ctx.record)
    if layout.gates is None:
        return []
    users = [ctx.record.layers[i] for i in needed if param.layer in ctx.record.layers[i].deps]
    cells = [u for u in users if u.op != "rec"]
    if not cells:
        return []
    ctx.begin(ctx.record.layers[param.layer])
    if len(cells) != len(users):
        raise ctx.error(
            "is an LSTM parameter used both by a full-sequence nn.LSTM and by its single-step "
            "cell (nn.single_step_dim); the torch backend writes one of the two per LSTM"
        )
    gate_id = param.dims[layout.axes[layout.gates[0]]]  # the gates axis is in torch order
    gate_dim = ctx.record.dims[gate_id]
    if gate_dim.size is None or gate_dim.size % 4:
        raise ctx.error("has no static gate dim of 4 blocks")
    var = layer_var(param.layer)
    block = ctx.fresh("gate")
    parts = ctx.fresh("parts")
    axis = ctx.dim(gate_id)
    native = [LSTM_GATES_TORCH_FROM_TF.index(k) for k in range(4)]  # native block k = torch's
    concat = ", ".join(f"({parts}[{k}], {block})" for k in native)
    return [
        f'{block} = Dim({gate_dim.size // 4}, name="gate")',
        f"{parts} = rf.split({var}, axis={axis}, out_dims=[{block}] * 4)",
        f"{var} = rf.concat({concat}, out_dim={axis})[0]",
    ]
