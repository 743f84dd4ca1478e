"""Torch lowerings of the attention family's RETURNN layer classes, and rc-nn's eval layers.

``dot``, ``split_dims``, ``split`` (and its sub-layers), ``reshape``, ``merge_dims``,
``reinterpret_data`` (``set_dim_tags``), ``softmax_over_spatial`` (padded frames masked, as
RETURNN's TF layer does), ``eval`` (from the record's neutral expression only, never from TF
code). See docs/design/torch-backend.md.
"""

from __future__ import annotations

from typing import Any

from returnn.tensor import Dim

import rc_nn

from ._torch_lower import LowerCtx, register, register_sub
from ._torch_ops_basic import _single_source, _sources

__all__: list[str] = []


def with_feature_dim(ctx: LowerCtx, lines: list[str]) -> list[str]:
    """``lines`` and then the recorded feature dim set on the output (RF sets none, e.g.
    ``rf.matmul``), when the recorded template has one."""
    feature = ctx.template().feature_dim
    if feature is not None:
        lines.append(f"{ctx.out}.feature_dim = {ctx.dim(feature)}")
    return lines


def dim_list(ctx: LowerCtx, value: Any, what: str) -> list[Any]:
    items = value.items if isinstance(value, rc_nn.SeqValue) else (value,)
    for item in items:
        if not isinstance(item, rc_nn.DimRef | Dim):
            raise ctx.error(f"has {what} {item!r}, which is no dim")
    return list(items)


@register("dot")
def _dot(layer: rc_nn.LayerRecord, ctx: LowerCtx) -> list[str]:
    opts = ctx.options({"from", "reduce"}, required=("reduce",))
    sources = _sources(ctx, opts["from"])
    if len(sources) != 2:
        raise ctx.error(f"has {len(sources)} inputs, a dot has two")
    reduce = dim_list(ctx, opts["reduce"], "reduce")
    reduce_code = ctx.dim(reduce[0]) if len(reduce) == 1 else ctx.dims(reduce)
    a, lines = sources[0], []
    dynamic = [d for d in reduce if _is_dynamic(ctx, d)]
    if dynamic:
        # RETURNN's TF dot sums over the valid frames only; RF's torch matmul cannot mask:
        # zero the padded frames of the first input instead
        a = ctx.fresh("masked")
        zero = "False" if ctx.template(_source_ids(opts["from"])[0]).dtype == "bool" else "0"
        lines.append(f"{a} = {sources[0]}.copy_masked({zero}, dims={ctx.dims(dynamic)})")
    code = f"rf.matmul({a}, {sources[1]}, reduce={reduce_code}, use_mask=False)"
    return with_feature_dim(ctx, [*lines, ctx.assign(code)])


def _is_dynamic(ctx: LowerCtx, dim: Any) -> bool:
    if isinstance(dim, Dim):
        return dim.dimension is None and not dim.is_batch_dim()
    info = ctx.record.dims[dim.id]
    return info.size is None and info.kind != "batch"


def _source_ids(value: Any) -> list[int]:
    items = value.items if isinstance(value, rc_nn.SeqValue) else (value,)
    return [item.id for item in items if isinstance(item, rc_nn.LayerRef)]


@register("split_dims")
def _split_dims(layer: rc_nn.LayerRecord, ctx: LowerCtx) -> list[str]:
    opts = ctx.options({"from", "axis", "dims"}, required=("axis", "dims"))
    x = _single_source(ctx, opts["from"])
    axis = dim_list(ctx, opts["axis"], "axis")[0]
    dims = dim_list(ctx, opts["dims"], "dims")
    if any(ctx.record.dims[d.id].size is None for d in dims):
        raise ctx.error("splits into a dynamic dim (only static dims are covered)")
    code = f"rf.split_dims({x}, axis={ctx.dim(axis)}, dims={ctx.dims(dims)})"
    return with_feature_dim(ctx, [ctx.assign(code)])


@register("split")
def _split(layer: rc_nn.LayerRecord, ctx: LowerCtx) -> list[str]:
    opts = ctx.options({"from", "axis", "out_dims"}, required=("axis", "out_dims"))
    x = _single_source(ctx, opts["from"])
    axis = dim_list(ctx, opts["axis"], "axis")[0]
    out_dims = dim_list(ctx, opts["out_dims"], "out_dims")
    return [ctx.assign(f"rf.split({x}, axis={ctx.dim(axis)}, out_dims={ctx.dims(out_dims)})")]


@register_sub("split")
def _split_part(layer: rc_nn.LayerRecord, ctx: LowerCtx) -> list[str]:
    """``split/<i>``: the i-th part (a tuple item of the parent's value)."""
    name = layer.sub_name or ""
    if not name.isdigit() or layer.parent is None:
        raise ctx.error(f"is the sub-layer {name!r} of a split, not a part index")
    return with_feature_dim(ctx, [ctx.assign(f"{ctx.var(layer.parent)}[{int(name)}]")])


