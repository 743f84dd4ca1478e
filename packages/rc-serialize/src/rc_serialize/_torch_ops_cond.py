"""Torch lowering of ``nn.Cond``: a Python ``if`` on the scalar condition in the config.

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

Not covered (a clear ``TorchNotCoveredError``): a cond inside a loop or another block,
a branch that makes a dim at run time (the other branch would not have it).
"""

from __future__ import annotations

from collections.abc import Collection

import rc_nn

from ._torch_lower import LowerCtx, register_sub
from ._torch_ops_loop import EmitLayer, outer_inputs

__all__ = ["cond_lines"]


def _result_var(ctx: LowerCtx, container: int, index: int) -> str:
    return ctx.var(container) if index == 0 else f"{ctx.var(container)}_result_{index}"


def _branch_lines(
    container: rc_nn.LayerRecord,
    block: int,
    ctx: LowerCtx,
    needed: Collection[int],
    emit: EmitLayer,
) -> list[str]:
    record = ctx.record
    unbound = {d for d in ctx.runtime_dims if ctx.needs_binding(d)}
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


@register_sub("cond")
def _cond_result(layer: rc_nn.LayerRecord, ctx: LowerCtx) -> list[str]:
    """``cond.result[k]`` (k >= 1): the container's sub-layer ``result_<k>``."""
    name = layer.sub_name or ""
    index = name.removeprefix("result_")
    if layer.parent is None or not name.startswith("result_") or not index.isdigit():
        raise ctx.error(f"is the sub-layer {name!r} of a cond, not one of its results")
    return [ctx.assign(_result_var(ctx, layer.parent, int(index)))]
