"""Torch lowerings of ``nn.Cond`` (a Python ``if``) and ``nn.MaskedComputation`` in a loop.

rc-nn's ``with nn.Cond(c) as cond: cond.true = ...; cond.false = ...`` records a container
layer (``cond``, holding one block per branch) whose value is the first result; further
results (``cond.true = (a, b)``) are its sub-layers ``result_1``, ... RETURNN's TF backend
computes only the branch the condition selects; the torch config does the same::

    if bool(x5.raw_tensor):          # the condition: a bool scalar
        x7 = rf.tanh(x3)             # the true branch's layers, in record order
        x6 = x7                      # the results: the container and its sub-layers
        x6_result_1 = x8
    else:
        ...

``nn.MaskedComputation(mask)`` inside a loop's frame (container ``masked_computation``,
results like a cond's, read through ``unmask`` layers): RETURNN TF computes the unit only
where the mask is true and keeps each result's previous value elsewhere. The torch config
computes the unit for every sequence and keeps the previous value by the mask::

    x20 = ...                        # the unit's layers, in record order (every sequence)
    x12_held = x20 if x12_held is None else rf.where(x11, x20, x12_held)
    x12 = x12_held                   # the container (result 0); result_k: x12_result_k
    ...
    x25 = x12                        # unmask: inside the loop the held value itself

Each held value starts as zeros (the unit's result layers have RETURNN's default initial
output), set before the loop.

Not covered (a clear ``TorchNotCoveredError``): a cond inside another cond or inside a
masked computation, a loop inside a loop, a branch that makes a dim at run time (the other
branch would not have it).
"""

from __future__ import annotations

from collections.abc import Callable, Collection

import rc_nn

from ._torch_lower import LowerCtx, register, register_sub

__all__ = ["EmitLayer", "cond_lines", "masked_lines", "masked_start_lines", "outer_inputs"]

#: Emits one layer (and what it needs); the emitter's callback, marks the layer done.
EmitLayer = Callable[[rc_nn.LayerRecord], list[str]]


def _result_var(ctx: LowerCtx, container: int, index: int) -> str:
    return ctx.var(container) if index == 0 else f"{ctx.var(container)}_result_{index}"


def _block_body(block: int, ctx: LowerCtx, needed: Collection[int], emit: EmitLayer) -> list[str]:
    """The statements of a block's needed layers, in record order."""
    record = ctx.record
    results = set(record.blocks[block].results)
    lines: list[str] = []
    for layer in record.layers:
        if layer.block != block or layer.id not in needed:
            continue
        source = layer.args.get("from") if layer.args is not None else None
        if layer.id in results and layer.op == "copy" and isinstance(source, rc_nn.LayerRef):
            # a result's copy (``is_output_layer`` makes RETURNN keep it in the subnetwork)
            lines.append(f"{ctx.var(layer.id)} = {ctx.var(source.id)}")
        else:
            lines += emit(layer)
    return lines


def _branch_lines(
    container: rc_nn.LayerRecord,
    block: int,
    ctx: LowerCtx,
    needed: Collection[int],
    emit: EmitLayer,
) -> list[str]:
    record = ctx.record
    unbound = {d for d in ctx.runtime_dims if ctx.needs_binding(d)}
    lines = _block_body(block, ctx, needed, emit)
    if any(not ctx.needs_binding(d) for d in unbound):
        ctx.begin(container)
        raise ctx.error(
            f"has a branch ({record.blocks[block].label}) that makes a dim at run time, which the "
            "other branch would not have; not covered"
        )
    for index, result in enumerate(record.blocks[block].results):
        if result is None:
            ctx.begin(container)
            raise ctx.error("has a branch result that is not in the build record")
        lines.append(f"{_result_var(ctx, container.id, index)} = {ctx.var(result)}")
    return [f"    {line}" for line in lines] or ["    pass"]


def cond_lines(
    container: rc_nn.LayerRecord, ctx: LowerCtx, needed: Collection[int], emit: EmitLayer
) -> list[str]:
    """The code of an ``nn.Cond`` (see the module docstring); ``container``: its layer."""
    ctx.begin(container)
    opts = ctx.options({"from", "condition", "true_layer", "false_layer"}, required=("condition",))
    condition = opts["condition"]
    if not isinstance(condition, rc_nn.LayerRef) or ctx.template(condition.id).dims:
        raise ctx.error("has a condition that is no scalar layer")
    true_block, false_block = container.holds
    inner = [
        layer
        for layer in ctx.record.layers
        if layer.block in container.holds and layer.id in needed
    ]
    lines = outer_inputs(ctx.record, container, inner, needed, emit)
    lines.append(f"if bool({ctx.value(condition)}.raw_tensor):")
    lines += _branch_lines(container, true_block, ctx, needed, emit)
    lines.append("else:")
    lines += _branch_lines(container, false_block, ctx, needed, emit)
    return lines