@register("reshape")
def _reshape(layer: rc_nn.LayerRecord, ctx: LowerCtx) -> list[str]:
    opts = ctx.options({"from", "in_dims", "out_dims"}, required=("in_dims", "out_dims"))
    x = _single_source(ctx, opts["from"])
    in_dims = dim_list(ctx, opts["in_dims"], "in_dims")
    out_dims = dim_list(ctx, opts["out_dims"], "out_dims")
    if any(ctx.record.dims[d.id].size is None for d in [*in_dims, *out_dims]):
        raise ctx.error("reshapes a dynamic dim (only static dims are covered)")
    # RF transposes the in_dims into the given order first, like RETURNN's TF reshape layer.
    code = f"rf.reshape({x}, in_dims={ctx.dims(in_dims)}, out_dims={ctx.dims(out_dims)})"
    return with_feature_dim(ctx, [ctx.assign(code)])


@register("merge_dims")
def _merge_dims(layer: rc_nn.LayerRecord, ctx: LowerCtx) -> list[str]:
    opts = ctx.options({"from", "axes", "out_dim", "keep_order"}, required=("axes", "out_dim"))
    if opts.get("keep_order") is not True:
        raise ctx.error("merges without keep_order=True (RETURNN then sorts the axes)")
    x = _single_source(ctx, opts["from"])
    axes = dim_list(ctx, opts["axes"], "axes")
    out_dim = dim_list(ctx, opts["out_dim"], "out_dim")[0]
    if any(ctx.record.dims[d.id].size is None for d in axes[1:]):
        raise ctx.error("merges a dynamic dim that is not the first (RF loses its lengths)")
    code = f"rf.merge_dims({x}, dims={ctx.dims(axes)}, out_dim={ctx.dim(out_dim)})[0]"
    return with_feature_dim(ctx, [ctx.assign(code)])


def _check_set_axes(ctx: LowerCtx, set_axes: Any) -> None:
    """``set_axes`` naming TF's time/feature axis (``nn.BatchNorm``'s ``{"T": time}``): RF
    has no such axes (dims are named; masking follows the dims), so the values stay."""
    if set_axes is None:
        return
    pairs = set_axes.pairs if isinstance(set_axes, rc_nn.FrozenMap) else None
    if not pairs or any(
        key not in ("T", "t", "F", "f") or not isinstance(dim, rc_nn.DimRef | Dim)
        for key, dim in pairs
    ):
        raise ctx.error(f"has set_axes={set_axes!r} (covered: 'T'/'F' set to a dim)")


@register("reinterpret_data")
def _reinterpret(layer: rc_nn.LayerRecord, ctx: LowerCtx) -> list[str]:
    opts = ctx.options({"from", "set_dim_tags", "set_axes"})
    x = _single_source(ctx, opts["from"])
    _check_set_axes(ctx, opts.get("set_axes"))
    mapping = opts.get("set_dim_tags", rc_nn.FrozenMap(()))
    if not isinstance(mapping, rc_nn.FrozenMap) or not (mapping.pairs or "set_axes" in opts):
        raise ctx.error("has set_dim_tags that is no map of dims")
    lines = [ctx.assign(x)]
    for old, new in mapping.pairs:
        # (map keys are dims as the record stores them: DimRef or the dim itself)
        if not isinstance(old, rc_nn.DimRef | Dim) or not isinstance(new, rc_nn.DimRef | Dim):
            raise ctx.error("has a set_dim_tags entry that is no dim")
        if ctx.needs_binding(new):
            # a new dynamic dim (e.g. the key/value time of attention): RF makes it as a
            # copy of the old one (same lengths), bound here for the layers after this one
            var = ctx.bind_dim(new)
            lines.append(f"{ctx.out}, {var} = rf.replace_dim({ctx.out}, in_dim={ctx.dim(old)})")
        else:
            lines.append(
                f"{ctx.out}, _ = rf.replace_dim({ctx.out}, in_dim={ctx.dim(old)}, "
                f"out_dim={ctx.dim(new)})"
            )
    return with_feature_dim(ctx, lines)


@register("softmax_over_spatial")
def _softmax_over_spatial(layer: rc_nn.LayerRecord, ctx: LowerCtx) -> list[str]:
    opts = ctx.options({"from", "axis"}, required=("axis",))
    x = _single_source(ctx, opts["from"])
    axis = dim_list(ctx, opts["axis"], "axis")[0]
    # use_mask: padded frames of a dynamic axis get weight 0 (RETURNN's TF layer: -inf logits)
    return with_feature_dim(
        ctx, [ctx.assign(f"rf.softmax({x}, axis={ctx.dim(axis)}, use_mask=True)")]
    )


#: Neutral expression operators that are RF combine kinds: the binary ``rc_nn.EXPR_OPS``
#: (RETURNN ``combine`` kinds, rc-nn's own list) except ``zeros_like``.
_COMBINE = frozenset(op for op, arity in rc_nn.EXPR_OPS.items() if arity == 2) - {"zeros_like"}
_LOGICAL = frozenset({"logical_and", "logical_or", "logical_not"})


class _ExprWriter:
    """Writes a neutral expression (``LayerRecord.expr``) as RF code; tracks dtypes so a
    constant becomes a tensor of its partner's dtype (as TF converts it), and never goes
    through ``rf.combine``'s Python-number shortcuts."""

    def __init__(self, ctx: LowerCtx, sources: list[rc_nn.LayerRef]) -> None:
        self.ctx = ctx
        self.sources = sources

    def write(self, expr: Any) -> tuple[str, str | None]:
        """The code of ``expr`` and its dtype (None for a constant)."""
        ctx = self.ctx
        if not isinstance(expr, tuple) or not expr or expr[0] not in rc_nn.EXPR_OPS:
            raise ctx.error(f"has the eval expression node {expr!r}, which is not known")
        op, *operands = expr
        if len(operands) != rc_nn.EXPR_OPS[op]:
            raise ctx.error(f"has the eval expression node {expr!r} with a wrong operand count")
        if op == "source":
            index = operands[0]
            if not isinstance(index, int) or not 0 <= index < len(self.sources):
                raise ctx.error(f"reads source({index!r}) of {len(self.sources)} inputs")
            ref = self.sources[index]
            return ctx.value(ref), ctx.template(ref.id).dtype
        if op == "const":
            return ctx.literal(operands[0]), None
        if op == "zeros_like":
            code, _ = self.write(operands[0])
            zeros_dtype = ctx.literal(operands[1])
            return f"rf.zeros({code}.dims, dtype={zeros_dtype}, device={code}.device)", operands[1]
        args = [self.write(o) for o in operands]
        partner = next((d for _, d in args if d is not None), None)
        if partner is None:
            raise ctx.error(f"has the eval expression {expr!r} of constants only")
        codes = [self._tensor(code, d, partner) for code, d in args]
        out_dtype = "bool" if op in _LOGICAL else partner
        if op in _COMBINE:
            return f"rf.combine_bc({codes[0]}, {ctx.literal(op)}, {codes[1]})", out_dtype
        if op == "sigmoid":
            return f"rf.sigmoid({codes[0]})", out_dtype
        if op == "logical_not":
            return f"rf.logical_not({codes[0]})", out_dtype
        assert op == "clip_by_value", op
        return f"rf.clip_by_value({codes[0]}, {codes[1]}, {codes[2]})", out_dtype

    def _tensor(self, code: str, dtype: str | None, partner: str) -> str:
        if dtype is not None:
            return code
        return f"rf.convert_to_tensor({code}, dtype={self.ctx.literal(partner)})"


@register("eval")
def _eval(layer: rc_nn.LayerRecord, ctx: LowerCtx) -> list[str]:
    expr = layer.expr
    if expr is None:
        code = layer.args["eval"] if layer.args is not None and "eval" in layer.args else None
        raise ctx.error(
            f"is an eval layer of TF code written by the user ({code!r}; only the eval layers "
            "rc-nn writes itself carry a backend-neutral expression, LayerRecord.expr); write "
            "it with rc-nn's operations (e.g. nn.sigmoid(x) * x instead of TF code)"
        )
    opts = ctx.options({"from", "eval", "out_type", "allow_broadcast_all_sources"})
    raw = opts.get("from")
    items = raw.items if isinstance(raw, rc_nn.SeqValue) else (raw,)
    refs = [item for item in items if isinstance(item, rc_nn.LayerRef)]
    if len(refs) != len(items):
        raise ctx.error("has an input that is no layer")
    code, _ = _ExprWriter(ctx, refs).write(expr)
    return with_feature_dim(ctx, [ctx.assign(code)])


@register("switch")
def _switch(layer: rc_nn.LayerRecord, ctx: LowerCtx) -> list[str]:
    """``nn.where``: ``rf.where`` broadcasting all operands (a branch may be a number)."""
    opts = ctx.options({"condition", "true_from", "false_from"}, required=("condition",))
    dtype = ctx.template().dtype
    operands = []
    for key in ("condition", "true_from", "false_from"):
        value = opts.get(key)
        if isinstance(value, rc_nn.LayerRef):
            operands.append(ctx.value(value))
        elif key != "condition" and isinstance(value, bool | int | float):
            operands.append(
                f"rf.convert_to_tensor({ctx.literal(value)}, dtype={ctx.literal(dtype)})"
            )
        else:
            raise ctx.error(f"has {key}={value!r}, neither a layer nor a number")
    code = f"rf.where({', '.join(operands)}, allow_broadcast_all_sources=True)"
    return with_feature_dim(ctx, [ctx.assign(code)])