def masked_start_lines(container: rc_nn.LayerRecord, ctx: LowerCtx) -> list[str]:
    """Before the loop: each result's held value starts as zeros."""
    lines = []
    (block,) = container.holds
    for index, result in enumerate(ctx.record.blocks[block].results):
        if result is None:
            ctx.begin(container)
            raise ctx.error("has a result that is not in the build record")
        template = ctx.template(result)
        lines.append(
            f"{_result_var(ctx, container.id, index)}_held = rf.zeros({ctx.dims(template.dims)}, "
            f"dtype={ctx.literal(template.dtype)})"
        )
    return lines


def masked_lines(
    container: rc_nn.LayerRecord, ctx: LowerCtx, needed: Collection[int], emit: EmitLayer
) -> list[str]:
    """A masked computation in a loop's frame (see the module docstring)."""
    ctx.begin(container)
    opts = ctx.options({"from", "mask", "unit"}, required=("mask",))
    mask = opts["mask"]
    if not isinstance(mask, rc_nn.LayerRef):
        raise ctx.error("has a mask that is no layer")
    mask_code = ctx.value(mask)
    (block,) = container.holds
    lines = _block_body(block, ctx, needed, emit)
    for index, result in enumerate(ctx.record.blocks[block].results):
        assert result is not None  # masked_start_lines checked it
        held = f"{_result_var(ctx, container.id, index)}_held"
        lines += [
            f"{held} = rf.where({mask_code}, {ctx.var(result)}, {held})",
            f"{_result_var(ctx, container.id, index)} = {held}",
        ]
    return lines


@register("unmask")
def _unmask(layer: rc_nn.LayerRecord, ctx: LowerCtx) -> list[str]:
    """Inside a loop's frame, the masked computation's held value itself."""
    opts = ctx.options({"from", "mask"}, required=("from",))
    source = opts["from"]
    if not isinstance(source, rc_nn.LayerRef):
        raise ctx.error("has not exactly one input layer in 'from'")
    return [ctx.assign(ctx.value(source))]


@register_sub("masked_computation")
def _masked_result(layer: rc_nn.LayerRecord, ctx: LowerCtx) -> list[str]:
    return _cond_result(layer, ctx)


@register_sub("cond")
def _cond_result(layer: rc_nn.LayerRecord, ctx: LowerCtx) -> list[str]:
    """``cond.result[k]`` (k >= 1): the container's sub-layer ``result_<k>``."""
    name = layer.sub_name or ""
    index = name.removeprefix("result_")
    if layer.parent is None or not name.startswith("result_") or not index.isdigit():
        raise ctx.error(f"is the sub-layer {name!r} of a cond, not one of its results")
    return [ctx.assign(_result_var(ctx, layer.parent, int(index)))]


def outer_inputs(
    record: rc_nn.BuildRecord,
    container: rc_nn.LayerRecord,
    inner: list[rc_nn.LayerRecord],
    needed: Collection[int],
    emit: EmitLayer,
) -> list[str]:
    """The layers a block reads that sit next to its container but were made after it: first.

    I.e. layers of the block around the container (the top level, or the loop's frame for a
    cond in a loop) with a higher id, e.g. a loop state's initial value made by its first
    assignment inside the ``with`` block (``nn.zeros``, moved before the loop) or the frame
    positions of ``cum_concat``. A loop state's previous frame is no such layer.
    """
    inside = {layer.id for layer in inner}
    todo = [d for layer in inner for d in layer.deps if d not in inside]
    wanted: set[int] = set()
    while todo:
        dep = todo.pop()
        layer = record.layers[dep]
        if (
            dep in wanted
            or dep < container.id
            or layer.block != container.block
            or dep not in needed
            or layer.alias_prefix == "prev:"  # a loop state's carried variable
        ):
            continue
        wanted.add(dep)
        todo.extend(layer.deps)
    lines: list[str] = []
    for dep in sorted(wanted):
        lines += emit(record.layers[dep])
    return lines
